import { Either } from "effect"
import { InvalidRequest } from "./Errors.js"

/*
 * A request body read as JSON the way a payment API must read it: `JSON.parse` alone accepts what
 * later breaks a server or misleads it — nesting deep enough to overflow the recursive schema
 * decoders and formatters after it, a member given twice (the last one silently wins, so two
 * readers of one body can disagree), lone surrogates, numbers no double holds exactly, a byte
 * order mark, bytes that are not UTF-8.
 *
 * Why not a JSON library's visitor (jsonc-parser's was tried): every demo request and wire-fake
 * call reads its body here, and the visitor took several times as long as the native parse. The
 * native parser checks the syntax and builds the value (keeping `__proto__` an own member); one
 * pass over the text then bounds the nesting and counts the members written, and one walk of the
 * value, no deeper than the bound, counts the members kept (fewer means a name was repeated) and
 * checks its strings and numbers.
 */

// JSON is UTF-8 (RFC 8259) and `application/json` defines no parameters; a charset that says UTF-8
// is tolerated, since browsers and HTTP libraries add one.
const jsonContentType = /^application\/json[ \t]*(;[ \t]*charset=("?)utf-8\2[ \t]*)?$/i

/** Whether a `Content-Type` says JSON in UTF-8: `application/json`, optionally `; charset=utf-8`. */
export const isJsonContentType = (contentType: string | undefined): boolean =>
  contentType !== undefined && jsonContentType.test(contentType)

/** How deep a body may nest (the outermost object or array is level 1) unless a server says otherwise. */
export const defaultMaxDepth = 64

export interface ParseOptions {
  readonly maxDepth?: number
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

// With the `u` flag a surrogate pair is one code point, so only a lone half matches.
const loneSurrogate = /\p{Cs}/u

const quote = 0x22
const backslash = 0x5c
const colon = 0x3a

/**
 * How deep `text` (valid JSON) nests, or `undefined` past `maxDepth`, and how many members its
 * objects are written with: outside strings, every `:` separates a member's name from its value.
 */
const scan = (text: string, maxDepth: number): { readonly members: number } | undefined => {
  let depth = 0
  let members = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === quote) {
      for (i++; text.charCodeAt(i) !== quote; i++) if (text.charCodeAt(i) === backslash) i++
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return undefined
    } else if (c === 0x5d || c === 0x7d) {
      depth--
    } else if (c === colon) {
      members++
    }
  }
  return { members }
}

/** The first problem of a parsed value, and how many members its objects kept. */
const walk = (value: unknown, found: { members: number; problem?: string }): void => {
  if (typeof value === "string") {
    if (loneSurrogate.test(value)) found.problem ??= "holds a string with a lone surrogate"
  } else if (typeof value === "number") {
    if (!(Math.abs(value) <= Number.MAX_SAFE_INTEGER)) found.problem ??= "holds a number too large to read exactly"
  } else if (Array.isArray(value)) {
    for (const item of value) walk(item, found)
  } else if (typeof value === "object" && value !== null) {
    for (const key of Object.keys(value)) {
      found.members++
      if (loneSurrogate.test(key)) found.problem ??= "holds a string with a lone surrogate"
      walk((value as Record<string, unknown>)[key], found)
    }
  }
}

/**
 * Parse a request body (its bytes, or text already decoded), refusing with an `InvalidRequest`
 * naming `body` whatever is not plain, strict JSON within `maxDepth` levels. The reason never
 * repeats any of the body.
 */
export const parse = (
  body: string | Uint8Array,
  options: ParseOptions = {}
): Either.Either<unknown, InvalidRequest> => {
  const refuse = (reason: string) => Either.left(new InvalidRequest({ field: "body", reason }))
  let text: string
  if (typeof body === "string") {
    text = body
  } else {
    try {
      text = utf8.decode(body)
    } catch {
      return refuse("is not UTF-8 text")
    }
  }
  if (text.charCodeAt(0) === 0xfeff) return refuse("starts with a byte order mark")
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return refuse("is not valid JSON")
  }
  const maxDepth = options.maxDepth ?? defaultMaxDepth
  const written = scan(text, maxDepth)
  if (written === undefined) return refuse(`nests deeper than ${maxDepth} levels`)
  const found: { members: number; problem?: string } = { members: 0 }
  walk(value, found)
  if (found.problem !== undefined) return refuse(found.problem)
  if (found.members !== written.members) return refuse("names a member twice in one object")
  return Either.right(value)
}
