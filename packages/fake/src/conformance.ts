import { randomInt } from "node:crypto"
import {
  AccountValidation,
  AccountValidationRequest,
  ActivateCardRequest,
  Card,
  type CardCvv,
  CardExpiry,
  CardholderName,
  BillingAddress,
  CardLifecycle,
  CardRef,
  CardSecrets,
  ChangePinRequest,
  CustomerAccount,
  type Cvv,
  DeviceSignature,
  DeviceSignedOperations,
  DeviceSignedResult,
  GetCvvRequest,
  IssueCardRequest,
  type LimitCycle,
  type LimitKind,
  type Pin,
  ReplaceCardRequest,
  ReplacedCard,
  SetLimitRequest,
  SignableActivate,
  SignableChangePin,
  SignablePayload,
  type SignableRequest,
  SignableReplace,
  SignableRevealCvv,
  SignableValidateCvv,
  ValidateCvvRequest,
  makeCvv,
  makePan,
  type Pan,
  Reference,
  Tavv
} from "@cardkit/domain"
import { LedgerClient } from "@cardkit/ledger"
import { expect, layer } from "@effect/vitest"
import { Effect, Either, type Layer, Redacted, Schema } from "effect"
import {
  type CardholderDevice,
  makeCardholderDevice,
  makeDeviceKeyPair,
  registerCardholderDevice
} from "./CardholderDevice.js"
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

/** What the ledger conformance suite needs beyond its layer. */
export interface LedgerConformanceOptions {
  /** SPKI PEM of the ledger's RSA key, which the cardholder's device encrypts its CVV and PIN to. */
  readonly rsaPublicKey?: string | undefined
}

const where = () =>
  ({
    product: "DEFAULT",
    program: "DEFAULT",
    channel: "VISA_DPS",
    customerId: `1${randomInt(10 ** 9, 10 ** 10)}${randomInt(10 ** 3, 10 ** 4)}`,
    accountNumber: `4${randomInt(10 ** 9, 10 ** 10)}${randomInt(10 ** 3, 10 ** 4)}`
  }) as const

/** The card holder the ledger suite adds, for tests of a team's own to reuse. */
export const exampleCardHolder = {
  firstName: "Ada",
  lastName: "Lovelace",
  phoneNumber: "5550100001",
  emailId: "ada@example.com",
  addressLine1: "12 St James's Square",
  addressLine2: "",
  city: "London",
  state: "LN",
  zipCode: "10001"
}

/** The card's CVV as the issuer holds it, which a cardholder reads off the card. */
const cvvOf = (cardId: string) =>
  Effect.map(
    Effect.flatMap(FakeIssuer, (issuer) => issuer.getCard(cardId)),
    (card) => card.cvv
  )

/** How a refusal of a status action must read: the card, its status, the action as sent. */
const refusedWith = (error: { readonly _tag: string }, cardId: string, status: string, action: string) =>
  expect(error).toMatchObject({ _tag: "StatusActionNotAllowed", cardId, status, action })

/**
 * Register the ledger conformance suite against `layer`: the card lifecycle of the reference —
 * card holders, a card, activation by the cardholder's device, lock, unlock, limits, a loss report
 * and a replacement — through any `LedgerClient`, with `FakeIssuer` for what a test needs to know
 * (the CVV printed on the card) and to register the device's key. cardkit runs it against the
 * in-memory `FakeLedgerClient` and against the transport over the wire fake.
 */
export const ledgerConformance = <E>(
  name: string,
  provider: Layer.Layer<LedgerClient | FakeIssuer, E>,
  options: LedgerConformanceOptions = {}
) =>
  layer(provider, { excludeTestServices: true })(`LedgerClient conformance: ${name}`, (it) => {
    it.effect("walks a physical card from its holder to its replacement", () =>
      Effect.gen(function* () {
        const ledger = yield* LedgerClient
        const account = where()
        const device = yield* registerCardholderDevice(account.customerId, options)

        const primary = yield* ledger.addCardHolderWithPrimaryAddress.call(account)
        expect(primary.cardHolderId).toMatch(/^CH\d{14}$/)
        expect(primary.api.type).toBe("ADD_CARD_HOLDER_WITH_PRIMARY_ADDRESS_ACK")
        expect(primary.api.reference).toBe(`REF${primary.api.originalReference}`)
        const holder = yield* ledger.addCardHolderWithNonPrimaryAddress.call({
          ...account,
          cardHolder: exampleCardHolder
        })
        expect(holder.cardHolderId).not.toBe(primary.cardHolderId)
        const holders = yield* ledger.getCardHolderList.call({ ...account, pagination: { offset: 0, max: 10 } })
        expect(holders.cardHolders.map((h) => h.cardHolderId)).toEqual([primary.cardHolderId, holder.cardHolderId])
        expect(holders.cardHolders[1]).toMatchObject(exampleCardHolder)

        const added = yield* ledger.addCard.call({
          ...account,
          card: { cardHolderId: holder.cardHolderId, cardType: "PHYSICAL" }
        })
        expect(added.card).toMatchObject({
          cardType: "PHYSICAL",
          cardStatus: "CARD_IS_NOT_ACTIVATED",
          orderStatus: "ORDER_PLACED",
          orderSubStatus: "ORDER_PENDING",
          cvv: ""
        })
        expect(added.card.cardMaskNumber).toMatch(/^\*{12}\d{4}$/)
        expect(added.card.cardExpiryDate).toMatch(/^20\d{2}(0[1-9]|1[0-2])$/)
        const card = { ...account, cardId: added.card.cardId }

        const details = yield* ledger.getCardDetails.call(card)
        expect(details.cardDetails).toMatchObject({
          cardId: card.cardId,
          cardStatus: "CARD_IS_NOT_ACTIVATED",
          cardMaskNumber: added.card.cardMaskNumber,
          cardExpiryDate: added.card.cardExpiryDate,
          orderId: added.card.orderId
        })
        expect(details.cardDetails.externalCardId).toMatch(/^v-40x-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/)
        const got = yield* ledger.getCard.call(card)
        expect(got.cardHolder).toMatchObject({ cardHolderId: holder.cardHolderId, firstName: "Ada" })
        expect(got.card.cardStatus).toBe("CARD_IS_NOT_ACTIVATED")
        expect((yield* Effect.flip(ledger.getCvv.call(card)))._tag).toBe("CardNotActive")

        // Activation as the production client does it: the device checks the CVV, sets the PIN, activates.
        const cvv = yield* cvvOf(card.cardId)
        const { customerId: _, accountNumber: __, ...cardOnly } = card
        const validated = yield* device.send(ledger, "validateCvv", { ...cardOnly, cardCvv: cvv })
        expect(validated).toMatchObject({ cardId: card.cardId, api: { type: "VALIDATE_CVV_ACK", reference: "REF" } })
        expect((yield* device.send(ledger, "pinChange", { ...card, newPIN: Redacted.make("2468") })).api.type).toBe(
          "PIN_CHANGE_ACK"
        )
        refusedWith(
          yield* Effect.flip(ledger.updateStatus.call({ ...card, statusAction: "ACTIVATE", cardCvv: cvv })),
          card.cardId,
          "CARD_IS_NOT_ACTIVATED",
          "ACTIVATE"
        )
        const activated = yield* device.send(ledger, "updateStatus", {
          ...card,
          statusAction: "ACTIVATE",
          cardCvv: cvv
        })
        expect(activated.card.cardStatus).toBe("ACTIVATED")
        expect((yield* ledger.getCvv.call(card)).card.cvv).toBe(Redacted.value(cvv))

        const locked = yield* ledger.updateStatus.call({ ...card, statusAction: "LOCK" })
        expect(locked.card.cardStatus).toBe("TEMPRORY_BLOCKED_BY_CLIENT")
        expect((yield* Effect.flip(ledger.getCvv.call(card)))._tag).toBe("CardNotActive")
        expect((yield* ledger.updateStatus.call({ ...card, statusAction: "UNLOCK" })).card.cardStatus).toBe("ACTIVATED")

        yield* ledger.setLimit.call({
          ...account,
          cardLimit: { cardId: card.cardId, type: "VOLUME", cycleType: "PER_TRANSACTION", value: "250.00" }
        })
        yield* ledger.setLimit.call({
          ...account,
          cardLimit: { cardId: card.cardId, type: "COUNT", cycleType: "DAY", value: "5" }
        })
        const refusedLimit = yield* Effect.flip(
          ledger.setLimit.call({
            ...account,
            cardLimit: { cardId: card.cardId, type: "VOLUME", cycleType: "MONTH", value: "900" }
          })
        )
        expect(refusedLimit).toMatchObject({ _tag: "InvalidRequest", field: "params.payload.cardLimit.cycleType" })
        const limits = yield* ledger.getCardLimit.call(card)
        expect(limits.card.limits).toEqual([
          { type: "VOLUME", value: "250.00", cycleLength: "0", cycleType: "PER_TRANSACTION", remaining: "250.00" },
          { type: "COUNT", value: "5", cycleLength: "0", cycleType: "DAY", remaining: "5" }
        ])

        const lost = yield* ledger.updateStatus.call({ ...card, statusAction: "REPORT MISSING CARD" })
        expect(lost.card.cardStatus).toBe("LOST_STOLEN")
        refusedWith(
          yield* Effect.flip(ledger.updateStatus.call({ ...card, statusAction: "LOCK" })),
          card.cardId,
          "LOST_STOLEN",
          "LOCK"
        )

        const replaced = yield* device.send(ledger, "replaceCard", { ...card, statusAction: "REPLACE_CARD" })
        expect(replaced.card).toMatchObject({ cardId: card.cardId, cardStatus: "NOT_IN_USE", isReplace: true })
        expect(replaced.newCard).toMatchObject({
          cardStatus: "CARD_IS_NOT_ACTIVATED",
          cardHolderId: holder.cardHolderId,
          cardHolderName: "Ada Lovelace",
          isReplace: false
        })
        expect(replaced.newCard.cardId).not.toBe(card.cardId)
        expect(replaced.newCard.cardNumber).not.toBe(replaced.card.cardNumber)
        expect((yield* ledger.getCardDetails.call(card)).cardDetails.cardStatus).toBe("NOT_IN_USE")
        refusedWith(
          yield* Effect.flip(ledger.updateStatus.call({ ...card, statusAction: "UNLOCK" })),
          card.cardId,
          "NOT_IN_USE",
          "UNLOCK"
        )
        const cards = yield* ledger.getCardList.call({ ...account, pagination: { offset: 0, max: 5 } })
        expect(cards.cards.map((c) => c.cardId)).toEqual([card.cardId, replaced.newCard.cardId])
      })
    )

    it.effect("reissues a card on the same PAN, and walks a virtual card to closed", () =>
      Effect.gen(function* () {
        const ledger = yield* LedgerClient
        const account = where()
        const device = yield* registerCardholderDevice(account.customerId, options)
        const { cardHolderId } = yield* ledger.addCardHolderWithPrimaryAddress.call(account)

        const physical = yield* ledger.addCard.call({ ...account, card: { cardHolderId, cardType: "PHYSICAL" } })
        const card = { ...account, cardId: physical.card.cardId }
        const reissued = yield* device.send(ledger, "replaceCard", { ...card, statusAction: "REISSUE" })
        expect(reissued.card).toMatchObject({ cardStatus: "NOT_IN_USE", isReIssue: true, isReplace: false })
        expect(reissued.newCard.cardMaskNumber).toBe(physical.card.cardMaskNumber)
        expect(reissued.newCard.cardNumber).toBe(reissued.card.cardNumber)
        expect(reissued.newCard.cardStatus).toBe("CARD_IS_NOT_ACTIVATED")

        const virtual = yield* ledger.addCard.call({
          ...account,
          card: { cardHolderId, cardType: "VIRTUAL", expiryYear: "2031", expiryMonth: "7", cardName: "Groceries" }
        })
        expect(virtual.card).toMatchObject({ cardType: "VIRTUAL", cardStatus: "ACTIVATED", cardExpiryDate: "203107" })
        const online = { ...account, cardId: virtual.card.cardId }
        expect((yield* ledger.getCvv.call(online)).card.cvv).toBe(Redacted.value(yield* cvvOf(online.cardId)))
        refusedWith(
          yield* Effect.flip(device.send(ledger, "replaceCard", { ...online, statusAction: "REISSUE" })),
          online.cardId,
          "ACTIVATED",
          "REISSUE"
        )
        const deactivated = yield* device.send(ledger, "updateStatus", { ...online, statusAction: "DEACTIVATE" })
        expect(deactivated.card.cardStatus).toBe("DEACTIVATED")
        refusedWith(
          yield* Effect.flip(device.send(ledger, "updateStatus", { ...online, statusAction: "CLOSE" })),
          online.cardId,
          "DEACTIVATED",
          "CLOSE"
        )
        expect((yield* ledger.updateStatus.call({ ...online, statusAction: "CLOSE" })).card.cardStatus).toBe("CLOSED")
        refusedWith(
          yield* Effect.flip(ledger.updateStatus.call({ ...online, statusAction: "UNBLOCK" })),
          online.cardId,
          "CLOSED",
          "UNBLOCK"
        )
      })
    )

    it.effect("keeps each customer's cards and devices to that customer", () =>
      Effect.gen(function* () {
        const ledger = yield* LedgerClient
        const mine = where()
        const theirs = where()
        const device = yield* registerCardholderDevice(mine.customerId, options)
        const { cardHolderId } = yield* ledger.addCardHolderWithPrimaryAddress.call(theirs)
        const added = yield* ledger.addCard.call({ ...theirs, card: { cardHolderId, cardType: "PHYSICAL" } })
        const asMine = { ...mine, cardId: added.card.cardId }
        expect((yield* Effect.flip(ledger.getCardDetails.call(asMine)))._tag).toBe("CardNotFound")
        const foreign = yield* Effect.flip(
          device.send(ledger, "updateStatus", { ...theirs, cardId: added.card.cardId, statusAction: "LOCK" })
        )
        expect(foreign._tag).toBe("AuthenticationFailed")
        const wrongHolder = yield* Effect.flip(
          ledger.addCard.call({ ...mine, card: { cardHolderId, cardType: "PHYSICAL" } })
        )
        expect(wrongHolder).toMatchObject({ _tag: "InvalidRequest", field: "params.payload.card.cardHolderId" })
        expect((yield* ledger.getCardList.call({ ...mine, pagination: { offset: 0, max: 5 } })).cards).toEqual([])
      })
    )
  })

/** A fresh customer's account, as the lifecycle's requests name it. */
const lifecycleAccount = () => Schema.decodeUnknownSync(CustomerAccount)(where())

const refTo = (account: CustomerAccount, cardId: string) => Schema.decodeUnknownSync(CardRef)({ ...account, cardId })

/** A CVV other than the card's: the next one up, wrapping, with as many digits. */
const otherCvv = (cvv: Cvv) => {
  const digits = Redacted.value(cvv)
  return makeCvv(String((Number(digits) + 1) % 10 ** digits.length).padStart(digits.length, "0"))
}

const lastFourOf = (cardId: string) =>
  Effect.map(
    Effect.flatMap(FakeIssuer, (issuer) => issuer.getCard(cardId)),
    (card) => Redacted.value(card.pan).slice(-4)
  )

const refusal = (error: { readonly _tag: string }, cardId: string, action: string) =>
  expect(error).toMatchObject({ _tag: "StatusActionNotAllowed", cardId, action })

/**
 * Register the CardLifecycle conformance suite against `layer`: the life a product team walks a
 * card through — a virtual one issued, locked, unlocked, limited and closed; a physical one issued,
 * its CVV checked, its PIN set, activated and closed; replacements on the same PAN and a new one —
 * with the refusals (`StatusActionNotAllowed`, `IncorrectCvv`, `CardNotFound`) the ledger's rules
 * give. `FakeIssuer` tells the test what a cardholder reads off the card (its CVV). cardkit runs it
 * against `FakeProvider` and against `LedgerCardLifecycle` over the wire fake: the same answers.
 */
export const cardLifecycleConformance = <E>(name: string, provider: Layer.Layer<CardLifecycle | FakeIssuer, E>) =>
  layer(provider, { excludeTestServices: true })(`CardLifecycle conformance: ${name}`, (it) => {
    it.effect("walks a virtual card: issued, locked, unlocked, limited, listed and closed", () =>
      Effect.gen(function* () {
        const cards = yield* CardLifecycle
        const account = lifecycleAccount()
        const issued = yield* cards.issueCard(
          new IssueCardRequest({ ...account, type: "virtual", expiry: CardExpiry.make("2031-07") })
        )
        expect(issued).toMatchObject({ type: "virtual", status: "active", rawStatus: "ACTIVATED", expiry: "2031-07" })
        expect(issued.last4).toBe(yield* lastFourOf(issued.cardId))
        const card = refTo(account, issued.cardId)
        expect(yield* cards.getCard(card)).toEqual(issued)

        const locked = yield* cards.lock(card)
        expect(locked).toEqual({ ...issued, status: "frozen", rawStatus: "TEMPRORY_BLOCKED_BY_CLIENT" })
        expect(yield* cards.getCard(card)).toEqual(locked)
        expect(yield* cards.unlock(card)).toEqual(issued)

        const limit = (kind: LimitKind, cycle: LimitCycle, value: string) =>
          cards.setLimit(new SetLimitRequest({ ...card, kind, cycle, value }))
        yield* limit("amount", "day", "500.00")
        const limits = yield* limit("count", "lifetime", "3")
        expect(limits).toEqual([
          { kind: "amount", cycle: "day", value: "500.00", remaining: "500.00" },
          { kind: "count", cycle: "lifetime", value: "3", remaining: "3" }
        ])
        expect(yield* cards.getLimits(card)).toEqual(limits)

        // The ledger's table has no loss report and no replacement for a virtual card, for either role.
        refusal(yield* Effect.flip(cards.reportLostStolen(card)), card.cardId, "REPORT_LOST_STOLEN")
        refusal(
          yield* Effect.flip(cards.replace(new ReplaceCardRequest({ ...card, reason: "damaged" }))),
          card.cardId,
          "REISSUE"
        )
        const noPin = yield* Effect.flip(
          cards.changePin(new ChangePinRequest({ ...card, pin: Redacted.make("2468") as Pin }))
        )
        expect(noPin._tag).toBe("InvalidRequest")
        const cvv = yield* cvvOf(card.cardId)
        refusal(yield* Effect.flip(cards.activate(new ActivateCardRequest({ ...card, cvv }))), card.cardId, "ACTIVATE")
        yield* cards.validateCvv(new ValidateCvvRequest({ ...card, cvv }))
        expect((yield* cards.listCards(account)).map((listed) => listed.cardId)).toEqual([card.cardId])

        yield* cards.lock(card)
        const closed = yield* cards.close(card)
        expect(closed).toEqual({ ...issued, status: "closed", rawStatus: "CLOSED" })
        refusal(yield* Effect.flip(cards.unlock(card)), card.cardId, "UNLOCK")

        const byDefault = yield* cards.issueCard(new IssueCardRequest({ ...account, type: "virtual" }))
        expect(byDefault.expiry).toBe(`${new Date().getUTCFullYear() + 4}-12`)
      })
    )

    it.effect("walks a physical card: issued, its CVV checked, its PIN set, activated, locked and closed", () =>
      Effect.gen(function* () {
        const cards = yield* CardLifecycle
        const account = lifecycleAccount()
        const issued = yield* cards.issueCard(new IssueCardRequest({ ...account, type: "physical" }))
        expect(issued).toMatchObject({ type: "physical", status: "inactive", rawStatus: "CARD_IS_NOT_ACTIVATED" })
        const card = refTo(account, issued.cardId)
        const cvv = yield* cvvOf(card.cardId)

        const wrong = yield* Effect.flip(cards.validateCvv(new ValidateCvvRequest({ ...card, cvv: otherCvv(cvv) })))
        expect(wrong).toMatchObject({ _tag: "IncorrectCvv", cardId: card.cardId })
        expect(wrong.message).not.toContain(Redacted.value(cvv))
        yield* cards.validateCvv(new ValidateCvvRequest({ ...card, cvv }))
        yield* cards.changePin(new ChangePinRequest({ ...card, pin: Redacted.make("2468") as Pin }))
        expect(yield* Effect.flatMap(FakeIssuer, (issuer) => issuer.pinMatches(card.cardId, "2468"))).toBe(true)

        refusal(yield* Effect.flip(cards.lock(card)), card.cardId, "LOCK")
        const badActivation = yield* Effect.flip(
          cards.activate(new ActivateCardRequest({ ...card, cvv: otherCvv(cvv) }))
        )
        expect(badActivation).toMatchObject({ _tag: "IncorrectCvv", cardId: card.cardId })
        expect((yield* cards.getCard(card)).status).toBe("inactive")
        const active = yield* cards.activate(new ActivateCardRequest({ ...card, cvv }))
        expect(active).toEqual({ ...issued, status: "active", rawStatus: "ACTIVATED" })

        expect((yield* cards.lock(card)).status).toBe("frozen")
        // A physical card's amount limit is per transaction only.
        const refusedLimit = yield* Effect.flip(
          cards.setLimit(new SetLimitRequest({ ...card, kind: "amount", cycle: "month", value: "900" }))
        )
        expect(refusedLimit._tag).toBe("InvalidRequest")
        expect(yield* cards.close(card)).toEqual({ ...issued, status: "closed", rawStatus: "CLOSED" })
        refusal(yield* Effect.flip(cards.activate(new ActivateCardRequest({ ...card, cvv }))), card.cardId, "ACTIVATE")
      })
    )

    it.effect("replaces a damaged card on its PAN, and a lost one, reported or not, on a new PAN", () =>
      Effect.gen(function* () {
        const cards = yield* CardLifecycle
        const account = lifecycleAccount()
        const activated = (cardId: string) =>
          Effect.flatMap(cvvOf(cardId), (cvv) =>
            cards.activate(new ActivateCardRequest({ ...refTo(account, cardId), cvv }))
          )
        const first = yield* cards.issueCard(new IssueCardRequest({ ...account, type: "physical" }))
        yield* activated(first.cardId)

        const reissued = yield* cards.replace(
          new ReplaceCardRequest({ ...refTo(account, first.cardId), reason: "damaged" })
        )
        expect(reissued.replaced).toEqual({ ...first, status: "not_in_use", rawStatus: "NOT_IN_USE" })
        expect(reissued.replacement).toMatchObject({ type: "physical", status: "inactive", last4: first.last4 })
        expect(reissued.replacement.cardId).not.toBe(first.cardId)
        refusal(yield* Effect.flip(cards.lock(refTo(account, first.cardId))), first.cardId, "LOCK")

        // Not reported first: the replacement reports it lost, then asks for a new PAN.
        const second = reissued.replacement
        yield* activated(second.cardId)
        const replaced = yield* cards.replace(
          new ReplaceCardRequest({ ...refTo(account, second.cardId), reason: "lost_stolen" })
        )
        expect(replaced.replaced).toMatchObject({ cardId: second.cardId, status: "not_in_use" })
        expect(replaced.replacement).toMatchObject({ type: "physical", status: "inactive" })
        const issuer = yield* FakeIssuer
        const oldPan = Redacted.value((yield* issuer.getCard(second.cardId)).pan)
        expect(Redacted.value((yield* issuer.getCard(replaced.replacement.cardId)).pan)).not.toBe(oldPan)

        // Reported first: the replacement goes straight to the new PAN.
        const third = replaced.replacement
        yield* activated(third.cardId)
        const lost = yield* cards.reportLostStolen(refTo(account, third.cardId))
        expect(lost).toMatchObject({ cardId: third.cardId, status: "lost_stolen", rawStatus: "LOST_STOLEN" })
        const again = yield* cards.replace(
          new ReplaceCardRequest({ ...refTo(account, third.cardId), reason: "lost_stolen" })
        )
        expect(again.replaced).toMatchObject({ cardId: third.cardId, status: "not_in_use" })

        const listed = yield* cards.listCards(account)
        expect(listed.map((card) => [card.cardId, card.status])).toEqual([
          [first.cardId, "not_in_use"],
          [second.cardId, "not_in_use"],
          [third.cardId, "not_in_use"],
          [again.replacement.cardId, "inactive"]
        ])
      })
    )

    it.effect("does not find an unknown card, nor a card asked for under another customer or account", () =>
      Effect.gen(function* () {
        const cards = yield* CardLifecycle
        const mine = lifecycleAccount()
        const theirs = lifecycleAccount()
        const unknown = yield* Effect.flip(cards.getCard(refTo(mine, "0123456789abcdef0123456789abcdef")))
        expect(unknown).toMatchObject({ _tag: "CardNotFound", cardId: "0123456789abcdef0123456789abcdef" })

        const issued = yield* cards.issueCard(new IssueCardRequest({ ...theirs, type: "physical" }))
        const asMine = refTo(mine, issued.cardId)
        const cvv = yield* cvvOf(issued.cardId)
        const attempts: ReadonlyArray<Effect.Effect<unknown, { readonly _tag: string }>> = [
          cards.getCard(asMine),
          cards.lock(asMine),
          cards.close(asMine),
          cards.getLimits(asMine),
          cards.validateCvv(new ValidateCvvRequest({ ...asMine, cvv })),
          cards.activate(new ActivateCardRequest({ ...asMine, cvv })),
          cards.replace(new ReplaceCardRequest({ ...asMine, reason: "damaged" }))
        ]
        for (const attempt of attempts) {
          expect(yield* Effect.flip(attempt)).toMatchObject({ _tag: "CardNotFound", cardId: issued.cardId })
        }
        expect(yield* cards.listCards(mine)).toEqual([])
        expect((yield* cards.getCard(refTo(theirs, issued.cardId))).status).toBe("inactive")
      })
    )
  })

/** What the device-signed suite needs beyond its layer. */
export interface DeviceSignedConformanceOptions<R> {
  /**
   * A new device of the customer's — a fresh P-256 key registered as AddUserKey does it — to sign
   * with. Through the issuer by default; over the wire, a test registers it through `/jsonrpc`.
   */
  readonly registerDevice?: ((customerId: string) => Effect.Effect<CardholderDevice, never, R>) | undefined
}

const signed = (device: CardholderDevice, payload: SignablePayload) =>
  new DeviceSignature({ signature: device.sign(Redacted.value(payload.payload)), keyId: device.keyId })

/** A revealed CVV without its ack (whose reference and time are the call's own). */
const revealed = (cvv: CardCvv) => ({
  cardId: cvv.cardId,
  cvv: Redacted.value(cvv.cvv),
  flags: cvv.flags,
  postedDate: cvv.postedDate,
  updatedDate: cvv.updatedDate,
  ack: cvv.ack.type
})

/**
 * Register the DeviceSignedOperations conformance suite against `layer`: each of the five
 * operations prepared, signed by the cardholder's own device and performed answers what the plain
 * port method answers; a signature by another key, under an unregistered key id or over other bytes
 * is refused with `AuthenticationFailed`, and a device of another customer with that or `CardNotFound`. The plain ports in the
 * same layer (over the same issuer) give the results to compare with. cardkit runs it against
 * `FakeProvider` and against `LedgerDeviceSignedOperations` over the wire fake.
 */
export const deviceSignedConformance = <E, R = never>(
  name: string,
  provider: Layer.Layer<DeviceSignedOperations | CardLifecycle | CardSecrets | FakeIssuer | R, E>,
  options: DeviceSignedConformanceOptions<R> = {}
) =>
  layer(provider, { excludeTestServices: true })(`DeviceSignedOperations conformance: ${name}`, (it) => {
    const registerDevice =
      options.registerDevice ?? ((customerId: string) => Effect.orDie(registerCardholderDevice(customerId)))

    /** Prepared, signed by `device` and performed, as a backend and the cardholder's device do it. */
    const bySigned = <Q extends SignableRequest>(device: CardholderDevice, request: Q) =>
      Effect.gen(function* () {
        const operations = yield* DeviceSignedOperations
        const payload = yield* operations.prepare(request)
        return yield* operations.perform(payload, signed(device, payload))
      })

    it.effect("reveals the CVV of a card issued through the lifecycle, as CardSecrets reveals it", () =>
      Effect.gen(function* () {
        const cards = yield* CardLifecycle
        const operations = yield* DeviceSignedOperations
        const account = lifecycleAccount()
        const device = yield* registerDevice(account.customerId)
        const issued = yield* cards.issueCard(new IssueCardRequest({ ...account, type: "virtual" }))
        const request = new GetCvvRequest({ ...refTo(account, issued.cardId) })

        const payload = yield* operations.prepare(new SignableRevealCvv({ request }))
        expect(payload).toMatchObject({ operation: "revealCvv", cardId: issued.cardId, customerId: account.customerId })
        // As a route hands it to the device and a store gives it back: through the schema.
        const stored = Schema.decodeUnknownSync(SignablePayload)(
          JSON.parse(JSON.stringify(Schema.encodeSync(SignablePayload)(payload)))
        )
        const cvv = yield* operations.perform(stored as typeof payload, signed(device, stored))
        expect(revealed(cvv)).toEqual(revealed(yield* (yield* CardSecrets).getCvv(request)))
        expect(Redacted.value(cvv.cvv)).toBe(Redacted.value(yield* cvvOf(issued.cardId)))
        const encoded = Schema.encodeSync(DeviceSignedResult.revealCvv)(cvv)
        expect(encoded.cvv).toBe(Redacted.value(cvv.cvv))
        // Bounded by non-digits: the random card, customer and account numbers may hold the CVV's digits.
        expect(String(payload)).not.toMatch(new RegExp(`(^|\\D)${Redacted.value(cvv.cvv)}(\\D|$)`))
      })
    )

    it.effect("checks the CVV, sets the PIN and activates a physical card, as the lifecycle does", () =>
      Effect.gen(function* () {
        const cards = yield* CardLifecycle
        const issuer = yield* FakeIssuer
        const account = lifecycleAccount()
        const device = yield* registerDevice(account.customerId)
        const issued = yield* cards.issueCard(new IssueCardRequest({ ...account, type: "physical" }))
        const card = refTo(account, issued.cardId)
        const cvv = yield* cvvOf(card.cardId)

        const wrong = yield* Effect.flip(
          bySigned(
            device,
            new SignableValidateCvv({ request: new ValidateCvvRequest({ ...card, cvv: otherCvv(cvv) }) })
          )
        )
        expect(wrong).toMatchObject({ _tag: "IncorrectCvv", cardId: card.cardId })
        expect(wrong.message).not.toContain(Redacted.value(cvv))
        expect(
          yield* bySigned(device, new SignableValidateCvv({ request: new ValidateCvvRequest({ ...card, cvv }) }))
        ).toBeUndefined()

        const pin = Redacted.make("8642") as Pin
        const pinPayload = yield* (yield* DeviceSignedOperations).prepare(
          new SignableChangePin({ request: new ChangePinRequest({ ...card, pin }) })
        )
        expect(String(pinPayload)).not.toContain("8642")
        expect(yield* (yield* DeviceSignedOperations).perform(pinPayload, signed(device, pinPayload))).toBeUndefined()
        expect(yield* issuer.pinMatches(card.cardId, "8642")).toBe(true)

        const badActivation = yield* Effect.flip(
          bySigned(device, new SignableActivate({ request: new ActivateCardRequest({ ...card, cvv: otherCvv(cvv) }) }))
        )
        expect(badActivation).toMatchObject({ _tag: "IncorrectCvv", cardId: card.cardId })
        const active = yield* bySigned(
          device,
          new SignableActivate({ request: new ActivateCardRequest({ ...card, cvv }) })
        )
        expect(active).toEqual({ ...issued, status: "active", rawStatus: "ACTIVATED" })
        expect(yield* cards.getCard(card)).toEqual(active)
        expect(Schema.encodeSync(DeviceSignedResult.activate)(active)).toEqual(Schema.encodeSync(Card)(active))

        // The plain method on a twin card answers the same.
        const twin = yield* cards.issueCard(new IssueCardRequest({ ...account, type: "physical" }))
        const plain = yield* cards.activate(
          new ActivateCardRequest({ ...refTo(account, twin.cardId), cvv: yield* cvvOf(twin.cardId) })
        )
        expect({ ...plain, cardId: "", last4: "", expiry: "" }).toEqual({
          ...active,
          cardId: "",
          last4: "",
          expiry: ""
        })
      })
    )

    it.effect("replaces a damaged card on its PAN and a lost one on a new PAN, as the lifecycle does", () =>
      Effect.gen(function* () {
        const cards = yield* CardLifecycle
        const account = lifecycleAccount()
        const device = yield* registerDevice(account.customerId)
        const activated = (cardId: string) =>
          Effect.flatMap(cvvOf(cardId), (cvv) =>
            cards.activate(new ActivateCardRequest({ ...refTo(account, cardId), cvv }))
          )

        const first = yield* cards.issueCard(new IssueCardRequest({ ...account, type: "physical" }))
        yield* activated(first.cardId)
        const reissued = yield* bySigned(
          device,
          new SignableReplace({
            request: new ReplaceCardRequest({ ...refTo(account, first.cardId), reason: "damaged" })
          })
        )
        expect(reissued.replaced).toEqual(yield* cards.getCard(refTo(account, first.cardId)))
        expect(reissued.replaced).toMatchObject({ cardId: first.cardId, status: "not_in_use" })
        expect(reissued.replacement).toEqual(yield* cards.getCard(refTo(account, reissued.replacement.cardId)))
        expect(reissued.replacement).toMatchObject({ status: "inactive", last4: first.last4 })

        const second = yield* activated(reissued.replacement.cardId)
        const renewed = yield* bySigned(
          device,
          new SignableReplace({
            request: new ReplaceCardRequest({ ...refTo(account, second.cardId), reason: "lost_stolen" })
          })
        )
        expect(renewed.replaced).toMatchObject({ cardId: second.cardId, status: "not_in_use" })
        expect(renewed.replacement).toEqual(yield* cards.getCard(refTo(account, renewed.replacement.cardId)))
        expect(renewed.replacement.last4).toBe(yield* lastFourOf(renewed.replacement.cardId))

        // The plain method on a twin card answers the same shape.
        const twin = yield* cards.issueCard(new IssueCardRequest({ ...account, type: "physical" }))
        yield* activated(twin.cardId)
        const plain = yield* cards.replace(
          new ReplaceCardRequest({ ...refTo(account, twin.cardId), reason: "lost_stolen" })
        )
        expect(plain.replaced.status).toBe(renewed.replaced.status)
        expect(plain.replacement.status).toBe(renewed.replacement.status)
        expect(Schema.encodeSync(DeviceSignedResult.replace)(renewed)).toEqual(Schema.encodeSync(ReplacedCard)(renewed))
      })
    )

    it.effect("refuses a signature by another key, under an unregistered key id or over other bytes", () =>
      Effect.gen(function* () {
        const cards = yield* CardLifecycle
        const operations = yield* DeviceSignedOperations
        const account = lifecycleAccount()
        const device = yield* registerDevice(account.customerId)
        const stranger = makeCardholderDevice({
          keyId: device.keyId,
          apiKey: device.apiKey,
          privateKeyPem: makeDeviceKeyPair().privateKeyPem
        })
        const issued = yield* cards.issueCard(new IssueCardRequest({ ...account, type: "virtual" }))
        const payload = yield* operations.prepare(
          new SignableRevealCvv({ request: new GetCvvRequest({ ...refTo(account, issued.cardId) }) })
        )
        const bytes = Redacted.value(payload.payload)
        const altered = new SignablePayload({
          ...payload,
          payload: Redacted.make(bytes.replace(/"reference":"([^"]*)"/, '"reference":"$1x"'))
        })
        expect(Redacted.value(altered.payload)).not.toBe(bytes)
        const cvv = Redacted.value(yield* cvvOf(issued.cardId))
        for (const attempt of [
          operations.perform(payload, signed(stranger, payload)),
          operations.perform(
            payload,
            new DeviceSignature({ ...signed(device, payload), keyId: "key-never-registered" })
          ),
          operations.perform(altered as typeof payload, signed(device, payload))
        ]) {
          const refused = yield* Effect.flip(attempt)
          expect(refused._tag).toBe("AuthenticationFailed")
          expect(refused.message).not.toContain(cvv)
        }
        // The genuine signature still performs it.
        expect(Redacted.value((yield* operations.perform(payload, signed(device, payload))).cvv)).toBe(cvv)
      })
    )

    it.effect("refuses a device of one customer a payload for another customer's card", () =>
      Effect.gen(function* () {
        const cards = yield* CardLifecycle
        const mine = lifecycleAccount()
        const theirs = lifecycleAccount()
        const device = yield* registerDevice(mine.customerId)
        const virtual = yield* cards.issueCard(new IssueCardRequest({ ...theirs, type: "virtual" }))
        const physical = yield* cards.issueCard(new IssueCardRequest({ ...theirs, type: "physical" }))
        const card = refTo(theirs, physical.cardId)
        const cvv = yield* cvvOf(physical.cardId)
        const attempts: ReadonlyArray<SignableRequest> = [
          new SignableRevealCvv({ request: new GetCvvRequest({ ...refTo(theirs, virtual.cardId) }) }),
          new SignableValidateCvv({ request: new ValidateCvvRequest({ ...card, cvv }) }),
          new SignableChangePin({ request: new ChangePinRequest({ ...card, pin: Redacted.make("1357") as Pin }) }),
          new SignableActivate({ request: new ActivateCardRequest({ ...card, cvv }) }),
          new SignableReplace({ request: new ReplaceCardRequest({ ...card, reason: "damaged" }) })
        ]
        for (const request of attempts) {
          // Refused as the provider refuses a stranger: its signature, or a card it cannot see (the
          // ledger's VALIDATE_CVV names no customer to check the device against).
          const refused = yield* Effect.flip(bySigned(device, request))
          expect(["AuthenticationFailed", "CardNotFound"]).toContain(refused._tag)
        }
        expect((yield* cards.getCard(card)).status).toBe("inactive")
        expect(yield* Effect.flatMap(FakeIssuer, (issuer) => issuer.pinMatches(card.cardId, "1357"))).toBe(false)
      })
    )

    it.effect("refuses a payload whose bytes are not the operation's for the card it names", () =>
      Effect.gen(function* () {
        const cards = yield* CardLifecycle
        const operations = yield* DeviceSignedOperations
        const account = lifecycleAccount()
        const device = yield* registerDevice(account.customerId)
        const issued = yield* cards.issueCard(new IssueCardRequest({ ...account, type: "virtual" }))
        const other = yield* cards.issueCard(new IssueCardRequest({ ...account, type: "virtual" }))
        const payload = yield* operations.prepare(
          new SignableRevealCvv({ request: new GetCvvRequest({ ...refTo(account, issued.cardId) }) })
        )
        for (const mislabelled of [
          new SignablePayload({ ...payload, operation: "activate" }),
          new SignablePayload({ ...payload, cardId: other.cardId })
        ]) {
          expect(yield* Effect.flip(operations.perform(mislabelled, signed(device, mislabelled)))).toMatchObject({
            _tag: "InvalidRequest",
            field: "payload"
          })
        }
      })
    )
  })
