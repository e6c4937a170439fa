import { Context, type Effect, Schema } from "effect"
import {
  ActivateCardRequest,
  Card,
  type CardLifecycleError,
  ChangePinRequest,
  ReplaceCardRequest,
  ReplacedCard,
  ValidateCvvRequest
} from "./CardLifecycle.js"
import { CardCvv, GetCvvRequest } from "./CardSecrets.js"
import type { CardSecretsError } from "./Errors.js"
import { AccountNumber, CardId, CustomerId } from "./Ids.js"

/*
 * Operations the cardholder's own device authorises: the backend builds the exact bytes of the
 * operation, the device signs them with the key it registered, and the backend sends those bytes
 * unchanged with the device's signature. The backend never holds the device's key, so a payload it
 * did not show the device cannot be performed in the cardholder's name.
 */

/** The operations a device may sign, by the names of the plain ports' methods. */
export const SignableOperation = Schema.Literal(
  "revealCvv",
  "validateCvv",
  "changePin",
  "activate",
  "replace"
).annotations({ identifier: "SignableOperation" })
export type SignableOperation = typeof SignableOperation.Type

/** `CardSecrets.getCvv`'s request, for the device to sign. */
export class SignableRevealCvv extends Schema.Class<SignableRevealCvv>("SignableRevealCvv")({
  operation: Schema.tag("revealCvv"),
  request: GetCvvRequest
}) {}

/** `CardLifecycle.validateCvv`'s request, for the device to sign. */
export class SignableValidateCvv extends Schema.Class<SignableValidateCvv>("SignableValidateCvv")({
  operation: Schema.tag("validateCvv"),
  request: ValidateCvvRequest
}) {}

/** `CardLifecycle.changePin`'s request, for the device to sign. */
export class SignableChangePin extends Schema.Class<SignableChangePin>("SignableChangePin")({
  operation: Schema.tag("changePin"),
  request: ChangePinRequest
}) {}

/**
 * `CardLifecycle.activate`'s request, for the device to sign: one status change to active that
 * carries the CVV printed on the card, which the provider checks as it activates. A provider that
 * wants the CVV checked on its own first has `validateCvv` signed before it, as a separate payload.
 */
export class SignableActivate extends Schema.Class<SignableActivate>("SignableActivate")({
  operation: Schema.tag("activate"),
  request: ActivateCardRequest
}) {}

/** `CardLifecycle.replace`'s request, for the device to sign. */
export class SignableReplace extends Schema.Class<SignableReplace>("SignableReplace")({
  operation: Schema.tag("replace"),
  request: ReplaceCardRequest
}) {}

/** What a device may be asked to sign, told apart by `operation`. */
export const SignableRequest = Schema.Union(
  SignableRevealCvv,
  SignableValidateCvv,
  SignableChangePin,
  SignableActivate,
  SignableReplace
).annotations({ identifier: "SignableRequest" })
export type SignableRequest = typeof SignableRequest.Type

/**
 * The bytes a device must sign for one operation, and what a store keeps beside them to check
 * who may perform them. `payload` is exactly what is sent: signed as it is and never rebuilt. It
 * is `Redacted` because it may carry the card's CVV or a new PIN (encrypted to the provider's key
 * where the provider encrypts them); encoding the schema writes it out for the device.
 */
export class SignablePayload extends Schema.Class<SignablePayload>("SignablePayload")({
  operation: SignableOperation,
  payload: Schema.Redacted(Schema.String),
  cardId: CardId,
  customerId: CustomerId,
  accountNumber: AccountNumber
}) {}

/** A `SignablePayload` of one operation: what `prepare` answers for it and `perform` takes back. */
export type SignablePayloadOf<O extends SignableOperation> = SignablePayload & { readonly operation: O }

/** A device's signature over a payload's bytes, and the key id its key was registered under. */
export class DeviceSignature extends Schema.Class<DeviceSignature>("DeviceSignature")({
  /** Standard base64 with padding, as the provider reads it (a DER ECDSA P-256 signature on the ledger). */
  signature: Schema.String.pipe(
    Schema.pattern(/^[A-Za-z0-9+/]+={0,2}$/, { message: () => "must be standard base64" }),
    Schema.maxLength(1024)
  ),
  keyId: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(256))
}) {}

/**
 * Each operation's result, as the plain port method answers it: a schema per operation, so a route
 * encodes a device-signed result as it encodes the plain one.
 */
export const DeviceSignedResult = {
  revealCvv: CardCvv,
  validateCvv: Schema.Void,
  changePin: Schema.Void,
  activate: Card,
  replace: ReplacedCard
} as const satisfies Record<SignableOperation, Schema.Schema.Any>

/** The result type of each operation. */
export type DeviceSignedResult = {
  readonly [O in SignableOperation]: Schema.Schema.Type<(typeof DeviceSignedResult)[O]>
}

/** What preparing or performing a device-signed operation can fail with: the plain ports' errors. */
export type DeviceSigningError = CardLifecycleError | CardSecretsError

/**
 * Operations authorised by the cardholder's device, provider-neutral. `prepare` builds the bytes
 * the device signs (checking what it can first); `perform` sends those bytes unchanged with the
 * device's signature and answers what the plain method answers. A signature the provider refuses
 * (another key, an unknown key id, other bytes, a device of another customer) is
 * `AuthenticationFailed`. Keeping payloads for a while and letting each be performed once is the
 * caller's: this port holds no state between the two calls.
 */
export class DeviceSignedOperations extends Context.Tag("@cardkit/domain/DeviceSignedOperations")<
  DeviceSignedOperations,
  {
    readonly prepare: <R extends SignableRequest>(
      request: R
    ) => Effect.Effect<SignablePayloadOf<R["operation"]>, DeviceSigningError>
    readonly perform: <O extends SignableOperation>(
      payload: SignablePayloadOf<O>,
      signature: DeviceSignature
    ) => Effect.Effect<DeviceSignedResult[O], DeviceSigningError>
  }
>() {}
