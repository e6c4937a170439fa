import { Redacted, Schema } from "effect"

/**
 * Luhn (mod 10) check over a string of digits.
 *
 * Hand-written on purpose: it is ten lines on the hot path of every validation, and the npm
 * packages that offer it are unmaintained one-function modules that would add a supply-chain
 * dependency for no gain.
 */
export const luhnValid = (digits: string): boolean => {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (d < 0 || d > 9) return false
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return digits.length > 0 && sum % 10 === 0
}

/** The Luhn check digit that makes `partial + digit` valid. */
export const luhnCheckDigit = (partial: string): string => {
  for (let d = 0; d <= 9; d++) {
    if (luhnValid(partial + d)) return String(d)
  }
  throw new Error("unreachable: one of ten digits always completes a Luhn sum")
}

/** A primary account number: 13–19 digits with a valid Luhn check digit. */
export const PanString = Schema.String.pipe(
  Schema.pattern(/^\d{13,19}$/, { message: () => "must be 13 to 19 digits" }),
  Schema.filter((s) => luhnValid(s), { message: () => "fails the Luhn check" }),
  Schema.brand("Pan"),
  Schema.annotations({ identifier: "Pan", description: "Primary account number (13–19 digits, Luhn-valid)" })
)
export type PanString = typeof PanString.Type

/**
 * A PAN as cardkit holds it: inside `Redacted`, so logging or printing a request shows
 * `<redacted>` and never the number. Encodes to and decodes from the plain digit string.
 */
export const Pan = Schema.Redacted(PanString).annotations({ identifier: "RedactedPan" })
export type Pan = typeof Pan.Type

export const makePan = (digits: string): Pan => Redacted.make(PanString.make(digits))

/** First 6 and last 4 digits, the rest as `*`: the only form of a PAN that may be shown or logged. */
export const maskPan = (pan: Pan | string): string => {
  const digits = typeof pan === "string" ? pan : Redacted.value(pan)
  if (digits.length <= 10) return "*".repeat(digits.length)
  return `${digits.slice(0, 6)}${"*".repeat(digits.length - 10)}${digits.slice(-4)}`
}
