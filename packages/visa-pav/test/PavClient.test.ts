import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import { UndiciHttpClient } from "@cardkit/http"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Config, ConfigProvider, Effect, Layer, Redacted, Schema } from "effect"
import { parse } from "yaml"
import { CardValidationRequest } from "../src/CardValidationRequest.js"
import { traceNumbersAt } from "../src/internal/references.js"
import { PavClient } from "../src/PavClient.js"
import { xPayResourcePath } from "../src/XPayToken.js"
import { json, testServer } from "./support/server.js"
import { viaUndici, withHttp } from "./support/http.js"

const spec = parse(readFileSync(new URL("../fixtures/visa-pav-openapi.yaml", import.meta.url), "utf8"))
const successful: unknown =
  spec.paths["/pav/v1/cardvalidation"].post.requestBody.content["application/json"].examples[
    "Account Validation Successful"
  ].value

const options = (url: string) => ({
  url,
  userId: Redacted.make("u"),
  password: Redacted.make("p")
})

const answer = { actionCode: "00", responseCode: "5", transactionIdentifier: "381228649430011" }

describe("PavClient", () => {
  it.live("sends a wire request as the spec writes it and decodes Visa's answer", () =>
    Effect.gen(function* () {
      const server = yield* testServer(json(200, answer))
      const client = yield* withHttp(PavClient.make(options(server.url)))
      const request = yield* Schema.decodeUnknown(CardValidationRequest)(successful)
      expect(String(request.primaryAccountNumber)).not.toContain("4957")
      const response = yield* client.cardValidation(request)
      expect(response).toEqual(answer)
      expect(JSON.parse(server.received[0]!.body)).toEqual(successful)
    }).pipe(Effect.scoped)
  )

  it.live("refuses a wire request that breaks the spec before sending it, naming the member", () =>
    Effect.gen(function* () {
      const server = yield* testServer(json(200, {}))
      const client = yield* withHttp(PavClient.make(options(server.url)))
      const request = Schema.decodeUnknownSync(CardValidationRequest)(successful)
      const error = yield* Effect.flip(client.cardValidation({ ...request, acquiringBin: "4089" }))
      expect(error).toMatchObject({ _tag: "InvalidRequest", field: "acquiringBin" })
      expect(server.received).toHaveLength(0)
    }).pipe(Effect.scoped)
  )

  it.live("layerConfig takes a caller's own Config, here options the caller already holds", () =>
    Effect.gen(function* () {
      const server = yield* testServer(json(200, answer))
      const request = Schema.decodeUnknownSync(CardValidationRequest)(successful)
      const response = yield* Effect.flatMap(PavClient, (client) => client.cardValidation(request)).pipe(
        Effect.provide(viaUndici(PavClient.layerConfig(Config.succeed(options(server.url)))))
      )
      expect(response.actionCode).toBe("00")
      expect(server.received[0]!.headers.authorization).toBe(`Basic ${Buffer.from("u:p").toString("base64")}`)
    }).pipe(Effect.scoped)
  )

  it.live("layerConfig reads CARDKIT_VISA_* by default", () =>
    Effect.gen(function* () {
      const server = yield* testServer(json(200, answer))
      const env = ConfigProvider.fromMap(
        new Map([
          ["CARDKIT_VISA_URL", server.url],
          ["CARDKIT_VISA_USER_ID", "env-user"],
          ["CARDKIT_VISA_PASSWORD", "env-password"]
        ]),
        { pathDelim: "_" }
      )
      const request = Schema.decodeUnknownSync(CardValidationRequest)(successful)
      yield* Effect.flatMap(PavClient, (client) => client.cardValidation(request)).pipe(
        Effect.provide(viaUndici(PavClient.layerConfig()).pipe(Layer.provide(Layer.setConfigProvider(env))))
      )
      expect(server.received[0]!.headers.authorization).toBe(
        `Basic ${Buffer.from("env-user:env-password").toString("base64")}`
      )
    }).pipe(Effect.scoped)
  )
})

describe("trace numbers", () => {
  test.prop([
    fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31, 23, 59) }),
    fc.integer({ min: 0, max: 999_999 })
  ])("retrievalReferenceNumber is ydddhh + the 6-digit trace number", (now, trace) => {
    const { systemsTraceAuditNumber, retrievalReferenceNumber } = traceNumbersAt(now, trace)
    const date = new Date(now)
    expect(systemsTraceAuditNumber).toMatch(/^\d{6}$/)
    expect(Number(systemsTraceAuditNumber)).toBe(trace)
    expect(retrievalReferenceNumber).toMatch(/^\d{12}$/)
    expect(retrievalReferenceNumber[0]).toBe(String(date.getUTCFullYear() % 10))
    const day = Number(retrievalReferenceNumber.slice(1, 4))
    expect(new Date(Date.UTC(date.getUTCFullYear(), 0, day)).toISOString().slice(0, 10)).toBe(
      date.toISOString().slice(0, 10)
    )
    expect(Number(retrievalReferenceNumber.slice(4, 6))).toBe(date.getUTCHours())
    expect(retrievalReferenceNumber.slice(6)).toBe(systemsTraceAuditNumber)
  })

  it("matches the spec's example: 015221743720 is year …0, day 152, 21h, trace 743720", () => {
    expect(traceNumbersAt(Date.UTC(2020, 4, 31, 21, 5), 743720).retrievalReferenceNumber).toBe("015221743720")
  })
})

describe("X-Pay-Token", () => {
  it("signs the path without its leading slash and first segment", () => {
    expect(xPayResourcePath("/cybersource/payments/v1/authorizations")).toBe("payments/v1/authorizations")
    expect(xPayResourcePath("/pav/v1/cardvalidation")).toBe("v1/cardvalidation")
  })

  it.live(
    "sends through the HttpClient it is given: a wrapped one tags and counts requests, the transport untouched",
    () =>
      Effect.gen(function* () {
        const server = yield* testServer(json(200, answer))
        const sent: Array<string> = []
        const wrapped = Layer.effect(
          HttpClient.HttpClient,
          Effect.map(HttpClient.HttpClient, (client) =>
            client.pipe(
              HttpClient.mapRequest(HttpClientRequest.setHeader("x-team", "cards")),
              HttpClient.tapRequest((request) => Effect.sync(() => sent.push(request.url)))
            )
          )
        ).pipe(Layer.provide(UndiciHttpClient.layer()))
        const request = Schema.decodeUnknownSync(CardValidationRequest)(successful)
        yield* Effect.flatMap(PavClient, (client) => client.cardValidation(request)).pipe(
          Effect.provide(PavClient.layer(options(server.url)).pipe(Layer.provide(wrapped)))
        )
        expect(sent).toEqual([`${server.url}/pav/v1/cardvalidation`])
        expect(server.received[0]!.headers["x-team"]).toBe("cards")
      }).pipe(Effect.scoped)
  )

  it.live("transformClient wraps the client for this transport alone", () =>
    Effect.gen(function* () {
      const server = yield* testServer(json(200, answer))
      const client = yield* withHttp(
        PavClient.make({
          ...options(server.url),
          transformClient: HttpClient.mapRequest(HttpClientRequest.setHeader("x-transport", "visa"))
        })
      )
      yield* client.cardValidation(Schema.decodeUnknownSync(CardValidationRequest)(successful))
      expect(server.received[0]!.headers["x-transport"]).toBe("visa")
    }).pipe(Effect.scoped)
  )
})
