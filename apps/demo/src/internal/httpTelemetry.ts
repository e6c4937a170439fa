import { HttpApi, type HttpServerResponse, HttpTraceContext } from "@effect/platform"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { CardkitMetrics } from "@cardkit/domain"
import { Effect, Metric, MetricBoundaries, Option } from "effect"
import * as FindMyWay from "find-my-way-ts"
import { DemoApi } from "../DemoApi.js"

/*
 * The demo's request telemetry: the route a request took, as a span name and a metric label.
 *
 * Why a route table of its own: the platform's router names the route only on the request's span,
 * and no span is made while nothing exports them (apps/bench/README.md, "demo tracer"), yet the
 * request duration histogram needs the route either way. The table is find-my-way, as the
 * platform's router, over the API's own endpoints; a request's route is looked up once and kept on it.
 *
 * Why a server span of its own (the platform's tracer middleware is disabled): that one records every
 * request and response header as an attribute, which OpenTelemetry's HTTP semantic conventions leave
 * opt-in, and rebuilds the request's URL to do so; those attributes were most of the bytes each exported
 * span cost (apps/bench/README.md, telemetry). This span carries the conventions' required and
 * recommended attributes, and takes its parent from `traceparent` (or B3) as the platform's does.
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

const serverSpanAttributes = (request: HttpServerRequest.HttpServerRequest, requestId: string) => {
  const query = request.url.indexOf("?")
  const attributes: Record<string, string> = {
    "http.request.method": request.method,
    "url.path": query === -1 ? request.url : request.url.slice(0, query),
    "url.scheme": "http",
    "cardkit.request_id": requestId
  }
  // Set one by one: V8 builds an object with conditional spreads on a slow path (apps/bench/README.md).
  if (query !== -1) attributes["url.query"] = request.url.slice(query + 1)
  const userAgent = request.headers["user-agent"]
  if (userAgent !== undefined) attributes["user_agent.original"] = userAgent
  if (request.remoteAddress._tag === "Some") attributes["client.address"] = request.remoteAddress.value
  return attributes
}

/** `answer` in the request's server span, named by its route (`spanName`); the router adds `http.route`. */
const inServerSpan = <E, R>(
  request: HttpServerRequest.HttpServerRequest,
  requestId: string,
  answer: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R> =>
  CardkitMetrics.inSpan(
    spanName(request),
    {
      kind: "server",
      parent: Option.getOrUndefined(HttpTraceContext.fromHeaders(request.headers)),
      attributes: serverSpanAttributes(request, requestId)
    },
    answer,
    (exit, span) => {
      if (exit._tag === "Success") span.attribute("http.response.status_code", exit.value.status)
      return Effect.void
    }
  )

/**
 * `answer`, its duration recorded in `RequestDuration`; when `tracing`, in the request's server span,
 * which carries the request id (`cardkit.request_id`).
 */
export const observed = <E, R>(
  request: HttpServerRequest.HttpServerRequest,
  requestId: string,
  tracing: boolean,
  answer: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R> => {
  const start = performance.now()
  return Effect.tap(tracing ? inServerSpan(request, requestId, answer) : answer, (response) =>
    Metric.update(durationOf(request.method, routeOf(request), response.status), (performance.now() - start) / 1000)
  )
}
