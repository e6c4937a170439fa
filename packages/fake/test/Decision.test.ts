import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "@effect/vitest"
import { avsCode, nameDecision, normalizePostalCode, normalizeStreet } from "../src/index.js"

const onFile = { street: "801 Metro Center Blv", postalCode: "94404" }

/** Ways people type the same street: case, punctuation, spacing and the suffix spelled out or not. */
const sameStreet = fc
  .tuple(
    fc.constantFrom("801 Metro Center Blv", "801 METRO CENTER BLVD.", "801  metro center boulevard", "801 Metro"),
    fc.constantFrom("", " ", ",", ".")
  )
  .map(([street, trailer]) => street + trailer)

describe("AVS", () => {
  it("answers Y, A, Z and N", () => {
    expect(avsCode({ street: "801 Metro Center Blv", postalCode: "94404" }, onFile)).toBe("Y")
    expect(avsCode({ street: "801 Metro Center Blv", postalCode: "10001" }, onFile)).toBe("A")
    expect(avsCode({ street: "12 Other Road", postalCode: "94404" }, onFile)).toBe("Z")
    expect(avsCode({ street: "12 Other Road", postalCode: "10001" }, onFile)).toBe("N")
    expect(avsCode({ postalCode: "94404" }, onFile)).toBe("Z")
    expect(avsCode({ street: "801 Metro", postalCode: "94404" }, {})).toBe("U")
  })

  test.prop([sameStreet, fc.constantFrom("94404", "94404-1234", "944041234", " 94404")])(
    "ignores case, punctuation, spacing and ZIP+4",
    (street, postalCode) => {
      expect(avsCode({ street, postalCode }, onFile)).toBe("Y")
    }
  )

  test.prop([fc.integer({ min: 1, max: 99999 }).filter((n) => n !== 801)])(
    "a different street number never matches the street",
    (number) => {
      expect(normalizeStreet(`${number} Metro Center Blv`)).not.toBe(normalizeStreet(onFile.street))
    }
  )

  test.prop([fc.stringMatching(/^[A-Z0-9]{3,8}$/)])("postal codes compare without spaces or dashes", (code) => {
    const spaced = `${code.slice(0, 3)} ${code.slice(3)}`
    expect(normalizePostalCode(spaced)).toBe(normalizePostalCode(code.replace(/^(...)/, "$1-")))
  })
})

describe("cardholder name", () => {
  test.prop([fc.constantFrom("lovelace", "LOVELACE", " Lovelace "), fc.constantFrom("ada", "ADA")])(
    "matches regardless of case and spacing",
    (last, first) => {
      expect(nameDecision({ first, last }, { firstName: "Ada", lastName: "Lovelace" })).toBe("01")
    }
  )

  it("tells a partial match from no match", () => {
    expect(nameDecision({ first: "Augusta", last: "Lovelace" }, { firstName: "Ada", lastName: "Lovelace" })).toBe("02")
    expect(nameDecision({ last: "Lovelace" }, { firstName: "Ada", lastName: "Lovelace" })).toBe("01")
    expect(nameDecision({ first: "Ada", last: "Byron" }, { firstName: "Ada", lastName: "Lovelace" })).toBe("03")
    expect(nameDecision({ last: "Byron" }, {})).toBe("03")
  })
})
