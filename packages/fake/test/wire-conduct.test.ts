import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { FakeIssuer, FakeLedgerServer, FakeVisaServer, FakeWireServers, WireServer } from "../src/index.js"
import { examples } from "./support/visaSpec.js"
import { captureLogs, type LogLine, sendEffect } from "./support/wire.js"

/*
 * What every wire fake does around its protocol: a request id on each request and its answer, one
 * Debug line per request, and a last resort that answers a defect in the protocol's own shape and
 * logs it at Error with the request id, never with card data.
 */

const documentRequest = readFileSync(
  createRequire(import.meta.url).resolve("@cardkit/ledger/fixtures/get-cvv.request.json"),
  "utf8"
)
const visaRequest = JSON.stringify(examples["Account Validation Successful"].value)
const cardData = [/4957030420210462/, /4003205883446621/, /(^|\D)679(\D|$)/, /(^|\D)022(\D|$)/]

/** An issuer whose operations die with a message full of card data, as a careless bug's would be. */
const dyingIssuer = Layer.effect(
  FakeIssuer,
  Effect.map(FakeIssuer, (issuer) => {
    const die = () => Effect.die(new TypeError(`Cannot read "4957030420210462" of card 679 (cvv2 '022')`))
    return FakeIssuer.of({ ...issuer, getCvv: die, getCard: die, validateAccount: die })
  })
).pipe(Layer.provide(FakeIssuer.layer()))

const errorLines = (lines: ReadonlyArray<LogLine>) => lines.filter((line) => line.level === "ERROR")
const requestLines = (lines: ReadonlyArray<LogLine>, text: string) =>
  lines.filter((line) => line.level === "DEBUG" && line.message === text)

const expectNoCardData = (lines: ReadonlyArray<LogLine>) => {
  for (const line of lines) {
    const text = JSON.stringify(line)
    for (const secret of cardData) expect(text).not.toMatch(secret)
  }
}

describe("request ids and request logs", () => {
  const logs = captureLogs()
  const server = FakeWireServers.layer({ ledger: { open: true } }).pipe(
    Layer.provide(FakeIssuer.layer()),
    Layer.provide(logs.layer)
  )

  it.live("a well-formed x-request-id is echoed, and every request is one Debug line carrying it", () =>
    Effect.gen(function* () {
      const { url } = yield* WireServer
      for (const [path, body, line] of [
        ["/cardv2", documentRequest, "POST /cardv2 200"],
        ["/pav/v1/cardvalidation", visaRequest, "POST /pav/v1/cardvalidation 200"]
      ] as const) {
        logs.lines.length = 0
        const id = `trace-${path.length}.a:b_c`
        const answer = yield* sendEffect(`${url}${path}`, { body, headers: { "x-request-id": id } })
        expect(answer.status).toBe(200)
        expect(answer.headers["x-request-id"]).toBe(id)
        const logged = requestLines(logs.lines, line)
        expect(logged).toHaveLength(1)
        expect(logged[0]!.annotations.requestId).toBe(id)
        expect(logged[0]!.spans).toContain("request")
        expect(logs.lines.filter((l) => l.level === "DEBUG" && l.message.startsWith("POST "))).toHaveLength(1)
      }
    }).pipe(Effect.provide(server))
  )

  it.live("without one, or with a malformed one, each request gets a new id of letters", () =>
    Effect.gen(function* () {
      const { url } = yield* WireServer
      const ids = new Set<unknown>()
      for (const given of [undefined, "has space", "x".repeat(129), "4957030420210462", "id\u00e9", ""]) {
        const answer = yield* sendEffect(`${url}/cardv2`, {
          body: documentRequest,
          headers: given === undefined ? {} : { "x-request-id": given }
        })
        const id = answer.headers["x-request-id"]
        expect(id, String(given)).toMatch(/^[a-z]{20}$/)
        ids.add(id)
      }
      expect(ids.size).toBe(6)
    }).pipe(Effect.provide(server))
  )

  it.live(
    "the 404 of the shared port is a JSON body with a request id, logged with its path less digit runs, never the query",
    () =>
      Effect.gen(function* () {
        const { url } = yield* WireServer
        logs.lines.length = 0
        const missing = yield* sendEffect(`${url}/nope/4957030420210462?pan=4957030420210462`, { method: "GET" })
        expect(missing.status).toBe(404)
        expect(missing.json).toEqual({ error: { code: "NOT_FOUND", message: "no such path" } })
        expect(missing.headers["x-request-id"]).toMatch(/^[a-z]{20}$/)
        expect(requestLines(logs.lines, "GET /nope/… 404")).toHaveLength(1)
        const queried = yield* sendEffect(`${url}/cardv2?cvv=679`, { body: documentRequest })
        expect(queried.status).toBe(200)
        expect(requestLines(logs.lines, "POST /cardv2 200")).toHaveLength(1)
        expectNoCardData(logs.lines)
      }).pipe(Effect.provide(server))
  )
})

describe("the last resort", () => {
  it.live("a defect in the fake ledger is its internal error 9999, logged at Error with the request id", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const { url } = yield* WireServer
      const answer = yield* sendEffect(`${url}/cardv2`, { body: documentRequest, headers: { "x-request-id": "r-1" } })
      expect(answer.status).toBe(500)
      expect(answer.json).toEqual({ id: null, error: { code: "9999", message: "internal error" } })
      expect(answer.headers["x-request-id"]).toBe("r-1")
      const errors = errorLines(logs.lines)
      expect(errors).toHaveLength(1)
      expect(errors[0]!.annotations.requestId).toBe("r-1")
      expect(errors[0]!.message).toMatch(/TypeError: Cannot read/)
      expect(requestLines(logs.lines, "POST /cardv2 500")).toHaveLength(1)
      expectNoCardData(logs.lines)
    }).pipe(
      Effect.provide(FakeLedgerServer.layer({ open: true }).pipe(Layer.provide(dyingIssuer), Layer.provide(logs.layer)))
    )
  })

  it.live("a defect in the fake Visa is Visa's internal error, logged at Error with the request id", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const { url } = yield* WireServer
      const answer = yield* sendEffect(`${url}/pav/v1/cardvalidation`, { body: visaRequest })
      expect(answer.status).toBe(500)
      expect(answer.json).toEqual({
        responseStatus: { status: 500, code: "9999", severity: "ERROR", message: "Internal error", info: "" }
      })
      const errors = errorLines(logs.lines)
      expect(errors).toHaveLength(1)
      expect(errors[0]!.annotations.requestId).toBe(answer.headers["x-request-id"])
      expect(errors[0]!.message).toMatch(/TypeError/)
      expectNoCardData(logs.lines)
    }).pipe(Effect.provide(FakeVisaServer.layer().pipe(Layer.provide(dyingIssuer), Layer.provide(logs.layer))))
  })

  it.live("on the shared port, each fake answers its own defects in its own shape, once logged each", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const { url } = yield* WireServer
      const ledger = yield* sendEffect(`${url}/cardv2`, { body: documentRequest })
      expect(ledger.status).toBe(500)
      expect(ledger.json.error.code).toBe("9999")
      const visa = yield* sendEffect(`${url}/pav/v1/cardvalidation`, { body: visaRequest })
      expect(visa.status).toBe(500)
      expect(visa.json.responseStatus.code).toBe("9999")
      const errors = errorLines(logs.lines)
      expect(errors.map((line) => line.annotations.requestId)).toEqual([
        ledger.headers["x-request-id"],
        visa.headers["x-request-id"]
      ])
      expect(requestLines(logs.lines, "POST /cardv2 500")).toHaveLength(1)
      expect(requestLines(logs.lines, "POST /pav/v1/cardvalidation 500")).toHaveLength(1)
      expectNoCardData(logs.lines)
    }).pipe(
      Effect.provide(
        FakeWireServers.layer({ ledger: { open: true } }).pipe(Layer.provide(dyingIssuer), Layer.provide(logs.layer))
      )
    )
  })

  it.live("an app of another kind in combine that dies gets a JSON 500, never an empty body", () => {
    const logs = captureLogs()
    const app = WireServer.combine([["/boom", Effect.die("not even an Error")]])
    return Effect.gen(function* () {
      const { url } = yield* WireServer
      const answer = yield* sendEffect(`${url}/boom`, { method: "GET" })
      expect(answer.status).toBe(500)
      expect(answer.json).toEqual({ error: { code: "INTERNAL", message: "internal error" } })
      expect(errorLines(logs.lines).map((line) => line.message)).toEqual(["unexpected failure: a thrown string"])
    }).pipe(Effect.provide(WireServer.layer(app).pipe(Layer.provide(logs.layer))))
  })
})
