import { RequestId } from "@cardkit/domain"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Context, Effect, FiberRef, FiberRefs, HashMap, HashSet, Logger, Tracer } from "effect"

/*
 * A measured fast path (apps/bench/README.md, "demo request ids"), kept to this module.
 *
 * Why: annotating each request's fiber with its id (`Effect.annotateLogs`) would cost every request
 * copies of its fiber's refs, whether or not it logs anything. Instead the server's loggers are
 * wrapped once, when it starts serving, and a line written while serving a request (in any fiber
 * that has the request in its context) takes the id from the request itself. When tracing, the line
 * takes its trace id from the span in the same context, as cheaply.
 */

const requestId = Symbol("@cardkit/demo/requestId")

interface Identified extends HttpServerRequest.HttpServerRequest {
  [requestId]?: string
}

/**
 * Give the request its id (`RequestId.fromHeader`: its own `x-request-id` when well formed, else a
 * fresh one). Log lines written while serving it carry the id.
 */
export const assignRequestId = (request: HttpServerRequest.HttpServerRequest): string => {
  const id = RequestId.fromHeader(request.headers[RequestId.header])
  ;(request as Identified)[requestId] = id
  return id
}

const withRequestId = (options: Logger.Logger.Options<unknown>): Logger.Logger.Options<unknown> => {
  const context = FiberRefs.getOrDefault(options.context, FiberRef.currentContext)
  const request = Context.getOrElse(context, HttpServerRequest.HttpServerRequest, () => undefined)
  const id = (request as Identified | undefined)?.[requestId]
  return id === undefined ? options : { ...options, annotations: HashMap.set(options.annotations, "requestId", id) }
}

const withTraceId = (options: Logger.Logger.Options<unknown>): Logger.Logger.Options<unknown> => {
  const identified = withRequestId(options)
  const context = FiberRefs.getOrDefault(options.context, FiberRef.currentContext)
  const span = Context.getOrElse(context, Tracer.ParentSpan, () => undefined)
  return span === undefined
    ? identified
    : { ...identified, annotations: HashMap.set(identified.annotations, "traceId", span.traceId) }
}

/**
 * `serve`, with every log line written while serving a request annotated with its `requestId`, and
 * with its span's `traceId` when `tracing` (spans are exported; otherwise there are none worth naming).
 */
export const withRequestIdsInLogs = <A, E, R>(serve: Effect.Effect<A, E, R>, tracing = false): Effect.Effect<A, E, R> =>
  Effect.locallyWith(
    serve,
    FiberRef.currentLoggers,
    HashSet.map((logger) => Logger.mapInputOptions(logger, tracing ? withTraceId : withRequestId))
  )
