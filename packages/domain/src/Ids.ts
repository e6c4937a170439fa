import { Schema } from "effect"

const identifier = (name: string, pattern: RegExp, rule: string, description: string) =>
  Schema.String.pipe(
    Schema.pattern(pattern, { message: () => rule }),
    Schema.brand(name),
    Schema.annotations({ identifier: name, description })
  )

export const CardId = identifier(
  "CardId",
  /^[A-Za-z0-9_-]{1,64}$/,
  "must be 1 to 64 letters, digits, '_' or '-'",
  "The issuer's id of a card"
)
export type CardId = typeof CardId.Type

export const CustomerId = identifier(
  "CustomerId",
  /^[A-Za-z0-9_-]{1,64}$/,
  "must be 1 to 64 letters, digits, '_' or '-'",
  "The issuer's id of the customer who holds the card"
)
export type CustomerId = typeof CustomerId.Type

export const AccountNumber = identifier(
  "AccountNumber",
  /^[A-Za-z0-9]{1,34}$/,
  "must be 1 to 34 letters or digits",
  "The account the card is linked to"
)
export type AccountNumber = typeof AccountNumber.Type

export const Reference = identifier(
  "Reference",
  /^[A-Za-z0-9_.:-]{1,64}$/,
  "must be 1 to 64 letters, digits, '_', '.', ':' or '-'",
  "A caller's unique reference for one request"
)
export type Reference = typeof Reference.Type

/** Product and program names the ledger maps a card to; `DEFAULT` unless the issuer set up others. */
export const ProductName = identifier("ProductName", /^[A-Za-z0-9_ -]{1,64}$/, "must be 1 to 64 characters", "Product")
export type ProductName = typeof ProductName.Type
export const ProgramName = identifier("ProgramName", /^[A-Za-z0-9_ -]{1,64}$/, "must be 1 to 64 characters", "Program")
export type ProgramName = typeof ProgramName.Type

/** The processing channel of a card transaction, as the ledger names it. */
export const Channel = Schema.Literal("PULSE", "VISA_DPS").annotations({
  identifier: "Channel",
  message: () => "must be PULSE or VISA_DPS"
})
export type Channel = typeof Channel.Type

const defaultProduct = ProductName.make("DEFAULT")
const defaultProgram = ProgramName.make("DEFAULT")

/**
 * What addresses a customer's account at the issuer, as every card request carries it: product,
 * program and channel default to the issuer's standard setup. Made once: a default is taken on
 * every decode that omits it, and `make` validates what it brands.
 */
export const accountFields = {
  customerId: CustomerId,
  accountNumber: AccountNumber,
  product: Schema.optionalWith(ProductName, { default: () => defaultProduct }),
  program: Schema.optionalWith(ProgramName, { default: () => defaultProgram }),
  channel: Schema.optionalWith(Channel, { default: () => "VISA_DPS" as const }),
  /** The caller's unique reference for the request; derived from an idempotency key for a write. */
  reference: Schema.optional(Reference)
} as const
