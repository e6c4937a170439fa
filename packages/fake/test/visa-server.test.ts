import * as Crypto from "node:crypto"
import { mleDecrypt, mleEncrypt, VisaErrorBody } from "@cardkit/visa-pav"
import { describe, expect, it } from "@effect/vitest"
import { fc } from "@fast-check/vitest"
import { Effect, Layer, Redacted, Schema } from "effect"
import { request } from "undici"
import { FakeIssuer } from "../src/FakeIssuer.js"
import { FakeVisaServer } from "../src/VisaServer.js"
import { WireServer } from "../src/WireServer.js"
import { hostileBody, type JsonValue } from "../src/arbitraries.js"
import { examples, samplePayload, specResponse } from "./support/visaSpec.js"
import { send } from "./support/wire.js"

const credentials = { userId: "pav-user", password: "pav-password" }
const basic = (userId: string, password: string) => `Basic ${Buffer.from(`${userId}:${password}`).toString("base64")}`

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await request(`${url}/pav/v1/cardvalidation`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: basic(credentials.userId, credentials.password),
        ...headers
      },
      body
    })
    const text = await response.body.text()
    return { status: response.statusCode, text, json: text.startsWith("{") ? JSON.parse(text) : undefined }
  })

const withServer = (options: Parameters<typeof FakeVisaServer.layer>[0] = { credentials }) =>
  Layer.provide(FakeVisaServer.layer(options), FakeIssuer.layer())

const isVisaError = Schema.is(VisaErrorBody)

const serverKeys = Crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
const clientKeys = Crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
const mle = {
  keyId: "k1",
  serverPrivateKey: Redacted.make(serverKeys.privateKey.export({ type: "pkcs8", format: "pem" }).toString()),
  clientPublicKey: clientKeys.publicKey.export({ type: "spki", format: "pem" }).toString()
}

/*
 * The fuzz property: the spec's examples with one member made hostile (prototype names in every
 * string, deep nesting, duplicates, surrogates, extreme numbers), hostile JSON of any shape, nesting
 * up to the body limit, a BOM, bytes that are not UTF-8, and all of it inside MLE's `encData` too.
 * The seed is the suite's (vitest.setup.ts); `FUZZ_RUNS` raises the count (`pnpm fuzz`).
 */
const fuzzRuns = Number(process.env.FUZZ_RUNS ?? 500)

describe("FakeVisaServer", () => {
  it.live("answers the spec's three examples, sent verbatim, as Visa's sandbox does", () =>
    Effect.gen(function* () {
      const { url } = yield* WireServer
      const successful = yield* post(url, JSON.stringify(examples["Account Validation Successful"].value))
      expect(successful.status).toBe(200)
      expect(["00", "85"]).toContain(successful.json.actionCode)
      expect(successful.json).toMatchObject({ cvv2ResultCode: "M", addressVerificationResults: "Y", responseCode: "5" })
      expect(successful.json.approvalCode).toMatch(/^[0-9A-Z]{6}$/)
      expect(successful.json.transactionIdentifier).toMatch(/^\d{15}$/)

      const unsuccessful = yield* post(url, JSON.stringify(examples["Account Validation Unsuccessful"].value))
      expect(unsuccessful.status).toBe(200)
      expect(unsuccessful.json.actionCode).toBe("54")
      expect(unsuccessful.json).not.toHaveProperty("approvalCode")

      const token = yield* post(url, JSON.stringify(examples["Account validation using Token Successful"].value))
      expect(token.status).toBe(200)
      expect(["00", "85"]).toContain(token.json.actionCode)
      expect(token.json).toMatchObject({ cardholderAuthenticationVerificationResults: "2" })
      expect(token.json).not.toHaveProperty("cvv2ResultCode")

      for (const answer of [successful, unsuccessful, token]) {
        expect(specResponse(answer.json), JSON.stringify(specResponse.errors)).toBe(true)
      }
    }).pipe(Effect.provide(withServer()))
  )

  it.live("refuses the spec's x-samplePayload with a 400 in Visa's format naming the field", () =>
    Effect.gen(function* () {
      const { url } = yield* WireServer
      const answer = yield* post(url, JSON.stringify(samplePayload))
      expect(answer.status).toBe(400)
      expect(isVisaError(answer.json)).toBe(true)
      expect(answer.json.responseStatus).toMatchObject({ status: 400, severity: "ERROR" })
      const field = answer.json.responseStatus.info
      expect([
        "acquiringBin",
        "acquirerCountryCode",
        "cardAcceptor.address.country",
        "cardAcceptor.address.county"
      ]).toContain(field)
      expect(answer.json.responseStatus.message).toContain(field)
      expect(answer.text).not.toContain("4957030000313108")
    }).pipe(Effect.provide(withServer()))
  )

  it.live("names the offending member of an otherwise valid request, without echoing card data", () =>
    Effect.gen(function* () {
      const { url } = yield* WireServer
      const valid = examples["Account Validation Successful"].value
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ ...valid, cardCvv2Value: "02" }, "cardCvv2Value"],
        [
          { ...valid, cardAcceptor: { ...valid.cardAcceptor, address: { country: "PAKISTAN" } } },
          "cardAcceptor.address.country"
        ],
        [
          { ...valid, addressVerificationResults: { street: "801 Metro Center Blv" } },
          "addressVerificationResults.postalCode"
        ],
        [{ ...valid, primaryAccountNumber: 4957030420210462 }, "primaryAccountNumber"]
      ]
      for (const [body, field] of cases) {
        const answer = yield* post(url, JSON.stringify(body))
        expect(answer.status, field).toBe(400)
        expect(answer.json.responseStatus.info).toBe(field)
        expect(answer.text).not.toContain("4957030420210462")
      }
      const expiry = yield* post(url, JSON.stringify({ ...valid, cardExpiryDate: "10/2040" }))
      expect(expiry.json.responseStatus).toMatchObject({ status: 400, code: "3001", info: "cardExpiryDate" })
    }).pipe(Effect.provide(withServer()))
  )

  it.live("answers 401 in Visa's format to missing or wrong Basic credentials", () =>
    Effect.gen(function* () {
      const { url } = yield* WireServer
      const body = JSON.stringify(examples["Account Validation Successful"].value)
      const wrong = yield* post(url, body, { authorization: basic("pav-user", "guess") })
      expect(wrong.status).toBe(401)
      expect(wrong.json.responseStatus).toMatchObject({ status: 401, code: "9159", severity: "ERROR" })
      const none = yield* post(url, body, { authorization: "" })
      expect(none.status).toBe(401)
      expect(isVisaError(none.json)).toBe(true)
    }).pipe(Effect.provide(withServer()))
  )

  it.live("in open mode, accepts any credentials", () =>
    Effect.gen(function* () {
      const { url } = yield* WireServer
      const answer = yield* post(url, JSON.stringify(examples["Account Validation Successful"].value), {
        authorization: basic("anyone", "anything")
      })
      expect(answer.status).toBe(200)
    }).pipe(Effect.provide(withServer({})))
  )

  it.live("answers 415 to a body that is not JSON, 400 to broken JSON, 404 and 405 elsewhere", () =>
    Effect.gen(function* () {
      const { url } = yield* WireServer
      const xml = yield* post(url, "<cardValidationRequest/>", { "content-type": "application/xml" })
      expect(xml.status).toBe(415)
      expect(isVisaError(xml.json)).toBe(true)
      const broken = yield* post(url, '{"primaryAccountNumber":', {})
      expect(broken.status).toBe(400)
      expect(isVisaError(broken.json)).toBe(true)
      const get = yield* Effect.promise(() =>
        request(`${url}/pav/v1/cardvalidation`, {
          method: "GET",
          headers: { authorization: basic(credentials.userId, credentials.password) }
        })
      )
      expect(get.statusCode).toBe(405)
      yield* Effect.promise(() => get.body.dump())
      const elsewhere = yield* Effect.promise(() =>
        request(`${url}/pav/v2/cardvalidation`, { method: "POST", body: "{}" })
      )
      expect(elsewhere.statusCode).toBe(404)
      yield* Effect.promise(() => elsewhere.body.dump())
    }).pipe(Effect.provide(withServer()))
  )

  it.live(`fuzz: ${fuzzRuns} hostile requests, plain and encrypted, never a 5xx`, () =>
    Effect.gen(function* () {
      const { url } = yield* WireServer
      const documents: Array<JsonValue> = Object.values(examples).map((example) => example.value as JsonValue)
      const encData = yield* mleEncrypt(JSON.stringify(examples["Account Validation Successful"].value), {
        keyId: "k1",
        publicKey: serverKeys.publicKey
      })
      const maxBytes = 64 * 1024
      const bodies = fc.oneof(
        ...documents.map((document) => ({ weight: 3, arbitrary: hostileBody(document, { maxBytes }) })),
        { weight: 2, arbitrary: hostileBody({ encData }, { maxBytes }) }
      )
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(bodies, async (body) => {
            const answer = await send(`${url}/pav/v1/cardvalidation`, {
              body,
              headers: { authorization: basic(credentials.userId, credentials.password), keyId: "k1" }
            })
            expect(answer.status).toBeLessThan(500)
            if (answer.status !== 200) expect(isVisaError(answer.json)).toBe(true)
            else if ("encData" in answer.json) expect(Object.keys(answer.json)).toEqual(["encData"])
            else expect(specResponse(answer.json)).toBe(true)
          }),
          { numRuns: fuzzRuns }
        )
      )
    }).pipe(Effect.provide(withServer({ credentials, mle: { ...mle, required: false } })))
  )

  describe("with MLE", () => {
    const mleServer = withServer({ credentials, mle })

    it.live("answers an encrypted request encrypted to the client's key", () =>
      Effect.gen(function* () {
        const { url } = yield* WireServer
        const encData = yield* mleEncrypt(JSON.stringify(examples["Account Validation Successful"].value), {
          keyId: "k1",
          publicKey: serverKeys.publicKey
        })
        const answer = yield* post(url, JSON.stringify({ encData }), { keyId: "k1" })
        expect(answer.status).toBe(200)
        expect(Object.keys(answer.json)).toEqual(["encData"])
        const opened = yield* mleDecrypt(answer.json.encData, clientKeys.privateKey)
        expect(opened.keyId).toBe("k1")
        const response = JSON.parse(opened.plaintext)
        expect(specResponse(response)).toBe(true)
        expect(response).toMatchObject({ cvv2ResultCode: "M", addressVerificationResults: "Y" })
      }).pipe(Effect.provide(mleServer))
    )

    it.live("refuses a plain request, and one under another key id, Visa-style", () =>
      Effect.gen(function* () {
        const { url } = yield* WireServer
        const plain = yield* post(url, JSON.stringify(examples["Account Validation Successful"].value))
        expect(plain.status).toBe(400)
        expect(isVisaError(plain.json)).toBe(true)
        expect(plain.json.responseStatus.message).toContain("Message Level Encryption")
        const encData = yield* mleEncrypt("{}", { keyId: "k2", publicKey: serverKeys.publicKey })
        const otherKey = yield* post(url, JSON.stringify({ encData }), { keyId: "k2" })
        expect(otherKey.status).toBe(400)
        expect(isVisaError(otherKey.json)).toBe(true)
      }).pipe(Effect.provide(mleServer))
    )
  })
})
