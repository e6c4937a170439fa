import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "@effect/vitest"
import { makeCvvCalculator, serviceCodes, testCvk } from "../src/index.js"
import { referenceCvv } from "../src/testing.js"

const hex16 = fc.stringMatching(/^[0-9A-F]{16}$/)
const pans = fc.stringMatching(/^4\d{12,18}$/)
const yymms = fc
  .tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 12 }))
  .map(([y, m]) => `${String(y).padStart(2, "0")}${String(m).padStart(2, "0")}`)

describe("Visa CVV algorithm", () => {
  it("matches psec's published examples", () => {
    // psec (github.com/knovichikhin/psec), a payment-security library: the doctest of
    // `generate_cvv` in psec/cvv.py, and tests/test_cvv.py::test_generate_cvv.
    expect(makeCvvCalculator(testCvk).compute({ pan: "1234567890123456", yymm: "9912", serviceCode: "220" })).toBe(
      "170"
    )
    const nines = makeCvvCalculator({ a: "9999999999999999", b: "8888888888888888" })
    expect(nines.compute({ pan: "2222222222222222", yymm: "3333", serviceCode: "111" })).toBe("361")
  })

  it("matches the classic worked example", () => {
    // PAN 4123456789012345, expiry 8701, service code 101 and this CVK pair give 561: the example
    // reproduced in HSM simulators' self-tests (e.g. "Published Visa CVV example" checks in public
    // payment-HSM emulators); it agrees with psec above, and is why `testCvk` is this pair.
    expect(makeCvvCalculator(testCvk).compute({ pan: "4123456789012345", yymm: "8701", serviceCode: "101" })).toBe(
      "561"
    )
  })

  it("matches a published worked example step by step (4-digit result)", () => {
    // From UrielYair/CredoraxCourse, CVCTest.java "Example 1": data 4123450990122129 0721202000000000,
    // keys D676DCF3AFB73505 / 32EAF00EA253D875, after 3DES 24E1A05574051BBF, decimalized 2410557405140115.
    const cvk = { a: "D676DCF3AFB73505", b: "32EAF00EA253D875" }
    const input = { pan: "4123450990122129", yymm: "0721", serviceCode: "202" }
    expect(makeCvvCalculator(cvk, { digits: 4 }).compute(input)).toBe("2410")
    expect(makeCvvCalculator(cvk).compute(input)).toBe("241")
  })

  it("falls back to the letters A-F as 0-5 when the block has too few decimal digits", () => {
    // Long enough to need all 16 nibbles: a decimalization that ignored letters would come up short.
    const calculator = makeCvvCalculator(testCvk, { digits: 16 })
    const all = calculator.compute({ pan: "4123456789012345", yymm: "8701", serviceCode: "101" })
    expect(all).toMatch(/^\d{16}$/)
    expect(all).toBe(referenceCvv(testCvk, { pan: "4123456789012345", yymm: "8701", serviceCode: "101" }, 16))
  })

  // One calculator for the whole property: its key schedules and scratch blocks are reused across every run.
  const shared = makeCvvCalculator(testCvk)

  test.prop([pans, yymms, fc.constantFrom("101", "000", "999", "201")], { numRuns: 500 })(
    "a calculator reused across many inputs agrees with a from-scratch reference, always 3 digits",
    (pan, yymm, serviceCode) => {
      const cvv = shared.compute({ pan, yymm, serviceCode })
      expect(cvv).toMatch(/^\d{3}$/)
      expect(cvv).toBe(referenceCvv(testCvk, { pan, yymm, serviceCode }))
    }
  )

  test.prop([
    hex16,
    hex16,
    fc.array(fc.record({ pan: pans, yymm: yymms, serviceCode: fc.constantFrom("101", "000") }), { maxLength: 40 })
  ])("agrees with the reference input by input, for any key", (a, b, inputs) => {
    const calculator = makeCvvCalculator({ a, b })
    expect(inputs.map(calculator.compute)).toEqual(inputs.map((input) => referenceCvv({ a, b }, input)))
  })

  test.prop([fc.array(pans, { minLength: 20, maxLength: 20 }), yymms])(
    "depends on the key: another CVK pair gives other CVVs",
    (panList, yymm) => {
      const other = makeCvvCalculator({ a: "1111111111111111", b: "2222222222222222" })
      const input = (pan: string) => ({ pan, yymm, serviceCode: serviceCodes.cvv2 })
      const differing = panList.filter((pan) => shared.compute(input(pan)) !== other.compute(input(pan)))
      // Two keys agree on a 3-digit value about 1 time in 1000; 10 agreements in 20 would be a bug.
      expect(differing.length).toBeGreaterThan(10)
    }
  )

  test.prop([pans, yymms])("CVV, CVV2 and iCVV come from one algorithm with different service codes", (pan, yymm) => {
    const [cvv, cvv2, icvv] = [serviceCodes.magneticStripe, serviceCodes.cvv2, serviceCodes.icvv].map((serviceCode) =>
      shared.compute({ pan, yymm, serviceCode })
    )
    expect(cvv).toBe(referenceCvv(testCvk, { pan, yymm, serviceCode: "101" }))
    expect(cvv2).toBe(referenceCvv(testCvk, { pan, yymm, serviceCode: "000" }))
    expect(icvv).toBe(referenceCvv(testCvk, { pan, yymm, serviceCode: "999" }))
  })

  it("applies the configured expiry order", () => {
    const mmyy = makeCvvCalculator(testCvk, { expiryOrder: "MMYY" })
    expect(mmyy.compute({ pan: "4123456789012345", yymm: "0187", serviceCode: "101" })).toBe("561")
  })

  it("rejects a key that is not 16 hex digits, and input that is not digits", () => {
    expect(() => makeCvvCalculator({ a: "0123", b: testCvk.b })).toThrow(/16 hexadecimal/)
    expect(() => makeCvvCalculator({ a: "0123456789ABCDEG", b: testCvk.b })).toThrow(/16 hexadecimal/)
    expect(() => shared.compute({ pan: "41234567890123x5", yymm: "8701", serviceCode: "101" })).toThrow(/digits/)
  })
})
