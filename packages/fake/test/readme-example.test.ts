import { CardSecrets, GetCvvRequest } from "@cardkit/domain"
import { expect, it } from "@effect/vitest"
import { Effect, Redacted, Schema } from "effect"
import { FakeIssuer, FakeProvider } from "../src/index.js"

// The usage README.md shows, kept here so the documented example keeps working.
it.layer(FakeProvider.layer())("my feature", (it) => {
  it.effect("reveals the CVV of a card the test issued", () =>
    Effect.gen(function* () {
      const card = yield* (yield* FakeIssuer).issueCard({ expiry: "2031-07" })
      const request = Schema.decodeUnknownSync(GetCvvRequest)(card)
      const revealed = yield* (yield* CardSecrets).getCvv(request)
      expect(Redacted.value(revealed.cvv)).toBe(Redacted.value(card.cvv))
    })
  )
})
