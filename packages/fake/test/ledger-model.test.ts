import { UndiciHttpClient } from "@cardkit/http"
import { type CycleType, LedgerClient, type LimitType, loadPrivateKey, signPayload } from "@cardkit/ledger"
import { describe, expect, it, layer } from "@effect/vitest"
import { fc } from "@fast-check/vitest"
import { ConfigProvider, type Context, Effect, Layer, Redacted } from "effect"
import {
  FakeIssuer,
  FakeLedgerClient,
  FakeLedgerServer,
  type FakeLedgerOptions,
  FakeWireServers,
  makeCardholderDevice,
  makeDevLedgerClient,
  makeDeviceKeyPair,
  makeLedgerRsaKeys,
  registerCardholderDevice,
  WireServer
} from "../src/index.js"
import { exampleCardHolder } from "../src/conformance.js"
import { sendEffect } from "./support/wire.js"

/*
 * The ledger's card model beyond the status table: device keys registered through `/jsonrpc`
 * (AddUserKey) and then signing as LEGALREP, activation's CVV, PINs, limits per card type, card
 * holders, pages, and the exact 1018 message the client reads the status from.
 */

const dev = makeDevLedgerClient()
const devKey = loadPrivateKey(dev.privateKeyPem)
const rsa = makeLedgerRsaKeys()
const ada = { customerId: "100000000088001", accountNumber: "400320588388001" }
const where = { product: "DEFAULT", program: "DEFAULT", channel: "VISA_DPS" as const, ...ada }
const adaDetails = exampleCardHolder
const adaOnFile = { ...ada, ...adaDetails }

const serverOptions: FakeLedgerOptions = { clients: [dev.registration], rsaPrivateKey: rsa.privateKeyPem }
const issuerLayer = FakeIssuer.layer({ seedDocuments: false, customers: [adaOnFile] })

const overTheWire = (server: FakeLedgerOptions = serverOptions) =>
  Layer.unwrapEffect(
    Effect.map(WireServer, ({ url }) =>
      LedgerClient.layer({ ...dev.clientOptions(url), rsaPublicKey: rsa.publicKeyPem }).pipe(
        Layer.provide(UndiciHttpClient.layer())
      )
    )
  ).pipe(Layer.provideMerge(FakeLedgerServer.layer(server)), Layer.provideMerge(issuerLayer))

/** A JSON-RPC request to `/jsonrpc`, signed by the service's key unless `sign` says otherwise. */
const customerRequest = (
  payload: object,
  sign: (bytes: string) => string = (bytes) => signPayload(devKey, bytes),
  method = "CustomerService.AddUserKey"
) => {
  const bytes = JSON.stringify(payload)
  const api = { credential: dev.credential, signature: sign(bytes), apiKey: dev.apiKey, keyId: dev.keyId }
  return `{"jsonrpc":"2.0","method":${JSON.stringify(method)},"id":"7","params":{"payload":${bytes},"api":${JSON.stringify(api)}}}`
}

const postTo = (path: string, body: string) =>
  Effect.flatMap(WireServer, ({ url }) => sendEffect(`${url}${path}`, { body }))

const physicalCard = (status: "CARD_IS_NOT_ACTIVATED" | "ACTIVATED" = "CARD_IS_NOT_ACTIVATED") =>
  Effect.flatMap(FakeIssuer, (issuer) => issuer.issueCard({ ...ada, cardType: "PHYSICAL", status }))

layer(overTheWire(), { excludeTestServices: true })("device keys through CustomerService.AddUserKey", (it) => {
  it.effect("registers a key for the customer whose email is on file; the device then signs as LEGALREP", () =>
    Effect.gen(function* () {
      const keys = makeDeviceKeyPair()
      const answer = yield* postTo(
        "/jsonrpc",
        customerRequest({ userName: "Ada@Example.com", publicKey: keys.publicKeyPem, status: "ACTIVE" })
      )
      expect(answer.status).toBe(200)
      expect(Object.keys(answer.json)).toEqual(["jsonrpc", "id", "result"])
      expect(answer.json).toMatchObject({ jsonrpc: "2.0", id: "7", result: { status: "ACTIVE" } })
      expect(Object.keys(answer.json.result)).toEqual(["keyID", "status", "apiKey"])
      const device = makeCardholderDevice(
        { keyId: answer.json.result.keyID, apiKey: answer.json.result.apiKey, privateKeyPem: keys.privateKeyPem },
        { rsaPublicKey: rsa.publicKeyPem }
      )
      const ledger = yield* LedgerClient
      const card = yield* physicalCard()
      const input = { ...where, cardId: card.cardId, statusAction: "ACTIVATE" as const, cardCvv: card.cvv }
      // The service may not activate: ACTIVATE is the cardholder's row only.
      expect(yield* Effect.flip(ledger.updateStatus.call(input))).toMatchObject({
        _tag: "StatusActionNotAllowed",
        status: "CARD_IS_NOT_ACTIVATED"
      })
      const activated = yield* device.send(ledger, "updateStatus", input)
      expect(activated.card.cardStatus).toBe("ACTIVATED")
      // Registered again for the same customer, the key keeps its id.
      const again = yield* postTo(
        "/jsonrpc",
        customerRequest({ userName: "ada@example.com", publicKey: keys.publicKeyPem, status: "ACTIVE" })
      )
      expect(again.json.result.keyID).toBe(answer.json.result.keyID)
    })
  )

  it.effect("finds the customer by the default email on file, or by the fake's own customerId member", () =>
    Effect.gen(function* () {
      for (const payload of [
        { userName: "100000000088002@customers.cardkit.test" },
        { userName: "someone@example.com", customerId: "100000000088002" }
      ]) {
        const keys = makeDeviceKeyPair()
        const answer = yield* postTo(
          "/jsonrpc",
          customerRequest({ ...payload, publicKey: keys.publicKeyPem, status: "ACTIVE" })
        )
        const device = yield* Effect.flatMap(FakeIssuer, (issuer) => issuer.deviceKey(answer.json.result.keyID))
        expect(device._tag === "Some" && device.value.customerId).toBe("100000000088002")
      }
    })
  )

  it.effect("refuses an unknown customer, a reused key, a bad key, an unsigned request and a device's", () =>
    Effect.gen(function* () {
      const keys = makeDeviceKeyPair()
      const refusal = (body: string) => Effect.map(postTo("/jsonrpc", body), (answer) => answer.json)
      expect(
        yield* refusal(
          customerRequest({ userName: "nobody@example.com", publicKey: keys.publicKeyPem, status: "ACTIVE" })
        )
      ).toEqual({
        jsonrpc: "2.0",
        id: "7",
        error: { code: "1000", message: "params.payload.userName: is not the email of a customer on file" }
      })
      yield* postTo(
        "/jsonrpc",
        customerRequest({ userName: "ada@example.com", publicKey: keys.publicKeyPem, status: "ACTIVE" })
      )
      expect(
        (yield* refusal(
          customerRequest({
            userName: "x",
            customerId: "100000000088009",
            publicKey: keys.publicKeyPem,
            status: "ACTIVE"
          })
        )).error
      ).toEqual({ code: "1000", message: "params.payload.publicKey: is registered for another user" })
      const rsaKey = rsa.publicKeyPem
      expect(
        (yield* refusal(customerRequest({ userName: "ada@example.com", publicKey: rsaKey, status: "ACTIVE" }))).error
      ).toEqual({ code: "1000", message: "params.payload.publicKey: is not an EC P-256 public key" })
      expect(
        (yield* refusal(customerRequest({ userName: "ada@example.com", publicKey: "not a key", status: "ACTIVE" })))
          .error
      ).toEqual({ code: "1000", message: "params.payload.publicKey: is not a PEM public key" })
      expect(
        (yield* refusal(
          customerRequest({ userName: "ada@example.com", publicKey: keys.publicKeyPem, status: "ACTIVE" }, () => "")
        )).error.code
      ).toBe("4001")
      expect((yield* refusal(customerRequest({ userName: "ada@example.com", status: "ACTIVE" }))).error).toEqual({
        code: "1000",
        message: "params.payload.publicKey: is missing"
      })
      for (const method of ["CustomerService.GetCustomer", "__proto__", "valueOf"]) {
        expect((yield* refusal(customerRequest({}, undefined, method))).error).toEqual({
          code: "1000",
          message: "method: is not a known method"
        })
      }
      // A device's key registers no keys.
      const device = yield* registerCardholderDevice(ada.customerId)
      const registered = yield* Effect.flatMap(FakeIssuer, (issuer) => issuer.deviceKey(device.keyId))
      const other = makeDeviceKeyPair()
      const payload = JSON.stringify({ userName: "ada@example.com", publicKey: other.publicKeyPem, status: "ACTIVE" })
      expect(registered._tag).toBe("Some")
      const deviceSigned = yield* refusal(
        `{"method":"CustomerService.AddUserKey","id":"7","params":{"payload":${payload},"api":${JSON.stringify({
          credential: "",
          signature: "x",
          apiKey: Redacted.value(device.apiKey),
          keyId: device.keyId
        })}}}`
      )
      expect(deviceSigned.error.code).toBe("4001")
    })
  )
})

layer(FakeWireServers.layer({ ledger: { open: true } }).pipe(Layer.provideMerge(issuerLayer)), {
  excludeTestServices: true
})("the shared port", (it) => {
  it.effect("mounts /jsonrpc beside /cardv2", () =>
    Effect.gen(function* () {
      const keys = makeDeviceKeyPair()
      const answer = yield* postTo(
        "/jsonrpc",
        customerRequest({ userName: "ada@example.com", publicKey: keys.publicKeyPem, status: "ACTIVE" })
      )
      expect(answer.json.result.keyID).toMatch(/^key-[0-9a-f]{32}$/)
    })
  )
})

/** UPDATE_STATUS's bytes as a client sends them, with a placeholder signature an open ledger ignores. */
const openStatusRequest = (cardId: string, statusAction: string, cardCvv = "") =>
  JSON.stringify({
    method: "ledger.CARD.request",
    id: "1",
    params: {
      payload: {
        reference: "r1",
        ...where,
        transactionType: "UPDATE_STATUS",
        cardId,
        statusAction,
        cardCvv,
        isEncrypt: true
      },
      api: { credential: "{{cred}}", signature: "{{signature}}", apiKey: "{{Api-key}}" }
    }
  })

describe("an open ledger's role", () => {
  it.live("is ADMIN by default: ACTIVATE is refused with 1018 in the message the client reads", () =>
    Effect.gen(function* () {
      const card = yield* physicalCard()
      const answer = yield* postTo("/cardv2", openStatusRequest(card.cardId, "ACTIVATE"))
      expect(answer.json).toEqual({
        id: "1",
        error: {
          code: "1018",
          message: "status action ACTIVATE is not allowed for a card in status CARD_IS_NOT_ACTIVATED"
        }
      })
      const lost = yield* postTo("/cardv2", openStatusRequest(card.cardId, "REPORT MISSING CARD"))
      expect(lost.json.result.card.cardStatus).toBe("LOST_STOLEN")
    }).pipe(Effect.provide(FakeLedgerServer.layer({ open: true }).pipe(Layer.provideMerge(issuerLayer))))
  )

  it.live("is LEGALREP with openRole: ACTIVATE with the card's CVV encrypted", () =>
    Effect.gen(function* () {
      const card = yield* physicalCard()
      const { publicEncrypt, constants } = yield* Effect.promise(() => import("node:crypto"))
      const cvv = publicEncrypt(
        { key: rsa.publicKeyPem, padding: constants.RSA_PKCS1_PADDING },
        Buffer.from(Redacted.value(card.cvv))
      ).toString("base64")
      const answer = yield* postTo("/cardv2", openStatusRequest(card.cardId, "ACTIVATE", cvv))
      expect(answer.json.result.card.cardStatus).toBe("ACTIVATED")
      const closed = yield* postTo("/cardv2", openStatusRequest(card.cardId, "CLOSE"))
      expect(closed.json.error.message).toBe("status action CLOSE is not allowed for a card in status ACTIVATED")
      // Open, a key is registered whoever asks.
      const keys = makeDeviceKeyPair()
      const registered = yield* postTo(
        "/jsonrpc",
        customerRequest({ userName: "ada@example.com", publicKey: keys.publicKeyPem, status: "ACTIVE" }, () => "")
      )
      expect(registered.json.result.status).toBe("ACTIVE")
    }).pipe(
      Effect.provide(
        FakeLedgerServer.layer({ open: true, openRole: "LEGALREP", rsaPrivateKey: rsa.privateKeyPem }).pipe(
          Layer.provideMerge(issuerLayer)
        )
      )
    )
  )
})

layer(overTheWire(), { excludeTestServices: true })("activation, PINs, holders and pages over the wire", (it) => {
  it.effect("ACTIVATE needs the card's CVV: none is an invalid request, a wrong one IncorrectCvv", () =>
    Effect.gen(function* () {
      const ledger = yield* LedgerClient
      const device = yield* registerCardholderDevice(ada.customerId, { rsaPublicKey: rsa.publicKeyPem })
      const card = yield* physicalCard()
      const input = { ...where, cardId: card.cardId, statusAction: "ACTIVATE" as const }
      expect(yield* Effect.flip(device.send(ledger, "updateStatus", input))).toMatchObject({
        _tag: "InvalidRequest",
        field: "params.payload.cardCvv"
      })
      const wrong = String((Number(Redacted.value(card.cvv)) + 1) % 1000).padStart(3, "0")
      const incorrect = yield* Effect.flip(
        device.send(ledger, "updateStatus", { ...input, cardCvv: Redacted.make(wrong) })
      )
      expect(incorrect).toMatchObject({ _tag: "IncorrectCvv", cardId: card.cardId })
      expect(incorrect.message).not.toContain(wrong)
      expect((yield* (yield* FakeIssuer).getCard(card.cardId)).status).toBe("CARD_IS_NOT_ACTIVATED")
    })
  )

  it.effect("PIN_CHANGE keeps the PIN hashed; a virtual card has none, a closed one takes none", () =>
    Effect.gen(function* () {
      const ledger = yield* LedgerClient
      const issuer = yield* FakeIssuer
      const device = yield* registerCardholderDevice(ada.customerId, { rsaPublicKey: rsa.publicKeyPem })
      const card = yield* physicalCard()
      const input = { ...where, cardId: card.cardId, newPIN: Redacted.make("7391") }
      expect((yield* device.send(ledger, "pinChange", input)).api.type).toBe("PIN_CHANGE_ACK")
      expect(yield* issuer.pinMatches(card.cardId, "7391")).toBe(true)
      expect(yield* issuer.pinMatches(card.cardId, "7392")).toBe(false)
      const held = yield* issuer.getCard(card.cardId)
      expect(held.hasPin).toBe(true)
      expect(Object.values(held)).not.toContain("7391")
      const virtual = yield* issuer.issueCard({ ...ada, cardType: "VIRTUAL" })
      expect(yield* Effect.flip(device.send(ledger, "pinChange", { ...input, cardId: virtual.cardId }))).toMatchObject({
        _tag: "InvalidRequest",
        field: "params.payload.cardId"
      })
      yield* issuer.setStatus(card.cardId, "CLOSED")
      expect((yield* Effect.flip(device.send(ledger, "pinChange", input)))._tag).toBe("CardNotActive")
    })
  )

  it.effect("card holders: the primary one from the customer on file, once; updates; pages", () =>
    Effect.gen(function* () {
      const ledger = yield* LedgerClient
      const account = { ...where, accountNumber: "400320588388077" }
      const primary = yield* ledger.addCardHolderWithPrimaryAddress.call(account)
      expect((yield* ledger.addCardHolderWithPrimaryAddress.call(account)).cardHolderId).toBe(primary.cardHolderId)
      const second = yield* ledger.addCardHolderWithNonPrimaryAddress.call({
        ...account,
        cardHolder: { ...adaDetails, firstName: "Byron" }
      })
      const updated = yield* ledger.updateCardHolder.call({
        ...account,
        cardHolder: { cardHolderId: second.cardHolderId, city: "Paris" }
      })
      expect(updated.cardHolder).toMatchObject({ firstName: "Byron", city: "Paris", zipCode: "10001" })
      const all = yield* ledger.getCardHolderList.call(account)
      expect(all.cardHolders.map((h) => h.firstName)).toEqual(["Ada", "Byron"])
      expect(all.cardHolders[0]).toMatchObject({ emailId: "ada@example.com", addressLine1: "12 St James's Square" })
      const page = yield* ledger.getCardHolderList.call({ ...account, pagination: { offset: 1, max: 1 } })
      expect(page.cardHolders.map((h) => h.cardHolderId)).toEqual([second.cardHolderId])
      const unknown = yield* Effect.flip(
        ledger.updateCardHolder.call({ ...where, cardHolder: { cardHolderId: second.cardHolderId, city: "Rome" } })
      )
      expect(unknown).toMatchObject({ _tag: "InvalidRequest", field: "params.payload.cardHolder.cardHolderId" })
    })
  )

  it.effect(
    "cards: a single-use virtual card needs its limit; GET_CARD_LIST pages; a card issued bare gets the primary holder",
    () =>
      Effect.gen(function* () {
        const ledger = yield* LedgerClient
        const account = { ...where, accountNumber: "400320588388078" }
        const { cardHolderId } = yield* ledger.addCardHolderWithPrimaryAddress.call(account)
        const virtual = { cardHolderId, cardType: "VIRTUAL" as const, expiryYear: "2030", expiryMonth: "01" }
        expect(
          yield* Effect.flip(ledger.addCard.call({ ...account, card: { ...virtual, singleUseCard: "YES" } }))
        ).toMatchObject({ _tag: "InvalidRequest", field: "params.payload.card.cardLimit" })
        const single = yield* ledger.addCard.call({
          ...account,
          card: { ...virtual, singleUseCard: "YES", cardLimit: "40.00" }
        })
        expect(single.card.cardExpiryDate).toBe("203001")
        const limits = yield* ledger.getCardLimit.call({ ...account, cardId: single.card.cardId })
        expect(limits.card.limits.map(({ type, cycleType, value }) => [type, cycleType, value])).toEqual([
          ["VOLUME", "LIFE_TIME", "40.00"],
          ["COUNT", "LIFE_TIME", "1"]
        ])
        const physical = yield* ledger.addCard.call({ ...account, card: { cardHolderId, cardType: "PHYSICAL" } })
        const bare = yield* (yield* FakeIssuer).issueCard({
          customerId: account.customerId,
          accountNumber: account.accountNumber
        })
        const page = yield* ledger.getCardList.call({ ...account, pagination: { offset: 1, max: 5 } })
        expect(page.cards.map((c) => c.cardId)).toEqual([physical.card.cardId, bare.cardId])
        const got = yield* ledger.getCard.call({ ...account, cardId: bare.cardId })
        expect(got.cardHolder.cardHolderId).toBe(cardHolderId)
      })
  )
})

/** The Set Limit page's table (reference §5.15), written out again here to hold the fake to it. */
const documentedLimits: Record<"VIRTUAL" | "PHYSICAL", Record<LimitType, ReadonlyArray<CycleType>>> = {
  VIRTUAL: {
    VOLUME: ["PER_TRANSACTION", "DAY", "MONTH", "YEAR", "LIFE_TIME"],
    COUNT: ["DAY", "MONTH", "YEAR", "LIFE_TIME"]
  },
  PHYSICAL: { VOLUME: ["PER_TRANSACTION"], COUNT: ["DAY", "MONTH", "YEAR"] }
}

layer(FakeLedgerClient.layer().pipe(Layer.provideMerge(issuerLayer)), { excludeTestServices: true })(
  "limits, in memory",
  (it) => {
    it.effect("SET_LIMIT keeps exactly what §5.15 allows for the card's type, the latest value per cycle", () =>
      Effect.gen(function* () {
        const ledger = yield* LedgerClient
        const issuer = yield* FakeIssuer
        const limit = fc.record({
          cardType: fc.constantFrom("VIRTUAL" as const, "PHYSICAL" as const),
          type: fc.constantFrom("VOLUME" as const, "COUNT" as const),
          cycleType: fc.constantFrom(
            "LIFE_TIME" as const,
            "YEAR" as const,
            "MONTH" as const,
            "DAY" as const,
            "PER_TRANSACTION" as const
          ),
          value: fc.integer({ min: 0, max: 10_000 }).map(String)
        })
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(fc.array(limit, { minLength: 1, maxLength: 8 }), (limits) =>
              Effect.gen(function* () {
                const cards = {
                  VIRTUAL: yield* issuer.issueCard({ ...ada, cardType: "VIRTUAL" }),
                  PHYSICAL: yield* issuer.issueCard({ ...ada, cardType: "PHYSICAL" })
                }
                const expected = new Map<string, string>()
                for (const { cardType, type, cycleType, value } of limits) {
                  const cardLimit = { cardId: cards[cardType].cardId, type, cycleType, value }
                  const outcome = yield* Effect.either(ledger.setLimit.call({ ...where, cardLimit }))
                  const allowed = documentedLimits[cardType][type].includes(cycleType)
                  expect(outcome._tag).toBe(allowed ? "Right" : "Left")
                  if (outcome._tag === "Left") {
                    expect(outcome.left).toMatchObject({
                      _tag: "InvalidRequest",
                      field: "params.payload.cardLimit.cycleType"
                    })
                  } else {
                    expected.set(`${cardType} ${type} ${cycleType}`, value)
                  }
                }
                for (const cardType of ["VIRTUAL", "PHYSICAL"] as const) {
                  const held = yield* ledger.getCardLimit.call({ ...where, cardId: cards[cardType].cardId })
                  const seen = new Map(
                    held.card.limits.map((l) => [`${cardType} ${l.type} ${l.cycleType}`, l.value] as const)
                  )
                  expect(seen).toEqual(new Map([...expected].filter(([key]) => key.startsWith(`${cardType} `))))
                  for (const l of held.card.limits) expect(l).toMatchObject({ cycleLength: "0", remaining: l.value })
                }
              }).pipe(Effect.runPromise)
            ),
            { numRuns: 60 }
          )
        )
      })
    )
  }
)

describe("in memory and over the wire alike", () => {
  const actions = [
    "ACTIVATE",
    "LOCK",
    "UNLOCK",
    "BLOCK",
    "UNBLOCK",
    "CLOSE",
    "DEACTIVATE",
    "MARK UNDELIVERED",
    "REPORT MISSING CARD",
    "REISSUE",
    "REPLACE CARD"
  ] as const
  const step = fc.record({
    role: fc.constantFrom("ADMIN" as const, "LEGALREP" as const),
    action: fc.constantFrom(...actions)
  })

  it.scoped(
    "any sequence of status actions by either role ends in the same statuses and refusals",
    () =>
      Effect.gen(function* () {
        const memory = FakeLedgerClient.layer({ rsaPrivateKey: rsa.privateKeyPem }).pipe(
          Layer.provideMerge(issuerLayer)
        )
        const worlds: ReadonlyArray<Context.Context<LedgerClient | FakeIssuer>> = [
          yield* Layer.build(overTheWire()),
          yield* Layer.build(memory)
        ]
        const run = <A, E>(effect: Effect.Effect<A, E, LedgerClient | FakeIssuer>) =>
          Effect.all(worlds.map((context) => Effect.either(Effect.provide(effect, context))))
        const devices = yield* run(registerCardholderDevice(ada.customerId, { rsaPublicKey: rsa.publicKeyPem }))
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(
              fc.constantFrom("VIRTUAL" as const, "PHYSICAL" as const),
              fc.array(step, { minLength: 1, maxLength: 10 }),
              (cardType, steps) =>
                Effect.gen(function* () {
                  const cardId = (yield* Effect.sync(() => crypto.randomUUID())).replaceAll("-", "")
                  const status = cardType === "PHYSICAL" ? "CARD_IS_NOT_ACTIVATED" : "ACTIVATED"
                  yield* run(
                    Effect.flatMap(FakeIssuer, (issuer) =>
                      issuer.issueCard({ ...ada, cardId, cardType, status, cvv: "123" })
                    )
                  )
                  for (const { role, action } of steps) {
                    const input = { ...where, cardId, statusAction: action, cardCvv: Redacted.make("123") }
                    const outcomes = yield* Effect.all(
                      worlds.map((context, index) => {
                        const device = devices[index]!
                        if (device._tag === "Left") return Effect.die(device.left)
                        return Effect.flatMap(LedgerClient, (ledger) =>
                          role === "ADMIN"
                            ? ledger.updateStatus.call(input)
                            : device.right.send(ledger, "updateStatus", input)
                        ).pipe(
                          Effect.map((answer) => answer.card.cardStatus),
                          Effect.catchAll((error) =>
                            Effect.succeed(`${error._tag} ${"status" in error ? error.status : ""}`)
                          ),
                          Effect.provide(context)
                        )
                      })
                    )
                    expect(outcomes[0], `${role} ${action}`).toBe(outcomes[1])
                  }
                }).pipe(Effect.runPromise)
            ),
            { numRuns: 40 }
          )
        )
      }),
    // Forty sequences of up to twelve signed calls on both sides: room for a loaded CI machine.
    120_000
  )
})

describe("CARDKIT_FAKE_LEDGER_ROLE", () => {
  const activate = Effect.gen(function* () {
    const card = yield* physicalCard()
    const ledger = yield* LedgerClient
    return yield* Effect.either(
      ledger.updateStatus.call({ ...where, cardId: card.cardId, statusAction: "ACTIVATE", cardCvv: card.cvv })
    )
  })
  const withRole = (role: string | undefined) =>
    Layer.setConfigProvider(
      ConfigProvider.fromMap(new Map(role === undefined ? [] : [["CARDKIT_FAKE_LEDGER_ROLE", role]]), {
        pathDelim: "_"
      })
    )

  it.effect("makes the in-memory client's calls the cardholder's; ADMIN by default", () =>
    Effect.gen(function* () {
      const client = FakeLedgerClient.layerConfig().pipe(Layer.provideMerge(issuerLayer))
      const asCardholder = yield* activate.pipe(Effect.provide(client.pipe(Layer.provide(withRole("LEGALREP")))))
      expect(asCardholder._tag === "Right" && asCardholder.right.card.cardStatus).toBe("ACTIVATED")
      const asAdmin = yield* activate.pipe(Effect.provide(client.pipe(Layer.provide(withRole(undefined)))))
      expect(asAdmin._tag === "Left" && asAdmin.left._tag).toBe("StatusActionNotAllowed")
      const refused = yield* Effect.exit(activate.pipe(Effect.provide(client.pipe(Layer.provide(withRole("ROOT"))))))
      expect(refused._tag).toBe("Failure")
    })
  )
})
