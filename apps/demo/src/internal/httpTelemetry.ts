import { HttpApi, type HttpServerResponse } from "@effect/platform"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Effect, Metric, MetricBoundaries } from "effect"
import * as FindMyWay from "find-my-way-ts"
import { DemoApi } from "../DemoApi.js"

/*
 * The demo's request telemetry: the route a request took, as a span name and a metric label.
 *
 * Why a route table of its own: the platform's router names the route only on the request's span,
 * and no span is made while nothing exports them (apps/bench/README.md, "demo tracer"), yet the
 * request duration histogram needs the route either way. The table is find-my-way, as the
 * platform's router, over the API's own endpoints; a request's route is looked up once and kept on it.
 */

/** The label of a request no API endpoint answers: a page, the OpenAPI document, an unknown path. */
const other = "other"

const routes = FindMyWay.make<string>()
HttpApi.reflect(DemoApi, {
  onGroup: () => {},
  onEndpoint: ({ endpoint }) =>
    routes.on(endpoint.method, endpoint.path as FindMyWay.PathInput, endpoint.path.replace(/:(\w+)/g, "{$1}"))
})

const route = Symbol("@cardkit/demo/route")

interface Routed extends HttpServerRequest.HttpServerRequest {
  [route]?: string
}

/** The request's route as the API declares it, `{cardId}` for a path parameter (never the card id itself). */
export const routeOf = (request: HttpServerRequest.HttpServerRequest): string => {
  const routed = request as Routed
  routed[route] ??= routes.find(request.method, request.url)?.handler ?? other
  return routed[route]
}

/** The server span's name: method and route, `POST /v1/cards/{cardId}/cvv`; the method alone off the API. */
export const spanName = (request: HttpServerRequest.HttpServerRequest): string => {
  const template = routeOf(request)
  return template === other ? request.method : `${request.method} ${template}`
}

/** Each request's duration, from the moment the app takes it to its answer, by route, method and status. */
export const RequestDuration = Metric.histogram(
  "cardkit_http_request_duration_seconds",
  MetricBoundaries.exponential({ start: 0.0005, factor: 2, count: 16 }),
  "The demo's HTTP requests: seconds from the app taking the request to its answer, by route, method and status"
)

// Routes, methods and statuses are few: each tagged histogram is made once.
const tagged = new Map<string, Metric.Metric.Histogram<number>>()

const durationOf = (method: string, template: string, status: number): Metric.Metric.Histogram<number> => {
  const key = `${method} ${template} ${status}`
  let metric = tagged.get(key)
  if (metric === undefined) {
    metric = RequestDuration.pipe(
      Metric.tagged("route", template),
      Metric.tagged("method", method),
      Metric.tagged("status", String(status))
    )
    tagged.set(key, metric)
  }
  return metric
}

/**
 * `answer`, its duration recorded in `RequestDuration`; when `tracing`, the request id on its span
 * (`cardkit.request_id`) too.
 */
export const observed = <E, R>(
  request: HttpServerRequest.HttpServerRequest,
  requestId: string,
  tracing: boolean,
  answer: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R> => {
  const start = performance.now()
  return Effect.tap(
    tracing ? Effect.zipRight(Effect.annotateCurrentSpan("cardkit.request_id", requestId), answer) : answer,
    (response) =>
      Metric.update(durationOf(request.method, routeOf(request), response.status), (performance.now() - start) / 1000)
  )
}
