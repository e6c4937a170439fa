import { Redacted, Schema } from "effect"

/** The digits of a card verification value (CVV, CVV2, iCVV): 3 or 4 digits. */
export const CvvDigits = Schema.String.pipe(
  Schema.pattern(/^\d{3,4}$/, { message: () => "must be 3 or 4 digits" }),
  Schema.brand("Cvv"),
  Schema.annotations({ identifier: "CvvDigits" })
)
export type CvvDigits = typeof CvvDigits.Type

/** A CVV as cardkit always holds it: `Redacted`, so it never prints, logs or traces. */
export const Cvv = Schema.Redacted(CvvDigits).annotations({ identifier: "Cvv" })
export type Cvv = typeof Cvv.Type

export const makeCvv = (digits: string): Cvv => Redacted.make(CvvDigits.make(digits))

/** A token authentication verification value: 40 hex digits, held `Redacted` like a CVV. */
export const TavvHex = Schema.String.pipe(
  Schema.pattern(/^[0-9A-Fa-f]{40}$/, { message: () => "must be 40 hexadecimal digits" }),
  Schema.brand("Tavv"),
  Schema.annotations({ identifier: "TavvHex" })
)
export const Tavv = Schema.Redacted(TavvHex).annotations({ identifier: "Tavv" })
export type Tavv = typeof Tavv.Type
