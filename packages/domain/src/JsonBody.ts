import { Either } from "effect"
import jsonc from "jsonc-parser"
import { InvalidRequest } from "./Errors.js"

/*
 * A request body read as JSON the way a payment API must read it: `JSON.parse` alone accepts what
 * later breaks a server or misleads it — nesting deep enough to overflow the recursive schema
 * decoders and formatters after it, a member given twice (the last one silently wins, so two
 * readers of one body can disagree), lone surrogates, numbers no double holds exactly, a byte
 * order mark, bytes that are not UTF-8. jsonc-parser's visitor sees each of those in one pass
 * before the native parser builds the value (which also keeps `__proto__` an own member).
 */

/** How deep a body may nest (the outermost object or array is level 1) unless a server says otherwise. */
export const defaultMaxDepth = 64

export interface ParseOptions {
  readonly maxDepth?: number
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

const strict: jsonc.ParseOptions = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false }

// With the `u` flag a surrogate pair is one code point, so only a lone half matches.
const loneSurrogate = /\p{Cs}/u

/** Thrown from the visitor to stop it at the first problem; never escapes `parse`. */
class Refusal {
  constructor(readonly reason: string) {}
}

const check = (text: string, maxDepth: number): void => {
  const keys: Array<Set<string>> = []
  let depth = 0
  const enter = () => {
    depth += 1
    if (depth > maxDepth) throw new Refusal(`nests deeper than ${maxDepth} levels`)
  }
  const wellFormed = (value: string) => {
    if (loneSurrogate.test(value)) throw new Refusal("holds a string with a lone surrogate")
  }
  jsonc.visit(
    text,
    {
      onObjectBegin: () => {
        enter()
        keys.push(new Set())
      },
      onObjectEnd: () => {
        depth -= 1
        keys.pop()
      },
      onArrayBegin: enter,
      onArrayEnd: () => {
        depth -= 1
      },
      onObjectProperty: (name) => {
        wellFormed(name)
        const seen = keys[keys.length - 1]!
        if (seen.has(name)) throw new Refusal("names a member twice in one object")
        seen.add(name)
      },
      onLiteralValue: (value: unknown) => {
        if (typeof value === "string") wellFormed(value)
        else if (typeof value === "number" && !(Math.abs(value) <= Number.MAX_SAFE_INTEGER)) {
          throw new Refusal("holds a number too large to read exactly")
        }
      },
      onError: () => {
        throw new Refusal("is not valid JSON")
      }
    },
    strict
  )
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
  try {
    check(text, options.maxDepth ?? defaultMaxDepth)
    return Either.right(JSON.parse(text))
  } catch (error) {
    return refuse(error instanceof Refusal ? error.reason : "is not valid JSON")
  }
}
