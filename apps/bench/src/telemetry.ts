import { hammer } from "./demo.js"
import { type Received, startCollector } from "./internal/collector.js"
import { figure, interleaved } from "./internal/measure.js"

/*
 * Export settings a deployment might run with: spans out in batches each second, metrics every five
 * seconds, so each round of `hammer` (six seconds) exports both several times and once or more.
 */
const exporting = { OTEL_BSP_SCHEDULE_DELAY: "1000", OTEL_METRIC_EXPORT_INTERVAL: "5000" }

/**
 * The demo's CVV route, 50 connections, with the demo's telemetry exporting spans and metrics over
 * OTLP/HTTP to a collector on loopback, against the same app with no endpoint (nothing exported,
 * the tracer disabled), the two interleaved. Both serve the reveal traced and counted as the demo
 * does (`BENCH_DEMO_TELEMETRY=1`); a round that exports no span fails the row.
 */
export const benchTelemetry = async () => {
  // An endpoint inherited from the bench's own environment would have the "off" side export too,
  // somewhere the collector cannot see.
  const inherited = Object.keys(process.env).filter((name) => name.startsWith("OTEL_EXPORTER_OTLP_"))
  if (inherited.length > 0) throw new Error(`unset ${inherited.join(", ")} to run this section`)
  const collector = await startCollector()
  try {
    const rounds: Array<Received & { readonly requests: number }> = []
    const { on, off } = await interleaved(
      {
        on: async () => {
          const base = `round-${rounds.length + 1}`
          const result = await hammer("demoServer.js", {
            BENCH_DEMO_TELEMETRY: "1",
            OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint(base),
            ...exporting
          })
          const round = collector.received(base)
          if (round.spans === 0) throw new Error("the exporting demo sent the collector no span")
          rounds.push({ ...round, requests: result.requests })
          return result
        },
        off: () => hammer("demoServer.js", { BENCH_DEMO_TELEMETRY: "1", ...exporting })
      },
      (result) => result.perSecond,
      // Five rounds each: the two differ by less than the machine's own swings between rounds.
      5
    )
    const total = rounds.reduce((sum, r) => ({
      tracePosts: sum.tracePosts + r.tracePosts,
      traceBytes: sum.traceBytes + r.traceBytes,
      spans: sum.spans + r.spans,
      metricPosts: sum.metricPosts + r.metricPosts,
      metricBytes: sum.metricBytes + r.metricBytes,
      requests: sum.requests + r.requests
    }))
    const exported = `over ${rounds.length} exporting rounds the collector took ${total.spans.toLocaleString("en-US")} spans for ${total.requests.toLocaleString("en-US")} requests answered (${(total.spans / total.requests).toFixed(2)} per request) in ${total.tracePosts} trace posts (${Math.round(total.traceBytes / 1024).toLocaleString("en-US")} kB), and ${total.metricPosts} metric posts (${Math.round(total.metricBytes / 1024).toLocaleString("en-US")} kB)`
    return [
      figure({
        section: "telemetry",
        metric:
          "POST /v1/cards/{id}/cvv exporting spans and metrics (OTLP/HTTP, loopback): requests per second (50 connections)",
        ours: on.perSecond,
        baseline: off.perSecond,
        unit: "req/s",
        higherIsBetter: true,
        goal: "ratio ≥ 0.8",
        met: on.perSecond / off.perSecond >= 0.8,
        note: `baseline: the same app without an endpoint (nothing exported, the tracer disabled); ${exported}`
      }),
      figure({
        section: "telemetry",
        metric: "the same: p99 latency",
        ours: on.p99,
        baseline: off.p99,
        unit: "ms",
        higherIsBetter: false,
        goal: "(reported)",
        met: true
      })
    ]
  } finally {
    await collector.close()
  }
}
