import * as Option from "effect/Option"

/** The given options only, so a schema's own defaults apply to the rest. */
export const given = <K extends string>(
  fields: Readonly<Record<K, Option.Option<string>>>
): Partial<Record<K, string>> => {
  const out: Partial<Record<K, string>> = {}
  for (const key of Object.keys(fields) as Array<K>) {
    const value = fields[key]
    if (Option.isSome(value)) out[key] = value.value
  }
  return out
}

/** A nested input object only when one of its options was given, or nothing at all. */
export const groupIfAny = <K extends string>(
  fields: Readonly<Record<K, Option.Option<string>>>
): Partial<Record<K, string>> | undefined => {
  const out = given(fields)
  return Object.keys(out).length === 0 ? undefined : out
}
