import { describe, expect, it } from "@effect/vitest"
import { describeError, InvalidRequest, RequestId } from "../src/index.js"

describe("RequestId", () => {
  it("echoes a well-formed id and replaces anything else with 20 fresh letters", () => {
    for (const id of ["a", "req-42", "trace.A_b:c-d", "a0".repeat(64)]) expect(RequestId.fromHeader(id)).toBe(id)
    for (const id of [
      undefined,
      "",
      "a".repeat(129),
      "two words",
      "a/b",
      "caf\u00e9",
      "one, two",
      "4957030420210462"
    ]) {
      const made = RequestId.fromHeader(id)
      expect(made).toMatch(/^[a-z]{20}$/)
      expect(made).not.toBe(id)
    }
    expect(RequestId.make()).not.toBe(RequestId.make())
  })

  it("draws every letter of a fresh id at random: no position holds a UUID's fixed digits", () => {
    const seen = Array.from({ length: 20 }, () => new Set<string>())
    for (let n = 0; n < 2000; n++) {
      const made = RequestId.make()
      expect(made).toMatch(/^[a-p]{20}$/)
      for (let i = 0; i < 20; i++) seen[i]!.add(made[i]!)
    }
    // One of sixteen letters missing from 2,000 draws at a position has odds of about e^-129.
    expect(seen.map((letters) => letters.size)).toEqual(Array(20).fill(16))
  })
})

describe("describeError", () => {
  it("keeps the name and the message's first line, without quotes, card-data runs or the stack", () => {
    const error = new SyntaxError('Unexpected token in "4957030420210462" at 123\n    at parse (x.js:1:1)')
    expect(describeError(error)).toBe("SyntaxError: Unexpected token in … at …")
    expect(describeError(new InvalidRequest({ field: "pan", reason: "must be digits" }))).toBe(
      "InvalidRequest: pan: must be digits"
    )
    expect(describeError("679")).toBe("a thrown string")
    expect(describeError(null)).toBe("a thrown null")
    expect(describeError({ _tag: "Boom" })).toBe("Boom")
  })
})
