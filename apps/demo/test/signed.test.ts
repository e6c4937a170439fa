import { FakeIssuer, FakeProvider, registerCardholderDevice } from "@cardkit/fake"
import { StoreServices } from "@cardkit/store"
import { describe, expect, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { ApiKeys, DemoServer, providerLayer, servedOn } from "../src/index.js"
import {
  type Answer,
  apiKey,
  CaptureLogs,
  capturedLogs,
  expectError,
  ledgerCard,
  logsOf,
  otherApiKey,
  post,
  request,
  requestIdOf,
  TestServer
} from "./support.js"

/**
 * `expectError` for an answer that names a payload: the message says which, and the random id (whose
 * hex may hold `679` between letters) is left out of the scan for card data.
 */
const expectPayloadError = (answer: Answer, status: number, code: string, payloadId: string) => {
  expect(answer.json.error.message).toContain(payloadId)
  expectError({ ...answer, text: answer.text.replaceAll(payloadId, "") }, status, code)
}

const account = { customerId: ledgerCard.customerId, accountNumber: ledgerCard.accountNumber }
const auth = { "x-api-key": apiKey }

const put = (url: string, body: unknown) =>
  request(url, { method: "PUT", headers: { "content-type": "application/json", ...auth }, body: JSON.stringify(body) })

/** The device of the documents' card's customer, its key registered through the fake issuer. */
const device = registerCardholderDevice(ledgerCard.customerId)

/** The payload built for `route`'s body, as the device is handed it. */
const signable = (url: string, route: string, body: unknown, headers: Record<string, string> = auth) =>
  Effect.map(post(`${url}${route}/signable`, body, headers), (answer) => {
    expect(answer.status).toBe(201)
    expect(Object.keys(answer.json).sort()).toEqual(["payload", "payloadId"])
    return answer.json as { readonly payloadId: string; readonly payload: string }
  })

const perform = (url: string, payloadId: string, body: unknown, headers: Record<string, string> = auth) =>
  post(`${url}/v1/signed/${payloadId}`, body, headers)

/** `route`'s payload built, signed by the customer's device and performed. */
const signedCall = (url: string, route: string, body: unknown) =>
  Effect.gen(function* () {
    const { keyId, sign } = yield* device
    const { payload, payloadId } = yield* signable(url, route, body)
    const answer = yield* perform(url, payloadId, { signature: sign(payload), keyId })
    return { answer, payload, payloadId }
  })

const issue = (url: string, type: "virtual" | "physical") =>
  Effect.map(post(`${url}/v1/cards`, { ...account, type }), (answer) => {
    expect(answer.status).toBe(201)
    return answer.json as { readonly cardId: string }
  })

const printedCvv = (cardId: string) =>
  Effect.map(
    Effect.flatMap(FakeIssuer, (issuer) => issuer.getCard(cardId)),
    (card) => Redacted.value(card.cvv)
  )

/** Neither the bytes a device signed nor `secrets` in anything the server logged. */
const notLogged = (payload: string, ...secrets: ReadonlyArray<string>) => {
  const logs = capturedLogs.join("\n")
  for (const text of [payload, JSON.stringify(payload), ...secrets]) expect(logs).not.toContain(text)
}

const sameAnswer = (signed: Answer, plain: Answer) => {
  expect(signed.status).toBe(plain.status)
  expect(signed.text).toBe(plain.text)
}

layer(TestServer, { excludeTestServices: true })("device-signed operations", (it) => {
  describe("each operation answers as its plain route", () => {
    it.effect("a CVV reveal: the documents' card's 679, never cached, the bytes never logged", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const body = { ...account, reference: "visadps100013" }
        const route = `/v1/cards/${ledgerCard.cardId}/cvv`
        const plain = yield* post(`${url}${route}`, body)
        const { answer, payload } = yield* signedCall(url, route, body)
        expect(answer.json.cvv).toBe("679")
        expect(answer.headers.get("cache-control")).toBe("no-store")
        expect(answer.json).toEqual(plain.json)
        expect(logsOf(requestIdOf(answer))).toEqual([
          expect.stringContaining(`signed revealCvv card=${ledgerCard.cardId} payload=`)
        ])
        notLogged(payload, "679")
      })
    )

    it.effect("a CVV check: CvvValid", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const route = `/v1/cards/${ledgerCard.cardId}/cvv/validate`
        const body = { ...account, cvv: "679" }
        const plain = yield* post(`${url}${route}`, body)
        const { answer, payload } = yield* signedCall(url, route, body)
        sameAnswer(answer, plain)
        expect(answer.json).toEqual({ cardId: ledgerCard.cardId, valid: true })
        notLogged(payload, "679")
      })
    )

    it.effect("a PIN change: a 204 with no body, the PIN never logged", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const { cardId } = yield* issue(url, "physical")
        const route = `/v1/cards/${cardId}/pin`
        const plain = yield* put(`${url}${route}`, { ...account, pin: "4821" })
        const { answer, payload } = yield* signedCall(url, route, { ...account, pin: "7391" })
        sameAnswer(answer, plain)
        expect(answer.status).toBe(204)
        notLogged(payload, "7391")
      })
    )

    it.effect("an activation: the card, active", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const [first, second] = [yield* issue(url, "physical"), yield* issue(url, "physical")]
        const plain = yield* post(`${url}/v1/cards/${first.cardId}/activate`, {
          ...account,
          cvv: yield* printedCvv(first.cardId)
        })
        const cvv = yield* printedCvv(second.cardId)
        const { answer, payload } = yield* signedCall(url, `/v1/cards/${second.cardId}/activate`, { ...account, cvv })
        expect(plain.status).toBe(200)
        expect(answer.status).toBe(200)
        expect(answer.json).toEqual({ ...second, status: "active", rawStatus: "ACTIVATED" })
        expect(Object.keys(answer.json)).toEqual(Object.keys(plain.json))
        notLogged(payload, `"${cvv}"`, `=${cvv}`)
      })
    )

    it.effect("a replacement: the replaced card and its replacement", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const replaced = (cardId: string) =>
          Effect.map(post(`${url}/v1/cards/${cardId}/report-lost`, account), (answer) =>
            expect(answer.status).toBe(200)
          )
        const [first, second] = [yield* issue(url, "physical"), yield* issue(url, "physical")]
        yield* replaced(first.cardId)
        yield* replaced(second.cardId)
        const body = { ...account, reason: "lost_stolen" }
        const plain = yield* post(`${url}/v1/cards/${first.cardId}/replace`, body)
        const { answer, payload } = yield* signedCall(url, `/v1/cards/${second.cardId}/replace`, body)
        expect(answer.status).toBe(plain.status)
        expect(answer.json.replaced).toEqual({
          ...plain.json.replaced,
          cardId: second.cardId,
          last4: expect.any(String)
        })
        expect(answer.json.replacement.cardId).not.toBe(second.cardId)
        expect(Object.keys(answer.json.replacement)).toEqual(Object.keys(plain.json.replacement))
        notLogged(payload)
      })
    )
  })

  describe("a payload is performed once, by the API key that built it", () => {
    const route = `/v1/cards/${ledgerCard.cardId}/cvv`

    it.effect("a second time is a 409 PAYLOAD_ALREADY_CONSUMED", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const { keyId, sign } = yield* device
        const { payload, payloadId } = yield* signable(url, route, account)
        const signature = { signature: sign(payload), keyId }
        expect((yield* perform(url, payloadId, signature)).status).toBe(200)
        expectPayloadError(yield* perform(url, payloadId, signature), 409, "PAYLOAD_ALREADY_CONSUMED", payloadId)
      })
    )

    it.effect("another API key's is a 404 PAYLOAD_NOT_FOUND, and stays the builder's", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const { keyId, sign } = yield* device
        const { payload, payloadId } = yield* signable(url, route, account)
        const signature = { signature: sign(payload), keyId }
        expectPayloadError(
          yield* perform(url, payloadId, signature, { "x-api-key": otherApiKey }),
          404,
          "PAYLOAD_NOT_FOUND",
          payloadId
        )
        expect((yield* perform(url, payloadId, signature)).json.cvv).toBe("679")
      })
    )

    it.effect("an unknown id is a 404 PAYLOAD_NOT_FOUND; a missing key a 401", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const body = { signature: "AAAA", keyId: "device" }
        expectError(yield* perform(url, "6d1f5b8e-0000-4000-8000-000000000000", body), 404, "PAYLOAD_NOT_FOUND")
        expectError(yield* perform(url, "constructor", body), 404, "PAYLOAD_NOT_FOUND")
        expectError(yield* perform(url, "constructor", body, {}), 401, "Unauthorized")
      })
    )

    it.effect(
      "a signature by another key, or over other bytes, is the ledger's refusal: 502 AuthenticationFailed",
      () =>
        Effect.gen(function* () {
          const { url } = yield* DemoServer
          const { keyId, sign } = yield* device
          const other = yield* device
          const byOther = yield* signable(url, route, account)
          expectError(
            yield* perform(url, byOther.payloadId, { signature: other.sign(byOther.payload), keyId }),
            502,
            "AuthenticationFailed"
          )
          const overOther = yield* signable(url, route, account)
          expectError(
            yield* perform(url, overOther.payloadId, { signature: sign(`${overOther.payload} `), keyId }),
            502,
            "AuthenticationFailed"
          )
          // Refused, it was still used: a new signature needs a new payload.
          expectError(
            yield* perform(url, overOther.payloadId, { signature: sign(overOther.payload), keyId }),
            409,
            "PAYLOAD_ALREADY_CONSUMED"
          )
          notLogged(byOther.payload)
          notLogged(overOther.payload)
        })
    )

    it.effect("bad bodies are a 400 naming the field", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const { payloadId } = yield* signable(url, route, account)
        const notBase64 = yield* perform(url, payloadId, { signature: "not base64!", keyId: "device" })
        expectError(notBase64, 400, "InvalidRequest")
        expect(notBase64.json.error.field).toBe("signature")
        const noKey = yield* perform(url, payloadId, { signature: "AAAA" })
        expectError(noKey, 400, "InvalidRequest")
        expect(noKey.json.error.field).toBe("keyId")
        const noCustomer = yield* post(`${url}${route}/signable`, { accountNumber: account.accountNumber })
        expectError(noCustomer, 400, "InvalidRequest")
        expect(noCustomer.json.error.field).toBe("customerId")
      })
    )

    it.effect("the routes are in the OpenAPI document with summaries", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const { paths } = (yield* request(`${url}/openapi.json`)).json
        for (const action of ["cvv", "cvv/validate", "pin", "activate", "replace"]) {
          const operation = paths[`/v1/cards/{cardId}/${action}/signable`].post
          expect(operation.summary).toEqual(expect.any(String))
          expect(operation.responses).toHaveProperty("201")
        }
        const signed = paths["/v1/signed/{payloadId}"].post
        expect(signed.summary).toEqual(expect.any(String))
        expect(Object.keys(signed.responses)).toEqual(expect.arrayContaining(["200", "204", "404", "409", "410"]))
      })
    )
  })
})

const adminKey = "demo-test-admin-key"

/** The demo with payloads that expire quickly, on the real clock, a budget of 2 reveals a card and an admin key. */
const ShortLivedServer = DemoServer.layer({ port: 0 }).pipe(
  Layer.provide(ApiKeys.layer({ keys: [Redacted.make(apiKey)], adminKeys: [Redacted.make(adminKey)] })),
  Layer.provideMerge(servedOn(providerLayer("fake", FakeProvider.layer()), StoreServices.layerMemory)),
  Layer.provide(
    Layer.setConfigProvider(
      ConfigProvider.fromMap(
        new Map([
          ["CARDKIT_SIGNABLE_PAYLOAD_TTL", "200 millis"],
          ["CARDKIT_REVEAL_BUDGET_CARD", "2/1 hour"]
        ])
      )
    )
  ),
  Layer.provide(CaptureLogs)
)

layer(ShortLivedServer, { excludeTestServices: true })(
  "device-signed payloads: their time to live, the reveal budgets, the audit trail",
  (it) => {
    it.effect("a payload older than CARDKIT_SIGNABLE_PAYLOAD_TTL is a 410 PAYLOAD_EXPIRED", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const { keyId, sign } = yield* device
        const { payload, payloadId } = yield* signable(url, `/v1/cards/${ledgerCard.cardId}/cvv`, account)
        yield* Effect.sleep("400 millis")
        expectPayloadError(
          yield* perform(url, payloadId, { signature: sign(payload), keyId }),
          410,
          "PAYLOAD_EXPIRED",
          payloadId
        )
      })
    )

    it.effect(
      "a device-signed reveal is audited and spends the card's reveal budget: then a 429 with Retry-After",
      () =>
        Effect.gen(function* () {
          const { url } = yield* DemoServer
          const { keyId, sign } = yield* device
          const route = `/v1/cards/${ledgerCard.cardId}/cvv`
          const signedReveal = Effect.flatMap(signable(url, route, account), ({ payload, payloadId }) =>
            perform(url, payloadId, { signature: sign(payload), keyId })
          )
          expect((yield* signedReveal).json.cvv).toBe("679")
          expect((yield* post(`${url}${route}`, account)).status).toBe(200)
          const spent = yield* signedReveal
          expect(spent.status).toBe(429)
          expect(spent.json.error.code).toBe("BudgetExceeded")
          expect(spent.headers.get("retry-after")).toBe(String(spent.json.error.retryAfter))
          expect(spent.json.error.retryAfter).toBeGreaterThan(0)
          const audit = yield* request(`${url}/v1/audit?cardId=${ledgerCard.cardId}`, {
            headers: { "x-api-key": adminKey }
          })
          expect(audit.json.records.map((record: { operation: string }) => record.operation)).toContain(
            "device:revealCvv"
          )
          expect(audit.text).not.toContain("679")
        })
    )
  }
)
