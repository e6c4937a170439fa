import { Telemetry } from "@cardkit/telemetry"
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { DemoApi } from "./DemoApi.js"

/** `/metrics`: the metrics `Telemetry` keeps, as its Prometheus text. */
export const TelemetryLive = HttpApiBuilder.group(DemoApi, "telemetry", (handlers) =>
  Effect.map(Telemetry, (telemetry) =>
    handlers.handle("metrics", () =>
      Effect.map(telemetry.metricsText, (text) =>
        HttpServerResponse.text(text, { contentType: telemetry.metricsContentType })
      )
    )
  )
)
