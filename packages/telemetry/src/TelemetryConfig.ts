import { parseKeyPairsIntoRecord } from "@opentelemetry/core"
import { Config, Duration, Option, Redacted } from "effect"

/**
 * How spans and metrics are posted: OTLP/HTTP with JSON bodies (cardkit's default) or protobuf ones
 * (the OpenTelemetry default); a collector's OTLP HTTP receiver (port 4318) takes both.
 */
export type OtlpProtocol = "http/json" | "http/protobuf"

export interface TelemetryOptions {
  /** `service.name` on every span and metric; `cardkit-demo` by default. */
  readonly serviceName?: string | undefined
  /** Where spans are posted (OTLP/HTTP, JSON), the whole URL. Unset, no span leaves the process. */
  readonly tracesEndpoint?: string | undefined
  /** Where metrics are posted (OTLP/HTTP, JSON), the whole URL. Unset, metrics are only served as text. */
  readonly metricsEndpoint?: string | undefined
  /** How spans are posted; `http/json` by default. */
  readonly tracesProtocol?: OtlpProtocol | undefined
  /** How metrics are posted; `http/json` by default. */
  readonly metricsProtocol?: OtlpProtocol | undefined
  /** Headers sent with every export (a collector's API key, say). */
  readonly headers?: Redacted.Redacted<Readonly<Record<string, string>>> | undefined
  /** How often metrics are exported; 60 seconds by default. */
  readonly metricExportInterval?: Duration.DurationInput | undefined
  /** How long ended spans wait to be exported in a batch; 5 seconds by default. */
  readonly spanScheduleDelay?: Duration.DurationInput | undefined
  /** Export nothing, whatever the endpoints say (`OTEL_SDK_DISABLED=true`). */
  readonly disabled?: boolean | undefined
  /** Also serve the Prometheus text on this port, at `/metrics`, without a key; 0 picks a free port. */
  readonly metricsPort?: number | undefined
  /** Where the metrics port listens; every interface by default (it is meant for a scraper in the cluster). */
  readonly metricsHost?: string | undefined
}

type Signal = "TRACES" | "METRICS"

/**
 * A signal's setting: its own variable (`OTEL_EXPORTER_OTLP_<signal>_<setting>`) as it is, else the
 * general one (`OTEL_EXPORTER_OTLP_<setting>`) through `fromGeneral`.
 */
const perSignal = <A>(
  signal: Signal,
  setting: string,
  read: (name: string) => Config.Config<A>,
  fromGeneral: (general: A) => A = (general) => general
): Config.Config<A | undefined> =>
  Config.all([
    Config.option(read(`OTEL_EXPORTER_OTLP_${signal}_${setting}`)),
    Config.option(read(`OTEL_EXPORTER_OTLP_${setting}`))
  ]).pipe(
    Config.map(([own, general]) => Option.getOrUndefined(Option.orElse(own, () => Option.map(general, fromGeneral))))
  )

/** A signal's endpoint: its own variable as it is, else the general one with the signal's path appended. */
const endpoint = (signal: Signal, path: string): Config.Config<string | undefined> =>
  perSignal(signal, "ENDPOINT", Config.string, (base) => `${base.replace(/\/+$/, "")}/${path}`)

/**
 * A signal's protocol: its own variable, else the general one. gRPC is refused by name rather than
 * ignored: its port (4317) does not answer HTTP posts, so every export would fail.
 */
const protocol = (signal: Signal): Config.Config<OtlpProtocol | undefined> =>
  perSignal(signal, "PROTOCOL", (name) =>
    Config.string(name).pipe(
      Config.validate({
        message: "must be http/json or http/protobuf (cardkit exports over OTLP/HTTP, not gRPC)",
        validation: (value): value is OtlpProtocol => value === "http/json" || value === "http/protobuf"
      })
    )
  )

const milliseconds = (name: string): Config.Config<Duration.Duration | undefined> =>
  Config.integer(name).pipe(
    Config.validate({ message: "must be a whole number of milliseconds, at least 1", validation: (ms) => ms >= 1 }),
    Config.map(Duration.millis),
    Config.option,
    Config.map(Option.getOrUndefined)
  )

/**
 * The standard OpenTelemetry variables: `OTEL_EXPORTER_OTLP_ENDPOINT` (or per signal
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`),
 * `OTEL_EXPORTER_OTLP_PROTOCOL` (or per signal `_TRACES_PROTOCOL` / `_METRICS_PROTOCOL`: `http/json`,
 * `http/protobuf`), `OTEL_EXPORTER_OTLP_HEADERS` (`key=value,…`), `OTEL_SERVICE_NAME`, `OTEL_METRIC_EXPORT_INTERVAL` and
 * `OTEL_BSP_SCHEDULE_DELAY` (milliseconds), `OTEL_SDK_DISABLED`; and cardkit's `CARDKIT_METRICS_PORT`.
 * `serviceName` is the default for `OTEL_SERVICE_NAME`.
 */
export const telemetryConfig = (serviceName = "cardkit-demo"): Config.Config<TelemetryOptions> =>
  Config.all({
    serviceName: Config.withDefault(Config.string("OTEL_SERVICE_NAME"), serviceName),
    tracesEndpoint: endpoint("TRACES", "v1/traces"),
    metricsEndpoint: endpoint("METRICS", "v1/metrics"),
    tracesProtocol: protocol("TRACES"),
    metricsProtocol: protocol("METRICS"),
    headers: Config.redacted("OTEL_EXPORTER_OTLP_HEADERS").pipe(
      Config.map((value) => Redacted.make(parseKeyPairsIntoRecord(Redacted.value(value)))),
      Config.option,
      Config.map(Option.getOrUndefined)
    ),
    metricExportInterval: milliseconds("OTEL_METRIC_EXPORT_INTERVAL"),
    spanScheduleDelay: milliseconds("OTEL_BSP_SCHEDULE_DELAY"),
    disabled: Config.withDefault(Config.boolean("OTEL_SDK_DISABLED"), false),
    // Not `Config.port`, which refuses 0 (any free port).
    metricsPort: Config.integer("CARDKIT_METRICS_PORT").pipe(
      Config.validate({
        message: "must be a port number from 0 to 65535",
        validation: (port) => port >= 0 && port <= 65535
      }),
      Config.option,
      Config.map(Option.getOrUndefined)
    )
  })

/** `telemetryConfig()`: the standard variables, `cardkit-demo` the default service name. */
export const TelemetryConfig: Config.Config<TelemetryOptions> = telemetryConfig()
