import { readFileSync } from "node:fs"
import {
  AccountValidation,
  AccountValidationRequest,
  CardkitMetrics,
  InstrumentedAccountValidation,
  makeCvv,
  makePan,
  Tavv
} from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Redacted, Schema, type Tracer } from "effect"
import { parse } from "yaml"
import { CardValidationRequest } from "../src/CardValidationRequest.js"
import { PavClient } from "../src/PavClient.js"
import { VisaAccountValidation } from "../src/VisaAccountValidation.js"
import { visaErrorBody } from "../src/VisaErrorBody.js"
import { json, type Reply, testServer } from "./support/server.js"
import { withHttp } from "./support/http.js"

// The card data of the transport's tests: the spec's examples (PAN, CVV2, TAVV) and
// VisaAccountValidation's request. None of it may reach a span or a metric label.
const examples = parse(readFileSync(new URL("../fixtures/visa-pav-openapi.yaml", import.meta.url), "utf8")).paths[
  "/pav/v1/cardvalidation"
].post.requestBody.content["application/json"].examples
const withCvv2 = Schema.decodeUnknownSync(CardValidationRequest)(examples["Account Validation Successful"].value)
const withTavv = Schema.decodeUnknownSync(CardValidationRequest)(
  examples["Account validation using Token Successful"].value
)
const pan = "4957030420210462"
const cvv2 = "735"
const tavvHex = "0100000000000287A522DC5E26614C4005000000"
const secrets = [pan, cvv2, examples["Account Validation Successful"].value.cardCvv2Value as string, tavvHex]

const request = new AccountValidationRequest({
  pan: makePan(pan),
  cvv2: makeCvv(cvv2),
  tavv: Schema.decodeSync(Tavv)(tavvHex)
})

const approved = { actionCode: "00", responseCode: "5", transactionIdentifier: "381228649430011" }
const declined = { ...approved, actionCode: "05" }

const visaOptions = (url: string) => ({
  url,
  userId: Redacted.make("pav-user"),
  password: Redacted.make("pav-password"),
  retries: 2
})

/** A server answering `replies` in turn, the last one repeated. */
const serving = (replies: ReadonlyArray<Reply>) => {
  let next = 0
  return testServer((received, response) => replies[Math.min(next++, replies.length - 1)]!(received, response))
}

/** One call through `PavClient` against `replies`, with the spans it made. */
const calling = (replies: ReadonlyArray<Reply>, wire: CardValidationRequest = withCvv2) =>
  Effect.gen(function* () {
    const server = yield* serving(replies)
    const client = yield* withHttp(PavClient.make(visaOptions(server.url)))
    return yield* CardkitMetrics.recordingSpans(client.cardValidation(wire))
  }).pipe(Effect.scoped)

/** One validation through the instrumented `VisaAccountValidation` against `replies`, with the spans it made. */
const validating = (replies: ReadonlyArray<Reply>) =>
  Effect.gen(function* () {
    const server = yield* serving(replies)
    const visa = yield* withHttp(
      VisaAccountValidation.make({
        ...visaOptions(server.url),
        acquiringBin: "408999",
        acquirerCountryCode: "840",
        cardAcceptor: { name: "ABC Corp", idCode: "111111", terminalId: "12345678" }
      })
    )
    const validation = yield* Effect.provideService(InstrumentedAccountValidation.make, AccountValidation, visa)
    return yield* CardkitMetrics.recordingSpans(validation.validate(request))
  }).pipe(Effect.scoped)

const resetConnection: Reply = (_received, response) => {
  response.socket?.destroy()
}

const visaSpan = (spans: ReadonlyArray<Tracer.Span>) => spans.find((span) => span.name === "visa.cardvalidation")

describe("PavClient's span and metrics", () => {
  it.live("a call is one client span visa.cardvalidation with Visa's codes", () =>
    Effect.gen(function* () {
      const [exit, spans] = yield* calling([json(200, approved)])
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(spans.map((span) => span.name)).toEqual(["visa.cardvalidation"])
      expect(spans[0]!.kind).toBe("client")
      expect(Object.fromEntries(spans[0]!.attributes)).toEqual({
        "cardkit.provider": "visa",
        "cardkit.operation": "cardvalidation",
        "cardkit.attempt": 1,
        "cardkit.outcome": "ok",
        "visa.action_code": "00",
        "visa.response_code": "5"
      })
    })
  )

  it.live("a call Visa asked to retry says how many attempts it made, and each retry is counted", () =>
    Effect.gen(function* () {
      const retries = CardkitMetrics.countOf(CardkitMetrics.providerRetries, {
        provider: "visa",
        operation: "cardvalidation"
      })
      const before = yield* retries
      const [exit, spans] = yield* calling([json(503, {}), json(503, {}), json(200, declined)])
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(Object.fromEntries(visaSpan(spans)!.attributes)).toMatchObject({
        "cardkit.attempt": 3,
        "cardkit.outcome": "ok",
        "visa.action_code": "05"
      })
      expect((yield* retries) - before).toBe(2)
    })
  )

  it.live("a rejection's code is on the span, the outcome is its tag", () =>
    Effect.gen(function* () {
      const [, spans] = yield* calling([json(429, visaErrorBody(429, "9999", "slow down"))])
      expect(Object.fromEntries(visaSpan(spans)!.attributes)).toMatchObject({
        "cardkit.outcome": "ProviderRejected",
        "cardkit.provider_code": "9999"
      })
    })
  )
})

describe("VisaAccountValidation instrumented", () => {
  it.live("validations are counted approved, declined and by each failure's tag", () =>
    Effect.gen(function* () {
      const validations = (outcome: string) => CardkitMetrics.countOf(CardkitMetrics.accountValidations, { outcome })
      const outcomes = ["approved", "declined", "ProviderUnavailable", "ProviderRejected", "AuthenticationFailed"]
      const before = yield* Effect.forEach(outcomes, validations)
      const [, spans] = yield* validating([json(200, approved)])
      yield* validating([json(200, declined)])
      yield* validating([json(503, {})])
      yield* validating([json(429, visaErrorBody(429, "9999", "slow down"))])
      yield* validating([json(401, visaErrorBody(401, "9124", "bad credentials"))])
      const after = yield* Effect.forEach(outcomes, validations)
      expect(after.map((n, i) => n - before[i]!)).toEqual([1, 1, 1, 1, 1])
      expect(Object.fromEntries(spans[0]!.attributes)).toEqual({
        "cardkit.operation": "validate",
        "cardkit.outcome": "approved"
      })
    })
  )
})

describe("no card data in telemetry", () => {
  it.live("no span or metric holds the PAN, a CVV2 or the TAVV, even when Visa echoes them", () =>
    Effect.gen(function* () {
      const echo = `${pan} ${cvv2} ${tavvHex}`
      const flows: ReadonlyArray<ReadonlyArray<Reply>> = [
        [json(200, approved)],
        [json(200, declined)],
        [json(503, {}), json(200, approved)],
        [json(503, visaErrorBody(503, "9999", echo))],
        [json(400, visaErrorBody(400, "1001", `invalid primaryAccountNumber ${echo}`))],
        [json(429, visaErrorBody(429, "9999", echo))],
        [resetConnection],
        [json(200, { actionCode: echo })]
      ]
      const recorded = [
        ...(yield* Effect.forEach(flows, (replies) => calling(replies))),
        ...(yield* Effect.forEach(flows, (replies) => calling(replies, withTavv))),
        ...(yield* Effect.forEach(flows, validating))
      ]
      const spans = recorded.flatMap(([, spans]) => spans)
      expect(new Set(spans.map((span) => span.attributes.get("cardkit.outcome")))).toEqual(
        new Set([
          "ok",
          "approved",
          "declined",
          "ProviderUnavailable",
          "InvalidRequest",
          "ProviderRejected",
          "ProtocolViolation"
        ])
      )
      const strings = yield* CardkitMetrics.telemetryStrings(spans)
      const standalone = (secret: string) => new RegExp(`(^|[^0-9A-Fa-f])${secret}([^0-9A-Fa-f]|$)`)
      expect(strings.filter((s) => secrets.some((secret) => standalone(secret).test(s)))).toEqual([])
    })
  )
})
