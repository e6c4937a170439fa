import { FakeProvider } from "@cardkit/fake"
import { StoreServices } from "@cardkit/store"
import { Telemetry } from "@cardkit/telemetry"
import { describe, expect, it } from "@effect/vitest"
import { AggregationTemporality, InMemoryMetricExporter } from "@opentelemetry/sdk-metrics"
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base"
import { Deferred, Effect, Fiber, Layer, Redacted } from "effect"
import { ApiKeys, DemoServer, providerLayer, servedOn } from "../src/index.js"
import {
  apiKey,
  CaptureLogs,
  capturedLogs,
  cardData,
  ledgerCard,
  logsOf,
  post,
  request,
  requestIdOf,
  visaCard
} from "./support.js"

const adminKey = "demo-test-admin-key"
const body = { customerId: ledgerCard.customerId, accountNumber: ledgerCard.accountNumber }

/** The demo on the fake and an in-memory store, its telemetry `telemetry`. */
const serverOn = (telemetry: Layer.Layer<Telemetry, unknown>) =>
  DemoServer.layer({ port: 0 }).pipe(
    Layer.provideMerge(telemetry),
    Layer.provide(ApiKeys.layer({ keys: [Redacted.make(apiKey)], adminKeys: [Redacted.make(adminKey)] })),
    Layer.provide(servedOn(providerLayer("fake", FakeProvider.layer()), StoreServices.layerMemory)),
    Layer.provide(CaptureLogs)
  )

/** Spans kept after shutdown, which the SDK's in-memory exporter would forget. */
class KeptSpans extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
const parentSpanId = "00f067aa0ba902b7"

describe("the demo's telemetry", () => {
  it.live("a reveal is one server span named by its route, with status, request id and the caller's parent", () =>
    Effect.gen(function* () {
      const spans = new InMemorySpanExporter()
      const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
      const { answer, exported, metricNames } = yield* Effect.gen(function* () {
        const { url } = yield* DemoServer
        const answer = yield* post(`${url}/v1/cards/${ledgerCard.cardId}/cvv`, body, {
          "x-api-key": apiKey,
          traceparent: `00-${traceId}-${parentSpanId}-01`
        })
        yield* Effect.flatMap(Telemetry, (telemetry) => telemetry.flush)
        const metricNames = metrics
          .getMetrics()
          .flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics.map((m) => m.descriptor.name)))
        return { answer, exported: spans.getFinishedSpans(), metricNames }
      }).pipe(Effect.provide(serverOn(Telemetry.layer({ spanExporter: spans, metricExporter: metrics }))))
      expect(answer.status).toBe(200)
      const requestId = requestIdOf(answer)
      const servers = exported.filter((span) => span.kind === 1)
      expect(servers.map((span) => span.name)).toEqual(["POST /v1/cards/{cardId}/cvv"])
      const [server] = servers
      expect(server?.attributes["http.response.status_code"]).toBe(200)
      expect(server?.attributes["cardkit.request_id"]).toBe(requestId)
      expect(server?.attributes["http.route"]).toBe("/v1/cards/:cardId/cvv")
      expect(server?.attributes["http.request.method"]).toBe("POST")
      expect(server?.attributes["url.path"]).toBe(`/v1/cards/${ledgerCard.cardId}/cvv`)
      // Headers are opt-in in the HTTP semantic conventions, and the API key is one.
      expect(Object.keys(server?.attributes ?? {}).filter((key) => key.includes(".header."))).toEqual([])
      expect(server?.spanContext().traceId).toBe(traceId)
      expect(server?.parentSpanContext?.spanId).toBe(parentSpanId)
      // Every line the request logged carries its trace id.
      const lines = logsOf(requestId)
      expect(lines.length).toBeGreaterThan(0)
      for (const line of lines) expect(line).toContain(`"traceId":"${traceId}"`)
      expect(metricNames).toContain("cardkit_http_request_duration_seconds")
    })
  )

  it.live("a request's span is exported when the app is interrupted, as runMain does on SIGTERM", () =>
    Effect.gen(function* () {
      const spans = new KeptSpans()
      const started = yield* Deferred.make<string>()
      const app = yield* Effect.fork(
        Layer.launch(
          Layer.effectDiscard(Effect.flatMap(DemoServer, ({ url }) => Deferred.succeed(started, url))).pipe(
            Layer.provide(serverOn(Telemetry.layer({ spanExporter: spans, spanScheduleDelay: "1 hour" })))
          )
        )
      )
      const url = yield* Deferred.await(started)
      expect((yield* post(`${url}/v1/cards/${ledgerCard.cardId}/cvv`, body)).status).toBe(200)
      // The batch waits an hour: only the shutdown can have sent it.
      expect(spans.getFinishedSpans()).toEqual([])
      yield* Fiber.interrupt(app)
      expect(spans.getFinishedSpans().map((span) => span.name)).toContain("POST /v1/cards/{cardId}/cvv")
    })
  )

  it.live("no card data in anything exported over the flows: reveals, validations, declines, refusals", () =>
    Effect.gen(function* () {
      const spans = new InMemorySpanExporter()
      const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
      const { exported, ids, text } = yield* Effect.gen(function* () {
        const { url } = yield* DemoServer
        const answers = [
          yield* post(`${url}/v1/cards/${ledgerCard.cardId}/cvv`, body),
          yield* post(`${url}/v1/account-validations`, visaCard),
          yield* post(`${url}/v1/account-validations`, { ...visaCard, cvv2: "023" }),
          yield* post(`${url}/v1/account-validations`, { ...visaCard, pan: "4957030420210463" }),
          yield* post(`${url}/v1/cards/${ledgerCard.cardId}/cvv`, { ...body, customerId: "100000000006002" }),
          yield* post(`${url}/v1/cards/${ledgerCard.cardId}/cvv`, body, { "x-api-key": "not-a-key" })
        ]
        const telemetry = yield* Telemetry
        yield* telemetry.flush
        return {
          exported: spans.getFinishedSpans(),
          ids: answers.map(requestIdOf),
          text: yield* telemetry.metricsText
        }
      }).pipe(Effect.provide(serverOn(Telemetry.layer({ spanExporter: spans, metricExporter: metrics }))))
      expect(exported.length).toBeGreaterThanOrEqual(6)
      // Random ids may hold "022" or "679" between letters: they are left out of what is searched.
      let everything = JSON.stringify([
        exported.map((span) => [span.name, span.attributes, span.events, span.status, span.links]),
        metrics.getMetrics(),
        text
      ])
      for (const id of [
        ...ids,
        ...exported.flatMap((span) => [span.spanContext().traceId, span.spanContext().spanId])
      ]) {
        everything = everything.replaceAll(id, "")
      }
      expect(everything).toContain("POST /v1/account-validations")
      expect(everything).toContain("cardkit_http_request_duration_seconds")
      for (const secret of cardData) expect(everything).not.toMatch(secret)
      expect(everything).not.toMatch(/4957030420210463|(^|\D)023(\D|$)/)
    })
  )

  it.live("/metrics needs an admin key and shows the request duration histogram", () =>
    Effect.gen(function* () {
      const { url } = yield* DemoServer
      yield* post(`${url}/v1/cards/${ledgerCard.cardId}/cvv`, body)
      expect((yield* request(`${url}/metrics`)).status).toBe(401)
      expect((yield* request(`${url}/metrics`, { headers: { "x-api-key": apiKey } })).status).toBe(401)
      const answer = yield* request(`${url}/metrics`, { headers: { "x-api-key": adminKey } })
      expect(answer.status).toBe(200)
      expect(answer.headers.get("content-type")).toContain("text/plain")
      expect(answer.text).toMatch(
        /cardkit_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/cards\/\{cardId\}\/cvv"[^}]*\} [1-9]/
      )
      expect(answer.text).toContain('method="POST"')
      expect(answer.text).toContain('status="200"')
      expect(answer.text).not.toContain(ledgerCard.cardId)
    }).pipe(Effect.provide(serverOn(Telemetry.layer({}))))
  )

  it.live("with nothing to export to, no span is exported, the tracer is disabled and logs carry no trace id", () =>
    Effect.gen(function* () {
      const spans = new InMemorySpanExporter()
      const { answer, exported, telemetry } = yield* Effect.gen(function* () {
        const { url } = yield* DemoServer
        const answer = yield* post(`${url}/v1/cards/${ledgerCard.cardId}/cvv`, body)
        const telemetry = yield* Telemetry
        yield* telemetry.flush
        return { answer, exported: spans.getFinishedSpans(), telemetry }
      }).pipe(
        // OTEL_SDK_DISABLED: an exporter is given, and still nothing reaches it.
        Effect.provide(serverOn(Telemetry.layer({ disabled: true, spanExporter: spans })))
      )
      expect(answer.status).toBe(200)
      expect(telemetry.tracing).toBe(false)
      expect(exported).toEqual([])
      for (const line of logsOf(requestIdOf(answer))) expect(line).not.toContain("traceId")
      expect(capturedLogs.length).toBeGreaterThan(0)
    })
  )
})
