import { Redacted } from "effect"
import type { Pan } from "./Pan.js"

/*
 * Card data in text: how a PAN may be shown, and how text that may have copied card data (a
 * provider's message, a parser's error, a path) is made fit to log or show. Apart from `Pan`'s
 * type nothing here needs the schemas, so the CLI can mask what it prints without loading them.
 */

/** First 6 and last 4 digits, the rest as `*`: the only form of a PAN that may be shown or logged. */
export const maskPan = (pan: Pan | string): string => {
  const digits = typeof pan === "string" ? pan : Redacted.value(pan)
  if (digits.length <= 10) return "*".repeat(digits.length)
  return `${digits.slice(0, 6)}${"*".repeat(digits.length - 10)}${digits.slice(-4)}`
}

// PANs are 13 to 19 digits; a run of 12 or more is taken for one, whatever it is glued to: a false
// positive masks an id, a false negative shows a card number.
const panLike = /\d{12,}/g
const holdsPanLike = new RegExp(panLike.source)

/**
 * `text` with every run of digits that could be a PAN shown as `maskPan` shows it, the rest as it
 * was: for text that stays readable (numbers, codes, ids) but must not carry a full card number.
 */
export const maskPans = (text: string): string =>
  // Tested first: most text holds no such run, and every exported span attribute and log line comes
  // through here, where `replace` with a callback costs more than the test.
  holdsPanLike.test(text) ? text.replace(panLike, (digits) => maskPan(digits)) : text

// A CVV or CVV2 is 3 or 4 digits, an expiry 4 or 6, a TAVV 40 hex digits.
const cardDataLike = /[0-9A-Fa-f]{16,}|\d{3,}/g

/**
 * `text` with every run of 3 or more digits, and of 16 or more hex digits, cut out as `…`: for
 * text from outside (a provider's message, an error that may quote a request) that could carry a
 * CVV, where no number in it is worth the risk of showing one.
 */
export const scrubCardData = (text: string): string => text.replace(cardDataLike, "…")

/**
 * A thrown or failed value as a log line may show it: its tag or name, and the first line of its
 * message with quoted text (parsers quote their input) and card-data-like runs cut out. Never a
 * stack, never the value itself.
 */
export const describeError = (error: unknown): string => {
  if (typeof error !== "object" || error === null) return `a thrown ${error === null ? "null" : typeof error}`
  const tag = (error as { readonly _tag?: unknown })._tag
  const name = typeof tag === "string" ? tag : error instanceof Error ? error.name : "a thrown object"
  const message = error instanceof Error ? error.message : ""
  const said = scrubCardData(
    message
      .split("\n", 1)[0]!
      .slice(0, 200)
      .replace(/"[^"]*"?|'[^']*'?|`[^`]*`?/g, "…")
  )
  return said === "" ? name : `${name}: ${said}`
}
