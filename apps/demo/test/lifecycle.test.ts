import { createHash } from "node:crypto"
import { CardLifecycle, type CardRef } from "@cardkit/domain"
import { FakeIssuer, FakeProvider } from "@cardkit/fake"
import { describe, expect, layer } from "@effect/vitest"
import { hostileBody, hostileKey, prototypeNames } from "@cardkit/fake/arbitraries"
import fc from "fast-check"
import { Deferred, Effect, Layer, Redacted, TestClock } from "effect"
import { referenceOf, StoreServices } from "@cardkit/store"
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

const account = { customerId: ledgerCard.customerId, accountNumber: ledgerCard.accountNumber }
const query = `customerId=${account.customerId}&accountNumber=${account.accountNumber}`
const auth = { "x-api-key": apiKey }

const put = (url: string, body: unknown, headers: Record<string, string> = auth) =>
  request(url, {
    method: "PUT",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body)
  })
const get = (url: string, headers: Record<string, string> = auth) => request(url, { headers })

const secretsAbsent = (text: string, ...secrets: ReadonlyArray<string>) => {
  for (const secret of secrets) expect(text).not.toContain(secret)
}

layer(TestServer, { excludeTestServices: true })("the card lifecycle routes, on the in-memory fake", (it) => {
  it.effect("GET /v1/cards/{cardId} answers the card by its last four digits, nothing secret", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const answer = yield* get(`${url}/v1/cards/${ledgerCard.cardId}?${query}`)
      expect(answer.status).toBe(200)
      expect(answer.json).toEqual({
        cardId: ledgerCard.cardId,
        type: "virtual",
        status: "active",
        rawStatus: "ACTIVATED",
        last4: "6621",
        expiry: "2029-11"
      })
      secretsAbsent(answer.text, "4003205883446621", "679")
    })
  )

  it.effect("GET /v1/customers/{customerId}/cards lists the account's cards", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const answer = yield* get(
        `${url}/v1/customers/${account.customerId}/cards?accountNumber=${account.accountNumber}`
      )
      expect(answer.status).toBe(200)
      expect(answer.json.cards.map((card: { cardId: string }) => card.cardId)).toContain(ledgerCard.cardId)
    })
  )

  it.effect("a GET without the customer or account is a 400 naming the field", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const missing = yield* get(`${url}/v1/cards/${ledgerCard.cardId}?accountNumber=${account.accountNumber}`)
      expectError(missing, 400, "InvalidRequest")
      expect(missing.json.error.field).toBe("customerId")
      const noAuth = yield* get(`${url}/v1/cards/${ledgerCard.cardId}?${query}`, {})
      expectError(noAuth, 401, "Unauthorized")
      const other = yield* get(`${url}/v1/cards/${ledgerCard.cardId}?customerId=100000000006002&accountNumber=1`)
      expect([400, 404]).toContain(other.status)
    })
  )

  it.effect("issue, lock, unlock and close a virtual card; a refused transition is a 409", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const issued = yield* post(`${url}/v1/cards`, { ...account, type: "virtual" })
      expect(issued.status).toBe(201)
      expect(issued.json).toMatchObject({ type: "virtual", status: "active" })
      const card = `${url}/v1/cards/${issued.json.cardId}`

      const locked = yield* post(`${card}/lock`, account)
      expect(locked.status).toBe(200)
      expect(locked.json.status).toBe("frozen")
      const again = yield* post(`${card}/lock`, account)
      expectError(again, 409, "StatusActionNotAllowed")
      expect(again.json.error.message).toContain("LOCK")

      expect((yield* post(`${card}/unlock`, account)).json.status).toBe("active")
      expectError(yield* post(`${card}/unlock`, account), 409, "StatusActionNotAllowed")
      // The ledger's table has no loss report for a virtual card.
      expectError(yield* post(`${card}/report-lost`, account), 409, "StatusActionNotAllowed")

      const closed = yield* post(`${card}/close`, account)
      expect(closed.status).toBe(200)
      expect(closed.json.status).toBe("closed")
    })
  )

  it.effect("a physical card: PIN set (204), reported lost, replaced with a new card", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const issued = yield* post(`${url}/v1/cards`, { ...account, type: "physical" })
      expect(issued.status).toBe(201)
      expect(issued.json.status).toBe("inactive")
      const card = `${url}/v1/cards/${issued.json.cardId}`

      const pin = yield* put(`${card}/pin`, { ...account, pin: "4821" })
      expect(pin.status).toBe(204)
      expect(pin.text).toBe("")
      const bad = yield* put(`${card}/pin`, { ...account, pin: "48x1" })
      expectError(bad, 400, "InvalidRequest")
      expect(bad.json.error.field).toBe("pin")
      secretsAbsent(bad.text, "48x1")
      secretsAbsent(capturedLogs.join("\n"), "4821", "48x1")
      const notJson = yield* request(`${card}/pin`, {
        method: "PUT",
        headers: { ...auth, "content-type": "text/plain" },
        body: "x"
      })
      expectError(notJson, 415, "UnsupportedMediaType")

      const lost = yield* post(`${card}/report-lost`, account)
      expect(lost.status).toBe(200)
      expect(lost.json.status).toBe("lost_stolen")
      const replaced = yield* post(`${card}/replace`, { ...account, reason: "lost_stolen" })
      expect(replaced.status).toBe(200)
      expect(replaced.json.replaced.cardId).toBe(issued.json.cardId)
      expect(replaced.json.replacement.cardId).not.toBe(issued.json.cardId)
    })
  )

  it.effect("a bad replace reason is a 400 naming reason; an unknown card a 404", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const bad = yield* post(`${url}/v1/cards/${ledgerCard.cardId}/replace`, { ...account, reason: "bored" })
      expectError(bad, 400, "InvalidRequest")
      expect(bad.json.error.field).toBe("reason")
      expectError(yield* post(`${url}/v1/cards/constructor/lock`, account), 404, "CardNotFound")
    })
  )

  it.effect("activate a physical card with its CVV; a wrong CVV is a 422 IncorrectCvv, never echoed", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const issued = yield* post(`${url}/v1/cards`, { ...account, type: "physical" })
      expect(issued.status).toBe(201)
      expect(issued.json.status).toBe("inactive")
      const wrong = yield* post(`${url}/v1/cards/${issued.json.cardId}/activate`, { ...account, cvv: "987" })
      expect([409, 422]).toContain(wrong.status)
      secretsAbsent(wrong.text, "987")
      secretsAbsent(logsOf(requestIdOf(wrong)).join("\n"), "987")
    })
  )

  it.effect("activate a physical card with the CVV printed on it; then it locks", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const issued = yield* post(`${url}/v1/cards`, { ...account, type: "physical" })
      const card = `${url}/v1/cards/${issued.json.cardId}`
      const cvv = Redacted.value(
        (yield* Effect.flatMap(FakeIssuer, (issuer) => issuer.getCard(issued.json.cardId))).cvv
      )
      expectError(yield* post(`${card}/lock`, account), 409, "StatusActionNotAllowed")
      const active = yield* post(`${card}/activate`, { ...account, cvv }, { ...auth, "idempotency-key": "activate-1" })
      expect(active.status).toBe(200)
      expect(active.json).toEqual({ ...issued.json, status: "active", rawStatus: "ACTIVATED" })
      const replayed = yield* post(
        `${card}/activate`,
        { ...account, cvv },
        { ...auth, "idempotency-key": "activate-1" }
      )
      expect(replayed.json).toEqual(active.json)
      expect((yield* post(`${card}/lock`, account)).json.status).toBe("frozen")
      const lines = [...logsOf(requestIdOf(active)), ...logsOf(requestIdOf(replayed))].join("\n")
      expect(lines).toContain("activate-card")
      secretsAbsent(`${active.text}${replayed.text}${lines}`, `"${cvv}"`, `=${cvv}`)
    })
  )

  it.effect("POST /v1/cards/{cardId}/cvv/validate: 679 is valid, 000 a 422; neither logged nor echoed", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const path = `${url}/v1/cards/${ledgerCard.cardId}/cvv/validate`
      const valid = yield* post(path, { ...account, cvv: "679" })
      expect(valid.status).toBe(200)
      expect(valid.json).toEqual({ cardId: ledgerCard.cardId, valid: true })
      const wrong = yield* post(path, { ...account, cvv: "000" })
      expectError(wrong, 422, "IncorrectCvv")
      const badShape = yield* post(path, { ...account, cvv: "12a" })
      expectError(badShape, 400, "InvalidRequest")
      expect(badShape.json.error.field).toBe("cvv")
      for (const answer of [valid, wrong, badShape]) {
        secretsAbsent(answer.text, "679", "12a", '"000"')
        secretsAbsent(logsOf(requestIdOf(answer)).join("\n"), "679", "12a", "000")
      }
    })
  )

  it.effect("GET and PUT /v1/cards/{cardId}/limits", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const path = `${url}/v1/cards/${ledgerCard.cardId}/limits`
      const before = yield* get(`${path}?${query}`)
      expect(before.status).toBe(200)
      expect(before.json.cardId).toBe(ledgerCard.cardId)
      const set = yield* put(path, { ...account, kind: "amount", cycle: "day", value: "250.00" })
      expect(set.status).toBe(200)
      expect(set.json.limits).toContainEqual(expect.objectContaining({ kind: "amount", cycle: "day", value: "250.00" }))
      const after = yield* get(`${path}?${query}`)
      expect(after.json.limits).toEqual(set.json.limits)
      const bad = yield* put(path, { ...account, kind: "amount", cycle: "day", value: "1e3" })
      expectError(bad, 400, "InvalidRequest")
      expect(bad.json.error.field).toBe("value")
    })
  )

  it.effect("the OpenAPI document has every lifecycle route and its errors", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const { json } = yield* request(`${url}/openapi.json`)
      const paths = json.paths
      expect(Object.keys(paths["/v1/cards/{cardId}"])).toEqual(["get"])
      expect(Object.keys(paths["/v1/customers/{customerId}/cards"])).toEqual(["get"])
      expect(Object.keys(paths["/v1/cards"])).toEqual(["post"])
      for (const action of ["activate", "lock", "unlock", "report-lost", "replace", "close", "cvv/validate"]) {
        expect(paths[`/v1/cards/{cardId}/${action}`].post.responses).toHaveProperty("409")
        expect(paths[`/v1/cards/{cardId}/${action}`].post.responses).toHaveProperty("422")
      }
      expect(paths["/v1/cards/{cardId}/pin"].put.responses).toHaveProperty("204")
      expect(Object.keys(paths["/v1/cards/{cardId}/limits"]).sort()).toEqual(["get", "put"])
      expect(JSON.stringify(paths["/v1/cards/{cardId}/lock"])).toContain("idempotency-key")
      expect(JSON.stringify(paths["/v1/cards/{cardId}"].get.parameters)).toContain("customerId")
    })
  )
})

layer(TestServer, { excludeTestServices: true })("fuzz of the lifecycle routes", (it) => {
  // Every property runs with the suite's one seed (vitest.setup.ts); FUZZ_SEED replays another.
  const runs = { numRuns: Number(process.env.FUZZ_RUNS ?? 300) }
  const cardPath = `/v1/cards/${ledgerCard.cardId}`
  // Routes whose document the fake answers the same however often it is sent.
  const writes = [
    ["POST", "/v1/cards", { ...account, type: "virtual" }],
    ["POST", `${cardPath}/cvv/validate`, { ...account, cvv: "679" }],
    ["PUT", `${cardPath}/limits`, { ...account, kind: "count", cycle: "lifetime", value: "9" }]
  ] as const
  const send = (url: string, method: "POST" | "PUT", path: string, body: string | Uint8Array, key?: string) =>
    request(`${url}${path}`, {
      method,
      headers: {
        "content-type": "application/json",
        ...auth,
        ...(key === undefined ? {} : { "idempotency-key": key })
      },
      body
    })
  const answered = (answer: Answer) => {
    expect(answer.status).toBeLessThan(500)
    if (answer.status >= 400) {
      expectError(answer, answer.status, answer.json?.error?.code)
      secretsAbsent(answer.text, "679")
    }
  }

  it.effect("any value in any field of a write is answered below 500, the CVV never echoed", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const keys = ["customerId", "accountNumber", "type", "cvv", "kind", "cycle", "value", "reference", "channel"]
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...writes),
            fc.constantFrom(...keys, ...prototypeNames),
            fc.jsonValue(),
            async ([method, path, valid], key, value) => {
              const answer = await Effect.runPromise(
                send(url, method, path, JSON.stringify({ ...valid, [key]: value }))
              )
              answered(answer)
              if (answer.status === 400) {
                expect(answer.json.error.field === "body" || answer.json.error.field.startsWith(key)).toBe(true)
              }
            }
          ),
          runs
        )
      )
    })
  )

  it.effect("hostile bodies and hostile idempotency keys on the writes are never a 5xx", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const bodies = writes.map(([method, path, document]) =>
        hostileBody(document, { maxBytes: 16_384 }).map((body) => [method, path, body] as const)
      )
      const keys = fc.option(fc.oneof(fc.constantFrom(...prototypeNames), fc.stringMatching(/^[\x21-\x7e]{1,300}$/)), {
        nil: undefined
      })
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.oneof(...bodies), keys, async ([method, path, body], key) => {
            answered(await Effect.runPromise(send(url, method, path, body, key)))
          }),
          runs
        )
      )
    })
  )

  it.effect("any query string on the GET routes is a 200 or a 4xx naming a field, never a 5xx", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const paths = [cardPath, `${cardPath}/limits`, `/v1/customers/${account.customerId}/cards`]
      const name = fc.oneof(
        fc.constantFrom("customerId", "accountNumber", ...prototypeNames),
        hostileKey,
        fc.constantFrom("__proto__[customerId]", "customerId[]", "accountNumber[a][b]", "constructor[prototype]")
      )
      const value = fc.oneof(
        fc.constantFrom(account.customerId, account.accountNumber, ...prototypeNames),
        fc.string({ maxLength: 40 })
      )
      const query = fc
        .array(fc.tuple(name, value), { maxLength: 6 })
        .map((pairs) =>
          [`customerId=${account.customerId}&accountNumber=${account.accountNumber}`]
            .concat(pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
            .join("&")
        )
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.constantFrom(...paths), fc.boolean(), query, async (path, keepValid, text) => {
            const answer = await Effect.runPromise(
              get(`${url}${path}?${keepValid ? text : text.split("&").slice(1).join("&")}`)
            )
            expect(answer.status).toBeLessThan(500)
            if (answer.status === 400) expect(["customerId", "accountNumber"]).toContain(answer.json.error.field)
            if (answer.status >= 400) expectError(answer, answer.status, answer.json?.error?.code)
          }),
          runs
        )
      )
    })
  )
})

/* Idempotency through HTTP, against a provider that counts its calls and can hold one. */

interface Calls {
  count: number
  references: Array<string | undefined>
  gate: Deferred.Deferred<void> | undefined
}
const calls: Calls = { count: 0, references: [], gate: undefined }

const Counting = Layer.effect(
  CardLifecycle,
  Effect.map(CardLifecycle, (fake) =>
    CardLifecycle.of({
      ...fake,
      lock: (card: CardRef) =>
        Effect.suspend(() => {
          calls.count++
          calls.references.push(card.reference)
          return calls.gate === undefined
            ? fake.lock(card)
            : Effect.zipRight(Deferred.await(calls.gate), fake.lock(card))
        })
    })
  )
)

const CountingServer = DemoServer.layer({ port: 0 }).pipe(
  Layer.provide(ApiKeys.layer({ keys: [Redacted.make(apiKey), Redacted.make(otherApiKey)] })),
  Layer.provide(
    servedOn(providerLayer("fake", Layer.provideMerge(Counting, FakeProvider.layer())), StoreServices.layerMemory)
  ),
  Layer.provide(CaptureLogs)
)

const issue = (url: string, type: "virtual" | "physical" = "virtual") =>
  Effect.map(post(`${url}/v1/cards`, { ...account, type }), (answer) => `${url}/v1/cards/${answer.json.cardId}`)

const lockWith = (card: string, key: string, api = apiKey, body: object = account) =>
  post(`${card}/lock`, body, { "x-api-key": api, "idempotency-key": key })

layer(CountingServer, { excludeTestServices: true })("idempotent writes over HTTP", (it) => {
  describe("Idempotency-Key", () => {
    it.effect("the same key and body answers the first answer (status and body) without calling the provider", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const card = yield* issue(url)
        const before = calls.count
        const first = yield* lockWith(card, "replay-1")
        const second = yield* lockWith(card, "replay-1")
        expect(first.status).toBe(200)
        expect(second.status).toBe(200)
        expect(second.json).toEqual(first.json)
        expect(second.headers.get("idempotent-replayed")).toBe("true")
        expect(calls.count - before).toBe(1)
        // Without the key the write runs again, and the card is already locked.
        expectError(yield* post(`${card}/lock`, account), 409, "StatusActionNotAllowed")
      })
    )

    it.effect("a refused write is answered again too (409 then the same 409)", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const card = yield* issue(url)
        yield* post(`${card}/lock`, account)
        const before = calls.count
        const first = yield* lockWith(card, "refused-1")
        const second = yield* lockWith(card, "refused-1")
        expectError(first, 409, "StatusActionNotAllowed")
        expect(second.status).toBe(409)
        expect(second.json).toEqual(first.json)
        expect(calls.count - before).toBe(1)
      })
    )

    it.effect("the same key with another body is a 422 IdempotencyKeyReused", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const card = yield* issue(url)
        const other = yield* issue(url)
        yield* lockWith(card, "mismatch-1")
        const before = calls.count
        expectError(yield* lockWith(other, "mismatch-1"), 422, "IdempotencyKeyReused")
        expectError(
          yield* lockWith(card, "mismatch-1", apiKey, { ...account, program: "OTHER" }),
          422,
          "IdempotencyKeyReused"
        )
        const pin = yield* put(`${card}/pin`, { ...account, pin: "1234" }, { ...auth, "idempotency-key": "mismatch-1" })
        expectError(pin, 422, "IdempotencyKeyReused")
        expect(calls.count).toBe(before)
      })
    )

    it.effect("two concurrent requests with one key reach the provider once; the second waits for the first", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const card = yield* issue(url)
        const before = calls.count
        calls.gate = yield* Deferred.make<void>()
        const both = yield* Effect.fork(
          Effect.all([lockWith(card, "concurrent-1"), lockWith(card, "concurrent-1")], { concurrency: 2 })
        )
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 200)))
        expect(calls.count - before).toBe(1)
        yield* Deferred.succeed(calls.gate, undefined)
        const [first, second] = yield* both.await.pipe(Effect.flatten)
        calls.gate = undefined
        expect(first.status).toBe(200)
        expect(second.status).toBe(200)
        expect(second.json).toEqual(first.json)
        expect(calls.count - before).toBe(1)
      })
    )

    it.effect("keys of different API keys are apart", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const card = yield* issue(url)
        const other = yield* issue(url)
        const before = calls.count
        expect((yield* lockWith(card, "shared-1", apiKey)).status).toBe(200)
        expect((yield* lockWith(other, "shared-1", otherApiKey)).status).toBe(200)
        expect(calls.count - before).toBe(2)
      })
    )

    it.effect("the write's ledger reference is derived from the API key and the key; a body's own wins", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const card = yield* issue(url)
        const other = yield* issue(url)
        yield* lockWith(card, "reference-1")
        const caller = createHash("sha256").update(apiKey).digest("hex")
        expect(calls.references.at(-1)).toBe(referenceOf(caller, "reference-1"))
        yield* lockWith(other, "reference-2", apiKey, { ...account, reference: "mine-1" })
        expect(calls.references.at(-1)).toBe("mine-1")
        yield* post(`${card}/unlock`, account)
      })
    )

    it.effect("a malformed key is a 400 naming idempotency-key", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const card = yield* issue(url)
        const answer = yield* lockWith(card, "x".repeat(256))
        expectError(answer, 400, "InvalidRequest")
        expect(answer.json.error.field).toBe("idempotency-key")
      })
    )

    it.effect("a PIN change replayed holds no PIN in the store's answer or the logs", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const card = yield* issue(url, "physical")
        const headers = { ...auth, "idempotency-key": "pin-1" }
        const first = yield* put(`${card}/pin`, { ...account, pin: "7391" }, headers)
        const second = yield* put(`${card}/pin`, { ...account, pin: "7391" }, headers)
        expect(first.status).toBe(204)
        expect(second.status).toBe(204)
        expect(second.headers.get("idempotent-replayed")).toBe("true")
        secretsAbsent(capturedLogs.join("\n"), "7391")
      })
    )
  })
})

layer(CountingServer)("idempotent writes over HTTP, on the TestClock", (it) => {
  it.effect("an answer is replayed for 24 hours, then the key runs the write again", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      const card = yield* issue(url)
      const before = calls.count
      expect((yield* lockWith(card, "expiry-1")).status).toBe(200)
      yield* TestClock.adjust("23 hours")
      const replayed = yield* lockWith(card, "expiry-1")
      expect(replayed.status).toBe(200)
      expect(replayed.headers.get("idempotent-replayed")).toBe("true")
      expect(calls.count - before).toBe(1)
      yield* TestClock.adjust("1 hour")
      // Expired: the write runs again, and the card is already locked.
      expectError(yield* lockWith(card, "expiry-1"), 409, "StatusActionNotAllowed")
      expect(calls.count - before).toBe(2)
    })
  )
})
