import { createHash } from "node:crypto"
import { FakeProvider } from "@cardkit/fake"
import { StoreServices } from "@cardkit/store"
import { describe, expect, layer } from "@effect/vitest"
import { hostileKey, prototypeNames } from "@cardkit/fake/arbitraries"
import fc from "fast-check"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { ApiKeys, DemoServer, providerLayer, servedOn } from "../src/index.js"
import { apiKey, CaptureLogs, expectError, ledgerCard, post, request, requestIdOf } from "./support.js"

const adminKey = "demo-test-admin-key"

/** The demo on the fake and an in-memory store, with an admin key and a budget of 3 reveals a card an hour. */
const AuditedServer = DemoServer.layer({ port: 0 }).pipe(
  Layer.provide(ApiKeys.layer({ keys: [Redacted.make(apiKey)], adminKeys: [Redacted.make(adminKey)] })),
  Layer.provide(servedOn(providerLayer("fake", FakeProvider.layer()), StoreServices.layerMemory)),
  Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["CARDKIT_REVEAL_BUDGET_CARD", "3/1 hour"]])))),
  Layer.provide(CaptureLogs)
)

const body = { customerId: ledgerCard.customerId, accountNumber: ledgerCard.accountNumber }
const reveal = (url: string) => post(`${url}/v1/cards/${ledgerCard.cardId}/cvv`, body)
const audit = (url: string, query = "", key = adminKey) =>
  request(`${url}/v1/audit${query}`, { headers: { "x-api-key": key } })

/** The audit trail's id of an API key: a prefix of its SHA-256 digest, never the key. */
const keyIdOf = (key: string) => createHash("sha256").update(key).digest("hex").slice(0, 16)

layer(AuditedServer, { excludeTestServices: true })("the demo's audit trail and reveal budgets", (it) => {
  it.effect(
    "records each reveal (who, when, which card, outcome, reference, request id, address) for admins only",
    () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const revealed = yield* reveal(url)
        expect(revealed.status).toBe(200)
        const page = yield* audit(url, `?cardId=${ledgerCard.cardId}&limit=1`)
        expect(page.status).toBe(200)
        const [record] = page.json.records
        expect(record).toMatchObject({
          apiKeyId: keyIdOf(apiKey),
          customerId: ledgerCard.customerId,
          cardId: ledgerCard.cardId,
          operation: "getCvv",
          outcome: "ok",
          providerReference: revealed.json.reference,
          requestId: requestIdOf(revealed)
        })
        expect(record.clientAddress).toMatch(/127\.0\.0\.1/)
        expect(Date.parse(record.at)).toBeGreaterThan(Date.now() - 60_000)
        expect(page.text).not.toContain(revealed.json.cvv)
        expect(page.text).not.toContain(apiKey)

        // An ordinary key is no admin key, and an admin key opens no card route.
        expectError(yield* audit(url, "", apiKey), 401, "Unauthorized")
        expectError(yield* request(`${url}/v1/audit`), 401, "Unauthorized")
        expectError(
          yield* post(`${url}/v1/cards/${ledgerCard.cardId}/cvv`, body, { "x-api-key": adminKey }),
          401,
          "Unauthorized"
        )
      })
  )

  it.effect("pages newest first with a cursor, and filters; a bad filter is a 400 naming it", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const issued = yield* post(`${url}/v1/cards`, { ...body, type: "virtual" })
      expect(issued.status).toBe(201)
      const card = issued.json.cardId
      expect((yield* post(`${url}/v1/cards/${card}/lock`, body)).status).toBe(200)
      expect((yield* post(`${url}/v1/cards/${card}/unlock`, body)).status).toBe(200)
      const first = yield* audit(url, `?cardId=${card}&limit=2`)
      expect(first.json.records.map((r: { operation: string }) => r.operation)).toEqual(["unlock", "lock"])
      expect(first.json.next).toEqual(expect.any(String))
      const second = yield* audit(url, `?cardId=${card}&limit=2&cursor=${first.json.next}`)
      expect(second.json).toEqual({ records: [expect.objectContaining({ operation: "issueCard" })], next: null })
      const none = yield* audit(url, `?cardId=${card}&since=${new Date(Date.now() + 60_000).toISOString()}`)
      expect(none.json).toEqual({ records: [], next: null })
      const bad = yield* audit(url, "?since=yesterday")
      expectError(bad, 400, "InvalidRequest")
      expect(bad.json.error.field).toBe("since")
      expectError(yield* audit(url, "?limit=100000"), 400, "InvalidRequest")
    })
  )

  it.effect("a spent card budget is a 429 with Retry-After, on record, and no CVV", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      // The first test revealed once: two more are within the budget of three.
      for (let i = 0; i < 2; i++) expect((yield* reveal(url)).status).toBe(200)
      const refused = yield* reveal(url)
      expect(refused.status).toBe(429)
      expect(refused.json).toEqual({
        error: {
          code: "BudgetExceeded",
          message: expect.stringContaining("3 per 1 hour"),
          retryAfter: expect.any(Number)
        }
      })
      expect(refused.text).not.toMatch(/(^|\D)679(\D|$)/)
      const retryAfter = Number(refused.headers.get("retry-after"))
      expect(retryAfter).toBeGreaterThan(3500)
      expect(retryAfter).toBeLessThanOrEqual(3600)
      expect(refused.json.error.retryAfter).toBe(retryAfter)
      const page = yield* audit(url, `?cardId=${ledgerCard.cardId}&limit=1`)
      expect(page.json.records[0]).toMatchObject({ outcome: "BudgetExceeded", requestId: requestIdOf(refused) })
    })
  )
})

layer(AuditedServer, { excludeTestServices: true })("the admin routes under hostile queries", (it) => {
  it.effect("any query string on /v1/audit and /metrics is a 200 or a 4xx naming an audit filter, never a 5xx", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const fields = ["cardId", "customerId", "since", "until", "cursor", "limit"]
      const name = fc.oneof(fc.constantFrom(...fields, ...prototypeNames), hostileKey)
      const value = fc.oneof(
        fc.constantFrom(ledgerCard.cardId, "2026-12-01T00:00:00Z", "0", "-1", "1e3", "500", "501", ...prototypeNames),
        fc.string({ maxLength: 40 })
      )
      const query = fc
        .array(fc.tuple(name, value), { maxLength: 6 })
        .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&"))
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.constantFrom("/v1/audit", "/metrics"), query, async (path, text) => {
            const answer = await Effect.runPromise(
              request(`${url}${path}?${text}`, { headers: { "x-api-key": adminKey } })
            )
            expect(answer.status).toBeLessThan(500)
            if (answer.status === 400) expect(fields).toContain(answer.json.error.field)
            if (answer.status >= 400) expectError(answer, answer.status, answer.json?.error?.code)
          }),
          { numRuns: 150 }
        )
      )
    })
  )
})

layer(AuditedServer, { excludeTestServices: true })("the GET routes outside the API under hostile headers", (it) => {
  it.effect("/health, /health/ready and /metrics with any key, request id and query are never a 5xx", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const named = fc.constantFrom(...prototypeNames)
      // What fetch can send in a header: printable ASCII (it trims the ends).
      const headerText = fc.oneof(named, fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,140}$/))
      const credentials = fc.oneof(
        fc.constant({}),
        fc.constantFrom({ "x-api-key": adminKey }, { "x-api-key": apiKey }),
        headerText.map((key) => ({ "x-api-key": key })),
        headerText.map((token) => ({ authorization: `Bearer ${token}` }))
      )
      const query = fc.option(
        fc.tuple(fc.oneof(named, hostileKey), named).map(([a, b]) => `?${encodeURIComponent(a)}=${b}&${b}[x]=1`),
        { nil: "" }
      )
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.constantFrom("/health", "/health/ready", "/metrics"),
            credentials,
            fc.option(headerText, { nil: undefined }),
            query,
            async (path, headers, requestId, text) => {
              const answer = await Effect.runPromise(
                request(`${url}${path}${text}`, {
                  headers: requestId === undefined ? headers : { ...headers, "x-request-id": requestId }
                })
              )
              if (path !== "/metrics") {
                // Neither needs a key, and the fake and the in-memory store are always ready.
                expect(answer.status).toBe(200)
                expect(answer.json.status).toBe("ok")
              } else if ("x-api-key" in headers && headers["x-api-key"] === adminKey) {
                expect(answer.status).toBe(200)
                expect(answer.text).toContain("cardkit_")
              } else {
                expect(answer.status).toBeGreaterThanOrEqual(400)
                expect(answer.status).toBeLessThan(500)
                expectError(answer, answer.status, answer.json?.error?.code)
              }
              expect(requestIdOf(answer)).not.toBe("")
            }
          ),
          { numRuns: 150 }
        )
      )
    })
  )
})

describe("ApiKeysConfig", () => {
  layer(
    DemoServer.layer({ port: 0 }).pipe(
      Layer.provide(ApiKeys.layerConfig()),
      Layer.provide(servedOn(providerLayer("fake", FakeProvider.layer()), StoreServices.layerMemory)),
      Layer.provide(
        Layer.setConfigProvider(
          ConfigProvider.fromMap(
            new Map([
              ["CARDKIT_DEMO_API_KEYS", apiKey],
              ["CARDKIT_DEMO_ADMIN_API_KEYS", `other-admin, ${adminKey}`]
            ])
          )
        )
      ),
      Layer.provide(CaptureLogs)
    )
  )((it) => {
    it.effect("reads the admin keys from CARDKIT_DEMO_ADMIN_API_KEYS, comma-separated", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        expect((yield* audit(url, "", adminKey)).status).toBe(200)
        expect((yield* audit(url, "", "other-admin")).status).toBe(200)
        expect((yield* audit(url, "", apiKey)).status).toBe(401)
      })
    )
  })
})
