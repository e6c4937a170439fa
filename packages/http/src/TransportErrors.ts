import { Data } from "effect"

/*
 * What a request that got no HTTP answer failed with, read from the error codes along its cause
 * chain: undici wraps its own errors (a `RequestError`'s cause holds undici's), and Node aggregates
 * one error per address it tried to connect to.
 */

// Bounds the walk: a cause chain is whatever a library built, and could even be cyclic.
const maxDepth = 4

/** Every `code` along `cause`'s chain, outermost first. */
export const codesOf = (cause: unknown): ReadonlyArray<string> => {
  const codes: Array<string> = []
  const visit = (error: unknown, depth: number): void => {
    if (typeof error !== "object" || error === null || depth > maxDepth) return
    const { code, cause: inner, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown }
    if (typeof code === "string") codes.push(code)
    visit(inner, depth + 1)
    if (Array.isArray(errors)) for (const each of errors) visit(each, depth + 1)
  }
  visit(cause, 0)
  return codes
}

const timeoutCodes: ReadonlySet<string> = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"])

/** Whether the answer did not start, or stopped coming, within the timeout (undici's own timers). */
export const isTimeout = (cause: unknown): boolean => codesOf(cause).some((code) => timeoutCodes.has(code))

/**
 * The answer did not start, or stopped coming, within `timeoutMillis`: the cause an
 * `UndiciHttpClient` gives a timed-out request, wrapping undici's own error (whose code it keeps).
 */
export class Timeout extends Data.TaggedError("Timeout")<{ readonly timeoutMillis: number; readonly cause: unknown }> {}

/** The bound that ran out, when the client that gave up said (an `UndiciHttpClient` does). */
export const timeoutMillisOf = (cause: unknown): number | undefined =>
  cause instanceof Timeout ? cause.timeoutMillis : undefined
