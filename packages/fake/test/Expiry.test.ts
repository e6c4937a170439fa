import {
  AccountValidationRequest,
  CardExpiry,
  expiryFromYYMM,
  expiryToYYMM,
  luhnCheckDigit,
  makePan
} from "@cardkit/domain"
import { describe, expect } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import { decide, type IssuerView } from "../src/index.js"

const expiries = fc
  .tuple(fc.integer({ min: 2000, max: 2099 }), fc.integer({ min: 1, max: 12 }))
  .map(([year, month]) => CardExpiry.make(`${year}-${String(month).padStart(2, "0")}`))

const pan = makePan(`400000123456789${luhnCheckDigit("400000123456789")}`)

const onFile = (expiry: CardExpiry): IssuerView => ({
  expiry,
  cvv2: "123",
  active: true,
  inactiveCode: "05"
})

/** The action code for a card expiring `expiry`, asked about with that expiry at `nowMillis`. */
const actionAt = (expiry: CardExpiry, nowMillis: number) =>
  decide(new AccountValidationRequest({ pan, expiry }), { _tag: "Card", card: onFile(expiry) }, nowMillis, "ABC123").raw
    .actionCode

const firstMillisOf = (expiry: CardExpiry) => Date.UTC(Number(expiry.slice(0, 4)), Number(expiry.slice(5, 7)) - 1, 1)
const firstMillisAfter = (expiry: CardExpiry) => Date.UTC(Number(expiry.slice(0, 4)), Number(expiry.slice(5, 7)), 1)

describe("card expiry", () => {
  test.prop([expiries])("YYYY-MM survives the YYMM form the CVV algorithm uses", (expiry) => {
    const yymm = expiryToYYMM(expiry)
    expect(yymm).toMatch(/^\d{2}(0[1-9]|1[0-2])$/)
    expect(expiryFromYYMM(yymm)).toBe(expiry)
  })

  test.prop([expiries, fc.integer({ min: 0, max: 31 * 24 * 3600 * 1000 - 1 })])(
    "a card is valid through the last millisecond of its month and declined 54 from the next",
    (expiry, offset) => {
      const start = firstMillisOf(expiry)
      const end = firstMillisAfter(expiry)
      expect(actionAt(expiry, Math.min(start + offset, end - 1))).toBe("00")
      expect(actionAt(expiry, end - 1)).toBe("00")
      expect(actionAt(expiry, end)).toBe("54")
      expect(actionAt(expiry, end + offset)).toBe("54")
    }
  )

  test.prop([expiries, fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) })])(
    "expired exactly when the expiry month lies before the clock's month",
    (expiry, nowMillis) => {
      expect(actionAt(expiry, nowMillis) === "54").toBe(nowMillis >= firstMillisAfter(expiry))
    }
  )
})
