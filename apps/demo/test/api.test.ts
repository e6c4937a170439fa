import * as Http from "node:http"
import SwaggerParser from "@apidevtools/swagger-parser"
import { RequestId } from "@cardkit/domain"
import { FakeIssuer } from "@cardkit/fake"
import { describe, expect, layer } from "@effect/vitest"
import { hostileBody, hostileKey, prototypeNames } from "@cardkit/fake/arbitraries"
import fc from "fast-check"
import { Effect } from "effect"
import { DemoServer } from "../src/index.js"
import {
  type Answer,
  apiKey,
  capturedLogs,
  cardData,
  expectError,
  ledgerCard,
  logsOf,
  otherApiKey,
  post,
  request,
  requestIdOf,
  TestServer,
  visaCard
} from "./support.js"

const cvvPath = (cardId: string) => `/v1/cards/${cardId}/cvv`
const ledgerBody = { customerId: ledgerCard.customerId, accountNumber: ledgerCard.accountNumber }

layer(TestServer, { excludeTestServices: true })("demo API over a socket", (it) => {
  it.effect("GET /health answers without a key and names the provider", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const answer = yield* request(`${url}/health`)
      expect(answer.status).toBe(200)
      expect(answer.json).toEqual({ status: "ok", provider: "fake" })
    })
  )

  describe("the documents' examples", () => {
    it.effect("the ledger's Get CVV example reveals 679, uncached", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const answer = yield* post(`${url}${cvvPath(ledgerCard.cardId)}`, { ...ledgerBody, reference: "visadps100013" })
        expect(answer.status).toBe(200)
        expect(answer.headers.get("cache-control")).toBe("no-store")
        expect(answer.headers.get("content-type")).toBe("application/json")
        expect(answer.headers.get("content-length")).toBe(String(Buffer.byteLength(answer.text)))
        expect(answer.json).toEqual({
          cardId: ledgerCard.cardId,
          cvv: "679",
          card: expect.objectContaining({ allowAtm: false, allowEcommerce: false, isReplace: false }),
          reference: "REFvisadps100013"
        })
        expect(Object.values(answer.json.card).every((flag) => flag === false)).toBe(true)
      })
    )

    it.effect("Visa's example account is approved with CVV2 and address matching", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const answer = yield* post(`${url}/v1/account-validations`, visaCard)
        expect(answer.status).toBe(200)
        expect(answer.json).toMatchObject({ approved: true, actionCode: "00", cvv2: "match", address: "match" })
        expect(answer.json.raw).toMatchObject({
          actionCode: "00",
          cvv2ResultCode: "M",
          addressVerificationResults: "Y"
        })
      })
    )

    it.effect("a decline is a 200 with approved: false", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const answer = yield* post(`${url}/v1/account-validations`, { ...visaCard, cvv2: "023" })
        expect(answer.status).toBe(200)
        expect(answer.json).toMatchObject({ approved: false, cvv2: "no_match" })
        expect(answer.text).not.toContain("023")
      })
    )
  })

  describe("400 names the field and never repeats the value", () => {
    const cases: ReadonlyArray<readonly [string, string, unknown, string]> = [
      ["a PAN failing Luhn", "/v1/account-validations", { ...visaCard, pan: "4957030420210463" }, "pan"],
      ["a PAN sent as a number", "/v1/account-validations", { ...visaCard, pan: 4957030420210462 }, "pan"],
      ["a missing PAN", "/v1/account-validations", { expiry: "2040-10" }, "pan"],
      ["a short CVV2", "/v1/account-validations", { ...visaCard, cvv2: "02" }, "cvv2"],
      ["a CVV2 sent as a number", "/v1/account-validations", { ...visaCard, cvv2: 123 }, "cvv2"],
      ["an expiry month 13", "/v1/account-validations", { ...visaCard, expiry: "2040-13" }, "expiry"],
      [
        "a bad postal code",
        "/v1/account-validations",
        { ...visaCard, billingAddress: { postalCode: "!!" } },
        "billingAddress.postalCode"
      ],
      ["a missing customer id", cvvPath(ledgerCard.cardId), { accountNumber: ledgerCard.accountNumber }, "customerId"],
      ["an unknown channel", cvvPath(ledgerCard.cardId), { ...ledgerBody, channel: "MAIL" }, "channel"],
      ["a card id too long for the path", cvvPath("c".repeat(65)), ledgerBody, "cardId"],
      ["a body that is not JSON", "/v1/account-validations", '{"pan": "4957030420210462"', "body"],
      ["a JSON array", "/v1/account-validations", [visaCard.pan], "body"],
      ["a body over 16 KiB", "/v1/account-validations", { ...visaCard, padding: "x".repeat(20_000) }, "body"]
    ]
    for (const [name, path, body, field] of cases) {
      it.effect(name, () =>
        Effect.gen(function* () {
          const { url } = yield* DemoServer
          const answer = yield* post(`${url}${path}`, body)
          expectError(answer, 400, "InvalidRequest")
          expect(answer.json.error.field).toBe(field)
          expect(answer.json.error.message.startsWith(`${field}: `)).toBe(true)
        })
      )
    }
  })

  describe("a body streamed without a length", () => {
    /** POST `chunks` with chunked transfer encoding; the status, or the error that ended the exchange. */
    const streamed = (url: string, chunks: ReadonlyArray<string>) =>
      Effect.async<{ readonly status?: number; readonly body?: string; readonly error?: string }>((resume) => {
        const req = Http.request(`${url}${cvvPath(ledgerCard.cardId)}`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": apiKey, "transfer-encoding": "chunked" }
        })
        req.on("response", (res) => {
          let body = ""
          res.setEncoding("utf8")
          res.on("data", (chunk: string) => {
            body += chunk
          })
          res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, body })))
        })
        req.on("error", (error) => resume(Effect.succeed({ error: error.message })))
        for (const chunk of chunks) req.write(chunk)
        req.end()
      })

    it.effect("is read whole when it stays within 16 KiB", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        // The padding is ignored as any unknown member is: only the size tells the next case apart.
        const json = JSON.stringify({ ...ledgerBody, reference: "streamed", padding: "x".repeat(1000) })
        const answer = yield* streamed(url, [json.slice(0, 10), json.slice(10, 30), json.slice(30)])
        expect(answer.status).toBe(200)
        expect(JSON.parse(answer.body ?? "")).toMatchObject({ cvv: "679", reference: "REFstreamed" })
      })
    )

    it.effect("costs the client its connection when it grows past 16 KiB, and the server answers on", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const head = JSON.stringify({ ...ledgerBody, padding: "" }).slice(0, -2)
        const answer = yield* streamed(url, [head, "x".repeat(10_000), "x".repeat(10_000), '"}'])
        expect(answer.status === 400 || answer.error !== undefined).toBe(true)
        expect(answer.status).not.toBe(200)
        const after = yield* post(`${url}${cvvPath(ledgerCard.cardId)}`, ledgerBody)
        expect(after.status).toBe(200)
      })
    )
  })

  describe("fuzz", () => {
    // Every property runs with the suite's one seed (vitest.setup.ts); FUZZ_SEED replays another.
    const runs = { numRuns: Number(process.env.FUZZ_RUNS ?? 500) }
    const cvvDocument = { ...ledgerBody, product: "DEFAULT", program: "DEFAULT", channel: "PULSE", reference: "fuzz" }
    // Every member either route reads, so that each is mutated and given prototype names.
    const accountDocument = { ...visaCard, cardholderName: { first: "Jane", middle: "Q", last: "Doe" } }
    const routes = [
      ["/v1/account-validations", accountDocument],
      [cvvPath(ledgerCard.cardId), cvvDocument]
    ] as const

    /** A 200, or one of the route's 4xx in the API's shape; never a 5xx, never an Error line. */
    const expectAnswered = (answer: Answer, path: string) => {
      const id = requestIdOf(answer)
      expect(logsOf(id).filter((line) => line.startsWith("ERROR"))).toEqual([])
      if (answer.status === 200) return
      expect(path.startsWith("/v1/cards/") ? [400, 404, 415] : [400, 415]).toContain(answer.status)
      expectError(answer, answer.status, answer.json?.error?.code)
      if (answer.status === 400) expect(answer.json.error.message.startsWith(`${answer.json.error.field}: `)).toBe(true)
    }

    it.effect("any value in any field of either route is a 200 or a 400 naming that field, never echoed", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const keys = ["pan", "expiry", "cvv2", "billingAddress", "customerId", "accountNumber", "channel"]
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(
              fc.constantFrom(...routes),
              fc.constantFrom(...keys, ...prototypeNames),
              fc.jsonValue(),
              async ([path, valid], key, value) => {
                const answer = await Effect.runPromise(post(`${url}${path}`, { ...valid, [key]: value }))
                expect([200, 400, 404]).toContain(answer.status)
                if (answer.status === 400) {
                  expect(answer.json.error.field === "body" || answer.json.error.field.startsWith(key)).toBe(true)
                }
                if (answer.status !== 200) {
                  for (const secret of cardData) expect(answer.text).not.toMatch(secret)
                }
              }
            ),
            runs
          )
        )
      })
    )

    it.effect("hostile bodies on either route (nesting to the limit, duplicates, surrogates, …) are never a 5xx", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const bodies = routes.map(([path, document]) =>
          hostileBody(document, { maxBytes: 16_384 }).map((body) => [path, body] as const)
        )
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(fc.oneof(...bodies), async ([path, body]) => {
              expectAnswered(await Effect.runPromise(post(`${url}${path}`, body)), path)
            }),
            runs
          )
        )
      })
    )

    it.effect("prototype names and hostile strings in the path, the headers and the content type are never a 5xx", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const named = fc.constantFrom(...prototypeNames)
        // What fetch can send in a header: printable ASCII (it trims the ends).
        const headerText = fc.oneof(named, fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,140}$/))
        const request = fc.record({
          route: fc.oneof(
            fc.constantFrom(...routes),
            fc.oneof(named, hostileKey).map((cardId) => [cvvPath(encodeURIComponent(cardId)), cvvDocument] as const)
          ),
          credentials: fc.oneof(
            fc.constant({ "x-api-key": apiKey }),
            headerText.map((key) => ({ "x-api-key": key })),
            headerText.map((token) => ({ authorization: `Bearer ${token}` }))
          ),
          contentType: fc.oneof(
            { weight: 3, arbitrary: fc.constant("application/json") },
            { weight: 1, arbitrary: headerText },
            {
              weight: 1,
              arbitrary: fc.constantFrom(
                "text/plain",
                "multipart/form-data; boundary=x",
                "application/x-www-form-urlencoded"
              )
            }
          ),
          requestId: fc.option(headerText),
          query: fc.option(
            fc.tuple(named, named).map(([a, b]) => `?${a}=1&${b}=2&${a}=3`),
            { nil: "" }
          )
        })
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(
              request,
              async ({ route: [path, document], credentials, contentType, requestId, query }) => {
                const headers = {
                  ...credentials,
                  "content-type": contentType,
                  ...(requestId === null ? {} : { "x-request-id": requestId })
                }
                const answer = await Effect.runPromise(post(`${url}${path}${query}`, document, headers))
                if (answer.status === 401) expectError(answer, 401, "Unauthorized")
                else expectAnswered(answer, path)
                const id = requestIdOf(answer)
                if (requestId !== null && RequestId.isWellFormed(requestId)) expect(id).toBe(requestId)
              }
            ),
            runs
          )
        )
      })
    )
  })

  describe("401 without a valid API key", () => {
    const attempts: ReadonlyArray<readonly [string, Record<string, string>]> = [
      ["no key", {}],
      ["a wrong x-api-key", { "x-api-key": "not-the-key" }],
      ["a key that is a prefix of a valid one", { "x-api-key": apiKey.slice(0, -1) }],
      ["a wrong bearer token", { authorization: "Bearer not-the-key" }],
      ["a valid key under another scheme", { authorization: `Basic ${apiKey}` }]
    ]
    for (const [name, headers] of attempts) {
      it.effect(`${name} on both routes`, () =>
        Effect.gen(function* () {
          const { url } = yield* DemoServer
          expectError(yield* post(`${url}${cvvPath(ledgerCard.cardId)}`, ledgerBody, headers), 401, "Unauthorized")
          expectError(yield* post(`${url}/v1/account-validations`, visaCard, headers), 401, "Unauthorized")
        })
      )
    }

    it.effect("every configured key works, as x-api-key or as a bearer token", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        for (const headers of [{ "x-api-key": otherApiKey }, { authorization: `Bearer ${apiKey}` }]) {
          const answer = yield* post(`${url}${cvvPath(ledgerCard.cardId)}`, ledgerBody, headers)
          expect(answer.status).toBe(200)
        }
      })
    )
  })

  describe("provider errors map to statuses", () => {
    it.effect("404 CardNotFound", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        expectError(yield* post(`${url}${cvvPath("no-such-card")}`, ledgerBody), 404, "CardNotFound")
      })
    )

    it.effect("409 CardNotActive once the card is blocked", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const issuer = yield* FakeIssuer
        const card = yield* issuer.issueCard()
        const body = { customerId: card.customerId, accountNumber: card.accountNumber }
        expect((yield* post(`${url}${cvvPath(card.cardId)}`, body)).status).toBe(200)
        yield* issuer.setStatus(card.cardId, "TEMPRORY_BLOCKED_BY_CLIENT")
        const answer = yield* post(`${url}${cvvPath(card.cardId)}`, body)
        expectError(answer, 409, "CardNotActive")
        expect(answer.json.error.message).toContain("TEMPRORY_BLOCKED_BY_CLIENT")
      })
    )

    it.effect("502 ProviderRejected", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const answer = yield* post(`${url}${cvvPath("provider-rejects")}`, ledgerBody)
        expectError(answer, 502, "ProviderRejected")
        expect(answer.json.error.message).toBe("refused by the ledger")
      })
    )

    it.effect("503 ProviderUnavailable on both routes", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const issuer = yield* FakeIssuer
        yield* issuer.injectFaults("getCvv", { failures: ["Unavailable"] })
        yield* issuer.injectFaults("validateAccount", { failures: ["Unavailable"] })
        expectError(yield* post(`${url}${cvvPath(ledgerCard.cardId)}`, ledgerBody), 503, "ProviderUnavailable")
        expectError(yield* post(`${url}/v1/account-validations`, visaCard), 503, "ProviderUnavailable")
        yield* issuer.clearFaults()
      })
    )

    it.effect("504 ProviderTimeout", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        expectError(yield* post(`${url}${cvvPath("provider-times-out")}`, ledgerBody), 504, "ProviderTimeout")
      })
    )

    it.effect("an unknown route is a JSON 404", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        expectError(yield* request(`${url}/v1/nothing-here`), 404, "NotFound")
      })
    )
  })

  describe("documentation", () => {
    it.effect("/openapi.json is valid OpenAPI 3.1 and lists both /v1 routes with their security", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const answer = yield* request(`${url}/openapi.json`)
        expect(answer.status).toBe(200)
        expect(answer.json.openapi).toMatch(/^3\.1\./)
        yield* Effect.promise(() => SwaggerParser.validate(structuredClone(answer.json)))
        const paths = answer.json.paths
        expect(Object.keys(paths)).toEqual(
          expect.arrayContaining(["/health", "/v1/cards/{cardId}/cvv", "/v1/account-validations"])
        )
        for (const operation of [paths["/v1/cards/{cardId}/cvv"].post, paths["/v1/account-validations"].post]) {
          expect(operation.security).toEqual([{ apiKey: [] }, { bearer: [] }])
          expect(Object.keys(operation.responses)).toEqual(
            expect.arrayContaining(["200", "400", "401", "415", "500", "502", "503"])
          )
        }
        expect(Object.keys(paths["/v1/cards/{cardId}/cvv"].post.responses)).toEqual(
          expect.arrayContaining(["404", "409", "504"])
        )
      })
    )

    it.effect("/docs and / load nothing from another origin", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const docs = yield* request(`${url}/docs`)
        expect(docs.status).toBe(200)
        expect(docs.text).toContain('<script src="/docs/scalar.js">')
        const bundle = yield* request(`${url}/docs/scalar.js`)
        expect(bundle.status).toBe(200)
        expect(bundle.headers.get("content-type")).toContain("javascript")
        expect(bundle.text.length).toBeGreaterThan(100_000)
        const page = yield* request(`${url}/`)
        expect(page.status).toBe(200)
        expect(page.headers.get("content-security-policy")).toContain("default-src 'none'")
        for (const html of [docs.text, page.text]) expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
      })
    )
  })

  it.effect("logs show the masked PAN and no card data", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      yield* post(`${url}/v1/account-validations`, visaCard)
      yield* post(`${url}${cvvPath(ledgerCard.cardId)}`, ledgerBody)
      yield* post(`${url}/v1/account-validations`, { ...visaCard, pan: 4957030420210462 })
      const log = capturedLogs.join("\n")
      expect(log).toContain("495703******0462")
      expect(log).toContain(`reveal-cvv card=${ledgerCard.cardId} ok`)
      for (const secret of cardData) expect(log).not.toMatch(secret)
    })
  )
})
