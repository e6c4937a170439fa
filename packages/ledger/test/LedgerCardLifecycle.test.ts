import { generateKeyPairSync } from "node:crypto"
import {
  ActivateCardRequest,
  CardLifecycle,
  CardRef,
  ChangePinRequest,
  CustomerAccount,
  cardFlagNames,
  IssueCardRequest,
  makeCvv,
  ReplaceCardRequest,
  SetLimitRequest
} from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option, Redacted, Schema } from "effect"
import { LedgerCardholderConfig, LedgerCardLifecycle, verifyPayloadSignature } from "../src/index.js"
import { cannedLedger, httpClient, json, options, type Recorded, signingKeys } from "./support.js"

const keys = signingKeys()
const rsaPublicPem = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .publicKey.export({ type: "spki", format: "pem" })
  .toString()

const account = Schema.decodeUnknownSync(CustomerAccount)({
  customerId: "100000000006001",
  accountNumber: "400320588344662"
})
const cardId = "025951734ff74c13a14137e02834fa00"
const ref = Schema.decodeUnknownSync(CardRef)({ ...account, cardId })

const payloadOf = (request: Recorded) => JSON.parse(request.body).params.payload

/** One card with every member any card result names: the decoders keep what their result shows. */
const wireCard = (cardStatus: string, extra: object = {}) => ({
  cardId,
  cardHolderId: "CH00000000020001",
  cardHolderName: "Ada Lovelace",
  cardProduct: "DEFAULT",
  customerId: account.customerId,
  accountId: account.accountNumber,
  product: "DEFAULT",
  program: "DEFAULT",
  cardType: "PHYSICAL",
  postedDate: "2024-11-20T07:06:28Z",
  createdDate: "2024-11-20T07:06:28Z",
  updatedDate: "2024-11-20T07:06:28Z",
  cardMaskNumber: "************5461",
  cardNumber: "0123456789abcdef0123456789abcdef",
  cardStatus,
  cardExpiryDate: "203107",
  ...Object.fromEntries(cardFlagNames.map((name) => [name, false])),
  cvv: "",
  accountNumber: account.accountNumber,
  cardName: "",
  patterns: [],
  limits: [],
  orderStatus: "ORDER_PLACED",
  orderId: "4UPHU2HB4YU3000",
  network: "VISA_DPS",
  externalCardId: "v-40x-00000000-0000-0000-0000-000000000000",
  cardCreatedYear: "2024",
  orderSubStatus: "ORDER_PENDING",
  accountName: "Ada Lovelace",
  customerName: "Ada Lovelace",
  ...extra
})

/** What a canned ledger answers one operation with: its result without the ack, or an error. */
type Answer = { readonly result: object } | { readonly error: { readonly code: string; readonly message: string } }

/** A ledger answering each transaction type with `answers[type]`, acking it under the request's reference. */
const withLedger = <A, E>(
  answers: (payload: Record<string, unknown>) => Answer,
  body: (sent: () => ReadonlyArray<Record<string, unknown>>) => Effect.Effect<A, E, CardLifecycle>
) =>
  Effect.gen(function* () {
    const ledger = yield* cannedLedger((request, response) => {
      const payload = payloadOf(request)
      const answer = answers(payload)
      const id = JSON.parse(request.body).id
      const reference = payload.reference
      const api = {
        type: `${payload.transactionType}_ACK`,
        reference: `REF${reference ?? ""}`,
        dateCreated: 1732086388,
        ...(reference === undefined ? {} : { originalReference: reference })
      }
      json(response, JSON.stringify("error" in answer ? { id, ...answer } : { id, result: { ...answer.result, api } }))
    })
    return yield* body(() => ledger.requests.map(payloadOf)).pipe(
      Effect.provide(
        Layer.fresh(
          LedgerCardLifecycle.layer(options(ledger.url, keys.privatePem, { rsaPublicKey: rsaPublicPem }))
        ).pipe(Layer.provide(httpClient()))
      )
    )
  }).pipe(Effect.scoped)

/** A card currently in `status`, each status action moving it as the ledger's fake results do. */
const cardIn = (status: string) => {
  let current = status
  const moves: Record<string, string> = {
    LOCK: "TEMPRORY_BLOCKED_BY_CLIENT",
    UNLOCK: "ACTIVATED",
    UNBLOCK: "ACTIVATED",
    ACTIVATE: "ACTIVATED",
    REPORT_LOST_STOLEN: "LOST_STOLEN",
    CLOSE: "CLOSED"
  }
  return (payload: Record<string, unknown>): Answer => {
    switch (payload.transactionType) {
      case "GET_CARD_DETAILS":
        return { result: { cardDetails: wireCard(current) } }
      case "UPDATE_STATUS":
        current = moves[payload.statusAction as string] ?? current
        return { result: { card: wireCard(current) } }
      case "REPLACE_CARD":
        current = "NOT_IN_USE"
        return {
          result: {
            card: wireCard(current),
            newCard: wireCard("CARD_IS_NOT_ACTIVATED", { cardId: "fedcba9876543210fedcba9876543210" })
          }
        }
      default:
        return { error: { code: "9999", message: "not canned" } }
    }
  }
}

const sequence = (sent: ReadonlyArray<Record<string, unknown>>) =>
  sent.map((payload) =>
    payload.statusAction === undefined ? payload.transactionType : `${payload.transactionType} ${payload.statusAction}`
  )

describe("LedgerCardLifecycle", () => {
  it.effect("builds the domain's card from the wire card: last four of the mask, YYYY-MM, the raw status kept", () =>
    withLedger(
      (payload) =>
        payload.transactionType === "GET_CARD_DETAILS"
          ? { result: { cardDetails: wireCard("EXPIRED_CARD", { cardType: "VIRTUAL" }) } }
          : { error: { code: "9999", message: "not canned" } },
      () =>
        Effect.gen(function* () {
          const card = yield* (yield* CardLifecycle).getCard(ref)
          expect(card).toEqual({
            cardId,
            type: "virtual",
            status: "expired",
            rawStatus: "EXPIRED_CARD",
            last4: "5461",
            expiry: "2031-07"
          })
        })
    )
  )

  it.effect("takes a card whose details name no type as physical, and a status it does not know as unknown", () =>
    withLedger(
      () => {
        const { cardType: _, ...untyped } = wireCard("SOMETHING_NEW")
        return { result: { cardDetails: untyped } }
      },
      () =>
        Effect.gen(function* () {
          expect(yield* (yield* CardLifecycle).getCard(ref)).toMatchObject({
            type: "physical",
            status: "unknown",
            rawStatus: "SOMETHING_NEW"
          })
        })
    )
  )

  it.effect("answers a malformed mask as the ledger's protocol violation, without the mask", () =>
    withLedger(
      () => ({ result: { cardDetails: wireCard("ACTIVATED", { cardMaskNumber: "4000001234abcd" }) } }),
      () =>
        Effect.gen(function* () {
          const error = yield* Effect.flip((yield* CardLifecycle).getCard(ref))
          expect(error._tag).toBe("ProtocolViolation")
          expect(error.message).not.toContain("4000001234")
        })
    )
  )

  it.effect(
    "replaces a lost card: reports it lost first, then REPLACE_CARD; the caller's reference on the replacement",
    () =>
      withLedger(cardIn("ACTIVATED"), (sent) =>
        Effect.gen(function* () {
          const replaced = yield* (yield* CardLifecycle).replace(
            Schema.decodeUnknownSync(ReplaceCardRequest)({ ...ref, reason: "lost_stolen", reference: "visadps100099" })
          )
          expect(sequence(sent())).toEqual([
            "GET_CARD_DETAILS",
            "UPDATE_STATUS REPORT_LOST_STOLEN",
            "REPLACE_CARD REPLACE_CARD"
          ])
          expect(sent()[1]!.reference).not.toBe("visadps100099")
          expect(sent()[2]!.reference).toBe("visadps100099")
          expect(replaced.replaced).toMatchObject({ cardId, status: "not_in_use", rawStatus: "NOT_IN_USE" })
          expect(replaced.replacement).toMatchObject({ cardId: "fedcba9876543210fedcba9876543210", status: "inactive" })
        })
      )
  )

  it.effect("replaces a card already reported lost without reporting it again, and a damaged one by REISSUE", () =>
    Effect.gen(function* () {
      yield* withLedger(cardIn("LOST_STOLEN"), (sent) =>
        Effect.gen(function* () {
          yield* (yield* CardLifecycle).replace(new ReplaceCardRequest({ ...ref, reason: "lost_stolen" }))
          expect(sequence(sent())).toEqual(["GET_CARD_DETAILS", "REPLACE_CARD REPLACE_CARD"])
        })
      )
      yield* withLedger(cardIn("ACTIVATED"), (sent) =>
        Effect.gen(function* () {
          yield* (yield* CardLifecycle).replace(new ReplaceCardRequest({ ...ref, reason: "damaged" }))
          expect(sequence(sent())).toEqual(["GET_CARD_DETAILS", "REPLACE_CARD REISSUE"])
        })
      )
    })
  )

  it.effect("closes a frozen card after UNLOCK, a blocked one after UNBLOCK, an active one at once", () =>
    Effect.forEach(
      [
        ["TEMPRORY_BLOCKED_BY_CLIENT", ["GET_CARD_DETAILS", "UPDATE_STATUS UNLOCK", "UPDATE_STATUS CLOSE"]],
        ["TEMPRORY_BLOCKED_BY_ADMIN", ["GET_CARD_DETAILS", "UPDATE_STATUS UNBLOCK", "UPDATE_STATUS CLOSE"]],
        ["ACTIVATED", ["GET_CARD_DETAILS", "UPDATE_STATUS CLOSE"]]
      ] as const,
      ([status, expected]) =>
        withLedger(cardIn(status), (sent) =>
          Effect.gen(function* () {
            const closed = yield* (yield* CardLifecycle).close(ref)
            expect(sequence(sent())).toEqual(expected)
            expect(closed).toMatchObject({ status: "closed", rawStatus: "CLOSED", last4: "5461", expiry: "2031-07" })
          })
        ),
      { discard: true }
    )
  )

  it.effect("activates with the CVV encrypted, and answers the card with its new status", () =>
    withLedger(cardIn("CARD_IS_NOT_ACTIVATED"), (sent) =>
      Effect.gen(function* () {
        const active = yield* (yield* CardLifecycle).activate(new ActivateCardRequest({ ...ref, cvv: makeCvv("123") }))
        expect(active).toMatchObject({ status: "active", rawStatus: "ACTIVATED", last4: "5461" })
        const update = sent()[1]!
        expect(update).toMatchObject({ transactionType: "UPDATE_STATUS", statusAction: "ACTIVATE", isEncrypt: true })
        expect(update.cardCvv).not.toBe("123")
        expect(String(update.cardCvv).length).toBeGreaterThan(100)
      })
    )
  )

  it.effect("signs the cardholder's operations with the cardholder's signer, the service's own with its key", () =>
    Effect.gen(function* () {
      const device = generateKeyPairSync("ec", { namedCurve: "P-256" })
      const signer = {
        keyId: "device-7",
        privateKey: Redacted.make(device.privateKey.export({ type: "pkcs8", format: "pem" }).toString()),
        apiKey: Redacted.make("device-api-key")
      }
      const answers = cardIn("CARD_IS_NOT_ACTIVATED")
      const ledger = yield* cannedLedger((request, response) => {
        const { id, params } = JSON.parse(request.body)
        const answer = answers(params.payload)
        const reference = params.payload.reference
        const api = { type: `${params.payload.transactionType}_ACK`, reference: `REF${reference}`, dateCreated: 1 }
        json(
          response,
          JSON.stringify(
            "error" in answer
              ? { id, ...answer }
              : { id, result: { ...answer.result, api: { ...api, originalReference: reference } } }
          )
        )
      })
      yield* Effect.flatMap(CardLifecycle, (lifecycle) =>
        lifecycle.activate(new ActivateCardRequest({ ...ref, cvv: makeCvv("123") }))
      ).pipe(
        Effect.provide(
          Layer.fresh(
            LedgerCardLifecycle.layer({
              ...options(ledger.url, keys.privatePem, { rsaPublicKey: rsaPublicPem }),
              cardholderSigner: signer
            })
          ).pipe(Layer.provide(httpClient()))
        )
      )
      const [details, update] = ledger.requests.map((request) => JSON.parse(request.body).params)
      expect(details.api).toMatchObject({ keyId: "device-1", apiKey: "api-key-123" })
      expect(update.api).toMatchObject({ keyId: "device-7", apiKey: "device-api-key" })
      const bytes = ledger.requests[1]!.body.slice(
        ledger.requests[1]!.body.indexOf('"payload":') + 10,
        ledger.requests[1]!.body.indexOf(',"api":')
      )
      expect(verifyPayloadSignature(device.publicKey, bytes, update.api.signature)).toBe(true)
    }).pipe(Effect.scoped)
  )

  it.effect("reads a development cardholder device from CARDKIT_LEDGER_CARDHOLDER_*, none when unset", () =>
    Effect.gen(function* () {
      const pem = generateKeyPairSync("ec", { namedCurve: "P-256" })
        .privateKey.export({ type: "pkcs8", format: "pem" })
        .toString()
      const read = (entries: Array<[string, string]>) =>
        Effect.withConfigProvider(LedgerCardholderConfig, ConfigProvider.fromMap(new Map(entries), { pathDelim: "_" }))
      expect(Option.isNone(yield* read([]))).toBe(true)
      const device = yield* read([
        ["CARDKIT_LEDGER_CARDHOLDER_KEY_ID", "device-7"],
        ["CARDKIT_LEDGER_CARDHOLDER_PRIVATE_KEY", pem],
        ["CARDKIT_LEDGER_CARDHOLDER_API_KEY", "device-api-key"]
      ])
      expect(Option.map(device, (signer) => signer.keyId)).toEqual(Option.some("device-7"))
      const broken = yield* Effect.flip(
        read([
          ["CARDKIT_LEDGER_CARDHOLDER_KEY_ID", "device-7"],
          ["CARDKIT_LEDGER_CARDHOLDER_PRIVATE_KEY", "not a key"],
          ["CARDKIT_LEDGER_CARDHOLDER_API_KEY", "device-api-key"]
        ])
      )
      expect(String(broken)).toContain("PRIVATE_KEY is not a usable key")
      expect(String(broken)).not.toContain("not a key")
    })
  )

  it.effect("answers a refused status action as StatusActionNotAllowed", () =>
    withLedger(
      (payload) =>
        payload.transactionType === "GET_CARD_DETAILS"
          ? { result: { cardDetails: wireCard("CLOSED") } }
          : { error: { code: "1018", message: "INAPPROPRIATE STATUS ACTION" } },
      () =>
        Effect.gen(function* () {
          const error = yield* Effect.flip((yield* CardLifecycle).lock(ref))
          expect(error).toMatchObject({ _tag: "StatusActionNotAllowed", cardId, action: "LOCK" })
        })
    )
  )

  it.effect("names a field the ledger refuses as the request names it, not by its wire path", () =>
    withLedger(
      (payload) =>
        payload.transactionType === "GET_CARD_DETAILS"
          ? { result: { cardDetails: wireCard("ACTIVATED") } }
          : { error: { code: "1000", message: "params.payload.newPIN: a virtual card has no PIN" } },
      () =>
        Effect.gen(function* () {
          const error = yield* Effect.flip(
            (yield* CardLifecycle).changePin(new ChangePinRequest({ ...ref, pin: Redacted.make("4321") }))
          )
          expect(error).toMatchObject({ _tag: "InvalidRequest", field: "pin", reason: "a virtual card has no PIN" })
        })
    )
  )

  it.effect("lists a customer's cards page by page until a short page", () =>
    withLedger(
      (payload) => {
        const { offset } = payload.pagination as { offset: number; max: number }
        const count = offset === 0 ? 100 : 3
        return {
          result: {
            cards: Array.from({ length: count }, (_, at) =>
              wireCard("ACTIVATED", { cardId: `card${String(offset + at).padStart(4, "0")}` })
            )
          }
        }
      },
      (sent) =>
        Effect.gen(function* () {
          const cards = yield* (yield* CardLifecycle).listCards(account)
          expect(cards).toHaveLength(103)
          expect(cards[102]!.cardId).toBe("card0102")
          expect(sent().map((payload) => payload.pagination)).toEqual([
            { offset: 0, max: 100 },
            { offset: 100, max: 100 }
          ])
        })
    )
  )

  it.effect("issues a virtual card: a card holder at the primary address, then ADD_CARD with its expiry", () =>
    withLedger(
      (payload) =>
        payload.transactionType === "ADD_CARD_HOLDER_WITH_PRIMARY_ADDRESS"
          ? { result: { cardHolderId: "CH00000000020001" } }
          : { result: { card: wireCard("ACTIVATED", { cardType: "VIRTUAL" }) } },
      (sent) =>
        Effect.gen(function* () {
          const issued = yield* (yield* CardLifecycle).issueCard(
            Schema.decodeUnknownSync(IssueCardRequest)({ ...account, type: "virtual", expiry: "2031-07" })
          )
          expect(issued).toMatchObject({ type: "virtual", status: "active", expiry: "2031-07" })
          expect(sequence(sent())).toEqual(["ADD_CARD_HOLDER_WITH_PRIMARY_ADDRESS", "ADD_CARD"])
          expect(sent()[1]!.card).toEqual({
            cardHolderId: "CH00000000020001",
            cardType: "VIRTUAL",
            expiryYear: "2031",
            expiryMonth: "07"
          })
        })
    )
  )

  it.effect("sets a limit in the ledger's kinds and cycles and answers the card's limits in the domain's", () =>
    withLedger(
      () => ({
        result: {
          card: wireCard("ACTIVATED", {
            limits: [
              { type: "VOLUME", value: "250.00", cycleLength: "0", cycleType: "LIFE_TIME", remaining: "100.50" },
              { type: "COUNT", value: "5", cycleLength: "0", cycleType: "PER_TRANSACTION", remaining: "" }
            ]
          })
        }
      }),
      (sent) =>
        Effect.gen(function* () {
          const limits = yield* (yield* CardLifecycle).setLimit(
            new SetLimitRequest({ ...ref, kind: "amount", cycle: "lifetime", value: "250.00" })
          )
          expect(sent()[0]!.cardLimit).toEqual({ cardId, cycleType: "LIFE_TIME", type: "VOLUME", value: "250.00" })
          expect(limits).toEqual([
            { kind: "amount", cycle: "lifetime", value: "250.00", remaining: "100.50" },
            { kind: "count", cycle: "per_transaction", value: "5" }
          ])
        })
    )
  )
})
