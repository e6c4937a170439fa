import { Schema } from "effect"

const yyyyMm = /^\d{4}-(0[1-9]|1[0-2])$/

/** A card's expiry month as `YYYY-MM`; the card is valid through the last day of that month. */
export const CardExpiry = Schema.String.pipe(
  Schema.pattern(yyyyMm, { message: () => "must be YYYY-MM with a month from 01 to 12" }),
  Schema.brand("CardExpiry"),
  Schema.annotations({ identifier: "CardExpiry", description: "Card expiry month, YYYY-MM" })
)
export type CardExpiry = typeof CardExpiry.Type

/** Whether `s` is a `YYYY-MM` the schema accepts, checked without decoding (the schema's `make` costs more). */
export const isCardExpiry = (s: string): s is CardExpiry => yyyyMm.test(s)

/** `2040-10` → `4010`, the form the CVV algorithm and track data use. */
export const expiryToYYMM = (expiry: CardExpiry): string => expiry.slice(2, 4) + expiry.slice(5, 7)

/** `4010` → `2040-10`. Two-digit years are read as 20YY. */
export const expiryFromYYMM = (yymm: string): CardExpiry => CardExpiry.make(`20${yymm.slice(0, 2)}-${yymm.slice(2, 4)}`)

/** Whether the card has expired at `nowMillis`: its month lies before the current UTC month. */
export const isExpired = (expiry: CardExpiry, nowMillis: number): boolean => {
  const now = new Date(nowMillis)
  const current = now.getUTCFullYear() * 12 + now.getUTCMonth()
  const year = Number(expiry.slice(0, 4))
  const month = Number(expiry.slice(5, 7)) - 1
  return year * 12 + month < current
}
