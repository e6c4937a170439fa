import {
  AccountValidation,
  AccountValidationRequest,
  CardSecrets,
  cardFlagNames,
  decodeInput,
  GetCvvRequest,
  luhnCheckDigit,
  luhnValid,
  makePan,
  type Pan,
  Reference
} from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import { Cause, DateTime, Effect, Exit, Fiber, Option, Redacted, Schema, TestClock } from "effect"
import { cardStatuses, FakeIssuer, FakeProvider, makeCvvCalculator, testCvk } from "../src/index.js"

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

const visaExample = {
  pan: "4957030420210462",
  expiry: "2040-10",
  cvv2: "022",
  billingAddress: { street: "801 Metro Center Blv", postalCode: "94404" }
}
const tavv = "0100000000000287A522DC5E26614C4005000000"

describe("the documents' examples through the services", () => {
  it.effect("the ledger's Get CVV: CVV 679, every flag false, the printed dates, the ack by Effect's Clock", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1732086388_000)
      const card = yield* (yield* CardSecrets).getCvv(documentRequest)
      expect(card.cardId).toBe("025951734ff74c13a14137e02834fa00")
      expect(Redacted.value(card.cvv)).toBe("679")
      expect(Object.keys(card.flags)).toEqual([...cardFlagNames])
      expect(Object.values(card.flags).every((flag) => flag === false)).toBe(true)
      expect(DateTime.formatIso(card.postedDate)).toBe("2024-11-20T06:56:11.399Z")
      expect(DateTime.formatIso(card.updatedDate)).toBe("2024-11-20T06:56:11.399Z")
      expect(card.ack).toMatchObject({
        type: "GET_CVV_ACK",
        reference: "REFvisadps100013",
        originalReference: "visadps100013",
        dateCreated: 1732086388
      })
    }).pipe(Effect.provide(FakeProvider.layer()))
  )

  it.effect("Visa's successful example: 00, approval 12AB54, response code 5, AVS Y, CVV2 M", () =>
    Effect.gen(function* () {
      const request = yield* decodeInput(AccountValidationRequest)(visaExample)
      const result = yield* (yield* AccountValidation).validate(request)
      expect(result).toMatchObject({ approved: true, actionCode: "00", cvv2: "match", address: "match" })
      expect(result.raw).toEqual({
        actionCode: "00",
        responseCode: "5",
        approvalCode: "12AB54",
        cvv2ResultCode: "M",
        addressVerificationResults: "Y"
      })
      expect(result.transactionId).toMatch(/^\d{15}$/)
    }).pipe(Effect.provide(FakeProvider.layer()))
  )

  it.effect("Visa's unsuccessful example (expiry 2020-10) declines 54 by Effect's Clock", () =>
    Effect.gen(function* () {
      const validation = yield* AccountValidation
      const request = yield* decodeInput(AccountValidationRequest)({ ...visaExample, expiry: "2020-10" })
      yield* TestClock.setTime(Date.UTC(2020, 9, 31, 23, 59))
      expect((yield* validation.validate(request)).actionCode).toBe("05")
      yield* TestClock.setTime(Date.UTC(2020, 10, 1))
      const result = yield* validation.validate(request)
      expect(result).toMatchObject({ approved: false, actionCode: "54" })
      expect(result.raw.approvalCode).toBeUndefined()
    }).pipe(Effect.provide(FakeProvider.layer()))
  )

  it.effect("Visa's token example: the TAVV verifies and the account is approved", () =>
    Effect.gen(function* () {
      const validation = yield* AccountValidation
      const { cvv2: _cvv2, ...token } = visaExample
      const result = yield* validation.validate(yield* decodeInput(AccountValidationRequest)({ ...token, tavv }))
      expect(result).toMatchObject({ approved: true, actionCode: "00", tavv: "valid", cvv2: "not_checked" })
      expect(result.raw.cardholderAuthenticationVerificationResults).toBe("2")
      const forged = yield* decodeInput(AccountValidationRequest)({ ...token, tavv: tavv.replace(/0$/, "1") })
      expect(yield* validation.validate(forged)).toMatchObject({ approved: false, actionCode: "05", tavv: "invalid" })
    }).pipe(Effect.provide(FakeProvider.layer()))
  )
})

describe("the decision engine", () => {
  it.effect("declines a wrong CVV2 with N7, an unknown PAN with 14, a PAN failing Luhn with 14", () =>
    Effect.gen(function* () {
      const validation = yield* AccountValidation
      const wrong = yield* validation.validate(
        yield* decodeInput(AccountValidationRequest)({ ...visaExample, cvv2: "023" })
      )
      expect(wrong).toMatchObject({ approved: false, actionCode: "N7", cvv2: "no_match", address: "match" })
      expect(wrong.raw).toMatchObject({ cvv2ResultCode: "N" })
      const unknown = yield* validation.validate(new AccountValidationRequest({ pan: makePan("4000000000000002") }))
      expect(unknown).toMatchObject({ approved: false, actionCode: "14" })
      const notLuhn = new AccountValidationRequest({ pan: Redacted.make("4957030420210463") as Pan }, true)
      expect(yield* validation.validate(notLuhn)).toMatchObject({ approved: false, actionCode: "14" })
    }).pipe(Effect.provide(FakeProvider.layer()))
  )

  it.effect("declines a card whose expiry on file has passed, even when the request gives none", () =>
    Effect.gen(function* () {
      const validation = yield* AccountValidation
      const card = yield* (yield* FakeIssuer).issueCard({ expiry: "2030-01" })
      const request = new AccountValidationRequest({ pan: card.pan })
      yield* TestClock.setTime(Date.UTC(2030, 0, 31, 23, 59))
      expect((yield* validation.validate(request)).actionCode).toBe("00")
      yield* TestClock.setTime(Date.UTC(2030, 1, 1))
      expect((yield* validation.validate(request)).actionCode).toBe("54")
    }).pipe(Effect.provide(FakeProvider.layer()))
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
    }).pipe(Effect.provide(FakeProvider.layer()))
  )

  it.effect("issued cards validate with the CVV2 the algorithm derived (service code 000)", () =>
    Effect.gen(function* () {
      const card = yield* (yield* FakeIssuer).issueCard({ expiry: "2031-07" })
      const cvv2 = makeCvvCalculator(testCvk).compute({
        pan: Redacted.value(card.pan),
        yymm: "3107",
        serviceCode: "000"
      })
      expect(Redacted.value(card.cvv2)).toBe(cvv2)
      const result = yield* (yield* AccountValidation).validate(
        new AccountValidationRequest({ pan: card.pan, expiry: card.expiry, cvv2: card.cvv2 })
      )
      expect(result).toMatchObject({ approved: true, cvv2: "match" })
    }).pipe(Effect.provide(FakeProvider.layer()))
  )

  it.effect("a lost card is declined 41, any other inactive card 05", () =>
    Effect.gen(function* () {
      const issuer = yield* FakeIssuer
      const validation = yield* AccountValidation
      const card = yield* issuer.issueCard()
      const request = new AccountValidationRequest({ pan: card.pan })
      yield* issuer.setStatus(card.cardId, "LOST_STOLEN")
      expect((yield* validation.validate(request)).actionCode).toBe("41")
      yield* issuer.setStatus(card.cardId, "TEMPRORY_BLOCKED_BY_ADMIN")
      expect((yield* validation.validate(request)).actionCode).toBe("05")
    }).pipe(Effect.provide(FakeProvider.layer()))
  )
})

describe("FakeIssuer", () => {
  it.effect("issues Luhn-valid cards in its test BIN whose CVV and CVV2 come from the algorithm", () =>
    Effect.gen(function* () {
      const issuer = yield* FakeIssuer
      const card = yield* issuer.issueCard({ expiry: "2031-07" })
      const pan = Redacted.value(card.pan)
      expect(pan).toMatch(/^400000\d{10}$/)
      expect(luhnValid(pan)).toBe(true)
      const calculator = makeCvvCalculator(testCvk)
      expect(Redacted.value(card.cvv)).toBe(calculator.compute({ pan, yymm: "3107", serviceCode: "101" }))
      expect(Option.isSome(yield* issuer.findByPan(pan))).toBe(true)
      expect((yield* issuer.getCard(card.cardId)).status).toBe("ACTIVATED")
      const others = yield* Effect.all(Array.from({ length: 500 }, () => issuer.issueCard()))
      const pans = others.map((other) => Redacted.value(other.pan))
      expect(pans.every((other) => /^400000\d{10}$/.test(other) && luhnValid(other))).toBe(true)
      expect(new Set([pan, ...pans]).size).toBe(501)
      expect(new Set([card.cardId, ...others.map((other) => other.cardId)]).size).toBe(501)
    }).pipe(Effect.provide(FakeProvider.layer()))
  )

  it.effect("derives CVVs from the configured CVK pair", () =>
    Effect.gen(function* () {
      const cvk = { a: "1111111111111111", b: "2222222222222222" }
      const pan = `412345678901234${luhnCheckDigit("412345678901234")}`
      const issue = Effect.flatMap(FakeIssuer, (issuer) => issuer.issueCard({ pan, expiry: "2087-01" }))
      const expected = (pair: typeof cvk) => makeCvvCalculator(pair).compute({ pan, yymm: "8701", serviceCode: "101" })
      const custom = yield* issue.pipe(Effect.provide(FakeIssuer.layer({ cvk })))
      const standard = yield* issue.pipe(Effect.provide(FakeIssuer.layer()))
      expect(expected(cvk)).not.toBe(expected(testCvk))
      expect(Redacted.value(custom.cvv)).toBe(expected(cvk))
      expect(Redacted.value(standard.cvv)).toBe(expected(testCvk))
    })
  )

  it.effect("the same seed makes the same cards", () =>
    Effect.gen(function* () {
      const issue = Effect.flatMap(FakeIssuer, (issuer) => Effect.all([issuer.issueCard(), issuer.issueCard()]))
      const first = yield* issue.pipe(Effect.provide(FakeIssuer.layer({ seed: 42 })))
      const again = yield* issue.pipe(Effect.provide(FakeIssuer.layer({ seed: 42 })))
      const other = yield* issue.pipe(Effect.provide(FakeIssuer.layer({ seed: 43 })))
      const ids = (cards: ReadonlyArray<{ cardId: string; pan: Pan }>) =>
        cards.map((card) => `${card.cardId}/${Redacted.value(card.pan)}`)
      expect(ids(again)).toEqual(ids(first))
      expect(ids(other)).not.toEqual(ids(first))
    })
  )

  it.effect("seeds many cards at once, and replaces a card issued again under its id", () =>
    Effect.gen(function* () {
      const issuer = yield* FakeIssuer
      yield* issuer.issueCards(Array.from({ length: 10_000 }, () => ({})))
      expect(yield* issuer.size).toBe(10_002)
      const card = yield* issuer.issueCard({ cardId: "replace-me", pan: "4000000000000002" })
      yield* issuer.issueCard({ cardId: "replace-me", pan: "4000000000000010" })
      expect(yield* issuer.size).toBe(10_003)
      expect(Option.isNone(yield* issuer.findByPan(Redacted.value(card.pan)))).toBe(true)
    }).pipe(Effect.provide(FakeIssuer.layer()))
  )

  it.effect("refuses to issue a PAN failing Luhn, without repeating it", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit((yield* FakeIssuer).issueCard({ pan: "4957030420210463" }))
      if (Exit.isSuccess(exit)) return expect.fail("issued a card whose PAN fails Luhn")
      expect(Cause.isDie(exit.cause)).toBe(true)
      expect(Cause.pretty(exit.cause)).not.toContain("495703042021")
    }).pipe(Effect.provide(FakeIssuer.layer()))
  )

  it.effect("validateCvv accepts the card's CVV and refuses another, or an inactive card", () =>
    Effect.gen(function* () {
      const issuer = yield* FakeIssuer
      const card = yield* issuer.issueCard()
      const cvv = Redacted.value(card.cvv)
      yield* issuer.validateCvv(card.cardId, cvv)
      const wrong = cvv === "000" ? "001" : "000"
      expect(yield* Effect.flip(issuer.validateCvv(card.cardId, wrong))).toMatchObject({ _tag: "IncorrectCvv" })
      expect(yield* Effect.flip(issuer.validateCvv("nope", cvv))).toMatchObject({ _tag: "CardNotFound" })
      yield* issuer.setStatus(card.cardId, "CLOSED")
      expect(yield* Effect.flip(issuer.validateCvv(card.cardId, cvv))).toMatchObject({ _tag: "CardNotActive" })
    }).pipe(Effect.provide(FakeIssuer.layer()))
  )
})

describe("getCvv", () => {
  it.effect("refuses every status but ACTIVATED with CardNotActive, and reveals again once active", () =>
    Effect.gen(function* () {
      const issuer = yield* FakeIssuer
      const secrets = yield* CardSecrets
      const card = yield* issuer.issueCard()
      const inactive = cardStatuses.filter((status) => status !== "ACTIVATED")
      expect(inactive).toHaveLength(9)
      for (const status of inactive) {
        yield* issuer.setStatus(card.cardId, status)
        expect(yield* Effect.flip(secrets.getCvv(requestFor(card)))).toMatchObject({ _tag: "CardNotActive", status })
      }
      yield* issuer.setStatus(card.cardId, "ACTIVATED")
      expect(Redacted.value((yield* secrets.getCvv(requestFor(card))).cvv)).toBe(Redacted.value(card.cvv))
    }).pipe(Effect.provide(FakeProvider.layer()))
  )

  it.effect("does not find a card asked for under another customer or account", () =>
    Effect.gen(function* () {
      const secrets = yield* CardSecrets
      const card = yield* (yield* FakeIssuer).issueCard()
      for (const request of [
        { ...card, customerId: "100000000006001" },
        { ...card, accountNumber: "400320588344662" },
        { ...card, cardId: "025951734ff74c13a14137e02834fa00" }
      ]) {
        expect(yield* Effect.flip(secrets.getCvv(requestFor(request)))).toMatchObject({ _tag: "CardNotFound" })
      }
    }).pipe(Effect.provide(FakeProvider.layer()))
  )

  it.effect("makes up a distinct reference when the request has none", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_800_000_000_000)
      const secrets = yield* CardSecrets
      const { reference: _none, ...withoutReference } = documentRequest
      const request = new GetCvvRequest(withoutReference)
      const [one, two] = yield* Effect.all([secrets.getCvv(request), secrets.getCvv(request)])
      for (const { ack } of [one!, two!]) {
        expect(ack.reference).toBe(`REF${ack.originalReference}`)
        expect(ack.dateCreated).toBe(1_800_000_000)
        expect(Schema.is(Reference)(ack.originalReference)).toBe(true)
      }
      expect(one!.ack.originalReference).not.toBe(two!.ack.originalReference)
    }).pipe(Effect.provide(FakeProvider.layer()))
  )

  it.effect("serves 1,000 concurrent reveals, each with its own card's CVV", () =>
    Effect.gen(function* () {
      const issuer = yield* FakeIssuer
      const secrets = yield* CardSecrets
      const cards = yield* Effect.forEach(Array.from({ length: 1000 }), () => issuer.issueCard())
      const revealed = yield* Effect.all(
        cards.map((card) => secrets.getCvv(requestFor(card))),
        { concurrency: "unbounded" }
      )
      expect(revealed.map((c) => c.cardId)).toEqual(cards.map((c) => c.cardId))
      expect(revealed.map((c) => Redacted.value(c.cvv))).toEqual(cards.map((c) => Redacted.value(c.cvv)))
    }).pipe(Effect.provide(FakeProvider.layer()))
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
    }).pipe(Effect.provide(FakeProvider.layer()))
  )

  it.effect("the issuer's own operations leave faults to whoever serves them, so each is consumed once", () =>
    Effect.gen(function* () {
      const issuer = yield* FakeIssuer
      yield* issuer.injectFaults("getCvv", { failures: ["Truncated", "Latency"], latencyMillis: 250 })
      expect(Redacted.value((yield* issuer.getCvv(documentRequest)).cvv)).toBe("679")
      expect(yield* issuer.nextFault("getCvv")).toEqual(Option.some({ _tag: "Truncated" }))
      expect(yield* issuer.nextFault("getCvv")).toEqual(Option.some({ _tag: "Latency", millis: 250 }))
      expect(yield* issuer.nextFault("getCvv")).toEqual(Option.some({ _tag: "Latency", millis: 250 }))
      yield* issuer.clearFaults()
      expect(yield* issuer.nextFault("getCvv")).toEqual(Option.none())
    }).pipe(Effect.provide(FakeIssuer.layer()))
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
        }).pipe(Effect.provide(FakeIssuer.layer()))
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
    }).pipe(Effect.provide(FakeProvider.layer()))
  )

  it.effect("faults start from the layer's options and can be cleared", () =>
    Effect.gen(function* () {
      const secrets = yield* CardSecrets
      expect((yield* Effect.flip(secrets.getCvv(documentRequest)))._tag).toBe("ProviderUnavailable")
      yield* (yield* FakeIssuer).clearFaults()
      expect(Redacted.value((yield* secrets.getCvv(documentRequest)).cvv)).toBe("679")
    }).pipe(Effect.provide(FakeProvider.layer({ faults: { getCvv: { failureRate: 1 } } })))
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
    }).pipe(Effect.provide(FakeProvider.layer()))
  )
})
