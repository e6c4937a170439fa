import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Redacted, Schema } from "effect"
import {
  AccountValidationRequest,
  decodeInput,
  luhnCheckDigit,
  luhnValid,
  makePan,
  maskPan,
  Pan
} from "../src/index.js"

const digits = (min: number, max: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((ds) => ds.join(""))

describe("Luhn", () => {
  it("accepts published valid numbers and rejects a changed digit", () => {
    expect(luhnValid("4957030420210462")).toBe(true)
    expect(luhnValid("4111111111111111")).toBe(true)
    expect(luhnValid("79927398713")).toBe(true)
    expect(luhnValid("4957030420210463")).toBe(false)
    expect(luhnValid("")).toBe(false)
    expect(luhnValid("4111a11111111111")).toBe(false)
  })

  test.prop([digits(12, 18)])("the check digit completes any prefix", (prefix) => {
    expect(luhnValid(prefix + luhnCheckDigit(prefix))).toBe(true)
  })

  it("has no check digit for a prefix that is not digits", () => {
    expect(luhnCheckDigit("")).toBe("0")
    expect(luhnCheckDigit("7992739871")).toBe("3")
    expect(() => luhnCheckDigit("4111a1111111111")).toThrow("not a digit")
  })

  test.prop([digits(12, 18), fc.integer({ min: 1, max: 9 })])(
    "changing any single digit breaks the check",
    (prefix, delta) => {
      const pan = prefix + luhnCheckDigit(prefix)
      const position = delta % pan.length
      const changed = (Number(pan[position]) + delta) % 10
      const mutated = pan.slice(0, position) + changed + pan.slice(position + 1)
      expect(luhnValid(mutated)).toBe(mutated === pan)
    }
  )
})

describe("maskPan", () => {
  test.prop([digits(12, 18)])("shows the first 6 and last 4 only", (prefix) => {
    const pan = prefix + luhnCheckDigit(prefix)
    const masked = maskPan(makePan(pan))
    expect(masked).toHaveLength(pan.length)
    expect(masked.slice(0, 6)).toBe(pan.slice(0, 6))
    expect(masked.slice(-4)).toBe(pan.slice(-4))
    expect(masked.slice(6, -4)).toMatch(/^\*+$/)
  })
})

describe("Pan schema", () => {
  it("holds the number redacted", () => {
    const pan = Schema.decodeUnknownSync(Pan)("4957030420210462")
    expect(Redacted.value(pan)).toBe("4957030420210462")
    expect(String(pan)).not.toContain("4957030420210462")
    expect(JSON.stringify({ pan })).not.toContain("4957030420210462")
  })

  it.effect("rejects a bad PAN with an InvalidRequest naming the field and not echoing the value", () =>
    Effect.gen(function* () {
      const error = yield* decodeInput(AccountValidationRequest)({ pan: "4957030420210463" }).pipe(Effect.flip)
      expect(error._tag).toBe("InvalidRequest")
      expect(error.field).toBe("pan")
      expect(error.reason).toContain("Luhn")
      expect(error.message).not.toContain("4957030420210463")
      const short = yield* decodeInput(AccountValidationRequest)({ pan: "49570304" }).pipe(Effect.flip)
      expect(short.field).toBe("pan")
      expect(short.message).not.toContain("49570304")
      const typed = yield* decodeInput(AccountValidationRequest)({ pan: 4957030420210462 }).pipe(Effect.flip)
      expect(typed.field).toBe("pan")
      expect(typed.message).not.toContain("4957030420210462")
    })
  )

  it("names nested fields by their path", () => {
    const result = Effect.runSync(
      Effect.either(
        decodeInput(AccountValidationRequest)({
          pan: "4957030420210462",
          billingAddress: { street: "801 Metro Center Blv", postalCode: "" }
        })
      )
    )
    expect(Either.isLeft(result) && result.left.field).toBe("billingAddress.postalCode")
  })
})
