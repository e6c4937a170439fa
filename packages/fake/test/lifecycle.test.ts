import { CardLifecycle, CardRef, CardSecrets, CustomerAccount, GetCvvRequest, IssueCardRequest } from "@cardkit/domain"
import { expect, layer } from "@effect/vitest"
import { Effect, Redacted, Schema } from "effect"
import { FakeIssuer, FakeProvider } from "../src/index.js"

const account = Schema.decodeUnknownSync(CustomerAccount)({
  customerId: "100000000009001",
  accountNumber: "400000000009001"
})

layer(FakeProvider.layer())("FakeProvider's CardLifecycle", (it) => {
  it.effect("applies a fault injected for the ledger operation a call stands for, once", () =>
    Effect.gen(function* () {
      const cards = yield* CardLifecycle
      const issuer = yield* FakeIssuer
      const issued = yield* cards.issueCard(new IssueCardRequest({ ...account, type: "virtual" }))
      const card = Schema.decodeUnknownSync(CardRef)({ ...account, cardId: issued.cardId })
      yield* issuer.injectFaults("updateStatus", { failures: ["Unavailable"] })
      const failed = yield* Effect.flip(cards.lock(card))
      expect(failed).toMatchObject({ _tag: "ProviderUnavailable", provider: "fake" })
      // The fault came before the call: the card is as it was, and the next call goes through.
      expect((yield* cards.getCard(card)).status).toBe("active")
      expect((yield* cards.lock(card)).status).toBe("frozen")

      yield* issuer.injectFaults("getCardLimit", { failures: ["Reset"] })
      expect((yield* Effect.flip(cards.getLimits(card)))._tag).toBe("ProviderUnavailable")
      expect(yield* cards.getLimits(card)).toEqual([])
    })
  )

  it.effect("shares its issuer with CardSecrets: a card issued through the lifecycle reveals its CVV", () =>
    Effect.gen(function* () {
      const cards = yield* CardLifecycle
      const issued = yield* cards.issueCard(new IssueCardRequest({ ...account, type: "virtual" }))
      const record = yield* (yield* FakeIssuer).getCard(issued.cardId)
      expect(record).toMatchObject({ customerId: account.customerId, accountNumber: account.accountNumber })
      expect(record.cardHolderId).toMatch(/^CH\d{14}$/)
      const revealed = yield* (yield* CardSecrets).getCvv(
        Schema.decodeUnknownSync(GetCvvRequest)({ ...account, cardId: issued.cardId })
      )
      expect(Redacted.value(revealed.cvv)).toBe(Redacted.value(record.cvv))
    })
  )
})
