import {
  FakeIssuer,
  FakeProvider,
  FakeWireServers,
  makeDeviceKeyPair,
  makeDevLedgerClient,
  makeLedgerRsaKeys,
  WireServer
} from "@cardkit/fake"
import { StoreServices } from "@cardkit/store"
import { expect, layer } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer, Redacted } from "effect"
import { ApiKeys, DemoLive, DemoServer, providerLayer, servedOn } from "../src/index.js"
import { apiKey, CaptureLogs, capturedLogs, cardData, ledgerCard, post, request, visaCard } from "./support.js"

/*
 * CARDKIT_PROVIDER=live against the wire fakes: the ledger and Visa transports, configured only
 * through their environment variables, talk to the fake ledger and fake Visa (one port, one issuer).
 * Every answer must equal the in-memory fake's: the provider layers really swap.
 */

const ledgerClient = makeDevLedgerClient()
/** The fake ledger's RSA pair: the transport encrypts CVVs (activation, the CVV check) and PINs to it. */
const ledgerRsa = makeLedgerRsaKeys()
const visaCredentials = { userId: "demo-pav-user", password: "demo-pav-password" }

const WireFakes = FakeWireServers.layer({
  ledger: { clients: [ledgerClient.registration], rsaPrivateKey: ledgerRsa.privateKeyPem },
  visa: { credentials: visaCredentials }
})

/** The environment a deployment would set, pointing both transports at the wire fakes. */
const liveEnvironment = (url: string, device: { keyId: string; apiKey: string; privateKeyPem: string }) =>
  ConfigProvider.fromMap(
    new Map([
      // The cardholder's operations (activation among them) signed by a device of the documents' customer.
      ["CARDKIT_LEDGER_CARDHOLDER_KEY_ID", device.keyId],
      ["CARDKIT_LEDGER_CARDHOLDER_API_KEY", device.apiKey],
      ["CARDKIT_LEDGER_CARDHOLDER_PRIVATE_KEY", device.privateKeyPem],
      ["CARDKIT_PROVIDER", "live"],
      ["CARDKIT_DATA_DIR", ":memory:"],
      ["HOST", "127.0.0.1"],
      ["PORT", "0"],
      ["CARDKIT_DEMO_API_KEYS", apiKey],
      ["CARDKIT_LEDGER_URL", url],
      ["CARDKIT_LEDGER_API_KEY", ledgerClient.apiKey],
      ["CARDKIT_LEDGER_USERNAME", ledgerClient.username],
      ["CARDKIT_LEDGER_KEY_ID", ledgerClient.keyId],
      ["CARDKIT_LEDGER_PRIVATE_KEY", ledgerClient.privateKeyPem],
      ["CARDKIT_LEDGER_RSA_PUBLIC_KEY", ledgerRsa.publicKeyPem],
      ["CARDKIT_VISA_URL", url],
      ["CARDKIT_VISA_USER_ID", visaCredentials.userId],
      ["CARDKIT_VISA_PASSWORD", visaCredentials.password],
      ["CARDKIT_VISA_ACQUIRING_BIN", "408999"],
      ["CARDKIT_VISA_CARD_ACCEPTOR_NAME", "cardkit demo"],
      ["CARDKIT_VISA_CARD_ACCEPTOR_ID_CODE", "CARDKITDEMO0001"]
    ]),
    { pathDelim: "_" }
  )

const LiveDemo = Layer.unwrapEffect(
  Effect.gen(function* () {
    const { url } = yield* WireServer
    const keys = makeDeviceKeyPair()
    const device = yield* (yield* FakeIssuer).addUserKey({
      userName: "demo-device@customers.cardkit.test",
      publicKey: keys.publicKeyPem,
      status: "ACTIVE",
      customerId: ledgerCard.customerId
    })
    const environment = liveEnvironment(url, {
      keyId: device.keyId,
      apiKey: Redacted.value(device.apiKey),
      privateKeyPem: keys.privateKeyPem
    })
    return DemoLive.pipe(Layer.provide(Layer.setConfigProvider(environment)))
  }).pipe(Effect.orDie)
).pipe(Layer.provideMerge(WireFakes), Layer.provideMerge(FakeIssuer.layer()), Layer.provide(CaptureLogs))

/** The same demo over the in-memory fake, built inside a test: its URL and its issuer. */
const inMemoryDemo = Effect.map(
  Layer.build(
    DemoServer.layer({ port: 0 }).pipe(
      Layer.provide(ApiKeys.layer({ keys: [Redacted.make(apiKey)] })),
      Layer.provideMerge(servedOn(providerLayer("fake", FakeProvider.layer()), StoreServices.layerMemory)),
      Layer.provide(CaptureLogs)
    )
  ),
  (context) => ({ url: Context.get(context, DemoServer).url, issuer: Context.get(context, FakeIssuer) })
)

const cvvPath = (cardId: string) => `/v1/cards/${cardId}/cvv`
const ledgerBody = { customerId: ledgerCard.customerId, accountNumber: ledgerCard.accountNumber }
const blockedCard = { cardId: "blocked-card-1", customerId: "cust-1", accountNumber: "ACC0001" }

const exchanges: ReadonlyArray<readonly [string, string, unknown]> = [
  ["the ledger document's card", cvvPath(ledgerCard.cardId), { ...ledgerBody, reference: "visadps100013" }],
  ["a card of another customer", cvvPath(ledgerCard.cardId), { ...ledgerBody, customerId: "100000000006002" }],
  ["an unknown card", cvvPath("no-such-card"), { ...ledgerBody, reference: "ref-2" }],
  ["a blocked card", cvvPath(blockedCard.cardId), { ...blockedCard, reference: "ref-3" }],
  ["Visa's example card", "/v1/account-validations", visaCard],
  ["Visa's example card with a wrong CVV2", "/v1/account-validations", { ...visaCard, cvv2: "023" }],
  [
    "Visa's example card with another address",
    "/v1/account-validations",
    { ...visaCard, billingAddress: { street: "1 Other Road", postalCode: "10001" } }
  ],
  ["an account nobody issued", "/v1/account-validations", { pan: "4000000000000002", expiry: "2040-10" }],
  ["a PAN failing Luhn", "/v1/account-validations", { pan: "4957030420210463" }]
]

const ledgerCardPath = `/v1/cards/${ledgerCard.cardId}`
const ledgerQuery = `customerId=${ledgerCard.customerId}&accountNumber=${ledgerCard.accountNumber}`

/** The lifecycle routes in order (each step sees the card as the step before left it). */
const lifecycle: ReadonlyArray<readonly [string, "GET" | "POST" | "PUT", string, unknown?]> = [
  ["get the card", "GET", `${ledgerCardPath}?${ledgerQuery}`],
  ["get another customer's card", "GET", `${ledgerCardPath}?customerId=100000000006002&accountNumber=400320588344662`],
  ["get an unknown card", "GET", `/v1/cards/no-such-card?${ledgerQuery}`],
  [
    "list the account's cards",
    "GET",
    `/v1/customers/${ledgerCard.customerId}/cards?accountNumber=${ledgerCard.accountNumber}`
  ],
  ["lock", "POST", `${ledgerCardPath}/lock`, ledgerBody],
  ["lock again (refused)", "POST", `${ledgerCardPath}/lock`, ledgerBody],
  ["get the locked card", "GET", `${ledgerCardPath}?${ledgerQuery}`],
  ["unlock", "POST", `${ledgerCardPath}/unlock`, ledgerBody],
  ["unlock again (refused)", "POST", `${ledgerCardPath}/unlock`, ledgerBody],
  ["report a virtual card lost (refused)", "POST", `${ledgerCardPath}/report-lost`, ledgerBody],
  ["replace a virtual card (refused)", "POST", `${ledgerCardPath}/replace`, { ...ledgerBody, reason: "damaged" }],
  ["check the right CVV", "POST", `${ledgerCardPath}/cvv/validate`, { ...ledgerBody, cvv: "679" }],
  ["check a wrong CVV", "POST", `${ledgerCardPath}/cvv/validate`, { ...ledgerBody, cvv: "000" }],
  ["get the limits", "GET", `${ledgerCardPath}/limits?${ledgerQuery}`],
  [
    "set a daily amount",
    "PUT",
    `${ledgerCardPath}/limits`,
    { ...ledgerBody, kind: "amount", cycle: "day", value: "250.00" }
  ],
  ["get the limits again", "GET", `${ledgerCardPath}/limits?${ledgerQuery}`]
]

const send = (url: string, method: "GET" | "POST" | "PUT", path: string, body?: unknown) =>
  method === "GET"
    ? request(`${url}${path}`, { headers: { "x-api-key": apiKey } })
    : request(`${url}${path}`, {
        method,
        headers: { "content-type": "application/json", "x-api-key": apiKey },
        body: JSON.stringify(body)
      })

/** What both providers must agree on: everything but the per-call transaction id. */
const comparable = (answer: { readonly status: number; readonly json: unknown }) => {
  const { transactionId: _, ...body } = (answer.json ?? {}) as Record<string, unknown>
  return { status: answer.status, body }
}

layer(LiveDemo, { excludeTestServices: true })("CARDKIT_PROVIDER=live over the wire fakes", (it) => {
  it.effect("reports the live provider", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      expect((yield* request(`${url}/health`)).json).toEqual({ status: "ok", provider: "live" })
    })
  )

  it.scoped("answers exactly as the in-memory fake", () =>
    Effect.gen(function* () {
      const live = yield* DemoServer
      const liveIssuer = yield* FakeIssuer
      const fake = yield* inMemoryDemo
      for (const issuer of [liveIssuer, fake.issuer]) {
        yield* issuer.issueCard(blockedCard)
        yield* issuer.setStatus(blockedCard.cardId, "LOST_STOLEN")
      }
      for (const [name, path, body] of exchanges) {
        const fromLive = comparable(yield* post(`${live.url}${path}`, body))
        const fromFake = comparable(yield* post(`${fake.url}${path}`, body))
        expect({ name, ...fromLive }).toEqual({ name, ...fromFake })
      }
      const revealed = yield* post(`${live.url}${cvvPath(ledgerCard.cardId)}`, ledgerBody)
      expect(revealed.json.cvv).toBe("679")
      expect(capturedLogs.join("\n")).toContain("495703******0462")
      for (const secret of cardData) expect(capturedLogs.join("\n")).not.toMatch(secret)
    })
  )

  it.scoped("the lifecycle routes answer exactly as the in-memory fake", () =>
    Effect.gen(function* () {
      const live = yield* DemoServer
      const fake = yield* inMemoryDemo
      for (const [name, method, path, body] of lifecycle) {
        const fromLive = comparable(yield* send(live.url, method, path, body))
        const fromFake = comparable(yield* send(fake.url, method, path, body))
        expect({ name, ...fromLive }).toEqual({ name, ...fromFake })
      }
      // A virtual card's PIN is refused by both, the field named alike (the transport maps the wire's).
      const pinBody = { ...ledgerBody, pin: "4821" }
      const pinLive = yield* send(live.url, "PUT", `${ledgerCardPath}/pin`, pinBody)
      const pinFake = yield* send(fake.url, "PUT", `${ledgerCardPath}/pin`, pinBody)
      expect(pinLive.status).toBe(400)
      expect(pinLive.json).toEqual(pinFake.json)
      // Issued cards differ in id and number; their shape and status do not.
      for (const type of ["virtual", "physical"] as const) {
        const shape = (answer: { readonly status: number; readonly json: Record<string, unknown> }) => ({
          status: answer.status,
          type: answer.json.type,
          cardStatus: answer.json.status,
          rawStatus: answer.json.rawStatus
        })
        const fromLive = yield* send(live.url, "POST", "/v1/cards", { ...ledgerBody, type })
        const fromFake = yield* send(fake.url, "POST", "/v1/cards", { ...ledgerBody, type })
        expect(shape(fromLive)).toEqual(shape(fromFake))
        expect(fromLive.status).toBe(201)
        // Activation is the cardholder's: signed by their device on the live side, it reaches the CVV
        // check (or, for a virtual card, the status table) exactly as in memory.
        const activate = (url: string, cardId: unknown) =>
          Effect.map(send(url, "POST", `/v1/cards/${cardId}/activate`, { ...ledgerBody, cvv: "000" }), (answer) => ({
            status: answer.status,
            code: answer.json.error?.code
          }))
        const activatedLive = yield* activate(live.url, fromLive.json.cardId)
        expect(activatedLive).toEqual(yield* activate(fake.url, fromFake.json.cardId))
        expect(activatedLive).toEqual(
          type === "physical" ? { status: 422, code: "IncorrectCvv" } : { status: 409, code: "StatusActionNotAllowed" }
        )
      }
      for (const secret of [...cardData, /4821/]) expect(capturedLogs.join("\n")).not.toMatch(secret)
    })
  )
})
