import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { CardExpiry, expiryFromYYMM, expiryToYYMM, isCardExpiry, isExpired } from "../src/index.js"

const expiries = fc
  .tuple(fc.integer({ min: 2000, max: 2099 }), fc.integer({ min: 1, max: 12 }))
  .map(([y, m]) => CardExpiry.make(`${y}-${String(m).padStart(2, "0")}`))

describe("CardExpiry", () => {
  it("accepts YYYY-MM and rejects other shapes and months", () => {
    const decode = Schema.decodeUnknownEither(CardExpiry)
    expect(Either.isRight(decode("2040-10"))).toBe(true)
    for (const bad of ["2040-13", "2040-00", "4010", "2040-1", "2040/10", 204010]) {
      expect(Either.isLeft(decode(bad))).toBe(true)
    }
  })

  test.prop([fc.oneof(fc.string(), fc.stringMatching(/^\d{4}-\d{2}$/), expiries)])(
    "isCardExpiry accepts exactly what the schema accepts",
    (text) => {
      expect(isCardExpiry(text)).toBe(Either.isRight(Schema.decodeUnknownEither(CardExpiry)(text)))
    }
  )

  it("converts to and from YYMM", () => {
    expect(expiryToYYMM(CardExpiry.make("2040-10"))).toBe("4010")
    expect(expiryFromYYMM("4010")).toBe("2040-10")
  })

  test.prop([expiries])("YYMM round-trips", (expiry) => {
    expect(expiryFromYYMM(expiryToYYMM(expiry))).toBe(expiry)
  })

  it("is valid through the last day of its month", () => {
    const expiry = CardExpiry.make("2040-10")
    expect(isExpired(expiry, Date.UTC(2040, 9, 31, 23, 59, 59))).toBe(false)
    expect(isExpired(expiry, Date.UTC(2040, 10, 1))).toBe(true)
    expect(isExpired(CardExpiry.make("2020-10"), Date.UTC(2026, 10, 24))).toBe(true)
  })

  test.prop([expiries, fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) })])(
    "expired exactly when the expiry month is before the current month",
    (expiry, now) => {
      const date = new Date(now)
      const current = `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, "0")}`
      expect(isExpired(expiry, now)).toBe(expiry < current)
    }
  )
})
