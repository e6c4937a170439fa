import { FakeProvider } from "@cardkit/fake"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { revealAndValidate } from "../src/reveal.js"

const documentCard = {
  cardId: "025951734ff74c13a14137e02834fa00",
  customerId: "100000000006001",
  accountNumber: "400320588344662",
  reference: "visadps100013"
}

describe("a team's code on the fake, imported by package name", () => {
  it.effect("reveals the documents' CVV and approves Visa's example card", () =>
    Effect.gen(function* () {
      const result = yield* revealAndValidate({
        cardRequest: documentCard,
        validation: { pan: "4957030420210462", expiry: "2040-10", cvv2: "022" }
      })
      expect(result).toMatchObject({ cvv: "679", ack: "GET_CVV_ACK", approved: true, account: "495703******0462" })
      expect(["00", "85"]).toContain(result.actionCode)
    }).pipe(Effect.provide(FakeProvider.layer()))
  )

  it.effect("turns bad input into an InvalidRequest naming the field", () =>
    Effect.gen(function* () {
      const error = yield* revealAndValidate({
        cardRequest: { ...documentCard, channel: "SWIFT" },
        validation: { pan: "4957030420210462" }
      }).pipe(Effect.flip)
      expect(error).toMatchObject({ _tag: "InvalidRequest", field: "channel" })
    }).pipe(Effect.provide(FakeProvider.layer()))
  )
})
