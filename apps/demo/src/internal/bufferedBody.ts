import type { IncomingMessage } from "node:http"
import { InvalidRequest, JsonBody } from "@cardkit/domain"
import { RequestError } from "@effect/platform/HttpServerError"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import { Effect, Either } from "effect"

/*
 * A measured fast path (apps/bench/README.md, "demo body reader"), kept to this module.
 *
 * Why: @effect/platform-node reads a request body through a stream, wrapped in `Effect.cached` and
 * run with `Effect.runSync`, a fiber per read. On a route that only parses its JSON body, that read
 * costs a large share of the requests per second; reading it with plain 'data' events takes back
 * most of the difference.
 *
 * The cheaper read is installed on the request object itself, with one accessor shared by every
 * request (no closure per request). A view of the request (a Proxy or a wrapper) would have to be
 * provided in its place, and providing a service costs every request a copy of its context and an
 * acquire/release of the fiber's context; a Proxy also slows every property read of the request
 * after it. Only `json` is installed, since defining an accessor on every request has a cost of its
 * own: the server refuses a body sent as anything but JSON before any accessor is read
 * (`JsonBody.isJsonContentType`).
 */

const tooLarge = (maxBytes: number) => new InvalidRequest({ field: "body", reason: `is larger than ${maxBytes} bytes` })

const readAll = (source: IncomingMessage, maxBytes: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    source.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        // A body that outgrows the limit while streaming costs the client its connection.
        source.destroy()
        reject(tooLarge(maxBytes))
        return
      }
      chunks.push(chunk)
    })
    source.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
    source.on("error", reject)
  })

const body = Symbol("@cardkit/demo/bufferedBody")

interface Buffered extends HttpServerRequest.HttpServerRequest {
  [body]: { readonly maxBytes: number; read?: Promise<Buffer> }
}

/**
 * The platform reads a body with `Effect.orDie`, so the refusal arrives at the server as a defect:
 * a `RequestError` whose cause is the `InvalidRequest` (naming `body`) when the body itself is
 * refused.
 */
const decodeError = (request: HttpServerRequest.HttpServerRequest, cause: unknown) =>
  new RequestError({ request, reason: "Decode", cause })

/** The body, read once and parsed by `JsonBody.parse`; one async step. */
const readJson = (request: Buffered) =>
  Effect.async<unknown, RequestError>((resume) => {
    const state = request[body]
    state.read ??= readAll(NodeHttpServerRequest.toIncomingMessage(request), state.maxBytes)
    state.read.then(
      (read) => {
        let parsed: Either.Either<unknown, InvalidRequest>
        try {
          parsed = JsonBody.parse(read)
        } catch (defect) {
          // Thrown past the promise it would leave the request unanswered; as a defect the server's
          // last resort answers it.
          resume(Effect.die(defect))
          return
        }
        resume(Either.isRight(parsed) ? Effect.succeed(parsed.right) : Effect.fail(decodeError(request, parsed.left)))
      },
      (cause) => resume(Effect.fail(decodeError(request, cause)))
    )
  })

const json: PropertyDescriptor = {
  get(this: Buffered) {
    return readJson(this)
  }
}

/**
 * Make `request` read its JSON body at most once, without a fiber of its own, refusing it past
 * `maxBytes` and as `JsonBody.parse` refuses (nesting past 64 levels, duplicate members, lone
 * surrogates, inexact numbers, a BOM, bytes that are not UTF-8, anything but strict JSON).
 */
export const bufferBody = (request: HttpServerRequest.HttpServerRequest, maxBytes: number): void => {
  Object.defineProperty(request, "json", json)
  ;(request as Buffered)[body] = { maxBytes }
}
