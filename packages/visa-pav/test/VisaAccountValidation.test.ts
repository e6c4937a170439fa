import * as Crypto from "node:crypto"
import * as diagnostics from "node:diagnostics_channel"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import {
  AccountValidation,
  AccountValidationRequest,
  BillingAddress,
  CardExpiry,
  CardholderName,
  makeCvv,
  makePan,
  Tavv
} from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigError, ConfigProvider, Effect, Either, Layer, Redacted, Schema } from "effect"
import { decodeProtectedHeader } from "jose"
import { CardValidationResponse } from "../src/CardValidationResponse.js"
import { importMlePrivateKey, importMlePublicKey, mleDecrypt, mleEncrypt } from "../src/Mle.js"
import { VisaAccountValidation } from "../src/VisaAccountValidation.js"
import { VisaAccountValidationConfig, type VisaAccountValidationOptions } from "../src/VisaPavOptions.js"
import { visaErrorBody } from "../src/VisaErrorBody.js"
import { xPayToken } from "../src/XPayToken.js"
import { json, type Reply, testServer } from "./support/server.js"
import { viaUndici, withHttp } from "./support/http.js"

const pan = "4957030420210462"
const cvv2 = "735"
const tavvHex = "0100000000000287A522DC5E26614C4005000000"

const approvedBody = {
  actionCode: "00",
  responseCode: "5",
  approvalCode: "12AB54",
  transactionIdentifier: "381228649430011",
  cvv2ResultCode: "M",
  addressVerificationResults: "Y"
}

const fullRequest = new AccountValidationRequest({
  pan: makePan(pan),
  expiry: CardExpiry.make("2040-10"),
  cvv2: makeCvv(cvv2),
  billingAddress: new BillingAddress({ street: "801 Metro Center Boulevard", postalCode: "94404-1234" }),
  cardholderName: new CardholderName({ first: "Ada", middle: "King", last: "Lovelace" })
})

const baseOptions = (url: string): VisaAccountValidationOptions => ({
  url,
  userId: Redacted.make("pav-user"),
  password: Redacted.make("pav-password"),
  acquiringBin: "408999",
  acquirerCountryCode: "840",
  cardAcceptor: { name: "ABC Corp", idCode: "111111", terminalId: "12345678" },
  retries: 2
})

/** Validate `request` against a test server answering with `reply`. */
const validateAgainst = (
  reply: Reply,
  request: AccountValidationRequest = fullRequest,
  options: Partial<VisaAccountValidationOptions> = {},
  http: Parameters<typeof withHttp>[1] = {}
) =>
  Effect.gen(function* () {
    const server = yield* testServer(reply)
    const validation = yield* withHttp(VisaAccountValidation.make({ ...baseOptions(server.url), ...options }), http)
    const result = yield* Effect.either(validation.validate(request))
    return { result, received: server.received }
  }).pipe(Effect.scoped)

const secrets = [pan, cvv2, tavvHex]
const expectNoCardData = (error: unknown) => {
  const shown = `${String(error)} ${JSON.stringify(error)} ${(error as Error).message}`
  for (const secret of secrets) expect(shown).not.toContain(secret)
}

describe("VisaAccountValidation", () => {
  it.live("sends the wire request Visa expects, with Basic credentials", () =>
    Effect.gen(function* () {
      const { result, received } = yield* validateAgainst(json(200, approvedBody))
      expect(Either.isRight(result)).toBe(true)
      expect(received).toHaveLength(1)
      const [sent] = received
      expect(sent!.method).toBe("POST")
      expect(sent!.url).toBe("/pav/v1/cardvalidation")
      expect(sent!.headers.authorization).toBe(`Basic ${Buffer.from("pav-user:pav-password").toString("base64")}`)
      expect(sent!.headers["content-type"]).toBe("application/json")
      const body = JSON.parse(sent!.body)
      expect(body).toEqual({
        acquiringBin: "408999",
        acquirerCountryCode: "840",
        cardAcceptor: { name: "ABC Corp", idCode: "111111", terminalId: "12345678" },
        primaryAccountNumber: pan,
        cardExpiryDate: "2040-10",
        cardCvv2Value: cvv2,
        addressVerificationResults: { street: "801 Metro Center Bou", postalCode: "944041234" },
        cardHolderNameVerification: { firstName: "Ada", middleName: "King", lastName: "Lovelace" },
        systemsTraceAuditNumber: expect.stringMatching(/^\d{6}$/),
        retrievalReferenceNumber: expect.stringMatching(/^\d{12}$/)
      })
      const rrn: string = body.retrievalReferenceNumber
      expect(rrn.slice(6)).toBe(body.systemsTraceAuditNumber)
      expect(rrn[0]).toBe(String(new Date().getUTCFullYear() % 10))
      expect(Schema.is(Schema.encodedSchema(CardValidationResponse))(approvedBody)).toBe(true)
    })
  )

  it.live("draws fresh trace numbers for every request", () =>
    Effect.gen(function* () {
      const server = yield* testServer(json(200, approvedBody))
      const validation = yield* withHttp(VisaAccountValidation.make(baseOptions(server.url)))
      yield* Effect.replicateEffect(validation.validate(fullRequest), 5)
      const traces = server.received.map((r) => JSON.parse(r.body).systemsTraceAuditNumber)
      expect(new Set(traces).size).toBe(5)
    }).pipe(Effect.scoped)
  )

  it.live("maps Visa's codes to the domain's, keeping the raw codes and tolerating unknown letters", () =>
    Effect.gen(function* () {
      const { result } = yield* validateAgainst(
        json(200, {
          ...approvedBody,
          addressVerificationResults: "I",
          cardHolderNameVerificationResult: { nameResult: "00", nameMatchDecision: "02" },
          cardholderAuthenticationVerificationResults: "2"
        })
      )
      expect(Either.getOrThrow(result)).toMatchObject({
        approved: true,
        actionCode: "00",
        cvv2: "match",
        address: "unavailable",
        name: "partial_match",
        tavv: "valid",
        transactionId: "381228649430011",
        raw: {
          actionCode: "00",
          responseCode: "5",
          approvalCode: "12AB54",
          cvv2ResultCode: "M",
          addressVerificationResults: "I",
          nameMatchDecision: "02",
          cardholderAuthenticationVerificationResults: "2"
        }
      })
      const declined = yield* validateAgainst(
        json(200, {
          actionCode: "N7",
          responseCode: "5",
          transactionIdentifier: "381228649430012",
          cvv2ResultCode: "N"
        })
      )
      expect(Either.getOrThrow(declined.result)).toMatchObject({
        approved: false,
        actionCode: "N7",
        cvv2: "no_match",
        address: "not_checked"
      })
      const vouched = yield* validateAgainst(json(200, { ...approvedBody, actionCode: "85" }))
      expect(Either.getOrThrow(vouched.result).approved).toBe(true)
    })
  )

  it.live("sends a token request with its TAVV and no CVV2", () =>
    Effect.gen(function* () {
      const { received } = yield* validateAgainst(
        json(200, approvedBody),
        new AccountValidationRequest({
          pan: makePan(pan),
          expiry: CardExpiry.make("2040-10"),
          tavv: Schema.decodeSync(Tavv)(tavvHex)
        })
      )
      const body = JSON.parse(received[0]!.body)
      expect(body.tavv).toBe(tavvHex)
      expect(body).not.toHaveProperty("cardCvv2Value")
      expect(body).not.toHaveProperty("addressVerificationResults")
    })
  )

  it.live("refuses a postal code Visa cannot take, naming the field, without calling Visa", () =>
    Effect.gen(function* () {
      const { result, received } = yield* validateAgainst(
        json(200, approvedBody),
        new AccountValidationRequest({
          pan: makePan(pan),
          billingAddress: new BillingAddress({ postalCode: "1234567890AB" })
        })
      )
      expect(Either.flip(result).pipe(Either.getOrThrow)).toMatchObject({
        _tag: "InvalidRequest",
        field: "billingAddress.postalCode"
      })
      expect(received).toHaveLength(0)
    })
  )

  describe("Message Level Encryption", () => {
    const serverKeys = Crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
    const clientKeys = Crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
    const pem = (key: Crypto.KeyObject, type: "spki" | "pkcs8") => key.export({ type, format: "pem" }).toString()

    const mleServer =
      (seen: Array<{ header: Record<string, unknown>; plaintext: string; keyIdHeader: unknown }>): Reply =>
      async (received, response) => {
        const { encData } = JSON.parse(received.body)
        const opened = await Effect.runPromise(mleDecrypt(encData, serverKeys.privateKey))
        seen.push({
          header: decodeProtectedHeader(encData),
          plaintext: opened.plaintext,
          keyIdHeader: received.headers.keyid
        })
        const answer = await Effect.runPromise(
          mleEncrypt(JSON.stringify(approvedBody), { keyId: "mle-key-1", publicKey: clientKeys.publicKey })
        )
        json(200, { encData: answer })(received, response)
      }

    it.live.each(["A128GCM", "A256GCM"] as const)("encrypts the request and decrypts the response (%s)", (encryption) =>
      Effect.gen(function* () {
        const seen: Array<{ header: Record<string, unknown>; plaintext: string; keyIdHeader: unknown }> = []
        const before = Date.now()
        const { result, received } = yield* validateAgainst(mleServer(seen), fullRequest, {
          mle: {
            keyId: "mle-key-1",
            serverPublicKey: pem(serverKeys.publicKey, "spki"),
            clientPrivateKey: Redacted.make(pem(clientKeys.privateKey, "pkcs8")),
            encryption
          }
        })
        expect(Either.getOrThrow(result)).toMatchObject({ approved: true, cvv2: "match", address: "match" })
        expect(Object.keys(JSON.parse(received[0]!.body))).toEqual(["encData"])
        expect(received[0]!.body).not.toContain(pan)
        const [{ header, plaintext, keyIdHeader }] = seen as [(typeof seen)[number]]
        expect(keyIdHeader).toBe("mle-key-1")
        expect(header).toMatchObject({ alg: "RSA-OAEP-256", enc: encryption, kid: "mle-key-1" })
        expect(header.iat).toBeGreaterThanOrEqual(before)
        expect(header.iat).toBeLessThanOrEqual(Date.now())
        expect(JSON.parse(plaintext).primaryAccountNumber).toBe(pan)
      })
    )

    it.effect("reads Visa's MLE key from a certificate or an SPKI key, and refuses anything else", () =>
      Effect.gen(function* () {
        expect((yield* importMlePublicKey(pem(serverKeys.publicKey, "spki"))).asymmetricKeyType).toBe("rsa")
        expect((yield* Effect.flip(importMlePublicKey("not a key")))._tag).toBe("MleError")
        expect((yield* Effect.flip(importMlePrivateKey(Redacted.make("not a key"))))._tag).toBe("MleError")
      })
    )
  })

  describe("errors", () => {
    const visaError = (status: number, code: string, message: string) =>
      json(status, visaErrorBody(status, code, message))

    it.live("maps Visa's error answers to typed errors, without card data", () =>
      Effect.gen(function* () {
        const cases: Array<[Reply, Record<string, unknown>, number?]> = [
          [
            visaError(400, "9101", `Invalid input: cardExpiryDate must be 7 characters, got ${pan}`),
            { _tag: "InvalidRequest", field: "expiry" }
          ],
          [
            visaError(400, "9101", "Invalid input: addressVerificationResults.postalCode is too long"),
            { _tag: "InvalidRequest", field: "billingAddress.postalCode" }
          ],
          [
            visaError(400, "9101", "Invalid input: cardAcceptor.address.country is too long"),
            { _tag: "InvalidRequest", field: "cardAcceptor.address.country" }
          ],
          [visaError(400, "3001", "Expiration date invalid or expired"), { _tag: "InvalidRequest", field: "expiry" }],
          [visaError(400, "9125", "Expected input credential was not present"), { _tag: "AuthenticationFailed" }],
          [visaError(401, "9159", "Token validation failed"), { _tag: "AuthenticationFailed", provider: "visa" }],
          [visaError(403, "9201", "Forbidden"), { _tag: "AuthenticationFailed" }],
          [visaError(404, "9001", "Not found"), { _tag: "ProviderRejected", code: "9001" }],
          [visaError(500, "9999", "Internal error"), { _tag: "ProviderUnavailable" }],
          [json(502, "bad gateway"), { _tag: "ProviderUnavailable", reason: "HTTP 502" }],
          [
            (_, response) => {
              response.writeHead(200, { "content-type": "text/html" })
              response.end("<html><body>Service error</body></html>")
            },
            { _tag: "ProviderUnavailable" }
          ],
          [json(200, { actionCode: "000", responseCode: "5" }), { _tag: "ProtocolViolation" }]
        ]
        for (const [reply, expected] of cases) {
          const { result, received } = yield* validateAgainst(reply)
          const error = Either.getOrThrow(Either.flip(result))
          expect(error, JSON.stringify(expected)).toMatchObject(expected)
          expect(received, "not retried").toHaveLength(1)
          expectNoCardData(error)
        }
      })
    )

    it.live("retries an explicit 503, bounded, then reports the provider unavailable", () =>
      Effect.gen(function* () {
        const { result, received } = yield* validateAgainst(visaError(503, "9999", "Service unavailable"))
        expect(Either.getOrThrow(Either.flip(result))._tag).toBe("ProviderUnavailable")
        expect(received).toHaveLength(3)

        let calls = 0
        const recovering: Reply = (received, response) =>
          ++calls === 1
            ? visaError(503, "9999", "Service unavailable")(received, response)
            : json(200, approvedBody)(received, response)
        const recovered = yield* validateAgainst(recovering, fullRequest, { retries: 1 })
        expect(Either.getOrThrow(recovered.result).approved).toBe(true)
        expect(recovered.received).toHaveLength(2)
      })
    )

    it.live("retries a refused connection, bounded, counting the attempts", () =>
      Effect.gen(function* () {
        const closedUrl = yield* Effect.scoped(Effect.map(testServer(json(200, {})), (s) => s.url))
        const attempts = yield* Effect.sync(() => {
          const channel = diagnostics.channel("undici:client:beforeConnect")
          const seen: Array<string> = []
          const count = (message: unknown) =>
            seen.push(String((message as { connectParams: { port: string } }).connectParams.port))
          channel.subscribe(count)
          return { seen, stop: () => channel.unsubscribe(count) }
        })
        const validation = yield* withHttp(VisaAccountValidation.make({ ...baseOptions(closedUrl), retries: 3 }))
        const error = yield* Effect.flip(validation.validate(fullRequest))
        attempts.stop()
        expect(error).toMatchObject({ _tag: "ProviderUnavailable", provider: "visa" })
        expect(attempts.seen.filter((port) => closedUrl.endsWith(`:${port}`))).toHaveLength(4)
        expectNoCardData(error)
      }).pipe(Effect.scoped)
    )

    it.live("gives up after the configured timeout, without retrying", () =>
      Effect.gen(function* () {
        const { result, received } = yield* validateAgainst(() => undefined, fullRequest, {}, { timeout: "300 millis" })
        expect(Either.getOrThrow(Either.flip(result))).toMatchObject({
          _tag: "ProviderTimeout",
          provider: "visa",
          timeoutMillis: 300
        })
        expect(received).toHaveLength(1)
      })
    )

    it.live("does not retry a dropped connection: the request may have reached Visa", () =>
      Effect.gen(function* () {
        const { result, received } = yield* validateAgainst((_, response) => {
          response.socket?.destroy()
        })
        expect(Either.getOrThrow(Either.flip(result))._tag).toBe("ProviderUnavailable")
        expect(received).toHaveLength(1)
      })
    )
  })

  it.live("signs with an X-Pay-Token when configured", () =>
    Effect.gen(function* () {
      const sharedSecret = Redacted.make("shared-secret")
      const { result, received } = yield* validateAgainst(json(200, approvedBody), fullRequest, {
        xPayToken: { apiKey: "API KEY", sharedSecret }
      })
      expect(Either.isRight(result)).toBe(true)
      const [sent] = received as [(typeof received)[number]]
      expect(sent.url).toBe("/pav/v1/cardvalidation?apikey=API+KEY")
      const token = String(sent.headers["x-pay-token"])
      const timestamp = Number(token.split(":")[1])
      expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(300)
      expect(token).toBe(
        xPayToken({
          sharedSecret,
          path: "/pav/v1/cardvalidation",
          queryString: "apikey=API+KEY",
          body: sent.body,
          timestampSeconds: timestamp
        })
      )
    })
  )

  describe("layerConfig", () => {
    /** The variable a config error is about, spelled as in the environment. */
    const variableOf = (error: ConfigError.ConfigError) =>
      ConfigError.reduceWithContext(error, undefined, {
        andCase: (_, left, right) => `${left} & ${right}`,
        orCase: (_, left, right) => `${left} | ${right}`,
        invalidDataCase: (_, path) => path.join("_"),
        missingDataCase: (_, path) => path.join("_"),
        sourceUnavailableCase: (_, path) => path.join("_"),
        unsupportedCase: (_, path) => path.join("_")
      })

    it.live("reads CARDKIT_VISA_* and fills the acquirer and card acceptor from it", () =>
      Effect.gen(function* () {
        const server = yield* testServer(json(200, approvedBody))
        const config = ConfigProvider.fromMap(
          new Map([
            ["CARDKIT_VISA_URL", server.url],
            ["CARDKIT_VISA_USER_ID", "config-user"],
            ["CARDKIT_VISA_PASSWORD", "config-password"],
            ["CARDKIT_VISA_ACQUIRING_BIN", "408999"],
            ["CARDKIT_VISA_ACQUIRER_COUNTRY_CODE", "826"],
            ["CARDKIT_VISA_CARD_ACCEPTOR_NAME", "cardkit"],
            ["CARDKIT_VISA_CARD_ACCEPTOR_ID_CODE", "CK001"],
            ["CARDKIT_VISA_CARD_ACCEPTOR_COUNTRY", "GBR"]
          ]),
          { pathDelim: "_" }
        )
        const result = yield* Effect.flatMap(AccountValidation, (v) => v.validate(fullRequest)).pipe(
          Effect.provide(
            viaUndici(VisaAccountValidation.layerConfig()).pipe(Layer.provide(Layer.setConfigProvider(config)))
          )
        )
        expect(result.approved).toBe(true)
        const [sent] = server.received as [(typeof server.received)[number]]
        expect(sent.headers.authorization).toBe(
          `Basic ${Buffer.from("config-user:config-password").toString("base64")}`
        )
        expect(JSON.parse(sent.body)).toMatchObject({
          acquiringBin: "408999",
          acquirerCountryCode: "826",
          cardAcceptor: { name: "cardkit", idCode: "CK001", address: { country: "GBR" } }
        })
      }).pipe(Effect.scoped)
    )

    it.live("reads PEM files: MLE keys given as _FILE variables", () =>
      Effect.gen(function* () {
        const serverKeys = Crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
        const clientKeys = Crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
        const dir = yield* Effect.acquireRelease(
          Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), "cardkit-visa-"))),
          (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
        )
        const write = (name: string, text: string) =>
          Effect.promise(() => Fs.writeFile(Path.join(dir, name), text)).pipe(Effect.as(Path.join(dir, name)))
        const serverKeyFile = yield* write(
          "server.pem",
          serverKeys.publicKey.export({ type: "spki", format: "pem" }).toString()
        )
        const clientKeyFile = yield* write(
          "client.pem",
          clientKeys.privateKey.export({ type: "pkcs8", format: "pem" }).toString()
        )
        const decrypted: Array<string> = []
        const server = yield* testServer(async (received, response) => {
          const opened = await Effect.runPromise(mleDecrypt(JSON.parse(received.body).encData, serverKeys.privateKey))
          decrypted.push(opened.plaintext)
          const encData = await Effect.runPromise(
            mleEncrypt(JSON.stringify(approvedBody), { keyId: "file-key", publicKey: clientKeys.publicKey })
          )
          json(200, { encData })(received, response)
        })
        const config = ConfigProvider.fromMap(
          new Map([
            ["CARDKIT_VISA_URL", server.url],
            ["CARDKIT_VISA_USER_ID", "u"],
            ["CARDKIT_VISA_PASSWORD", "p"],
            ["CARDKIT_VISA_ACQUIRING_BIN", "408999"],
            ["CARDKIT_VISA_MLE_KEY_ID", "file-key"],
            ["CARDKIT_VISA_MLE_SERVER_PUBLIC_KEY_FILE", serverKeyFile],
            ["CARDKIT_VISA_MLE_CLIENT_PRIVATE_KEY_FILE", clientKeyFile]
          ]),
          { pathDelim: "_" }
        )
        const result = yield* Effect.flatMap(AccountValidation, (v) => v.validate(fullRequest)).pipe(
          Effect.provide(
            viaUndici(VisaAccountValidation.layerConfig()).pipe(Layer.provide(Layer.setConfigProvider(config)))
          )
        )
        expect(result.approved).toBe(true)
        expect(server.received[0]!.headers.keyid).toBe("file-key")
        expect(JSON.parse(decrypted[0]!).primaryAccountNumber).toBe(pan)
        const missing = yield* Effect.flip(
          Layer.build(viaUndici(VisaAccountValidation.layerConfig())).pipe(
            Effect.withConfigProvider(
              ConfigProvider.fromMap(
                new Map([
                  ["CARDKIT_VISA_USER_ID", "u"],
                  ["CARDKIT_VISA_PASSWORD", "p"],
                  ["CARDKIT_VISA_ACQUIRING_BIN", "408999"],
                  ["CARDKIT_VISA_CLIENT_CERT_FILE", Path.join(dir, "absent.pem")]
                ]),
                { pathDelim: "_" }
              )
            ),
            Effect.scoped
          )
        )
        expect(variableOf(missing)).toBe("CARDKIT_VISA_CLIENT_CERT_FILE")
      }).pipe(Effect.scoped)
    )

    it.live("fails to build without credentials or with an acquirer Visa would refuse", () =>
      Effect.gen(function* () {
        const build = (entries: Array<[string, string]>) =>
          Effect.flip(
            Layer.build(viaUndici(VisaAccountValidation.layerConfig())).pipe(
              Effect.withConfigProvider(ConfigProvider.fromMap(new Map(entries), { pathDelim: "_" })),
              Effect.scoped
            )
          )
        const noPassword = yield* build([
          ["CARDKIT_VISA_USER_ID", "u"],
          ["CARDKIT_VISA_ACQUIRING_BIN", "408999"]
        ])
        expect(variableOf(noPassword)).toBe("CARDKIT_VISA_PASSWORD")
        const shortBin = yield* build([
          ["CARDKIT_VISA_USER_ID", "u"],
          ["CARDKIT_VISA_PASSWORD", "p"],
          ["CARDKIT_VISA_ACQUIRING_BIN", "4089"]
        ])
        expect(String(shortBin)).toContain("acquiringBin")
      })
    )

    it.live("refuses a PEM set both inline and as a file, and a client certificate without its key", () =>
      Effect.gen(function* () {
        const build = (entries: Array<[string, string]>) =>
          Effect.flip(
            Layer.build(viaUndici(VisaAccountValidation.layerConfig())).pipe(
              Effect.withConfigProvider(
                ConfigProvider.fromMap(
                  new Map([
                    ["CARDKIT_VISA_USER_ID", "u"],
                    ["CARDKIT_VISA_PASSWORD", "p"],
                    ["CARDKIT_VISA_ACQUIRING_BIN", "408999"],
                    ...entries
                  ]),
                  { pathDelim: "_" }
                )
              ),
              Effect.scoped
            )
          )
        const readable = new URL("../fixtures/visa-pav-openapi.yaml", import.meta.url).pathname
        const both = yield* build([
          ["CARDKIT_VISA_CA", "-----BEGIN CERTIFICATE-----"],
          ["CARDKIT_VISA_CA_FILE", readable]
        ])
        expect(both._op).toBe("InvalidData")
        expect(variableOf(both)).toBe("CARDKIT_VISA_CA")
        expect(both.message).toContain("CA_FILE")
        const keyless = yield* build([["CARDKIT_VISA_CLIENT_CERT_FILE", readable]])
        expect(keyless._op).toBe("MissingData")
        expect(variableOf(keyless)).toBe("CARDKIT_VISA_CLIENT_KEY")
      })
    )

    it.live("takes a caller's own Config: the documented one nested under a prefix of the caller's", () =>
      Effect.gen(function* () {
        const server = yield* testServer(json(200, approvedBody))
        const env = ConfigProvider.fromMap(
          new Map([
            ["MY_CARDKIT_VISA_URL", server.url],
            ["MY_CARDKIT_VISA_USER_ID", "my-user"],
            ["MY_CARDKIT_VISA_PASSWORD", "my-password"],
            ["MY_CARDKIT_VISA_ACQUIRING_BIN", "408999"],
            ["CARDKIT_VISA_USER_ID", "documented-user"]
          ]),
          { pathDelim: "_" }
        )
        const layer = viaUndici(VisaAccountValidation.layerConfig(Config.nested(VisaAccountValidationConfig, "MY")))
        const result = yield* Effect.flatMap(AccountValidation, (v) => v.validate(fullRequest)).pipe(
          Effect.provide(layer.pipe(Layer.provide(Layer.setConfigProvider(env))))
        )
        expect(result.approved).toBe(true)
        expect(server.received[0]!.headers.authorization).toBe(
          `Basic ${Buffer.from("my-user:my-password").toString("base64")}`
        )
      }).pipe(Effect.scoped)
    )
  })
})
