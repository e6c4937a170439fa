import * as Metrics from "@effect/opentelemetry/Metrics"
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import * as Resource from "@effect/opentelemetry/Resource"
import * as OtelTracer from "@effect/opentelemetry/Tracer"
import type { ServeError } from "@effect/platform/HttpServerError"
import { OTLPMetricExporter as JsonMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http"
import { OTLPMetricExporter as ProtobufMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto"
import { type MetricReader, PeriodicExportingMetricReader, type PushMetricExporter } from "@opentelemetry/sdk-metrics"
import type { SpanExporter } from "@opentelemetry/sdk-trace-base"
import { type Config, type ConfigError, Context, Duration, Effect, Layer, Option, Redacted, Runtime } from "effect"
import { scrubbingProducer } from "./CardDataScrubbing.js"
import * as ExportFailures from "./internal/exportFailures.js"
import * as Prometheus from "./internal/prometheus.js"
import * as RecordingTracer from "./internal/recordingTracer.js"
import * as SpanSink from "./internal/spanSink.js"
import { TelemetryConfig, type TelemetryOptions } from "./TelemetryConfig.js"

export interface TelemetryLayerOptions extends TelemetryOptions {
  /** Spans go here, on the app's thread, instead of to `tracesEndpoint` (tests: `InMemorySpanExporter`). */
  readonly spanExporter?: SpanExporter | undefined
  /** Metrics go here instead of to `metricsEndpoint` (tests: `InMemoryMetricExporter`). */
  readonly metricExporter?: PushMetricExporter | undefined
  /**
   * Trace through `@effect/opentelemetry`'s own tracer: each span an OpenTelemetry SDK span from its
   * start, made the active OpenTelemetry span while its fiber runs, and seen by span processors'
   * `onStart`, for OpenTelemetry-instrumented libraries (auto-instrumentation, with a context manager
   * registered). Off by default: nothing in cardkit reads that context, and spans are handed to the
   * processor as they end, which costs a request far less.
   */
  readonly propagateOtelContext?: boolean | undefined
}

/** What the running telemetry does: whether spans leave the process, and the metrics as text. */
export interface TelemetryService {
  /** Spans are exported: the OpenTelemetry tracer is installed. Otherwise Effect's tracer is disabled. */
  readonly tracing: boolean
  /** Metrics are exported periodically (they are always kept in memory and served as text). */
  readonly exportingMetrics: boolean
  /** Every Effect metric now, as Prometheus exposition text (card data scrubbed). */
  readonly metricsText: Effect.Effect<string>
  /** The content type to answer `metricsText` with. */
  readonly metricsContentType: string
  /** The port the metrics are served on without a key, when `metricsPort` asked for one. */
  readonly metricsPort: number | undefined
  /** Export whatever is pending now, spans and metrics (tests; shutdown does it by itself); failures are logged. */
  readonly flush: Effect.Effect<void>
}

/** `sdk: false`: metrics in memory only, no SDK, the tracer left as it is (`Telemetry.metricsOnly`). */
const build = (options: TelemetryLayerOptions, sdk: boolean) =>
  Effect.gen(function* () {
    const exporting = sdk && options.disabled !== true
    // A failed export is logged as the app logs, from the SDK's callback outside any fiber.
    const runtime = yield* Effect.runtime<never>()
    const failed =
      (signal: string): ExportFailures.Report =>
      (error) =>
        Runtime.runFork(runtime)(
          Effect.logWarning(`telemetry: exporting ${signal} failed: ${error?.message ?? "no reason given"}`)
        )
    const headers = options.headers === undefined ? undefined : { ...Redacted.value(options.headers) }
    const metricExporter = !exporting
      ? undefined
      : (options.metricExporter ??
        (options.metricsEndpoint === undefined
          ? undefined
          : new (options.metricsProtocol === "http/protobuf" ? ProtobufMetricExporter : JsonMetricExporter)(
              headers === undefined ? { url: options.metricsEndpoint } : { url: options.metricsEndpoint, headers }
            )))

    // Spans are exported on this thread to an exporter the app gives, on the export thread to an endpoint.
    const scheduledDelayMillis =
      options.spanScheduleDelay === undefined ? undefined : Duration.toMillis(options.spanScheduleDelay)
    const { spanExporter, tracesEndpoint } = options
    const sink = !exporting
      ? undefined
      : spanExporter !== undefined
        ? SpanSink.Sink.layer((resource) =>
            SpanSink.inProcess(SpanSink.batchProcessor(spanExporter, failed("spans"), scheduledDelayMillis), resource)
          )
        : tracesEndpoint === undefined
          ? undefined
          : SpanSink.Sink.layer((resource) =>
              SpanSink.worker(
                {
                  url: tracesEndpoint,
                  protocol: options.tracesProtocol ?? "http/json",
                  headers,
                  scheduledDelayMillis,
                  resource: resource.attributes
                },
                failed("spans")
              )
            )
    const interval = Duration.toMillis(options.metricExportInterval ?? Duration.seconds(60))
    const periodic =
      metricExporter === undefined
        ? undefined
        : new PeriodicExportingMetricReader({
            exporter: ExportFailures.metricExporter(metricExporter, failed("metrics")),
            exportIntervalMillis: interval,
            exportTimeoutMillis: Math.min(interval, 30_000)
          })
    const prometheus = Prometheus.makeReader()
    const readers: [MetricReader, ...Array<MetricReader>] =
      periodic === undefined ? [prometheus] : [prometheus, periodic]

    // Every reader reads the Effect metrics through one scrubbing producer; the readers are shut down
    // (the periodic one exporting a last time) when the scope closes.
    const metrics = Layer.scopedDiscard(
      Effect.flatMap(Metrics.makeProducer, (producer) =>
        Metrics.registerProducer(scrubbingProducer(producer), () => readers)
      )
    )
    // Without a sink no tracer is installed; with one, the sink flushes and shuts down when the scope
    // closes, so spans ended before a SIGTERM still reach the collector.
    const resource = { serviceName: options.serviceName ?? "cardkit-demo" }
    const tracer =
      sink === undefined
        ? Layer.empty
        : (options.propagateOtelContext === true
            ? Layer.unwrapEffect(
                Effect.map(SpanSink.Sink, (spans) =>
                  Layer.discard(OtelTracer.layer).pipe(
                    Layer.provide(NodeSdk.layerTracerProvider(SpanSink.processor(spans)))
                  )
                )
              )
            : RecordingTracer.layer
          ).pipe(Layer.provide(sink))
    const otel = sdk
      ? Layer.provideMerge(
          tracer,
          NodeSdk.layer(() => ({ resource }))
        )
      : Resource.layer(resource)
    const port =
      options.metricsPort === undefined
        ? Effect.succeed(undefined)
        : Effect.map(Prometheus.serve(prometheus, options.metricsPort, options.metricsHost), ({ port }) => port)
    const telemetry = Layer.scoped(
      Telemetry,
      Effect.gen(function* () {
        const spans = Option.getOrUndefined(yield* Effect.serviceOption(SpanSink.Sink))
        return {
          tracing: spans !== undefined,
          exportingMetrics: periodic !== undefined,
          metricsText: Prometheus.text(prometheus),
          metricsContentType: Prometheus.contentType,
          metricsPort: yield* port,
          flush: Effect.promise(() =>
            // A failed export is logged where it fails; flushing goes on with the other signal.
            Promise.allSettled([spans?.forceFlush(), periodic?.forceFlush()]).then(() => undefined)
          )
        } satisfies TelemetryService
      })
    )
    return (sink === undefined ? telemetry : Layer.provide(telemetry, sink)).pipe(
      Layer.merge(metrics),
      Layer.provide(otel),
      // Spans nobody exports are not made at all: `Effect.withSpan` costs next to nothing.
      Layer.provide(sink !== undefined || !sdk ? Layer.empty : Layer.setTracerEnabled(false))
    )
  })

/**
 * Traces and metrics out of the process. Effect's spans go through a batch processor to the OTLP/HTTP
 * trace exporter on a worker thread of their own when `tracesEndpoint` is set, Effect's metrics through a periodic reader to the
 * OTLP/HTTP metric exporter when `metricsEndpoint` is; both scrubbed of card data
 * (`CardDataScrubbing`) and flushed when the layer's scope closes. Metrics are always kept and
 * readable as Prometheus text (`metricsText`), on `metricsPort` too when set. Without a traces
 * endpoint the tracer is disabled.
 */
export class Telemetry extends Context.Tag("@cardkit/telemetry/Telemetry")<Telemetry, TelemetryService>() {
  /** The layer `options` describe (`layer`, as an effect). */
  static readonly make = (options: TelemetryLayerOptions = {}) => build(options, true)
  static readonly layer = (options: TelemetryLayerOptions = {}): Layer.Layer<Telemetry, ServeError> =>
    Layer.unwrapEffect(build(options, true))
  /**
   * Metrics kept and served as text, nothing exported and the tracer left as it is: for an app given
   * no `Telemetry` (a test's own tracer keeps working).
   */
  static readonly metricsOnly: Layer.Layer<Telemetry> = Layer.orDie(Layer.unwrapEffect(build({}, false)))
  /** As `layer`, the options from `config`: by default the standard `OTEL_*` variables (`TelemetryConfig`). */
  static readonly layerConfig = (
    config: Config.Config<TelemetryLayerOptions> = TelemetryConfig
  ): Layer.Layer<Telemetry, ServeError | ConfigError.ConfigError> =>
    Layer.unwrapEffect(Effect.map(config, Telemetry.layer))
}
