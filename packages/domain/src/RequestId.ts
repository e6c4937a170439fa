import { maskPans } from "./CardData.js"

/*
 * How every cardkit server names a request: the id a client sent when it is safe to repeat in a
 * header and a log line, else a fresh one. Fresh ids are letters alone: logs are searched for card
 * data by its digit runs (a CVV is three digits), and an id should never look like any.
 */

/** The header a request id travels in, both ways. */
export const header = "x-request-id"

// Token characters only, so an id cannot break a log line; a repeated header arrives joined with
// ", ", so it is not well formed.
const wellFormed = /^[A-Za-z0-9._:-]{1,128}$/

// A letter for each hex digit of a UUID.
const letters = "abcdefghijklmnop"

/**
 * A fresh id: 20 random letters, from the random hex digits of a `crypto.randomUUID()` (which draws
 * on a buffer of random bytes filled in bulk; a `getRandomValues` call per id stood out in the
 * demo's CPU profiles).
 */
export const make = (): string => {
  const uuid = crypto.randomUUID()
  let id = ""
  for (let i = 0; id.length < 20; i++) {
    // The dashes, the version digit (14) and the variant digit (19) are not random.
    if (i === 8 || i === 13 || i === 14 || i === 18 || i === 19 || i === 23) continue
    const code = uuid.charCodeAt(i)
    id += letters[code < 58 ? code - 48 : code - 87]
  }
  return id
}

/**
 * Whether a client's id is repeated as it came: token characters, at most 128, and not one
 * `maskPans` would change (an id a client made of a card number is not written to the logs).
 */
export const isWellFormed = (id: string): boolean => wellFormed.test(id) && maskPans(id) === id

/** The incoming `x-request-id` when it is well formed, else a fresh id. */
export const fromHeader = (incoming: string | undefined): string =>
  incoming !== undefined && isWellFormed(incoming) ? incoming : make()
