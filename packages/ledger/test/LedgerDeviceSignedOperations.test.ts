import { generateKeyPairSync } from "node:crypto"
import {
  ActivateCardRequest,
  CardLifecycle,
  CardSecrets,
  ChangePinRequest,
  DeviceSignature,
  DeviceSignedOperations,
  GetCvvRequest,
  type Pin,
  ReplaceCardRequest,
  SignableActivate,
  SignableChangePin,
  SignablePayload,
  type SignableRequest,
  SignableReplace,
  SignableRevealCvv,
  SignableValidateCvv,
  ValidateCvvRequest,
  makeCvv
} from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted, Schema } from "effect"
import {
  LedgerCardLifecycle,
  LedgerCardSecrets,
  LedgerClient,
  LedgerDeviceSignedOperations,
  LedgerErrorCodes,
  loadPrivateKey,
  signPayload
} from "../src/index.js"
import {
  cannedLedger,
  decryptWith,
  fixture,
  fixtureAnswer,
  httpClient,
  operationFixtures,
  options,
  payloadBytes,
  type Recorded,
  signingKeys
} from "./support.js"

const service = signingKeys()
const device = signingKeys()
const deviceKey = loadPrivateKey(device.privatePem)
const deviceApiKey = "device-api-key-1"
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 })
const rsaPublicPem = rsa.publicKey.export({ type: "spki", format: "pem" }).toString()
const decrypt = decryptWith(rsa.privateKey)

/** Every operation answered with its fixture's result, whatever it is asked. */
const byType = new Map(operationFixtures.map(([, f]) => [String(f.payload.transactionType), f] as const))
const answerAll = (request: Recorded, response: Parameters<ReturnType<typeof fixtureAnswer>>[1]) =>
  fixtureAnswer(byType.get(JSON.parse(request.body).params.payload.transactionType)!)(request, response)

/** The card of the operation fixtures. */
const card = Schema.decodeUnknownSync(GetCvvRequest)({
  cardId: "6f586be7bf1c44b8b4ea11b2e2510e25",
  customerId: "100000000006001",
  accountNumber: "400320588344662",
  reference: "visadps100017"
})
const { reference: _, ...unreferenced } = card
const cvv = makeCvv("123")
const pin = Redacted.make("4321") as Pin

/** Each signable operation, the plain port call it stands for, and the transaction the device signs. */
const operations: ReadonlyArray<
  readonly [SignableRequest, Effect.Effect<unknown, unknown, CardSecrets | CardLifecycle>, string]
> = [
  [new SignableRevealCvv({ request: card }), Effect.flatMap(CardSecrets, (secrets) => secrets.getCvv(card)), "GET_CVV"],
  [
    new SignableValidateCvv({ request: new ValidateCvvRequest({ ...unreferenced, cvv }) }),
    Effect.flatMap(CardLifecycle, (cards) => cards.validateCvv(new ValidateCvvRequest({ ...unreferenced, cvv }))),
    "VALIDATE_CVV"
  ],
  [
    new SignableChangePin({ request: new ChangePinRequest({ ...card, pin }) }),
    Effect.flatMap(CardLifecycle, (cards) => cards.changePin(new ChangePinRequest({ ...card, pin }))),
    "PIN_CHANGE"
  ],
  [
    new SignableActivate({ request: new ActivateCardRequest({ ...card, cvv }) }),
    Effect.flatMap(CardLifecycle, (cards) => cards.activate(new ActivateCardRequest({ ...card, cvv }))),
    "UPDATE_STATUS"
  ],
  [
    new SignableReplace({ request: new ReplaceCardRequest({ ...card, reason: "lost_stolen" }) }),
    Effect.flatMap(CardLifecycle, (cards) => cards.replace(new ReplaceCardRequest({ ...card, reason: "lost_stolen" }))),
    "REPLACE_CARD"
  ]
]

/** The bytes with each ciphertext replaced by its plaintext: RSA PKCS#1 v1.5 pads at random. */
const decrypted = (bytes: string) => {
  const payload = JSON.parse(bytes) as Record<string, unknown>
  let plain = bytes
  for (const field of ["cardCvv", "newPIN"]) {
    const value = payload[field]
    if (typeof value === "string" && value !== "") plain = plain.replace(value, `<${decrypt(value)}>`)
  }
  return plain
}

/** The last request of `transactionType` the canned ledger recorded. */
const sentOf = (requests: ReadonlyArray<Recorded>, transactionType: string) =>
  requests.filter((r) => JSON.parse(r.body).params.payload.transactionType === transactionType).at(-1)!

const withLedger = <A, E>(
  body: (
    requests: Array<Recorded>
  ) => Effect.Effect<A, E, DeviceSignedOperations | CardSecrets | CardLifecycle | LedgerClient>
) =>
  Effect.gen(function* () {
    const ledger = yield* cannedLedger(answerAll)
    return yield* body(ledger.requests).pipe(
      Effect.provide(
        Layer.mergeAll(
          LedgerDeviceSignedOperations.layerOverClient({
            deviceCredentials: (keyId) =>
              Effect.succeed(
                keyId === "device-key-1" ? Option.some({ apiKey: Redacted.make(deviceApiKey) }) : Option.none()
              )
          }),
          LedgerCardSecrets.layerOverClient(),
          LedgerCardLifecycle.layerOverClient({
            cardholderSigner: {
              keyId: "device-key-1",
              privateKey: Redacted.make(device.privatePem),
              apiKey: Redacted.make(deviceApiKey)
            }
          })
        ).pipe(
          Layer.provideMerge(
            Layer.fresh(LedgerClient.layer(options(ledger.url, service.privatePem, { rsaPublicKey: rsaPublicPem })))
          ),
          Layer.provide(httpClient())
        )
      )
    )
  }).pipe(Effect.scoped)

describe("LedgerDeviceSignedOperations", () => {
  for (const [signable, plain, transactionType] of operations) {
    it.live(`${signable.operation}: prepares the bytes the plain call sends, and performs them verbatim`, () =>
      withLedger((requests) =>
        Effect.gen(function* () {
          const signed = yield* DeviceSignedOperations
          const payload = yield* signed.prepare(signable)
          expect(payload).toMatchObject({
            operation: signable.operation,
            cardId: card.cardId,
            customerId: card.customerId,
            accountNumber: card.accountNumber
          })
          const bytes = Redacted.value(payload.payload)
          // A CVV or PIN goes encrypted to the ledger's key, never as its digits.
          expect(bytes).not.toMatch(/"(123|4321)"/)

          const plainResult = yield* plain
          const plainBytes = payloadBytes(sentOf(requests, transactionType).body)
          expect(decrypted(bytes)).toBe(decrypted(plainBytes))

          requests.length = 0
          const signature = signPayload(deviceKey, bytes)
          const result = yield* signed.perform(payload, new DeviceSignature({ signature, keyId: "device-key-1" }))
          const sent = sentOf(requests, transactionType)
          expect(payloadBytes(sent.body)).toBe(bytes)
          expect(JSON.parse(sent.body).params.api).toMatchObject({
            signature,
            keyId: "device-key-1",
            apiKey: deviceApiKey
          })
          expect(result).toEqual(plainResult)
        })
      )
    )
  }

  it.live("prepares the activation of the fixture's card as the fixture shows it", () =>
    withLedger(() =>
      Effect.gen(function* () {
        const payload = yield* (yield* DeviceSignedOperations).prepare(
          new SignableActivate({ request: new ActivateCardRequest({ ...card, cvv }) })
        )
        const encoded = Schema.encodeSync(SignablePayload)(payload)
        const bytes = JSON.parse(encoded.payload)
        expect(decrypt(bytes.cardCvv)).toBe("123")
        bytes.cardCvv = "<encrypted>"
        expect({ ...encoded, payload: JSON.stringify(bytes) }).toEqual(
          JSON.parse(fixture("device-signed/activate.json"))
        )
      })
    )
  )

  it.live("refuses a payload that is not the operation's for the card it names, before sending it", () =>
    withLedger((requests) =>
      Effect.gen(function* () {
        const signed = yield* DeviceSignedOperations
        const payload = yield* signed.prepare(new SignableRevealCvv({ request: card }))
        requests.length = 0
        const signature = new DeviceSignature({ signature: signPayload(deviceKey, "x"), keyId: "device-key-1" })
        for (const bad of [
          new SignablePayload({ ...payload, operation: "replace" }),
          new SignablePayload({ ...payload, customerId: "100000000006002" as SignablePayload["customerId"] }),
          new SignablePayload({ ...payload, payload: Redacted.make("{not json") })
        ]) {
          expect(yield* Effect.flip(signed.perform(bad, signature))).toMatchObject({
            _tag: "InvalidRequest",
            field: "payload"
          })
        }
        expect(requests).toEqual([])
      })
    )
  )

  it.live("maps the ledger's refusal of the device's signature to AuthenticationFailed", () =>
    Effect.gen(function* () {
      const ledger = yield* cannedLedger((request, response) => {
        response.writeHead(200, { "content-type": "application/json" })
        response.end(
          JSON.stringify({
            id: JSON.parse(request.body).id,
            error: { code: LedgerErrorCodes.authentication, message: "authentication failed" }
          })
        )
      })
      yield* Effect.gen(function* () {
        const signed = yield* DeviceSignedOperations
        const payload = yield* signed.prepare(new SignableRevealCvv({ request: card }))
        const refused = yield* Effect.flip(
          signed.perform(payload, new DeviceSignature({ signature: signPayload(deviceKey, "other"), keyId: "k" }))
        )
        expect(refused._tag).toBe("AuthenticationFailed")
        expect(String(payload)).not.toContain(Redacted.value(payload.payload))
      }).pipe(
        Effect.provide(
          LedgerDeviceSignedOperations.layer(
            options(ledger.url, service.privatePem, { rsaPublicKey: rsaPublicPem })
          ).pipe(Layer.provide(httpClient()))
        )
      )
    }).pipe(Effect.scoped)
  )
})
