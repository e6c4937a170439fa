import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "@effect/vitest"
import { maskPan, maskPans, scrubCardData } from "../src/index.js"

describe("maskPans", () => {
  it("masks every run of 12 or more digits as maskPan does, and leaves shorter ones", () => {
    expect(maskPans("card 4957030420210462 of customer 100000000006001, code 54")).toBe(
      "card 495703******0462 of customer 100000*****6001, code 54"
    )
    expect(maskPans("ref 123456789012 / 12345678901")).toBe("ref 123456**9012 / 12345678901")
    expect(maskPans("no digits here")).toBe("no digits here")
  })

  it("masks a PAN glued to more digits as one run", () => {
    expect(maskPans("49570304202104620221234")).toBe(maskPan("49570304202104620221234"))
  })

  test.prop([fc.string(), fc.stringMatching(/^\d{12,30}$/), fc.string()])(
    "never leaves a digit run of 12 or more, and keeps the text around it",
    (before, digits, after) => {
      const text = `${before}x${digits}x${after}`
      const masked = maskPans(text)
      expect(masked).not.toMatch(/\d{12,}/)
      expect(masked).toContain(`x${maskPan(digits)}x`)
    }
  )
})

describe("scrubCardData", () => {
  it("cuts every run of 3 or more digits and of 16 or more hex digits", () => {
    expect(scrubCardData("cvv2 022 for 4957030420210462, expiry 2040-10, code 54")).toBe(
      "cvv2 … for …, expiry …-10, code 54"
    )
    expect(scrubCardData("tavv AAABBIIFmAAAAAAAAAAAAAAAAAA= id 0123456789abcdef0123")).toBe("tavv AAABBIIFm…= id …")
    expect(scrubCardData("field cardCvv2Value is invalid")).toBe("field cardCvv2Value is invalid")
  })

  test.prop([fc.string(), fc.stringMatching(/^\d{3,20}$/), fc.string()])(
    "leaves no run of 3 or more digits",
    (before, digits, after) => {
      expect(scrubCardData(`${before}${digits}${after}`)).not.toMatch(/\d{3,}|[0-9A-Fa-f]{16,}/)
    }
  )
})
