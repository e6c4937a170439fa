import { Schema } from "effect"

/**
 * A string of `min` to `max` characters: the spec's only constraint on most fields. A fixed length
 * is one check rather than two, on the hot path of every response decode.
 */
export const Chars = (min: number, max: number) =>
  min === max
    ? Schema.String.pipe(Schema.length(min))
    : Schema.String.pipe(Schema.minLength(min), Schema.maxLength(max))

/** An optional member that is either absent or present with a value (never `undefined` on the wire). */
export const opt = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { exact: true })
