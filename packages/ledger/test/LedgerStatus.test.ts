import { CardStatus } from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { LedgerStatus } from "../src/index.js"

describe("LedgerStatus.toCardStatus", () => {
  it("maps every spelling the reference lists, the ledger's misspellings included", () => {
    expect(LedgerStatus.toCardStatus("ACTIVATED")).toBe("active")
    expect(LedgerStatus.toCardStatus("ACTIVE")).toBe("active")
    expect(LedgerStatus.toCardStatus("TEMPRORY_BLOCKED_BY_CLIENT")).toBe("frozen")
    expect(LedgerStatus.toCardStatus("TEMPRORY_BLOCKED_BY_ADMIN")).toBe("blocked")
    expect(LedgerStatus.toCardStatus("EXPIRE_CARD")).toBe("expired")
    expect(LedgerStatus.toCardStatus("NOT IN USE")).toBe("not_in_use")
    expect(LedgerStatus.toCardStatus("CARD_REQUEST_NOT_PROCESSED")).toBe("not_processed")
  })

  it("answers unknown for anything else, prototype names too, never a value outside the domain's", () => {
    for (const raw of ["", "SUSPENDED", "__proto__", "constructor", "activated"]) {
      expect(LedgerStatus.toCardStatus(raw)).toBe("unknown")
    }
    expect(Schema.is(CardStatus)(LedgerStatus.toCardStatus("LOST_STOLEN"))).toBe(true)
  })
})
