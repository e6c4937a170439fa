import { Redacted, Schema } from "effect"

/*
 * Luhn (mod 10), hand-written on purpose: it is a few lines on the hot path of every validation and
 * of seeding a million cards, and the npm packages that offer it are unmaintained one-function
 * modules that would add a supply-chain dependency for no gain.
 */

/**
 * The Luhn sum of `digits`, every second digit from the right doubled, starting with the last one
 * when `doubleLast` (as for a number still missing its check digit); -1 if a character is not a digit.
 */
const luhnSum = (digits: string, doubleLast: boolean): number => {
  let sum = 0
  for (let i = digits.length - 1, double = doubleLast; i >= 0; i--, double = !double) {
    const d = digits.charCodeAt(i) - 48
    if (d < 0 || d > 9) return -1
    sum += double ? (d > 4 ? 2 * d - 9 : 2 * d) : d
  }
  return sum
}

/** Luhn (mod 10) check over a string of digits. */
export const luhnValid = (digits: string): boolean => {
  const sum = luhnSum(digits, false)
  return digits.length > 0 && sum >= 0 && sum % 10 === 0
}

/** The Luhn check digit that makes `partial + digit` valid; `partial` must be digits. */
export const luhnCheckDigit = (partial: string): string => {
  const sum = luhnSum(partial, true)
  if (sum < 0) throw new Error("luhnCheckDigit: the partial number holds a character that is not a digit")
  return String((10 - (sum % 10)) % 10)
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
