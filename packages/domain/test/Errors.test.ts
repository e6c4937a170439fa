import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Redacted, Schema } from "effect"
import {
  AccountValidationRequest,
  CardCvv,
  CardSecretsError,
  GetCvvRequest,
  InvalidRequest,
  ProviderRejected,
  makeCvv,
  makePan
} from "../src/index.js"

describe("requests", () => {
  it("GetCvvRequest fills the document's defaults", () => {
    const request = Schema.decodeUnknownSync(GetCvvRequest)({
      cardId: "025951734ff74c13a14137e02834fa00",
      customerId: "100000000006001",
      accountNumber: "400320588344662"
    })
    expect(request).toMatchObject({ product: "DEFAULT", program: "DEFAULT", channel: "VISA_DPS" })
    expect(request.reference).toBeUndefined()
  })

  it("a request holding card data prints none of it", () => {
    const request = new AccountValidationRequest({ pan: makePan("4957030420210462"), cvv2: makeCvv("022") })
    for (const shown of [String(request), JSON.stringify(request), Cause.pretty(Cause.fail(request))]) {
      expect(shown).not.toContain("4957030420210462")
      expect(shown).not.toContain("022")
    }
    expect(Redacted.value(request.cvv2!)).toBe("022")
  })

  it("a revealed CVV is redacted in the domain and plain only when encoded for the wire", () => {
    const encoded = {
      cardId: "025951734ff74c13a14137e02834fa00",
      cvv: "679",
      flags: Object.fromEntries(
        [
          "allowAtm",
          "allowEcommerce",
          "allowMoto",
          "allowPos",
          "allowTips",
          "allowPurchase",
          "allowRefund",
          "allowCashback",
          "allowWithdraw",
          "allowAuthAndCompletion",
          "smart",
          "checkAvsZip",
          "checkAvsAddr",
          "transactionMade",
          "isReIssue",
          "isReplace"
        ].map((flag) => [flag, false])
      ),
      postedDate: "2024-11-20T06:56:11.399Z",
      updatedDate: "2024-11-20T06:56:11.399Z",
      ack: {
        type: "GET_CVV_ACK",
        reference: "REFvisadps100013",
        originalReference: "visadps100013",
        dateCreated: 1732086388
      }
    }
    const card = Schema.decodeUnknownSync(CardCvv)(encoded)
    expect(String(card)).not.toContain("679")
    expect(Redacted.value(card.cvv)).toBe("679")
    expect(Schema.encodeSync(CardCvv)(card)).toEqual(encoded)
  })
})

describe("errors", () => {
  it("are tagged, carry their fields and a message", () => {
    const error = new InvalidRequest({ field: "pan", reason: "fails the Luhn check" })
    expect(error._tag).toBe("InvalidRequest")
    expect(error.message).toBe("pan: fails the Luhn check")
    const rejected = new ProviderRejected({ provider: "ledger", code: "9999", message: "internal error" })
    expect(rejected.message).toBe("internal error")
  })

  it.effect("round-trip through their schema union, so they can cross a wire", () =>
    Effect.gen(function* () {
      const error = new ProviderRejected({ provider: "ledger", code: "1042", message: "odd" })
      const encoded = yield* Schema.encode(CardSecretsError)(error)
      expect(encoded).toEqual({ _tag: "ProviderRejected", provider: "ledger", code: "1042", message: "odd" })
      const decoded = yield* Schema.decodeUnknown(CardSecretsError)(encoded)
      expect(decoded).toBeInstanceOf(ProviderRejected)
      const exit = yield* Effect.exit(Effect.fail(decoded))
      expect(Exit.isFailure(exit)).toBe(true)
    })
  )
})
