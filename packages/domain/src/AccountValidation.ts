import { Context, type Effect, Schema } from "effect"
import { CardExpiry } from "./CardExpiry.js"
import { Cvv, Tavv } from "./Cvv.js"
import type { AccountValidationError } from "./Errors.js"
import { Pan } from "./Pan.js"

const Text = (max: number, what: string) =>
  Schema.String.pipe(
    Schema.filter((s) => s.trim().length > 0 && s.length <= max, {
      message: () => `must be 1 to ${max} characters and not blank (${what})`
    })
  )

export class BillingAddress extends Schema.Class<BillingAddress>("BillingAddress")({
  street: Schema.optional(Text(64, "street and number")),
  postalCode: Schema.String.pipe(
    Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9 -]{0,15}$/, {
      message: () => "must be 1 to 16 letters, digits, spaces or '-'"
    })
  )
}) {}

export class CardholderName extends Schema.Class<CardholderName>("CardholderName")({
  first: Schema.optional(Text(35, "given name")),
  middle: Schema.optional(Text(35, "middle name")),
  last: Text(35, "family name")
}) {}

/** Check that a payment account exists and is in good standing, optionally with CVV2, AVS, name and TAVV. */
export class AccountValidationRequest extends Schema.Class<AccountValidationRequest>("AccountValidationRequest")({
  pan: Pan,
  expiry: Schema.optional(CardExpiry),
  cvv2: Schema.optional(Cvv),
  tavv: Schema.optional(Tavv),
  billingAddress: Schema.optional(BillingAddress),
  cardholderName: Schema.optional(CardholderName)
}) {}

export const Cvv2Result = Schema.Literal("match", "no_match", "not_processed", "not_checked")
export type Cvv2Result = typeof Cvv2Result.Type

export const AddressResult = Schema.Literal(
  "match",
  "street_only",
  "postal_code_only",
  "no_match",
  "unavailable",
  "not_checked"
)
export type AddressResult = typeof AddressResult.Type

export const NameResult = Schema.Literal("match", "partial_match", "no_match", "not_checked")
export type NameResult = typeof NameResult.Type

export const TavvResult = Schema.Literal("valid", "invalid", "not_checked")
export type TavvResult = typeof TavvResult.Type

/** The provider's own codes behind a result, kept verbatim for audit and support. */
export const RawCodes = Schema.Struct({
  actionCode: Schema.String,
  responseCode: Schema.optional(Schema.String),
  approvalCode: Schema.optional(Schema.String),
  cvv2ResultCode: Schema.optional(Schema.String),
  addressVerificationResults: Schema.optional(Schema.String),
  nameMatchDecision: Schema.optional(Schema.String),
  cardholderAuthenticationVerificationResults: Schema.optional(Schema.String)
}).annotations({ identifier: "RawCodes" })
export type RawCodes = typeof RawCodes.Type

/** The verdict. A decline is a result (`approved: false`), not an error. */
export class AccountValidationResult extends Schema.Class<AccountValidationResult>("AccountValidationResult")({
  approved: Schema.Boolean,
  /** VisaNet response code: `00`/`85` approved, `05`, `14`, `25`, `54`, `N7`, `91`, … */
  actionCode: Schema.String,
  cvv2: Cvv2Result,
  address: AddressResult,
  name: Schema.optional(NameResult),
  tavv: Schema.optional(TavvResult),
  transactionId: Schema.String,
  raw: RawCodes
}) {}

/** Validates payment accounts. Implemented by the Visa PAV transport and by `FakeProvider`. */
export class AccountValidation extends Context.Tag("@cardkit/domain/AccountValidation")<
  AccountValidation,
  {
    readonly validate: (
      request: AccountValidationRequest
    ) => Effect.Effect<AccountValidationResult, AccountValidationError>
  }
>() {}
