import { Effect, ParseResult, Schema } from "effect"
import { InvalidRequest } from "./Errors.js"

/**
 * A parse issue's message without the value it rejected: Effect's default messages end in
 * ", actual <value>", and for card data that value is the secret.
 */
export const withoutRejectedValue = (message: string): string =>
  message.replace(/,? actual [\s\S]*$/, "").trim() || "is invalid"

/**
 * The first problem of a parse error as an `InvalidRequest` naming the field by its dotted path
 * (`billingAddress.postalCode`), with a reason that never repeats the value it rejected.
 */
export const invalidRequestFromParseError = (error: ParseResult.ParseError, root = "request"): InvalidRequest => {
  const first = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  if (first === undefined) return new InvalidRequest({ field: root, reason: "is invalid" })
  const field = first.path.length === 0 ? root : first.path.map(String).join(".")
  return new InvalidRequest({ field, reason: withoutRejectedValue(first.message) })
}

/** Decode untrusted input with `schema`; every failure is an `InvalidRequest` naming the field. */
export const decodeInput =
  <A, I, R>(schema: Schema.Schema<A, I, R>, root?: string) =>
  (input: unknown): Effect.Effect<A, InvalidRequest, R> =>
    Schema.decodeUnknown(schema, { errors: "first", onExcessProperty: "ignore" })(input).pipe(
      Effect.mapError((error) => invalidRequestFromParseError(error, root))
    )
