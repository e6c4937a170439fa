import { describeError, RequestId, scrubCardData } from "@cardkit/domain"
import type { HttpApp } from "@effect/platform"
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import { Cause, Data, Effect, FiberRef } from "effect"

/*
 * What every wire fake does around its protocol: read a body within a limit, give each request an
 * id, log it, and answer whatever escapes the handler in the protocol's own shape instead of the
 * platform's empty 500.
 */

/** The body is over the limit: declared so, or grown so while it streamed in. */
export class BodyTooLarge extends Data.TaggedError("BodyTooLarge")<{ readonly maxBytes: number }> {}

/** The connection broke (or errored) before the body had arrived. */
export class BodyUnreadable extends Data.TaggedError("BodyUnreadable") {}

/**
 * The body's bytes, at most `maxBytes` of them. A declared Content-Length over the limit is refused
 * before anything is read; a body streamed without one stops being kept once it passes the limit.
 * Bytes, not text: decoding to text first would turn bytes that are not UTF-8 into replacement
 * characters, and then the body could no longer be refused for them.
 */
export const readBody = (
  request: HttpServerRequest.HttpServerRequest,
  maxBytes: number
): Effect.Effect<Uint8Array, BodyTooLarge | BodyUnreadable> => {
  if (Number(request.headers["content-length"] ?? 0) > maxBytes) return Effect.fail(new BodyTooLarge({ maxBytes }))
  return Effect.async((resume) => {
    const source = NodeHttpServerRequest.toIncomingMessage(request)
    const chunks: Array<Buffer> = []
    let size = 0
    const stop = () => {
      source.off("data", onData)
      source.off("end", onEnd)
      source.off("error", onError)
    }
    function onData(chunk: Buffer) {
      size += chunk.length
      if (size > maxBytes) {
        stop()
        // Whatever else arrives is discarded, not kept, until `tooLarge`'s answer closes the connection.
        source.resume()
        resume(Effect.fail(new BodyTooLarge({ maxBytes })))
        return
      }
      chunks.push(chunk)
    }
    function onEnd() {
      stop()
      resume(Effect.succeed(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
    }
    function onError() {
      stop()
      resume(Effect.fail(new BodyUnreadable()))
    }
    source.on("data", onData)
    source.on("end", onEnd)
    source.on("error", onError)
    return Effect.sync(stop)
  })
}

/**
 * A refusal of an oversized body. The connection is closed after it, so a client still streaming
 * the rest of the body is cut off instead of being read to its end.
 */
export const closingConnection = HttpServerResponse.setHeader("connection", "close")

/** Set while a request is inside a `serveWire` app, so that an app nested in another keeps one id and one log line. */
const currentRequestId = FiberRef.unsafeMake<string | undefined>(undefined)

/**
 * The last resort: anything the handler fails or dies with (never an interruption, which is a
 * dropped connection or an injected reset) is logged at Error and answered with `internalError`.
 */
const lastResort = <E, R>(
  app: HttpApp.Default<E, R>,
  internalError: () => HttpServerResponse.HttpServerResponse
): HttpApp.Default<never, R> =>
  Effect.catchAllCause(app, (cause) =>
    Cause.isInterruptedOnly(cause)
      ? Effect.failCause(cause as Cause.Cause<never>)
      : Effect.as(Effect.logError(`unexpected failure: ${describeError(Cause.squash(cause))}`), internalError())
  )

/**
 * `app` as a wire fake serves it: each request gets an id (echoed from `x-request-id` when
 * well-formed, else made) that every log line of the request is annotated with and that the
 * answer carries back as `x-request-id`; each request is logged at Debug (method, path, status,
 * time: never the query, a header or the body); a failure or defect is logged at Error and
 * answered with `internalError`, the protocol's own shape. Nested in another `serveWire` app (a
 * fake mounted in `combine`), only the last resort applies: the outer one has the id and the log.
 */
export const serveWire =
  (internalError: () => HttpServerResponse.HttpServerResponse) =>
  <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<never, R | HttpServerRequest.HttpServerRequest> =>
    Effect.flatMap(FiberRef.get(currentRequestId), (outer) => {
      if (outer !== undefined) return lastResort(app, internalError)
      return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
        const id = RequestId.fromHeader(request.headers[RequestId.header])
        // An unknown path is the client's text too, logged (without its query) as a message would be.
        const line = `${request.method} ${scrubCardData(request.url.split("?", 1)[0]!.slice(0, 200))}`
        return lastResort(app, internalError).pipe(
          Effect.tap((response) => Effect.logDebug(`${line} ${response.status}`)),
          Effect.onInterrupt(() => Effect.logDebug(`${line} interrupted`)),
          Effect.map(HttpServerResponse.setHeader(RequestId.header, id)),
          Effect.withLogSpan("request"),
          Effect.annotateLogs("requestId", id),
          Effect.locally(currentRequestId, id)
        )
      })
    })
