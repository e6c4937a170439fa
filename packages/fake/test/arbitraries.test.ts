import { JsonBody } from "@cardkit/domain"
import { fc } from "@fast-check/vitest"
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { hostileBody, mutatedDocument, nestedText, prototypeNames } from "../src/arbitraries.js"

const document = {
  id: 1,
  method: "ledger.CARD.request",
  params: { payload: { transactionType: "GET_CVV", cardId: "c1" }, api: { apiKey: "k" } }
}

const reasons = (bodies: ReadonlyArray<string | Uint8Array>) =>
  new Set(bodies.map((body) => Either.match(JsonBody.parse(body), { onLeft: (e) => e.reason, onRight: () => "ok" })))

describe("hostile arbitraries", () => {
  it("draw every class a strict JSON reader refuses, and bodies it accepts", () => {
    const seen = reasons(fc.sample(hostileBody(document, { maxBytes: 16_384 }), 3_000))
    expect([...seen].sort()).toEqual(
      [
        "holds a number too large to read exactly",
        "holds a string with a lone surrogate",
        "is not UTF-8 text",
        "is not valid JSON",
        "names a member twice in one object",
        "nests deeper than 64 levels",
        "ok",
        "starts with a byte order mark"
      ].sort()
    )
  })

  it("put prototype member names where the document has strings and member names", () => {
    const bodies = fc.sample(mutatedDocument(document), 5_000)
    const dispatched = bodies.filter((body) =>
      /"transactionType":"(valueOf|constructor|toString|__proto__|hasOwnProperty|isPrototypeOf)"/.test(body)
    )
    expect(dispatched.length).toBeGreaterThan(0)
    expect(bodies.some((body) => /"(__proto__|constructor)":/.test(body))).toBe(true)
    expect(prototypeNames).toEqual(expect.arrayContaining(["__proto__", "constructor", "valueOf", "prototype"]))
  })

  it("nest to the depth asked and no further", () => {
    const bodies = fc.sample(nestedText({ maxDepth: 300 }), 500)
    const within = (maxDepth: number) =>
      bodies.filter(
        (body) => Either.isRight(JsonBody.parse(body, { maxDepth })) || !/nests/.test(reasonOf(body, maxDepth))
      )
    expect(within(300)).toHaveLength(bodies.length)
    expect(within(64).length).toBeLessThan(bodies.length)
  })
})

const reasonOf = (body: string, maxDepth: number) =>
  Either.match(JsonBody.parse(body, { maxDepth }), { onLeft: (e) => e.reason, onRight: () => "ok" })
