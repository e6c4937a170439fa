import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt } from "node:crypto"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CardSecrets, GetCvvRequest } from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigError, ConfigProvider, Effect, Exit, Layer, Redacted, Schema } from "effect"
import { UndiciHttpClient } from "@cardkit/http"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import {
  type GetCvvPayload,
  LedgerCardSecrets,
  LedgerClient,
  LedgerConfig,
  LedgerHttpConfig,
  WireAck
} from "../src/index.js"
import {
  cannedLedger,
  documentResponse,
  fixture,
  type Handler,
  httpClient,
  json,
  options,
  type Recorded,
  signingKeys
} from "./support.js"

const keys = signingKeys()
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 })
const rsaPublicPem = rsa.publicKey.export({ type: "spki", format: "pem" }).toString()

const documentPayload: GetCvvPayload = JSON.parse(fixture("get-cvv.request.json")).params.payload
const { transactionType: _, ...cardFields } = documentPayload
const documentRequest = Schema.decodeUnknownSync(GetCvvRequest)(cardFields)

const payloadOf = (request: Recorded) => JSON.parse(request.body).params.payload

/** An answer carrying only the ack for `type`, under the request's id and reference. */
const ackAnswer = (request: Recorded, type: string, extra: object = {}) => {
  const reference = payloadOf(request).reference
  return JSON.stringify({
    id: JSON.parse(request.body).id,
    result: {
      ...extra,
      api: { type, reference: `REF${reference}`, dateCreated: 1732086388, originalReference: reference }
    }
  })
}

const errorAnswer = (request: Recorded, code: string, message: string) =>
  JSON.stringify({ id: JSON.parse(request.body).id, error: { code, message } })

const withLedger = <A, E>(
  handler: Handler,
  body: (requests: ReadonlyArray<Recorded>) => Effect.Effect<A, E, CardSecrets | LedgerClient>
) =>
  Effect.gen(function* () {
    const ledger = yield* cannedLedger(handler)
    return yield* body(ledger.requests).pipe(
      Effect.provide(
        Layer.fresh(LedgerCardSecrets.layer(options(ledger.url, keys.privatePem, { rsaPublicKey: rsaPublicPem }))).pipe(
          Layer.provide(httpClient())
        )
      )
    )
  }).pipe(Effect.scoped)

/**
 * PKCS#1 v1.5 decryption done by hand over a raw RSA decryption: Node refuses PKCS#1 v1.5 private
 * decryption since the Marvin fix, and this is the test's way to read what the client encrypted.
 */
const decryptPkcs1 = (base64: string): string => {
  const block = privateDecrypt(
    { key: rsa.privateKey, padding: constants.RSA_NO_PADDING },
    Buffer.from(base64, "base64")
  )
  expect([block[0], block[1]]).toEqual([0x00, 0x02])
  const separator = block.indexOf(0x00, 2)
  expect(separator).toBeGreaterThanOrEqual(10)
  return block.subarray(separator + 1).toString("utf8")
}

/** VALIDATE_CVV's fields: no reference, customer or account. */
const validateFields = {
  product: cardFields.product,
  channel: cardFields.channel,
  program: cardFields.program,
  cardId: cardFields.cardId
}

describe("encrypted fields", () => {
  it.live("VALIDATE_CVV sends the CVV encrypted to the ledger's RSA key, never in clear", () =>
    withLedger(
      (req, res) => json(res, ackAnswer(req, "VALIDATE_CVV_ACK", { cardId: cardFields.cardId, message: "ok" })),
      (requests) =>
        Effect.gen(function* () {
          const ledger = yield* LedgerClient
          const result = yield* ledger.validateCvv.call({ ...validateFields, cardCvv: Redacted.make("679") })
          expect(result.api.type).toBe("VALIDATE_CVV_ACK")
          const payload = payloadOf(requests[0]!)
          expect(payload).toMatchObject({ transactionType: "VALIDATE_CVV", isEncrypt: true })
          expect(payload).not.toHaveProperty("reference")
          expect(requests[0]!.body).not.toContain('"679"')
          expect(decryptPkcs1(payload.cardCvv)).toBe("679")
        })
    )
  )

  it.live("a value a device already encrypted passes through untouched", () =>
    withLedger(
      (req, res) => json(res, ackAnswer(req, "VALIDATE_CVV_ACK", { cardId: cardFields.cardId, message: "ok" })),
      (requests) =>
        Effect.gen(function* () {
          const ledger = yield* LedgerClient
          const fromDevice = publicEncrypt(
            { key: rsa.publicKey, padding: constants.RSA_PKCS1_PADDING },
            Buffer.from("321")
          ).toString("base64")
          yield* ledger.validateCvv.call({ ...validateFields, cardCvv: Redacted.make(fromDevice) })
          expect(payloadOf(requests[0]!).cardCvv).toBe(fromDevice)
        })
    )
  )

  it.live("maps 1019 to IncorrectCvv, with no CVV in the error, and does not retry the write", () =>
    withLedger(
      (req, res) => json(res, errorAnswer(req, "1019", "INCORRECT CARD CVV")),
      (requests) =>
        Effect.gen(function* () {
          const ledger = yield* LedgerClient
          const error = yield* Effect.flip(
            ledger.validateCvv.call({ ...validateFields, cardCvv: Redacted.make("123") })
          )
          expect(error).toMatchObject({ _tag: "IncorrectCvv", cardId: documentPayload.cardId })
          expect(`${error.message} ${String(error)} ${JSON.stringify(error)}`).not.toContain("123")
          expect(requests).toHaveLength(1)
        })
    )
  )

  it.live("a configured extra code (9999, as some deployments answer) is IncorrectCvv too, only with a CVV sent", () =>
    Effect.gen(function* () {
      const ledger = yield* cannedLedger((req, res) => json(res, errorAnswer(req, "9999", "internal error")))
      const layer = Layer.fresh(
        LedgerClient.layer(
          options(ledger.url, keys.privatePem, { rsaPublicKey: rsaPublicPem, incorrectCvvCodes: ["9999"] })
        )
      ).pipe(Layer.provide(httpClient()))
      const { wrongCvv, noCvv } = yield* Effect.gen(function* () {
        const client = yield* LedgerClient
        return {
          wrongCvv: yield* Effect.flip(client.validateCvv.call({ ...validateFields, cardCvv: Redacted.make("123") })),
          noCvv: yield* Effect.flip(client.getCardDetails.call(cardFields))
        }
      }).pipe(Effect.provide(layer))
      expect(wrongCvv._tag).toBe("IncorrectCvv")
      expect(noCvv).toMatchObject({ _tag: "ProviderRejected", code: "9999" })
    }).pipe(Effect.scoped)
  )

  it.live("refuses to encrypt without the ledger's RSA key, sending nothing", () =>
    Effect.gen(function* () {
      const ledger = yield* cannedLedger((req, res) => json(res, ackAnswer(req, "VALIDATE_CVV_ACK")))
      const error = yield* Effect.flip(
        Effect.flatMap(LedgerClient, (client) =>
          client.validateCvv.call({ ...validateFields, cardCvv: Redacted.make("679") })
        ).pipe(
          Effect.provide(
            Layer.fresh(LedgerCardSecrets.layer(options(ledger.url, keys.privatePem))).pipe(Layer.provide(httpClient()))
          )
        )
      )
      expect(error).toMatchObject({ _tag: "InvalidRequest", field: "cardCvv" })
      expect(ledger.requests).toHaveLength(0)
    }).pipe(Effect.scoped)
  )
})

describe("where the sources disagree", () => {
  const withOptions = (extra: Parameters<typeof options>[2]) => (handler: Handler) =>
    Effect.gen(function* () {
      const ledger = yield* cannedLedger(handler)
      yield* Effect.flatMap(LedgerClient, (client) =>
        client.updateStatus.call({ ...cardFields, statusAction: "REPORT_LOST_STOLEN" })
      ).pipe(
        Effect.provide(
          Layer.fresh(
            LedgerClient.layer(options(ledger.url, keys.privatePem, { rsaPublicKey: rsaPublicPem, ...extra }))
          ).pipe(Layer.provide(httpClient()))
        ),
        Effect.ignore
      )
      return payloadOf(ledger.requests[0]!)
    }).pipe(Effect.scoped)
  const answer: Handler = (req, res) => json(res, errorAnswer(req, "1018", "refused"))

  it.live("by default the production client's forms: isEncrypt true, REPORT_LOST_STOLEN, cardCvv empty", () =>
    Effect.map(withOptions({})(answer), (payload) =>
      expect(payload).toMatchObject({ statusAction: "REPORT_LOST_STOLEN", cardCvv: "", isEncrypt: true })
    )
  )

  it.live('optionally the pages\' forms: isEncrypt "true", REPORT MISSING CARD', () =>
    Effect.map(withOptions({ isEncrypt: "string", statusActions: "documented" })(answer), (payload) =>
      expect(payload).toMatchObject({ statusAction: "REPORT MISSING CARD", isEncrypt: "true" })
    )
  )
})

describe("status actions", () => {
  it.live("1018 is StatusActionNotAllowed with the card, its status and the action", () =>
    withLedger(
      (req, res) =>
        json(res, errorAnswer(req, "1018", "status action LOCK is not allowed for a card in status CLOSED")),
      (requests) =>
        Effect.gen(function* () {
          const ledger = yield* LedgerClient
          const error = yield* Effect.flip(ledger.updateStatus.call({ ...cardFields, statusAction: "LOCK" }))
          expect(error).toMatchObject({
            _tag: "StatusActionNotAllowed",
            cardId: cardFields.cardId,
            status: "CLOSED",
            action: "LOCK"
          })
          expect(requests).toHaveLength(1)
        })
    )
  )

  it.live("a 1018 whose message names no status says so", () =>
    withLedger(
      (req, res) => json(res, errorAnswer(req, "1018", "inappropriate status action")),
      () =>
        Effect.gen(function* () {
          const ledger = yield* LedgerClient
          const error = yield* Effect.flip(ledger.replaceCard.call({ ...cardFields, statusAction: "REISSUE" }))
          expect(error).toMatchObject({ _tag: "StatusActionNotAllowed", status: "unknown", action: "REISSUE" })
        })
    )
  )
})

describe("an operation the table does not have yet", () => {
  it.live("LedgerClient.operation types any transaction with the caller's schemas", () => {
    const definition = {
      transactionType: "GET_CARD_REWARDS",
      payload: Schema.Struct({
        reference: Schema.optional(Schema.String),
        transactionType: Schema.Literal("GET_CARD_REWARDS"),
        cardId: Schema.String
      }),
      result: Schema.Struct({ rewards: Schema.Struct({ points: Schema.Number }), api: WireAck }),
      kind: "read",
      encrypted: [],
      referenced: true
    } as const
    return withLedger(
      (req, res) =>
        json(
          res,
          ackAnswer(req, "GET_CARD_REWARDS_ACK", payloadOf(req).cardId === "card-1" ? { rewards: { points: 500 } } : {})
        ),
      (requests) =>
        Effect.gen(function* () {
          const ledger = yield* LedgerClient
          const rewards = ledger.operation(definition)
          const result = yield* rewards.call({ cardId: "card-1" })
          expect(result.rewards.points).toBe(500)
          expect(Object.keys(payloadOf(requests[0]!))).toEqual(["reference", "transactionType", "cardId"])
          const without = yield* Effect.flip(rewards.call({ cardId: "card-2" }))
          expect(without).toMatchObject({
            _tag: "ProtocolViolation",
            reason: "the GET_CARD_REWARDS result is malformed"
          })
        })
    )
  })
})

describe("card data never leaks into errors", () => {
  it.live("a provider message echoing a PAN is masked", () =>
    withLedger(
      (req, res) => json(res, errorAnswer(req, "7342", "declined for 4957030420210462")),
      () =>
        Effect.gen(function* () {
          const error = yield* Effect.flip((yield* CardSecrets).getCvv(documentRequest))
          expect(error).toMatchObject({ _tag: "ProviderRejected", code: "7342" })
          expect(error.message).toContain("495703******0462")
          expect(`${error.message} ${String(error)} ${JSON.stringify(error)}`).not.toContain("4957030420210462")
        })
    )
  )

  it.live("an 'incorrect CVV' answer to GET_CVV is a ProviderRejected, within CardSecrets' errors", () =>
    withLedger(
      (req, res) => json(res, errorAnswer(req, "1019", "Incorrect card CVV")),
      () =>
        Effect.gen(function* () {
          const error = yield* Effect.flip((yield* CardSecrets).getCvv(documentRequest))
          expect(error).toMatchObject({ _tag: "ProviderRejected", code: "1019" })
        })
    )
  )
})

describe("LedgerCardSecrets.layerConfig", () => {
  const directory = mkdtempSync(join(tmpdir(), "cardkit-ledger-"))
  const keyFile = join(directory, "signing.pem")
  writeFileSync(keyFile, keys.privatePem)

  /** The documented variables; `undefined` leaves one out. */
  const documented = (url: string, extra: Record<string, string | undefined> = {}) =>
    Object.entries({
      CARDKIT_LEDGER_URL: url,
      CARDKIT_LEDGER_API_KEY: "api-key-123",
      CARDKIT_LEDGER_USERNAME: "user",
      CARDKIT_LEDGER_KEY_ID: "service-key",
      CARDKIT_LEDGER_PRIVATE_KEY_FILE: keyFile,
      ...extra
    }).flatMap(([name, value]) => (value === undefined ? [] : [[name, value] as const]))

  /** Variables as the environment holds them: path segments joined by `_`. */
  const environment = (entries: ReadonlyArray<readonly [string, string]>) =>
    ConfigProvider.fromMap(new Map(entries), { pathDelim: "_" })

  const withConfig = (url: string, extra: Record<string, string | undefined> = {}) =>
    Layer.fresh(LedgerCardSecrets.layerConfig()).pipe(
      Layer.provide(UndiciHttpClient.layerConfig(LedgerHttpConfig)),
      Layer.provide(Layer.setConfigProvider(environment(documented(url, extra))))
    )

  const failureOf = (layer: Layer.Layer<CardSecrets, unknown>) =>
    Effect.flip(Effect.flatMap(CardSecrets, () => Effect.void).pipe(Effect.provide(layer)))

  it.live("reads CARDKIT_LEDGER_* with the key from a file and the default credential strategy", () =>
    Effect.gen(function* () {
      const ledger = yield* cannedLedger((req, res) => json(res, documentResponse(req)))
      const card = yield* Effect.flatMap(CardSecrets, (secrets) => secrets.getCvv(documentRequest)).pipe(
        Effect.provide(withConfig(ledger.url))
      )
      expect(Redacted.value(card.cvv)).toBe("679")
      const api = JSON.parse(ledger.requests[0]!.body).params.api
      expect(api).toMatchObject({
        apiKey: "api-key-123",
        keyId: "service-key",
        credential: `Basic ${Buffer.from("user:api-key-123").toString("base64")}`
      })
    }).pipe(Effect.scoped)
  )

  it.live("a key that does not parse is a configuration error naming the variable, without its value", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Effect.flatMap(CardSecrets, () => Effect.void).pipe(
          Effect.provide(
            withConfig("http://127.0.0.1:9", {
              CARDKIT_LEDGER_PRIVATE_KEY: "not-a-pem-secret",
              CARDKIT_LEDGER_PRIVATE_KEY_FILE: undefined
            })
          )
        )
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const text = String(exit)
      expect(text).toContain("PRIVATE_KEY is not a usable key")
      expect(text).not.toContain("not-a-pem-secret")
    })
  )

  it.live("a key set both inline and as a file is refused, naming both, rather than one of them guessed", () =>
    Effect.gen(function* () {
      const error = yield* failureOf(withConfig("http://127.0.0.1:9", { CARDKIT_LEDGER_PRIVATE_KEY: keys.privatePem }))
      expect(ConfigError.isConfigError(error) && error._op === "InvalidData").toBe(true)
      const invalid = error as ConfigError.InvalidData
      expect(invalid.path.join("_")).toBe("CARDKIT_LEDGER_PRIVATE_KEY")
      expect(invalid.message).toContain("PRIVATE_KEY_FILE")
      expect(String(error)).not.toContain("PRIVATE KEY")
    })
  )

  it.live("takes a caller's own Config: the documented one nested under a prefix of the caller's", () =>
    Effect.gen(function* () {
      const ledger = yield* cannedLedger((req, res) => json(res, documentResponse(req)))
      const prefixed = environment(documented(ledger.url).map(([name, value]) => [`MY_${name}`, value] as const))
      const layer = LedgerCardSecrets.layerConfig(Config.nested(LedgerConfig, "MY")).pipe(Layer.provide(httpClient()))
      const card = yield* Effect.flatMap(CardSecrets, (secrets) => secrets.getCvv(documentRequest)).pipe(
        Effect.provide(Layer.fresh(layer).pipe(Layer.provide(Layer.setConfigProvider(prefixed))))
      )
      expect(Redacted.value(card.cvv)).toBe("679")
      const unprefixed = yield* failureOf(
        Layer.fresh(layer).pipe(Layer.provide(Layer.setConfigProvider(environment(documented(ledger.url)))))
      )
      expect(String(unprefixed)).toContain("MY_CARDKIT_LEDGER_URL")
    }).pipe(Effect.scoped)
  )

  it.live("takes a caller's own Config built from values (Config.succeed)", () =>
    Effect.gen(function* () {
      const ledger = yield* cannedLedger((req, res) => json(res, documentResponse(req)))
      const card = yield* Effect.flatMap(CardSecrets, (secrets) => secrets.getCvv(documentRequest)).pipe(
        Effect.provide(
          Layer.fresh(LedgerCardSecrets.layerConfig(Config.succeed(options(ledger.url, keys.privatePem)))).pipe(
            Layer.provide(httpClient())
          )
        )
      )
      expect(Redacted.value(card.cvv)).toBe("679")
      expect(JSON.parse(ledger.requests[0]!.body).params.api.keyId).toBe("device-1")
    }).pipe(Effect.scoped)
  )

  it.live(
    "reads the choices where the sources disagree: isEncrypt's type, status actions' spelling, wrong-CVV codes",
    () =>
      Effect.gen(function* () {
        const ledger = yield* cannedLedger((req, res) => json(res, errorAnswer(req, "8888", "bad cvv")))
        const error = yield* Effect.flip(
          Effect.flatMap(LedgerClient, (client) =>
            client.updateStatus.call({
              ...cardFields,
              statusAction: "REPORT_LOST_STOLEN",
              cardCvv: Redacted.make("123")
            })
          ).pipe(
            Effect.provide(
              withConfig(ledger.url, {
                CARDKIT_LEDGER_IS_ENCRYPT: "string",
                CARDKIT_LEDGER_STATUS_ACTIONS: "documented",
                CARDKIT_LEDGER_INCORRECT_CVV_CODES: "9999,8888",
                CARDKIT_LEDGER_RSA_PUBLIC_KEY: rsaPublicPem
              })
            )
          )
        )
        expect(error._tag).toBe("IncorrectCvv")
        expect(payloadOf(ledger.requests[0]!)).toMatchObject({ statusAction: "REPORT MISSING CARD", isEncrypt: "true" })
      }).pipe(Effect.scoped)
  )

  it.live("CARDKIT_LEDGER_TIMEOUT bounds the HTTP client's wait, reported in ProviderTimeout", () =>
    Effect.gen(function* () {
      // It never answers: a loaded machine can delay the client's timer, never past an answer that cannot come.
      const ledger = yield* cannedLedger(() => {})
      const error = yield* Effect.flip(
        Effect.flatMap(CardSecrets, (secrets) => secrets.getCvv(documentRequest)).pipe(
          Effect.provide(withConfig(ledger.url, { CARDKIT_LEDGER_TIMEOUT: "150 millis" }))
        )
      )
      expect(error).toMatchObject({ _tag: "ProviderTimeout", timeoutMillis: 150 })
    }).pipe(Effect.scoped)
  )
})

describe("the HttpClient the transport is given", () => {
  it.live("is a caller's own: a wrapped client tags and counts every request, the transport untouched", () =>
    Effect.gen(function* () {
      const ledger = yield* cannedLedger((req, res) => json(res, documentResponse(req)))
      const sent: Array<string> = []
      const Wrapped = Layer.effect(
        HttpClient.HttpClient,
        Effect.map(HttpClient.HttpClient, (client) =>
          client.pipe(
            HttpClient.mapRequest(HttpClientRequest.setHeader("x-team", "cards")),
            HttpClient.tapRequest((request) => Effect.sync(() => sent.push(request.url)))
          )
        )
      ).pipe(Layer.provide(httpClient()))
      const card = yield* Effect.flatMap(CardSecrets, (secrets) => secrets.getCvv(documentRequest)).pipe(
        Effect.provide(LedgerCardSecrets.layer(options(ledger.url, keys.privatePem)).pipe(Layer.provide(Wrapped)))
      )
      expect(Redacted.value(card.cvv)).toBe("679")
      expect(sent).toEqual([`${ledger.url}/cardv2`])
      expect(ledger.requests[0]!.headers["x-team"]).toBe("cards")
    }).pipe(Effect.scoped)
  )

  it.live("transformClient applies a caller's wrapping to this transport alone", () =>
    Effect.gen(function* () {
      const ledger = yield* cannedLedger((req, res) => json(res, documentResponse(req)))
      const layer = LedgerCardSecrets.layer(
        options(ledger.url, keys.privatePem, {
          transformClient: HttpClient.mapRequest(HttpClientRequest.setHeader("x-transport", "ledger"))
        })
      ).pipe(Layer.provide(httpClient()))
      yield* Effect.flatMap(CardSecrets, (secrets) => secrets.getCvv(documentRequest)).pipe(Effect.provide(layer))
      expect(ledger.requests[0]!.headers["x-transport"]).toBe("ledger")
    }).pipe(Effect.scoped)
  )
})
