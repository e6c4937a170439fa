import {
  AccountValidation,
  AccountValidationRequest,
  CardExpiry,
  CardholderName,
  BillingAddress,
  CardSecrets,
  GetCvvRequest,
  makeCvv,
  makePan,
  type Pan,
  Reference,
  Tavv
} from "@cardkit/domain"
import { expect, layer } from "@effect/vitest"
import { Effect, Either, type Layer, Redacted, Schema } from "effect"
import { FakeIssuer } from "./FakeIssuer.js"
import { ledgerDocumentCard } from "./internal/documents.js"

/*
 * The behaviour every CardSecrets / AccountValidation provider must show, as vitest suites a team
 * registers against any Layer. cardkit runs them against the in-memory fake and against the real
 * transports talking to the wire fakes, so "the fake behaves like the real thing" is checked, not hoped.
 *
 * The layers run on the real clock (no TestClock): over the wire the server's fibers never see a
 * test's clock, and the documents' dates (2040-10 valid, 2020-10 expired) hold in real time.
 */

const documentRequest = (reference?: string) =>
  new GetCvvRequest({
    cardId: ledgerDocumentCard.cardId! as GetCvvRequest["cardId"],
    customerId: ledgerDocumentCard.customerId! as GetCvvRequest["customerId"],
    accountNumber: ledgerDocumentCard.accountNumber! as GetCvvRequest["accountNumber"],
    ...(reference === undefined ? {} : { reference: Reference.make(reference) })
  })

const requestFor = (card: { cardId: string; customerId: string; accountNumber: string }) =>
  Schema.decodeUnknownSync(GetCvvRequest)({
    cardId: card.cardId,
    customerId: card.customerId,
    accountNumber: card.accountNumber
  })

/** Register the CardSecrets conformance suite against `layer`. */
export const cardSecretsConformance = <E>(name: string, provider: Layer.Layer<CardSecrets | FakeIssuer, E>) =>
  layer(provider, { excludeTestServices: true })(`CardSecrets conformance: ${name}`, (it) => {
    it.effect("reveals the ledger document's CVV with the flags, dates and ack it prints", () =>
      Effect.gen(function* () {
        const secrets = yield* CardSecrets
        const card = yield* secrets.getCvv(documentRequest("visadps100013"))
        expect(card.cardId).toBe("025951734ff74c13a14137e02834fa00")
        expect(Redacted.value(card.cvv)).toBe("679")
        expect(Object.values(card.flags).every((flag) => flag === false)).toBe(true)
        expect(Object.keys(card.flags)).toHaveLength(16)
        expect(card.postedDate.epochMillis).toBe(Date.parse("2024-11-20T06:56:11.399Z"))
        expect(card.updatedDate.epochMillis).toBe(Date.parse("2024-11-20T06:56:11.399Z"))
        expect(card.ack.type).toBe("GET_CVV_ACK")
        expect(card.ack.reference).toBe("REFvisadps100013")
        expect(card.ack.originalReference).toBe("visadps100013")
        expect(Math.abs(card.ack.dateCreated - Date.now() / 1000)).toBeLessThan(300)
      })
    )

    it.effect("acknowledges a request that carries no reference", () =>
      Effect.gen(function* () {
        const card = yield* (yield* CardSecrets).getCvv(documentRequest())
        expect(card.ack.originalReference.length).toBeGreaterThan(0)
        expect(card.ack.reference).toBe(`REF${card.ack.originalReference}`)
      })
    )

    it.effect("reveals the CVV the issuer derived for a newly issued card", () =>
      Effect.gen(function* () {
        const issued = yield* (yield* FakeIssuer).issueCard()
        const card = yield* (yield* CardSecrets).getCvv(requestFor(issued))
        expect(Redacted.value(card.cvv)).toBe(Redacted.value(issued.cvv))
        expect(Redacted.value(card.cvv)).toMatch(/^\d{3}$/)
      })
    )

    it.effect("does not find an unknown card, nor a card asked for under another customer or account", () =>
      Effect.gen(function* () {
        const secrets = yield* CardSecrets
        const issued = yield* (yield* FakeIssuer).issueCard()
        for (const request of [
          { ...issued, cardId: "ffffffffffffffffffffffffffffffff" },
          { ...issued, customerId: "999999999999999" },
          { ...issued, accountNumber: "999999999999999" }
        ]) {
          const error = yield* secrets.getCvv(requestFor(request)).pipe(Effect.flip)
          expect(error._tag).toBe("CardNotFound")
          expect(error.message).not.toContain(Redacted.value(issued.cvv))
        }
      })
    )

    it.effect("refuses to reveal the CVV of a locked, lost or closed card, and reveals it again once active", () =>
      Effect.gen(function* () {
        const issuer = yield* FakeIssuer
        const secrets = yield* CardSecrets
        const issued = yield* issuer.issueCard()
        for (const status of ["TEMPRORY_BLOCKED_BY_CLIENT", "LOST_STOLEN", "CLOSED"] as const) {
          yield* issuer.setStatus(issued.cardId, status)
          const error = yield* secrets.getCvv(requestFor(issued)).pipe(Effect.flip)
          expect(error._tag).toBe("CardNotActive")
          expect(error.message).not.toContain(Redacted.value(issued.cvv))
        }
        yield* issuer.setStatus(issued.cardId, "ACTIVATED")
        const card = yield* secrets.getCvv(requestFor(issued))
        expect(Redacted.value(card.cvv)).toBe(Redacted.value(issued.cvv))
      })
    )

    it.effect("answers a request its schema would refuse with a typed error, never a defect", () =>
      Effect.gen(function* () {
        const unchecked = new GetCvvRequest(
          {
            cardId: "no such card!" as GetCvvRequest["cardId"],
            customerId: ledgerDocumentCard.customerId! as GetCvvRequest["customerId"],
            accountNumber: ledgerDocumentCard.accountNumber! as GetCvvRequest["accountNumber"]
          },
          true
        )
        const error = yield* (yield* CardSecrets).getCvv(unchecked).pipe(Effect.flip)
        expect(["InvalidRequest", "CardNotFound"]).toContain(error._tag)
      })
    )

    it.effect("answers many concurrent reveals correctly", () =>
      Effect.gen(function* () {
        const secrets = yield* CardSecrets
        const cards = yield* Effect.all(
          Array.from({ length: 50 }, () => Effect.flatMap(FakeIssuer, (i) => i.issueCard()))
        )
        const revealed = yield* Effect.forEach(cards, (card) => secrets.getCvv(requestFor(card)), {
          concurrency: 25
        })
        expect(revealed.map((card) => Redacted.value(card.cvv))).toEqual(cards.map((card) => Redacted.value(card.cvv)))
      })
    )
  })

const visaExample = (overrides: Partial<ConstructorParameters<typeof AccountValidationRequest>[0]> = {}) =>
  new AccountValidationRequest({
    pan: makePan("4957030420210462"),
    expiry: CardExpiry.make("2040-10"),
    cvv2: makeCvv("022"),
    billingAddress: new BillingAddress({ street: "801 Metro Center Blv", postalCode: "94404" }),
    ...overrides
  })

/** Register the AccountValidation conformance suite against `layer`. */
export const accountValidationConformance = <E>(
  name: string,
  provider: Layer.Layer<AccountValidation | FakeIssuer, E>
) =>
  layer(provider, { excludeTestServices: true })(`AccountValidation conformance: ${name}`, (it) => {
    it.effect("approves Visa's example card as Visa's sandbox does: 00, 12AB54, CVV2 M, AVS Y", () =>
      Effect.gen(function* () {
        const result = yield* (yield* AccountValidation).validate(visaExample())
        expect(result).toMatchObject({ approved: true, actionCode: "00", cvv2: "match", address: "match" })
        expect(result.transactionId).toMatch(/^\d{15}$/)
        expect(result.raw).toMatchObject({
          actionCode: "00",
          approvalCode: "12AB54",
          responseCode: "5",
          cvv2ResultCode: "M",
          addressVerificationResults: "Y"
        })
      })
    )

    it.effect("answers Visa's cannot-locate test account with 25, AVS I and CVV2 P", () =>
      Effect.gen(function* () {
        const result = yield* (yield* AccountValidation).validate(visaExample({ pan: makePan("4957040000000001") }))
        expect(result).toMatchObject({ approved: false, actionCode: "25", cvv2: "not_processed" })
        expect(result.raw).toMatchObject({ cvv2ResultCode: "P", addressVerificationResults: "I" })
      })
    )

    it.effect("declines the document's expired example (2020-10) with 54", () =>
      Effect.gen(function* () {
        const result = yield* (yield* AccountValidation).validate(visaExample({ expiry: CardExpiry.make("2020-10") }))
        expect(result.approved).toBe(false)
        expect(result.actionCode).toBe("54")
        expect(result.raw.approvalCode).toBeUndefined()
      })
    )

    it.effect("declines a wrong CVV2 with N7", () =>
      Effect.gen(function* () {
        const result = yield* (yield* AccountValidation).validate(visaExample({ cvv2: makeCvv("023") }))
        expect(result).toMatchObject({ approved: false, actionCode: "N7", cvv2: "no_match" })
        expect(result.raw).toMatchObject({ actionCode: "N7", cvv2ResultCode: "N" })
      })
    )

    it.effect("approves the token path when the TAVV verifies", () =>
      Effect.gen(function* () {
        const { cvv2: _none, ...tokenRequest } = visaExample()
        const result = yield* (yield* AccountValidation).validate(
          new AccountValidationRequest({
            ...tokenRequest,
            tavv: Schema.decodeSync(Tavv)("0100000000000287A522DC5E26614C4005000000")
          })
        )
        expect(result).toMatchObject({ approved: true, cvv2: "not_checked", tavv: "valid", address: "match" })
      })
    )

    it.effect("declines a TAVV that does not verify", () =>
      Effect.gen(function* () {
        const { cvv2: _none, ...tokenRequest } = visaExample()
        const result = yield* (yield* AccountValidation).validate(
          new AccountValidationRequest({
            ...tokenRequest,
            tavv: Schema.decodeSync(Tavv)("0100000000000287A522DC5E26614C4005000001")
          })
        )
        expect(result).toMatchObject({ approved: false, tavv: "invalid" })
      })
    )

    it.effect("declines a PAN the issuer never issued with 14", () =>
      Effect.gen(function* () {
        const result = yield* (yield* AccountValidation).validate(
          new AccountValidationRequest({ pan: makePan("4000000000000002") })
        )
        expect(result).toMatchObject({ approved: false, actionCode: "14" })
      })
    )

    it.effect("refuses a PAN failing Luhn: InvalidRequest naming the PAN, or a 14 decline", () =>
      Effect.gen(function* () {
        const unchecked = new AccountValidationRequest({ pan: Redacted.make("4957030420210463") as Pan }, true)
        const outcome = yield* (yield* AccountValidation).validate(unchecked).pipe(Effect.either)
        if (Either.isLeft(outcome)) {
          expect(outcome.left).toMatchObject({ _tag: "InvalidRequest", field: "pan" })
          expect(outcome.left.message).not.toContain("4957030420210463")
        } else {
          expect(outcome.right).toMatchObject({ approved: false, actionCode: "14" })
        }
      })
    )

    it.effect("declines a card that is locked, lost or closed, and approves it again once active", () =>
      Effect.gen(function* () {
        const issuer = yield* FakeIssuer
        const validation = yield* AccountValidation
        const issued = yield* issuer.issueCard()
        const request = new AccountValidationRequest({ pan: issued.pan, cvv2: issued.cvv2, expiry: issued.expiry })
        for (const status of ["TEMPRORY_BLOCKED_BY_CLIENT", "LOST_STOLEN", "CLOSED"] as const) {
          yield* issuer.setStatus(issued.cardId, status)
          const result = yield* validation.validate(request)
          expect(result.approved).toBe(false)
          expect(["05", "41", "43", "62"]).toContain(result.actionCode)
        }
        yield* issuer.setStatus(issued.cardId, "ACTIVATED")
        expect(yield* validation.validate(request)).toMatchObject({ approved: true, cvv2: "match" })
      })
    )

    it.effect("reports street-only, postal-code-only and no address match", () =>
      Effect.gen(function* () {
        const validation = yield* AccountValidation
        const check = (street: string, postalCode: string) =>
          Effect.map(
            validation.validate(visaExample({ billingAddress: new BillingAddress({ street, postalCode }) })),
            (result) => result.address
          )
        expect(yield* check("801 Metro Center Blvd.", "94404-1234")).toBe("match")
        expect(yield* check("801 Metro Center Blv", "10001")).toBe("street_only")
        expect(yield* check("12 Other Road", "94404")).toBe("postal_code_only")
        expect(yield* check("12 Other Road", "10001")).toBe("no_match")
      })
    )

    it.effect("matches the cardholder's name", () =>
      Effect.gen(function* () {
        const issued = yield* (yield* FakeIssuer).issueCard({ name: { first: "Ada", last: "Lovelace" } })
        const validation = yield* AccountValidation
        const nameCheck = (first: string, last: string) =>
          Effect.map(
            validation.validate(
              new AccountValidationRequest({
                pan: issued.pan,
                cardholderName: new CardholderName({ first, last })
              })
            ),
            (result) => result.name
          )
        expect(yield* nameCheck("Ada", "LOVELACE")).toBe("match")
        expect(yield* nameCheck("Augusta", "Lovelace")).toBe("partial_match")
        expect(yield* nameCheck("Ada", "Byron")).toBe("no_match")
      })
    )
  })
