import { AccountValidationRequest, CardExpiry, decodeInput, GetCvvRequest, luhnValid } from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Option, Redacted, Schema, TestClock } from "effect"
import { AccountValidation, CardSecrets } from "@cardkit/domain"
import { FakeIssuer, FakeProvider } from "../src/index.js"

const documentRequest = Schema.decodeUnknownSync(GetCvvRequest)({
  cardId: "025951734ff74c13a14137e02834fa00",
  customerId: "100000000006001",
  accountNumber: "400320588344662",
  reference: "visadps100013"
})

const requestFor = (card: { cardId: string; customerId: string; accountNumber: string }) =>
  Schema.decodeUnknownSync(GetCvvRequest)({
    cardId: card.cardId,
    customerId: card.customerId,
    accountNumber: card.accountNumber
  })

describe("FakeProvider", () => {
  it.effect("answers the ledger document's example with the time from Effect's Clock", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1732086388_000)
      const card = yield* (yield* CardSecrets).getCvv(documentRequest)
      expect(Redacted.value(card.cvv)).toBe("679")
      expect(card.ack).toMatchObject({
        type: "GET_CVV_ACK",
        reference: "REFvisadps100013",
        originalReference: "visadps100013",
        dateCreated: 1732086388
      })
    }).pipe(Effect.provide(FakeProvider.layer))
  )

  it.effect("declines an expired card with 54 by Effect's Clock, and a wrong expiry with 05", () =>
    Effect.gen(function* () {
      const validation = yield* AccountValidation
      const card = yield* (yield* FakeIssuer).issueCard({ expiry: "2030-01" })
      const request = new AccountValidationRequest({ pan: card.pan, expiry: CardExpiry.make("2030-01") })
      yield* TestClock.setTime(Date.UTC(2030, 0, 31, 23, 59))
      expect((yield* validation.validate(request)).actionCode).toBe("00")
      yield* TestClock.setTime(Date.UTC(2030, 1, 1))
      expect((yield* validation.validate(request)).actionCode).toBe("54")
      const wrongExpiry = new AccountValidationRequest({ pan: card.pan, expiry: CardExpiry.make("2031-01") })
      expect((yield* validation.validate(wrongExpiry)).actionCode).toBe("05")
    }).pipe(Effect.provide(FakeProvider.layer))
  )

  it.effect("answers Visa's not-found sandbox account with 25, AVS I and CVV2 P", () =>
    Effect.gen(function* () {
      const request = yield* decodeInput(AccountValidationRequest)({
        pan: "4957040000000001",
        cvv2: "022",
        billingAddress: { postalCode: "94404" }
      })
      const result = yield* (yield* AccountValidation).validate(request)
      expect(result.raw).toMatchObject({ actionCode: "25", addressVerificationResults: "I", cvv2ResultCode: "P" })
      expect(result).toMatchObject({ approved: false, cvv2: "not_processed", address: "unavailable" })
    }).pipe(Effect.provide(FakeProvider.layer))
  )

  it.effect("a lost card is declined 41 for validation and does not reveal its CVV", () =>
    Effect.gen(function* () {
      const issuer = yield* FakeIssuer
      const card = yield* issuer.issueCard()
      yield* issuer.setStatus(card.cardId, "LOST_STOLEN")
      const result = yield* (yield* AccountValidation).validate(new AccountValidationRequest({ pan: card.pan }))
      expect(result.actionCode).toBe("41")
      const error = yield* (yield* CardSecrets).getCvv(requestFor(card)).pipe(Effect.flip)
      expect(error).toMatchObject({ _tag: "CardNotActive", status: "LOST_STOLEN" })
    }).pipe(Effect.provide(FakeProvider.layer))
  )

  it.effect("issues Luhn-valid cards in its test BIN whose CVV and CVV2 come from the algorithm", () =>
    Effect.gen(function* () {
      const issuer = yield* FakeIssuer
      const card = yield* issuer.issueCard({ expiry: "2031-07" })
      const pan = Redacted.value(card.pan)
      expect(pan).toMatch(/^400000\d{10}$/)
      expect(luhnValid(pan)).toBe(true)
      expect(Redacted.value(card.cvv)).toMatch(/^\d{3}$/)
      expect(Option.isSome(yield* issuer.findByPan(pan))).toBe(true)
      const other = yield* issuer.issueCard()
      expect(other.cardId).not.toBe(card.cardId)
    }).pipe(Effect.provide(FakeProvider.layer))
  )

  it.effect("serves 1,000 concurrent reveals, each with its own card's CVV", () =>
    Effect.gen(function* () {
      const issuer = yield* FakeIssuer
      const secrets = yield* CardSecrets
      const cards = yield* Effect.forEach(Array.from({ length: 1000 }), () => issuer.issueCard())
      const revealed = yield* Effect.forEach(cards, (card) => secrets.getCvv(requestFor(card)), {
        concurrency: "unbounded"
      })
      expect(revealed.map((c) => c.cardId)).toEqual(cards.map((c) => c.cardId))
      expect(revealed.map((c) => Redacted.value(c.cvv))).toEqual(cards.map((c) => Redacted.value(c.cvv)))
    }).pipe(Effect.provide(FakeProvider.layer))
  )
})

describe("fault injection", () => {
  it.effect("consumes a scripted sequence in order, then answers normally", () =>
    Effect.gen(function* () {
      const issuer = yield* FakeIssuer
      const secrets = yield* CardSecrets
      yield* issuer.injectFaults("getCvv", { failures: ["Unavailable", "Reset", "Garbage"] })
      const outcomes: Array<string> = []
      for (let i = 0; i < 4; i++) {
        const exit = yield* Effect.either(secrets.getCvv(documentRequest))
        outcomes.push(exit._tag === "Left" ? exit.left.message : "ok")
      }
      expect(outcomes).toEqual([
        "fake is unavailable: injected fault: Unavailable",
        "fake is unavailable: injected fault: Reset",
        "fake is unavailable: injected fault: Garbage",
        "ok"
      ])
    }).pipe(Effect.provide(FakeProvider.layer))
  )

  it.effect("draws a failure rate from its seed, so a run replays exactly", () =>
    Effect.gen(function* () {
      const run = (seed: number) =>
        Effect.gen(function* () {
          const issuer = yield* FakeIssuer
          yield* issuer.injectFaults("validateAccount", { failureRate: 0.3, seed })
          return yield* Effect.forEach(Array.from({ length: 200 }), () =>
            Effect.map(issuer.nextFault("validateAccount"), Option.isSome)
          )
        }).pipe(Effect.provide(FakeIssuer.layer))
      const first = yield* run(7)
      expect(yield* run(7)).toEqual(first)
      expect(yield* run(8)).not.toEqual(first)
      const failures = first.filter(Boolean).length
      expect(failures).toBeGreaterThan(30)
      expect(failures).toBeLessThan(90)
    })
  )

  it.effect("adds latency on Effect's clock", () =>
    Effect.gen(function* () {
      const issuer = yield* FakeIssuer
      yield* issuer.injectFaults("getCvv", { latencyMillis: 5_000 })
      const fiber = yield* Effect.fork((yield* CardSecrets).getCvv(documentRequest))
      yield* TestClock.adjust(4_999)
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust(1)
      const card = yield* Fiber.join(fiber)
      expect(Redacted.value(card.cvv)).toBe("679")
    }).pipe(Effect.provide(FakeProvider.layer))
  )

  it.effect("faults start from the layer's options and can be cleared", () =>
    Effect.gen(function* () {
      const secrets = yield* CardSecrets
      expect((yield* Effect.flip(secrets.getCvv(documentRequest)))._tag).toBe("ProviderUnavailable")
      yield* (yield* FakeIssuer).clearFaults
      expect(Redacted.value((yield* secrets.getCvv(documentRequest)).cvv)).toBe("679")
    }).pipe(Effect.provide(FakeProvider.layerWith({ faults: { getCvv: { failureRate: 1 } } })))
  )
})

describe("card data in errors", () => {
  it.effect("no error message carries a CVV or a full PAN", () =>
    Effect.gen(function* () {
      const issuer = yield* FakeIssuer
      const card = yield* issuer.issueCard()
      const cvv = Redacted.value(card.cvv)
      const pan = Redacted.value(card.pan)
      const messages: Array<string> = []
      yield* issuer.setStatus(card.cardId, "CLOSED")
      messages.push((yield* Effect.flip((yield* CardSecrets).getCvv(requestFor(card)))).message)
      messages.push((yield* Effect.flip(issuer.validateCvv(card.cardId, "000"))).message)
      messages.push(
        (yield* Effect.flip(decodeInput(AccountValidationRequest)({ pan: `${pan.slice(0, -1)}x`, cvv2: cvv }))).message
      )
      messages.push((yield* Effect.flip(decodeInput(AccountValidationRequest)({ pan, cvv2: `${cvv}99` }))).message)
      for (const message of messages) {
        expect(message).not.toContain(pan)
        expect(message).not.toContain(pan.slice(0, -1))
        expect(message).not.toMatch(new RegExp(`\\b${cvv}\\b`))
      }
    }).pipe(Effect.provide(FakeProvider.layer))
  )
})
