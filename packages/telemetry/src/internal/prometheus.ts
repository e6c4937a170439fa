import * as Http from "node:http"
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import { ServeError } from "@effect/platform/HttpServerError"
import { Effect, type Scope } from "effect"

/*
 * The Prometheus text comes from the OpenTelemetry Prometheus exporter used as a pull reader (its
 * own server not started): its serializer writes the exposition format, so no formatter is kept here.
 */

export const contentType = "text/plain; version=0.0.4; charset=utf-8"

export const makeReader = (): PrometheusExporter => new PrometheusExporter({ preventServerStart: true })

const serializer = new PrometheusSerializer()

/** What the reader collects now, as Prometheus exposition text. */
export const text = (reader: PrometheusExporter): Effect.Effect<string> =>
  Effect.map(
    Effect.promise(() => reader.collect()),
    ({ resourceMetrics }) => serializer.serialize(resourceMetrics)
  )

/**
 * The same text on its own port, at `GET /metrics`, without a key, until the scope closes: for a
 * scraper inside the cluster. Answered by the exporter's own request handler.
 */
export const serve = (
  reader: PrometheusExporter,
  port: number,
  host: string | undefined
): Effect.Effect<{ readonly port: number }, ServeError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<Http.Server, ServeError>((resume) => {
      const server = Http.createServer((request, response) => {
        if (request.method === "GET" && request.url?.split("?")[0] === "/metrics") {
          reader.getMetricsRequestHandler(request, response)
        } else {
          response.statusCode = 404
          response.end()
        }
      })
      server.once("error", (cause) => resume(Effect.fail(new ServeError({ cause }))))
      server.listen({ port, host }, () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      })
  ).pipe(
    Effect.map((server) => {
      const address = server.address()
      return { port: typeof address === "object" && address !== null ? address.port : port }
    })
  )
