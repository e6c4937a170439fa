import fc from "fast-check"

/*
 * Request bodies as a hostile client writes them, for fuzzing any server that reads JSON: the
 * classes that broke cardkit's servers before (a transaction type named `valueOf`, nesting deep
 * enough to overflow a recursive decoder) and the ones a strict reader must refuse (duplicate
 * members, lone surrogates, numbers no double holds, a byte order mark, bytes that are not UTF-8).
 * Everything is JSON *text*, since most of these cannot be written as a JavaScript value and
 * survive `JSON.stringify`. Its own entry point keeps fast-check out of what production code loads.
 */

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | ReadonlyArray<JsonValue>
  | { readonly [key: string]: JsonValue }

/** Names a plain-object lookup finds on every object: what `name in table` or `table[name]` trips over. */
export const prototypeNames: ReadonlyArray<string> = [...Object.getOwnPropertyNames(Object.prototype), "prototype"]

/** A member name: mostly the prototype's, else ordinary, empty, non-ASCII or one a schema reads. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...prototypeNames) },
  { weight: 1, arbitrary: fc.constantFrom("", "id", "cardId", "pan", "ＰＡＮ", "a\u0000b", "é") },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }
)

// Digits that `\d` and `Number()` may treat unlike ASCII ones: full-width, Arabic-Indic, Devanagari.
const foreignDigits = ["４９５７０３０４２０２１０４６２", "٤٩٥٧٠٣٠٤٢٠٢١٠٤٦٢", "४९५७०३०४२०२१०४६२", "4957０30420210462"]

const quoted = (text: string) => JSON.stringify(text)

/** A JSON string literal: prototype names, foreign digits, lone surrogates (escaped), controls, long runs. */
export const hostileStringText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...prototypeNames).map(quoted) },
  { weight: 2, arbitrary: fc.constantFrom(...foreignDigits).map(quoted) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 4 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 4 }))
      .map(([before, half, after]) => `${quoted(before).slice(0, -1)}\\u${half.toString(16)}${quoted(after).slice(1)}`)
  },
  { weight: 1, arbitrary: fc.constantFrom('"\\u0000"', '"\\b\\f\\n\\r\\t"', '""', '" "', '"\\ufeff"') },
  { weight: 1, arbitrary: fc.integer({ min: 129, max: 4096 }).map((n) => quoted("9".repeat(n))) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 16 }).map(quoted) }
)

/** A JSON number literal: beyond a double, beyond its exact integers, subnormal, negative zero, ordinary. */
export const hostileNumberText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "1e400",
      "-1e400",
      "1e-400",
      "-0",
      "9007199254740992",
      "-9007199254740993",
      "123456789012345678901234567890",
      "1.7976931348623157e309",
      "0.0000000000000000000000000000000000000001"
    )
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 400 }).map((n) => "9".repeat(n)) },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)) }
)

const member = (key: string, value: string) => `${quoted(key)}:${value}`

/** Any JSON value built from the hostile parts; objects may name a member twice. */
export const hostileValueText: fc.Arbitrary<string> = fc.letrec<{ value: string; array: string; object: string }>(
  (tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      hostileStringText,
      hostileNumberText,
      fc.constantFrom("true", "false", "null"),
      tie("array"),
      tie("object")
    ),
    array: fc.array(tie("value"), { maxLength: 4 }).map((items) => `[${items.join(",")}]`),
    object: fc
      .tuple(fc.array(fc.tuple(hostileKey, tie("value")), { maxLength: 4 }), fc.boolean())
      .map(([members, repeat]) => {
        const all = repeat && members.length > 0 ? [...members, members[0]!] : members
        return `{${all.map(([key, value]) => member(key, value)).join(",")}}`
      })
  })
).value

/** Arrays and objects nested `1..maxDepth` levels around a hostile value. */
export const nestedText = (options: { readonly maxDepth: number }): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.integer({ min: 1, max: options.maxDepth }),
      fc.constantFrom("[", '{"a":', '{"__proto__":', "[1,"),
      fc.oneof(hostileNumberText, hostileStringText)
    )
    .map(([depth, open, inner]) => `${open.repeat(depth)}${inner}${(open.startsWith("[") ? "]" : "}").repeat(depth)}`)

const isObject = (value: JsonValue): value is { readonly [key: string]: JsonValue } =>
  value !== null && typeof value === "object" && !Array.isArray(value)

/** Every path to a member of `document` (objects only: that is where servers read names). */
const memberPaths = (value: JsonValue, prefix: ReadonlyArray<string> = []): Array<ReadonlyArray<string>> =>
  isObject(value)
    ? Object.entries(value).flatMap(([key, child]) => [[...prefix, key], ...memberPaths(child, [...prefix, key])])
    : []

/** Paths to every object in `document`, the root included: where a member can be added. */
const objectPaths = (value: JsonValue, prefix: ReadonlyArray<string> = []): Array<ReadonlyArray<string>> =>
  isObject(value)
    ? [prefix, ...Object.entries(value).flatMap(([key, child]) => objectPaths(child, [...prefix, key]))]
    : []

type Edit =
  | { readonly _tag: "Replace"; readonly text: string }
  | { readonly _tag: "Delete" }
  | { readonly _tag: "Duplicate"; readonly text: string }
  | { readonly _tag: "Rename"; readonly name: string }

/** Write `value` as JSON text, applying `edit` at `path` (a member's path; for "Add", its object's). */
const write = (
  value: JsonValue,
  path: ReadonlyArray<string>,
  edit: Edit | { _tag: "Add"; key: string; text: string }
): string => {
  if (!isObject(value)) return JSON.stringify(value)
  const [head, ...rest] = path
  const members: Array<string> = []
  for (const [key, child] of Object.entries(value)) {
    if (key !== head) {
      members.push(member(key, JSON.stringify(child)))
    } else if (rest.length > 0 || edit._tag === "Add") {
      members.push(member(key, write(child, rest, edit)))
    } else {
      switch (edit._tag) {
        case "Replace":
          members.push(member(key, edit.text))
          break
        case "Delete":
          break
        case "Duplicate":
          members.push(member(key, JSON.stringify(child)), member(key, edit.text))
          break
        case "Rename":
          members.push(member(edit.name, JSON.stringify(child)))
          break
      }
    }
  }
  if (head === undefined && edit._tag === "Add") members.push(member(edit.key, edit.text))
  return `{${members.join(",")}}`
}

export interface MutatedDocumentOptions {
  /** How deep a replacement may nest; servers refuse past 64 levels, so go beyond it. */
  readonly maxDepth?: number
}

/**
 * `document` as JSON text with one edit: a member replaced by a hostile value (a prototype name
 * where a server dispatches on a string), deleted, given twice, renamed to a prototype member, or
 * a prototype-named member added to one of its objects. A well-behaved server answers each with
 * its protocol's refusal or, where the edit is harmless, as it answers the document.
 */
export const mutatedDocument = (document: JsonValue, options: MutatedDocumentOptions = {}): fc.Arbitrary<string> => {
  const members = memberPaths(document)
  const objects = objectPaths(document)
  const replacement = fc.oneof(
    { weight: 4, arbitrary: hostileStringText },
    { weight: 2, arbitrary: hostileValueText },
    { weight: 1, arbitrary: hostileNumberText },
    { weight: 1, arbitrary: nestedText({ maxDepth: options.maxDepth ?? 200 }) }
  )
  const edit: fc.Arbitrary<Edit> = fc.oneof(
    { weight: 5, arbitrary: replacement.map((text) => ({ _tag: "Replace" as const, text })) },
    { weight: 1, arbitrary: fc.constant({ _tag: "Delete" as const }) },
    { weight: 1, arbitrary: replacement.map((text) => ({ _tag: "Duplicate" as const, text })) },
    { weight: 1, arbitrary: fc.constantFrom(...prototypeNames).map((name) => ({ _tag: "Rename" as const, name })) }
  )
  const added = fc
    .tuple(fc.constantFrom(...objects), hostileKey, hostileValueText)
    .map(([path, key, text]) => write(document, path, { _tag: "Add", key, text }))
  return members.length === 0
    ? added
    : fc.oneof(
        {
          weight: 4,
          arbitrary: fc.tuple(fc.constantFrom(...members), edit).map(([path, e]) => write(document, path, e))
        },
        { weight: 1, arbitrary: added }
      )
}

/** The path of every member of `document` that holds no object: the strings a server may dispatch on. */
export const leafPaths = (document: JsonValue, prefix: ReadonlyArray<string> = []): Array<ReadonlyArray<string>> =>
  isObject(document)
    ? Object.entries(document).flatMap(([key, child]) => leafPaths(child, [...prefix, key]))
    : prefix.length === 0
      ? []
      : [prefix]

/**
 * `document` as JSON text with the member at one of `paths` set to a prototype member's name: each
 * string a server dispatches on gets every name far more often than arbitrary mutations give it.
 */
export const prototypeNameAt = (
  document: JsonValue,
  paths: ReadonlyArray<ReadonlyArray<string>>
): fc.Arbitrary<string> =>
  fc
    .tuple(fc.constantFrom(...paths), fc.constantFrom(...prototypeNames))
    .map(([path, name]) => write(document, path, { _tag: "Replace", text: quoted(name) }))

export interface HostileBodyOptions {
  /** The server's body limit: nesting goes up to it, and a little past it. */
  readonly maxBytes: number
  /** Members the server dispatches on or reads names from (every leaf by default). */
  readonly dispatchPaths?: ReadonlyArray<ReadonlyArray<string>>
}

const utf8 = new TextEncoder()

/**
 * A request body for a server whose well-formed request is `document`: mutations of it (mostly,
 * nesting up to the body limit), prototype names where it dispatches, hostile JSON of any shape,
 * bare nesting up to and past the limit, a byte order mark before the document, the document cut
 * short, and bytes that are not UTF-8.
 */
export const hostileBody = (document: JsonValue, options: HostileBodyOptions): fc.Arbitrary<string | Uint8Array> => {
  // "[" and "]" are one byte each: this many levels fill the limit.
  const levels = Math.floor(options.maxBytes / 2)
  const dispatchPaths = options.dispatchPaths ?? leafPaths(document)
  const whole = JSON.stringify(document)
  return fc.oneof(
    { weight: 4, arbitrary: mutatedDocument(document, { maxDepth: Math.floor(options.maxBytes / 8) }) },
    ...(dispatchPaths.length === 0 ? [] : [{ weight: 2, arbitrary: prototypeNameAt(document, dispatchPaths) }]),
    { weight: 2, arbitrary: hostileValueText },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: levels + 16 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`)
    },
    { weight: 1, arbitrary: fc.constant(`\uFEFF${whole}`) },
    {
      weight: 1,
      arbitrary: fc.nat({ max: whole.length - 1 }).map((at) => whole.slice(0, at))
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(0x80, 0xc3, 0xed, 0xff))
        .map(([bytes, bad]) => {
          const text = utf8.encode(whole)
          const at = bytes.length % (text.length + 1)
          return new Uint8Array([...text.subarray(0, at), bad, ...bytes, ...text.subarray(at)])
        })
    }
  )
}
