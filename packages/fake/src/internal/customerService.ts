import { Effect, Redacted, Schema } from "effect"
import type { FakeIssuer } from "../FakeIssuer.js"
import { decodeOrRefuse, LedgerFailure } from "./ledgerFailure.js"

/*
 * The ledger's `/jsonrpc` methods the card flows need (reference §8): `CustomerService.AddUserKey`,
 * which registers a cardholder's device key. The client side has no schema for it yet, so the fake
 * holds this one; its names are the production client's.
 */

const Text = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(254))

export const AddUserKeyPayload = Schema.Struct({
  /** The customer's email. */
  userName: Text,
  /** SPKI PEM of the device's P-256 key. */
  publicKey: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(1024)),
  /** The production client sends `ACTIVE` always, "because the docs say so". */
  status: Schema.Literal("ACTIVE"),
  /** Not the ledger's: a fake-only way to name the customer when no email is on file for them. */
  customerId: Schema.optional(Text)
}).annotations({ identifier: "AddUserKeyPayload" })
export type AddUserKeyPayload = typeof AddUserKeyPayload.Type

/** The request around a `/jsonrpc` payload; the payload is decoded by its method's schema. */
export const CustomerEnvelope = Schema.Struct({
  jsonrpc: Schema.optional(Schema.Literal("2.0")),
  method: Schema.String,
  id: Schema.Union(Schema.String, Schema.Number),
  params: Schema.Struct({
    payload: Schema.Object,
    api: Schema.Struct({
      credential: Schema.String,
      signature: Schema.String,
      apiKey: Schema.String,
      keyId: Schema.optional(Schema.String)
    })
  })
})
export type CustomerEnvelope = typeof CustomerEnvelope.Type

type CustomerMethod = (issuer: FakeIssuer["Type"], payload: unknown) => Effect.Effect<object, LedgerFailure>

const decodeAddUserKey = decodeOrRefuse(AddUserKeyPayload, "params.payload")

const addUserKey: CustomerMethod = (issuer, input) =>
  Effect.flatMap(decodeAddUserKey(input), (payload) =>
    Effect.map(Effect.mapError(issuer.addUserKey(payload), LedgerFailure.ofPayload), (device) => ({
      keyID: device.keyId,
      status: device.status,
      apiKey: Redacted.value(device.apiKey)
    }))
  )

/** The methods the fake's `/jsonrpc` answers: a Map, so `__proto__` or `valueOf` names none. */
export const customerMethods: ReadonlyMap<string, CustomerMethod> = new Map([
  ["CustomerService.AddUserKey", addUserKey]
])
