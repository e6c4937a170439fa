import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { InvalidRequest, JsonBody } from "../src/index.js"

const reasonOf = (body: string | Uint8Array, maxDepth?: number) => {
  const parsed = JsonBody.parse(body, maxDepth === undefined ? {} : { maxDepth })
  if (Either.isRight(parsed)) throw new Error("expected a refusal")
  expect(parsed.left).toBeInstanceOf(InvalidRequest)
  expect(parsed.left.field).toBe("body")
  return parsed.left.reason
}

const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`

describe("JsonBody.parse", () => {
  it("reads plain JSON from text and from UTF-8 bytes", () => {
    const body = '{"cardId":"abc","n":[1,2.5,-3],"ok":true,"none":null,"name":"Zoë 😀"}'
    const expected = { cardId: "abc", n: [1, 2.5, -3], ok: true, none: null, name: "Zoë 😀" }
    expect(JsonBody.parse(body)).toStrictEqual(Either.right(expected))
    expect(JsonBody.parse(new TextEncoder().encode(body))).toStrictEqual(Either.right(expected))
  })

  it("keeps __proto__ an own member instead of a prototype", () => {
    const parsed = Either.getOrThrow(JsonBody.parse('{"__proto__":{"polluted":1}}')) as object
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype)
    expect(Object.hasOwn(parsed, "__proto__")).toBe(true)
    expect(({} as { polluted?: number }).polluted).toBeUndefined()
  })

  it("allows 64 levels of nesting and refuses 65, or a server's own limit", () => {
    expect(Either.isRight(JsonBody.parse(nested(64)))).toBe(true)
    expect(reasonOf(nested(65))).toBe("nests deeper than 64 levels")
    expect(reasonOf('{"a":{"b":{"c":1}}}', 2)).toBe("nests deeper than 2 levels")
  })

  it("refuses nesting far past any stack without overflowing", () => {
    expect(reasonOf(nested(100_000))).toBe("nests deeper than 64 levels")
    expect(reasonOf(`${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}`)).toBe("nests deeper than 64 levels")
  })

  it("refuses a member named twice in one object, at any depth", () => {
    expect(reasonOf('{"cvv":"123","cvv":"456"}')).toBe("names a member twice in one object")
    expect(reasonOf('{"a":{"x":1,"y":2,"x":3}}')).toBe("names a member twice in one object")
    expect(Either.isRight(JsonBody.parse('{"a":{"x":1},"b":{"x":1},"x":[{"x":1},{"x":2}]}'))).toBe(true)
  })

  it("counts only the members written, whatever the strings hold", () => {
    const body = '{"a:b":"x:y","q\\"":"\\":{[","list":[{"k":1},{"k":"]}:"}],"e":{}}'
    expect(JsonBody.parse(body)).toStrictEqual(
      Either.right({ "a:b": "x:y", 'q"': '":{[', list: [{ k: 1 }, { k: "]}:" }], e: {} })
    )
    expect(reasonOf('{"a":"x:y","a":"z"}')).toBe("names a member twice in one object")
    expect(reasonOf('{"__proto__":1,"__proto__":2}')).toBe("names a member twice in one object")
  })

  it("refuses lone surrogates in names and values, keeps surrogate pairs", () => {
    expect(reasonOf('{"pan":"\\ud800"}')).toBe("holds a string with a lone surrogate")
    expect(reasonOf('{"\\udfff":1}')).toBe("holds a string with a lone surrogate")
    expect(reasonOf('{"a":"x\\ude00y"}')).toBe("holds a string with a lone surrogate")
    expect(JsonBody.parse('{"a":"\\ud83d\\ude00"}')).toStrictEqual(Either.right({ a: "😀" }))
  })

  it("refuses numbers no double holds exactly", () => {
    expect(reasonOf('{"id":1e400}')).toBe("holds a number too large to read exactly")
    expect(reasonOf('{"id":-1e400}')).toBe("holds a number too large to read exactly")
    expect(reasonOf('{"id":12345678901234567890}')).toBe("holds a number too large to read exactly")
    expect(JsonBody.parse(`{"id":${Number.MAX_SAFE_INTEGER}}`)).toStrictEqual(
      Either.right({ id: Number.MAX_SAFE_INTEGER })
    )
  })

  it("refuses a byte order mark, bytes that are not UTF-8, and anything not strict JSON", () => {
    expect(reasonOf("\uFEFF{}")).toBe("starts with a byte order mark")
    expect(reasonOf(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).toBe("starts with a byte order mark")
    expect(reasonOf(new Uint8Array([0x22, 0xc3, 0x28, 0x22]))).toBe("is not UTF-8 text")
    expect(reasonOf(new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]))).toBe("is not UTF-8 text")
    for (const body of [
      "",
      " ",
      "{",
      "{}}",
      "{'a':1}",
      '{"a":1,}',
      "[1,]",
      '{"a":1 // c\n}',
      "NaN",
      "01",
      '"\t"',
      "{a:1}"
    ]) {
      expect(reasonOf(body)).toBe("is not valid JSON")
    }
  })

  it("never repeats the body in its reason", () => {
    const body = '{"pan":"4957030420210462","pan":"4957030420210462"}'
    expect(reasonOf(body)).not.toContain("4957")
  })

  it("takes application/json, with a UTF-8 charset at most, as the JSON content type", () => {
    for (const type of [
      "application/json",
      "Application/JSON",
      "application/json; charset=utf-8",
      'application/json;charset="UTF-8"'
    ]) {
      expect(JsonBody.isJsonContentType(type)).toBe(true)
    }
    for (const type of [
      undefined,
      "",
      "text/plain",
      "application/json-patch+json",
      "application/json; charset=latin1",
      "application/jsonx"
    ]) {
      expect(JsonBody.isJsonContentType(type)).toBe(false)
    }
  })
})
