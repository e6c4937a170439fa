import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { gunzipSync } from "node:zlib"

/** What a collector has been sent on one base so far, per signal. */
export interface Received {
  readonly tracePosts: number
  readonly traceBytes: number
  readonly spans: number
  readonly metricPosts: number
  readonly metricBytes: number
}

interface OtlpTraces {
  readonly resourceSpans?: ReadonlyArray<{
    readonly scopeSpans?: ReadonlyArray<{ readonly spans?: ReadonlyArray<unknown> }>
  }>
}

const spansIn = (body: Buffer) => {
  const traces = JSON.parse(body.toString("utf8")) as OtlpTraces
  let spans = 0
  for (const resource of traces.resourceSpans ?? []) {
    for (const scope of resource.scopeSpans ?? []) spans += scope.spans?.length ?? 0
  }
  return spans
}

const nothing: Received = { tracePosts: 0, traceBytes: 0, spans: 0, metricPosts: 0, metricBytes: 0 }

/**
 * A stand-in for an OpenTelemetry Collector's OTLP/HTTP receiver on loopback: it takes
 * `POST <base>/v1/traces` and `<base>/v1/metrics` (JSON bodies, as `@cardkit/telemetry` sends them),
 * answers 200 `{}` as soon as a body is read, and counts posts, bytes and spans per base, so a row
 * can show the export happened and charge each post to the round whose server sent it (a server's
 * last posts can arrive after the next round began). It shares the cores with the load generator,
 * so the trace bodies are kept and their spans counted when `received` asks, after the round: what
 * it costs while the server is measured is reading the bodies, less than a real collector's work.
 */
export const startCollector = async () => {
  const received = new Map<string, Received>()
  const unparsed = new Map<string, Array<Buffer>>()
  const server = createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const signal = /^\/([^/]+)\/v1\/(traces|metrics)$/.exec(request.url ?? "")
      if (request.method !== "POST" || signal === null) {
        response.writeHead(404).end()
        return
      }
      response.writeHead(200, { "content-type": "application/json" }).end("{}")
      const sent = Buffer.concat(chunks)
      const base = signal[1]!
      const so = received.get(base) ?? nothing
      if (signal[2] === "traces") {
        // The exporters send plain JSON unless `OTEL_EXPORTER_OTLP_COMPRESSION=gzip` is set.
        const body = request.headers["content-encoding"] === "gzip" ? gunzipSync(sent) : sent
        unparsed.set(base, [...(unparsed.get(base) ?? []), body])
        received.set(base, { ...so, tracePosts: so.tracePosts + 1, traceBytes: so.traceBytes + sent.length })
      } else {
        received.set(base, { ...so, metricPosts: so.metricPosts + 1, metricBytes: so.metricBytes + sent.length })
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    /** The `OTEL_EXPORTER_OTLP_ENDPOINT` whose posts `received(base)` counts. */
    endpoint: (base: string) => `http://127.0.0.1:${port}/${base}`,
    received: (base: string): Received => {
      const so = received.get(base) ?? nothing
      const bodies = unparsed.get(base) ?? []
      unparsed.delete(base)
      const counted = { ...so, spans: so.spans + bodies.reduce((spans, body) => spans + spansIn(body), 0) }
      received.set(base, counted)
      return counted
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}
