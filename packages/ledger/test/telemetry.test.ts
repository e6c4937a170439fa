import { generateKeyPairSync } from "node:crypto"
import {
  ActivateCardRequest,
  CardkitMetrics,
  CardLifecycle,
  CardSecrets,
  ChangePinRequest,
  GetCvvRequest,
  InstrumentedCardLifecycle,
  InstrumentedCardSecrets,
  ValidateCvvRequest
} from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Metric, MetricLabel, Schema, type Tracer } from "effect"
import { LedgerCardLifecycle, LedgerCardSecrets } from "../src/index.js"
import { cannedLedger, fixtureAnswer, httpClient, json, operationFixtures, options, signingKeys } from "./support.js"

const keys = signingKeys()
const rsaPublicPem = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .publicKey.export({ type: "spki", format: "pem" })
  .toString()

// The fixtures' card, and the card data they carry: the CVV GET_CVV answers, the PIN and CVV sent.
const byType = new Map(operationFixtures.map(([, fixture]) => [fixture.payload.transactionType, fixture]))
const secretsOf = (type: string) => byType.get(type)!.secrets!
const revealedCvv = (byType.get("GET_CVV")!.result.card as { cvv: string }).cvv
const pin = secretsOf("PIN_CHANGE").newPIN!
const checkedCvv = secretsOf("VALIDATE_CVV").cardCvv!
/** A card number a ledger that echoes its input could answer as its error code. */
const echoedPan = "4957030420210462"
const ref = {
  cardId: "6f586be7bf1c44b8b4ea11b2e2510e25",
  customerId: "100000000006001",
  accountNumber: "400320588344662"
}

/** How the canned ledger answers the next requests: the fixtures, a ledger error code, or HTTP 503 first. */
type Mode = { readonly error?: string; readonly unavailable?: number; readonly only?: string }

/** The ledger ports over a canned ledger answering by `mode`, each instrumented as an app serves them. */
const withLedger = <A, E>(body: (mode: (next: Mode) => void) => Effect.Effect<A, E, CardSecrets | CardLifecycle>) =>
  Effect.gen(function* () {
    let mode: Mode = {}
    let failures = 0
    const ledger = yield* cannedLedger((request, response) => {
      const { id, params } = JSON.parse(request.body)
      if (mode.only !== undefined && params.payload.transactionType !== mode.only) {
        return fixtureAnswer(byType.get(params.payload.transactionType)!)(request, response)
      }
      if (mode.unavailable !== undefined && failures < mode.unavailable) {
        failures++
        return json(response, "{}", 503)
      }
      if (mode.error !== undefined) {
        return json(response, JSON.stringify({ id, error: { code: mode.error, message: "refused" } }))
      }
      fixtureAnswer(byType.get(params.payload.transactionType)!)(request, response)
    })
    const ledgerOptions = options(ledger.url, keys.privatePem, { rsaPublicKey: rsaPublicPem })
    const ports = Layer.merge(
      InstrumentedCardSecrets.layer.pipe(Layer.provide(LedgerCardSecrets.layer(ledgerOptions))),
      InstrumentedCardLifecycle.layer.pipe(Layer.provide(LedgerCardLifecycle.layer(ledgerOptions)))
    )
    return yield* body((next) => {
      mode = next
      failures = 0
    }).pipe(Effect.provide(Layer.fresh(ports).pipe(Layer.provide(httpClient()))))
  }).pipe(Effect.scoped)

const reveal = Effect.flatMap(CardSecrets, (port) => port.getCvv(Schema.decodeUnknownSync(GetCvvRequest)(ref)))

const ledgerSpans = (spans: ReadonlyArray<Tracer.Span>) => spans.filter((span) => span.name.startsWith("ledger."))

const calls = (operation: string, outcome: string) =>
  Effect.map(
    Metric.value(
      Metric.taggedWithLabels(CardkitMetrics.providerCallDuration, [
        MetricLabel.make("provider", "ledger"),
        MetricLabel.make("operation", operation),
        MetricLabel.make("outcome", outcome)
      ])
    ),
    (state) => state.count
  )

describe("LedgerClient's spans and metrics", () => {
  it.live("a reveal is a cardkit.getCvv span around one client span ledger.GET_CVV, its duration recorded", () =>
    withLedger(() =>
      Effect.gen(function* () {
        const before = yield* calls("GET_CVV", "ok")
        const [exit, spans] = yield* CardkitMetrics.recordingSpans(reveal)
        expect(Exit.isSuccess(exit)).toBe(true)
        expect(spans.map((span) => span.name)).toEqual(["cardkit.getCvv", "ledger.GET_CVV"])
        const [port, call] = spans
        expect(call!.kind).toBe("client")
        expect(call!.parent._tag === "Some" && call!.parent.value.spanId).toBe(port!.spanId)
        expect(Object.fromEntries(call!.attributes)).toEqual({
          "cardkit.provider": "ledger",
          "cardkit.operation": "GET_CVV",
          "cardkit.attempt": 1,
          "cardkit.outcome": "ok"
        })
        expect(port!.attributes.get("cardkit.card_id")).toBe(ref.cardId)
        expect((yield* calls("GET_CVV", "ok")) - before).toBe(1)
      })
    )
  )

  it.live("a retried read is one span per attempt, numbered, each failure's code on it, and retries counted", () =>
    withLedger((mode) =>
      Effect.gen(function* () {
        mode({ unavailable: 2 })
        const retries = CardkitMetrics.countOf(CardkitMetrics.providerRetries, {
          provider: "ledger",
          operation: "GET_CVV"
        })
        const before = yield* retries
        const [exit, spans] = yield* CardkitMetrics.recordingSpans(reveal)
        expect(Exit.isSuccess(exit)).toBe(true)
        expect(
          ledgerSpans(spans).map((span) => [
            span.attributes.get("cardkit.attempt"),
            span.attributes.get("cardkit.outcome"),
            span.attributes.get("cardkit.provider_code")
          ])
        ).toEqual([
          [1, "ProviderUnavailable", "HTTP_503"],
          [2, "ProviderUnavailable", "HTTP_503"],
          [3, "ok", undefined]
        ])
        expect((yield* retries) - before).toBe(2)
      })
    )
  )

  it.live("a ledger error code is on the span, the outcome is the domain error, the reveal counted by it", () =>
    withLedger((mode) =>
      Effect.gen(function* () {
        mode({ error: "1004" })
        const notFound = CardkitMetrics.countOf(CardkitMetrics.reveals, {
          operation: "getCvv",
          outcome: "CardNotFound"
        })
        const before = yield* notFound
        const [exit, spans] = yield* CardkitMetrics.recordingSpans(reveal)
        expect(Exit.isFailure(exit)).toBe(true)
        expect(Object.fromEntries(ledgerSpans(spans)[0]!.attributes)).toMatchObject({
          "cardkit.outcome": "CardNotFound",
          "cardkit.provider_code": "1004"
        })
        expect(spans[0]!.attributes.get("cardkit.outcome")).toBe("CardNotFound")
        expect((yield* notFound) - before).toBe(1)
      })
    )
  )

  it.live("a write is one attempt however it fails, and the lifecycle write is counted by its outcome", () =>
    withLedger((mode) =>
      Effect.gen(function* () {
        const lifecycle = yield* CardLifecycle
        const activate = lifecycle.activate(Schema.decodeUnknownSync(ActivateCardRequest)({ ...ref, cvv: checkedCvv }))
        const writes = (outcome: string) =>
          CardkitMetrics.countOf(CardkitMetrics.lifecycleWrites, { operation: "activate", outcome })
        const before = [yield* writes("ok"), yield* writes("ProviderUnavailable")]
        yield* activate
        mode({ unavailable: 5, only: "UPDATE_STATUS" })
        const [, spans] = yield* CardkitMetrics.recordingSpans(activate)
        const writeSpans = spans.filter((span) => span.name === "ledger.UPDATE_STATUS")
        expect(writeSpans.map((span) => span.attributes.get("cardkit.attempt"))).toEqual([1])
        expect([(yield* writes("ok")) - before[0]!, (yield* writes("ProviderUnavailable")) - before[1]!]).toEqual([
          1, 1
        ])
      })
    )
  )

  it.live(
    "no span or metric holds the CVV revealed, the CVV checked or the PIN, over success, refusals and faults",
    () =>
      withLedger((mode) =>
        Effect.gen(function* () {
          const lifecycle = yield* CardLifecycle
          const flows = (modes: ReadonlyArray<Mode>) =>
            Effect.forEach(modes, (next) => {
              mode(next)
              return Effect.all(
                [
                  reveal,
                  lifecycle.changePin(Schema.decodeUnknownSync(ChangePinRequest)({ ...ref, pin })),
                  lifecycle.validateCvv(Schema.decodeUnknownSync(ValidateCvvRequest)({ ...ref, cvv: checkedCvv })),
                  lifecycle.activate(Schema.decodeUnknownSync(ActivateCardRequest)({ ...ref, cvv: checkedCvv }))
                ].map((flow: Effect.Effect<unknown, unknown, CardSecrets>) => Effect.exit(flow))
              )
            })
          const [exit, spans] = yield* CardkitMetrics.recordingSpans(
            flows([
              {},
              { error: "1019" },
              { error: "1005" },
              { error: "9999" },
              { error: echoedPan },
              { unavailable: 1 },
              { unavailable: 99 }
            ])
          )
          expect(Exit.isSuccess(exit)).toBe(true)
          expect(new Set(spans.map((span) => span.attributes.get("cardkit.outcome")))).toEqual(
            new Set(["ok", "IncorrectCvv", "CardNotActive", "ProviderRejected", "ProviderUnavailable"])
          )
          const strings = yield* CardkitMetrics.telemetryStrings(spans)
          const digits = (secret: string) => new RegExp(`(^|\\D)${secret}(\\D|$)`)
          expect(
            strings.filter((s) => [revealedCvv, checkedCvv, pin, echoedPan].some((secret) => digits(secret).test(s)))
          ).toEqual([])
        })
      )
  )
})
