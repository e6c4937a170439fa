import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Redacted } from "effect"
import { TelemetryConfig, telemetryConfig } from "../src/index.js"

const read = (env: Record<string, string>, config = TelemetryConfig) =>
  Effect.withConfigProvider(config, ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("TelemetryConfig", () => {
  it.effect("unset, exports nothing, as cardkit-demo", () =>
    Effect.gen(function* () {
      const options = yield* read({})
      expect(options).toMatchObject({ serviceName: "cardkit-demo", disabled: false })
      expect(options.tracesEndpoint).toBeUndefined()
      expect(options.metricsEndpoint).toBeUndefined()
      expect(options.metricsPort).toBeUndefined()
    })
  )

  it.effect("reads the standard variables; a signal's own endpoint wins over the base", () =>
    Effect.gen(function* () {
      const options = yield* read({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/",
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://metrics:9000/ingest",
        OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=secret%20key,tenant=cardkit",
        OTEL_SERVICE_NAME: "cardkit-test",
        OTEL_METRIC_EXPORT_INTERVAL: "1000",
        OTEL_BSP_SCHEDULE_DELAY: "200",
        OTEL_SDK_DISABLED: "true",
        CARDKIT_METRICS_PORT: "9464"
      })
      expect(options.tracesEndpoint).toBe("http://collector:4318/v1/traces")
      expect(options.metricsEndpoint).toBe("http://metrics:9000/ingest")
      expect(Redacted.value(options.headers!)).toEqual({ "x-api-key": "secret key", tenant: "cardkit" })
      expect(String(options.headers)).not.toContain("secret")
      expect(options.serviceName).toBe("cardkit-test")
      expect(Duration.toMillis(options.metricExportInterval!)).toBe(1000)
      expect(Duration.toMillis(options.spanScheduleDelay!)).toBe(200)
      expect(options.disabled).toBe(true)
      expect(options.metricsPort).toBe(9464)
    })
  )

  it.effect("reads the protocol, a signal's own first, and refuses gRPC naming the variable", () =>
    Effect.gen(function* () {
      const unset = yield* read({})
      expect([unset.tracesProtocol, unset.metricsProtocol]).toEqual([undefined, undefined])
      const options = yield* read({
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "http/json"
      })
      expect([options.tracesProtocol, options.metricsProtocol]).toEqual(["http/protobuf", "http/json"])
      const grpc = yield* Effect.flip(read({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }))
      expect(String(grpc)).toContain("OTEL_EXPORTER_OTLP_PROTOCOL")
      expect(String(grpc)).toContain("not gRPC")
    })
  )

  it.effect("an app names its own default service", () =>
    Effect.map(read({}, telemetryConfig("cardkit-cli")), (options) => expect(options.serviceName).toBe("cardkit-cli"))
  )

  it.effect("a malformed interval or port is a ConfigError naming the variable", () =>
    Effect.gen(function* () {
      const interval = yield* Effect.flip(read({ OTEL_METRIC_EXPORT_INTERVAL: "soon" }))
      expect(String(interval)).toContain("OTEL_METRIC_EXPORT_INTERVAL")
      const port = yield* Effect.flip(read({ CARDKIT_METRICS_PORT: "70000" }))
      expect(String(port)).toContain("CARDKIT_METRICS_PORT")
    })
  )
})
