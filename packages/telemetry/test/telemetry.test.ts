import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import {
  type Context as OtelContext,
  type ContextManager,
  context,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace
} from "@opentelemetry/api"
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base"
import { Effect, Exit, FiberRef, Layer, Logger, LogLevel, Metric, Scope, Tracer } from "effect"
import { Telemetry } from "../src/index.js"

const pan = "4111111111111111"

/** Build the layer, run `use` with it, close its scope (the graceful shutdown). */
const withTelemetry = <A, E>(layer: Layer.Layer<Telemetry, unknown>, use: Effect.Effect<A, E, Telemetry>) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(layer, scope)
    const result = yield* Effect.provide(use, context)
    yield* Scope.close(scope, Exit.void)
    return result
  })

/** The spans `use` ended, as exported, and the OpenTelemetry span active inside it. */
const exported = <A>(options: { readonly propagateOtelContext?: boolean }, use: Effect.Effect<A>) => {
  const exporter = new InMemorySpanExporter()
  return withTelemetry(
    Telemetry.layer({ spanExporter: exporter, ...options }),
    use.pipe(
      Effect.zipLeft(Effect.flatMap(Telemetry, (telemetry) => telemetry.flush)),
      Effect.map((result) => ({ result, spans: exporter.getFinishedSpans() }))
    )
  )
}

/** A synchronous context manager, as auto-instrumentation would register one (AsyncLocalStorage's). */
const stackContextManager = (): ContextManager => {
  const stack: Array<OtelContext> = []
  const manager: ContextManager = {
    active: () => stack.at(-1) ?? ROOT_CONTEXT,
    with: (ctx, fn, thisArg, ...args) => {
      stack.push(ctx)
      try {
        return fn.call(thisArg, ...args)
      } finally {
        stack.pop()
      }
    },
    bind: (_ctx, target) => target,
    enable: () => manager,
    disable: () => {
      stack.length = 0
      return manager
    }
  }
  return manager
}

/** A caller's span, as `traceparent` names it. */
const remoteParent = (sampled: boolean) =>
  Tracer.externalSpan({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", sampled })

const activeOtelSpanId = Effect.sync(() => trace.getActiveSpan()?.spanContext().spanId)

describe("Telemetry", () => {
  it.effect("exports Effect's spans with their parents, attributes, events and links", () =>
    Effect.gen(function* () {
      const { spans } = yield* exported(
        {},
        Effect.gen(function* () {
          const linked = yield* Effect.makeSpan("linked")
          linked.end(0n, Exit.void)
          yield* Effect.annotateCurrentSpan("step", "inner")
          yield* Effect.yieldNow()
          yield* Effect.withSpan(Effect.void, "innermost", {
            links: [{ _tag: "SpanLink", span: linked, attributes: { why: "test" } }]
          })
          const span = yield* Effect.orDie(Effect.currentSpan)
          span.event("checked", 0n)
        }).pipe(Effect.withSpan("inner"), Effect.withSpan("outer", { attributes: { route: "/v1/x" } }))
      )
      const byName = Object.fromEntries(spans.map((span) => [span.name, span]))
      const [outer, inner, innermost, linked] = [byName.outer, byName.inner, byName.innermost, byName.linked]
      expect(outer?.parentSpanContext).toBeUndefined()
      expect(outer?.attributes.route).toBe("/v1/x")
      expect(inner?.parentSpanContext?.spanId).toBe(outer?.spanContext().spanId)
      expect(inner?.attributes.step).toBe("inner")
      expect(inner?.events.map((event) => event.name)).toContain("checked")
      expect(innermost?.parentSpanContext?.spanId).toBe(inner?.spanContext().spanId)
      expect(innermost?.spanContext().traceId).toBe(outer?.spanContext().traceId)
      expect(innermost?.links[0]?.context.spanId).toBe(linked?.spanContext().spanId)
      expect(innermost?.links[0]?.attributes?.why).toBe("test")
    })
  )

  // The default tracer hands spans over as they end; @effect/opentelemetry's makes SDK spans. Both are
  // scrubbed as they become the spans the exporter reads: both alike.
  describe.each([
    { tracer: "the default tracer", options: {} },
    { tracer: "propagateOtelContext", options: { propagateOtelContext: true } }
  ])("with $tracer", ({ options }) => {
    it.effect("continues a remote parent and records a failure", () =>
      Effect.gen(function* () {
        const { spans } = yield* exported(
          options,
          Effect.gen(function* () {
            yield* Effect.withSpan(Effect.void, "sampled", { parent: remoteParent(true), kind: "server" })
            yield* Effect.ignore(Effect.withSpan(Effect.fail(new Error("refused")), "failed"))
          })
        )
        expect(spans.map((span) => span.name).sort()).toEqual(["failed", "sampled"])
        const [sampled, failed] = [spans.find((s) => s.name === "sampled"), spans.find((s) => s.name === "failed")]
        expect(sampled?.spanContext().traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736")
        expect(sampled?.parentSpanContext?.spanId).toBe("00f067aa0ba902b7")
        expect(sampled?.kind).toBe(1)
        expect(sampled?.status.code).toBe(SpanStatusCode.OK)
        expect(failed?.status).toEqual({ code: SpanStatusCode.ERROR, message: "refused" })
        expect(failed?.events.find((event) => event.name === "exception")?.attributes).toMatchObject({
          "exception.type": "Error",
          "exception.message": "refused"
        })
        expect(failed?.resource.attributes["service.name"]).toBe("cardkit-demo")
      })
    )

    it.effect("masks a PAN in a span's name, attribute, event and exception message before export", () =>
      Effect.gen(function* () {
        const exporter = new InMemorySpanExporter()
        const spans = yield* withTelemetry(
          Telemetry.layer({ spanExporter: exporter, ...options }),
          Effect.logWarning(`seen ${pan}`).pipe(
            Effect.zipRight(Effect.fail(new Error(`card ${pan} cvv 123 refused`))),
            Effect.withSpan(`reveal ${pan}`, { attributes: { card: pan, cards: [pan] } }),
            Effect.ignore,
            Logger.withMinimumLogLevel(LogLevel.Warning),
            // The in-memory exporter forgets its spans when it is shut down.
            Effect.zipRight(Effect.flatMap(Telemetry, (telemetry) => telemetry.flush)),
            Effect.map(() => exporter.getFinishedSpans())
          )
        )
        const [span] = spans
        expect(span?.name).toBe("reveal 411111******1111")
        expect(span?.attributes.card).toBe("411111******1111")
        // Effect hands the OpenTelemetry span a non-string value as its JSON text.
        expect(String(span?.attributes.cards)).toContain("411111******1111")
        expect(span?.events.map((event) => event.name)).toEqual(["seen 411111******1111", "exception"])
        const message = span?.events.find((event) => event.name === "exception")?.attributes?.["exception.message"]
        expect(message).toBe("card … cvv … refused")
        expect(span?.status.message).toBe("card … cvv … refused")
        expect(JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events, s.status]))).not.toMatch(
          /4111111111111111|123/
        )
      })
    )
  })

  // As the SDK's default parent-based sampler decides; @effect/opentelemetry's own tracer exports them.
  it.effect("leaves out the spans a remote parent flagged unsampled starts", () =>
    Effect.gen(function* () {
      const { spans } = yield* exported(
        {},
        Effect.gen(function* () {
          yield* Effect.withSpan(Effect.withSpan(Effect.void, "child"), "unsampled", { parent: remoteParent(false) })
          yield* Effect.withSpan(Effect.void, "sampled", { parent: remoteParent(true) })
        })
      )
      expect(spans.map((span) => span.name)).toEqual(["sampled"])
    })
  )

  it.effect("makes a span the active OpenTelemetry span only with propagateOtelContext", () =>
    Effect.gen(function* () {
      expect(context.setGlobalContextManager(stackContextManager())).toBe(true)
      try {
        const off = yield* exported({}, activeOtelSpanId.pipe(Effect.withSpan("off")))
        const on = yield* exported({ propagateOtelContext: true }, activeOtelSpanId.pipe(Effect.withSpan("on")))
        expect(off.result).toBeUndefined()
        expect(on.result).toBe(on.spans[0]?.spanContext().spanId)
        expect(on.result).toBeDefined()
      } finally {
        context.disable()
      }
    })
  )

  it.effect("masks a PAN in a metric tag, and serves the metrics as Prometheus text", () =>
    Effect.gen(function* () {
      const text = yield* withTelemetry(
        Telemetry.layer({}),
        Effect.gen(function* () {
          yield* Metric.increment(Metric.counter("cardkit_test_scrubbed")).pipe(Effect.tagMetrics("card", pan))
          return yield* Effect.flatMap(Telemetry, (telemetry) => telemetry.metricsText)
        })
      )
      expect(text).toContain("cardkit_test_scrubbed")
      expect(text).toContain('card="411111******1111"')
      expect(text).not.toContain(pan)
    })
  )

  it.effect("with no endpoint, exports nothing and disables the tracer", () =>
    Effect.gen(function* () {
      const { enabled, telemetry } = yield* withTelemetry(
        Telemetry.layer({}),
        Effect.all({ enabled: FiberRef.get(FiberRef.currentTracerEnabled), telemetry: Telemetry })
      )
      expect(enabled).toBe(false)
      expect(telemetry.tracing).toBe(false)
      expect(telemetry.exportingMetrics).toBe(false)
    })
  )

  it.effect("serves the metrics on their own port without a key", () =>
    withTelemetry(
      Telemetry.layer({ metricsPort: 0, metricsHost: "127.0.0.1" }),
      Effect.gen(function* () {
        yield* Metric.increment(Metric.counter("cardkit_test_port"))
        const { metricsPort } = yield* Telemetry
        const response = yield* Effect.promise(() => fetch(`http://127.0.0.1:${metricsPort}/metrics`))
        expect(response.status).toBe(200)
        expect(yield* Effect.promise(() => response.text())).toContain("cardkit_test_port")
        const other = yield* Effect.promise(() => fetch(`http://127.0.0.1:${metricsPort}/other`))
        expect(other.status).toBe(404)
      })
    )
  )

  it.live("logs a failed export, spans and metrics, with the collector's answer and none of their contents", () =>
    Effect.gen(function* () {
      const refusing = Http.createServer((request, response) => {
        request.resume()
        request.on("end", () => response.writeHead(400, { "content-type": "text/plain" }).end("refused"))
      })
      yield* Effect.acquireRelease(
        Effect.async<void>((resume) => {
          refusing.listen(0, "127.0.0.1", () => resume(Effect.void))
        }),
        () => Effect.sync(() => refusing.close())
      )
      const { port } = refusing.address() as AddressInfo
      const lines: Array<string> = []
      const captured = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ message }) => lines.push(String(message)))
      )
      yield* withTelemetry(
        Telemetry.layer({
          tracesEndpoint: `http://127.0.0.1:${port}/v1/traces`,
          metricsEndpoint: `http://127.0.0.1:${port}/v1/metrics`
        }),
        Effect.zipRight(
          Metric.increment(Metric.counter("cardkit_test_refused")),
          Effect.withSpan(Effect.void, `refused span ${pan}`)
        ).pipe(Effect.zipRight(Effect.flatMap(Telemetry, (telemetry) => telemetry.flush)))
      ).pipe(Effect.provide(captured))
      // The SDK calls back once the posts are answered; the log lines follow on their own fibers.
      yield* Effect.sleep("100 millis")
      // The collector's own answer, spans from the export thread as metrics from this one.
      expect(lines).toContain("telemetry: exporting spans failed: Bad Request")
      expect(lines).toContain("telemetry: exporting metrics failed: Bad Request")
      expect(lines.join("\n")).not.toMatch(/refused span|cardkit_test_refused|4111/)
    }).pipe(Effect.scoped)
  )

  // Strings travel as they are in protobuf bodies too, so one search serves both.
  for (const [protocol, contentType] of [
    ["http/json", "application/json"],
    ["http/protobuf", "application/x-protobuf"]
  ] as const) {
    it.live(`a span ended just before shutdown reaches a real OTLP/HTTP collector, metrics too (${protocol})`, () =>
      Effect.gen(function* () {
        const received: Array<{ readonly path: string; readonly type: string; readonly body: string }> = []
        const collector = Http.createServer((request, response) => {
          const chunks: Array<Buffer> = []
          request.on("data", (chunk: Buffer) => chunks.push(chunk))
          request.on("end", () => {
            received.push({
              path: request.url ?? "",
              type: request.headers["content-type"] ?? "",
              body: Buffer.concat(chunks).toString("utf8")
            })
            response.writeHead(200, { "content-type": "application/json" }).end("{}")
          })
        })
        yield* Effect.acquireRelease(
          Effect.async<void>((resume) => {
            collector.listen(0, "127.0.0.1", () => resume(Effect.void))
          }),
          () =>
            Effect.sync(() => {
              collector.close()
            })
        )
        const { port } = collector.address() as AddressInfo
        yield* withTelemetry(
          Telemetry.layer({
            serviceName: "cardkit-test",
            tracesProtocol: protocol,
            metricsProtocol: protocol,
            tracesEndpoint: `http://127.0.0.1:${port}/v1/traces`,
            metricsEndpoint: `http://127.0.0.1:${port}/v1/metrics`,
            // Long enough that only the shutdown can have sent them.
            spanScheduleDelay: "1 hour",
            metricExportInterval: "1 hour"
          }),
          Effect.zipRight(
            Metric.increment(Metric.counter("cardkit_test_shutdown")),
            Effect.withSpan(Effect.void, "last-span-before-sigterm")
          )
        )
        const traces = received.filter((request) => request.path === "/v1/traces")
        expect(traces[0]?.type).toContain(contentType)
        expect(traces.map((request) => request.body).join()).toContain("last-span-before-sigterm")
        expect(traces.map((request) => request.body).join()).toContain("cardkit-test")
        const metrics = received.filter((request) => request.path === "/v1/metrics")
        expect(metrics[0]?.type).toContain(contentType)
        expect(metrics.map((request) => request.body).join()).toContain("cardkit_test_shutdown")
      }).pipe(Effect.scoped)
    )
  }
})
