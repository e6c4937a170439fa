import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import type * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as Config from "effect/Config"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as NodeStream from "@effect/platform-node/NodeStream"
import type { IncomingHttpHeaders } from "node:http"
import * as Undici from "@effect/platform-node/Undici"
import { ConfigError, Duration, Effect, Either, Inspectable, Layer, Option, Redacted, type Scope, Stream } from "effect"
import * as Crypto from "node:crypto"
import * as TransportErrors from "./TransportErrors.js"

/*
 * Why not `NodeHttpClient.makeUndici`: measured against raw undici on a keep-alive pool (see
 * apps/bench/README.md), it runs at a fraction of the calls per second. Its response reads every body through `Effect.cached` and
 * `Effect.runSync` (a fiber per read), and `HttpClient.make` adds a URL parse, an AbortController,
 * a FinalizationRegistry entry and an interruptible wrapper per request. This client keeps the
 * `HttpClient` interface (so `HttpClient.mapRequest`, `filterStatusOk` and the rest still apply)
 * and does only what a request needs.
 *
 * It dispatches with a handler of its own instead of `undici.request`, which wraps every answer in
 * a Node `Readable` and every request in an abort-signal listener: the body arrives into memory as
 * plain chunks (API answers are small; `maxBodyBytes` bounds them), so a body that is complete by
 * the time it is read, as nearly all are, is read without waiting at all. It creates no spans
 * either: callers that trace span the operation, not the HTTP exchange.
 */

interface Target {
  readonly origin: string
  readonly path: string
}

/** Distinct URLs a client keeps parsed; transports post to one or two. */
const maxTargets = 64

/** What a body's reader or stream is told as the body arrives. */
interface Listener {
  readonly chunk: (chunk: Buffer) => void
  readonly end: () => void
  readonly fail: (cause: unknown) => void
}

/** A response body as undici delivers it: kept as chunks in memory, complete or failed once. */
class ArrivingBody {
  readonly chunks: Array<Buffer> = []
  size = 0
  done = false
  failure: { readonly cause: unknown } | undefined = undefined
  private readonly listeners = new Set<Listener>()

  push(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.size += chunk.length
    for (const listener of this.listeners) listener.chunk(chunk)
  }

  end(): void {
    this.done = true
    for (const listener of this.listeners) listener.end()
    this.listeners.clear()
  }

  fail(cause: unknown): void {
    if (this.done || this.failure !== undefined) return
    this.failure = { cause }
    for (const listener of this.listeners) listener.fail(cause)
    this.listeners.clear()
  }

  get settled(): boolean {
    return this.done || this.failure !== undefined
  }

  listen(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  bytes(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size)
  }
}

/** A response whose body is held in memory as it arrives, for any number of reads of any kind. */
class UndiciResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly status: number,
    private readonly rawHeaders: IncomingHttpHeaders,
    private readonly body: ArrivingBody,
    /** Stops the exchange, freeing its connection: for a reader that gives up before the body ends. */
    private readonly abort: () => void
  ) {
    super()
  }

  get headers(): Headers.Headers {
    return Headers.fromInput(this.rawHeaders as Headers.Input)
  }

  get cookies(): Cookies.Cookies {
    const header = this.rawHeaders["set-cookie"]
    return header === undefined ? Cookies.empty : Cookies.fromSetCookie(header)
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  private decodeError(cause: unknown): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  /** The whole body, at once when it has already arrived; interrupting the wait aborts the exchange. */
  private get whole(): Effect.Effect<Buffer, HttpClientError.ResponseError> {
    return Effect.suspend(() => {
      const body = this.body
      if (body.done) return Effect.succeed(body.bytes())
      if (body.failure !== undefined) return Effect.fail(this.decodeError(body.failure.cause))
      return Effect.async<Buffer, HttpClientError.ResponseError>((resume) => {
        const stop = body.listen({
          chunk: () => {},
          end: () => resume(Effect.succeed(body.bytes())),
          fail: (cause) => resume(Effect.fail(this.decodeError(cause)))
        })
        return Effect.sync(() => {
          stop()
          this.abort()
        })
      })
    })
  }

  private parsed<A>(parse: (text: string) => A): Effect.Effect<A, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: () => parse(text), catch: (cause) => this.decodeError(cause) })
    )
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.map(this.whole, (bytes) => bytes.toString("utf8"))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.map(
      this.whole,
      (bytes) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
    )
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.flatMap(this.whole, (bytes) =>
      Effect.tryPromise({
        // The web `Response` parses multipart and urlencoded forms by the content type, as fetch does.
        try: () => new Response(bytes, { headers: this.rawHeaders as Record<string, string> }).formData(),
        catch: (cause) => this.decodeError(cause)
      })
    )
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return this.parsed((text) => (text === "" ? null : JSON.parse(text)))
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return this.parsed((text) => UrlParams.fromInput(new URLSearchParams(text)))
  }

  /**
   * The chunks that have arrived, then each as it arrives; ending the stream early aborts the
   * exchange. The chunks are in memory already, so the stream's buffer is unbounded: a bounded one
   * would only queue the offers.
   */
  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.async<Uint8Array, HttpClientError.ResponseError>((emit) => {
      const body = this.body
      for (const chunk of body.chunks) void emit.single(chunk)
      if (body.done) {
        void emit.end()
        return
      }
      if (body.failure !== undefined) {
        void emit.fail(this.decodeError(body.failure.cause))
        return
      }
      const stop = body.listen({
        chunk: (chunk) => void emit.single(chunk),
        end: () => void emit.end(),
        fail: (cause) => void emit.fail(this.decodeError(cause))
      })
      return Effect.sync(() => {
        stop()
        if (!body.settled) this.abort()
      })
    }, "unbounded")
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}

type Payload = Exclude<Undici.Dispatcher.DispatchOptions["body"], undefined>

/** The request body as undici takes it; only a stream body needs an effect to become one. */
const payloadOf = (body: HttpBody.HttpBody): Payload | Effect.Effect<Payload> => {
  switch (body._tag) {
    case "Empty":
      return null
    case "Uint8Array":
      return body.body
    case "Raw":
      return body.body as Payload
    case "FormData": {
      // Node's global FormData comes from its bundled undici, which this undici cannot serialize.
      const form = new Undici.FormData()
      for (const [name, value] of body.formData) form.append(name, value)
      return form
    }
    case "Stream":
      return NodeStream.toReadable(body.stream)
  }
}

export interface Options {
  /**
   * How long the answer may take to start, and then between two chunks of its body: undici's own
   * parser timers, which cost nothing per request (an Effect timeout forks a fiber and a timer for
   * each). Unlimited by default. A request that runs out of it fails with reason `Transport` (a body
   * read with reason `Decode`) and a `TransportErrors.Timeout` cause.
   */
  readonly timeout?: Duration.DurationInput | undefined
  /**
   * The largest body an answer may have, in bytes (8 MiB by default): bodies are held in memory,
   * so a larger one aborts the exchange and its read fails with reason `Decode`.
   */
  readonly maxBodyBytes?: number | undefined
}

/** Two-way TLS: the client's certificate and key, and the CAs to trust for the server, all PEM. */
export interface TlsOptions {
  readonly cert?: string | undefined
  readonly key?: Redacted.Redacted<string> | undefined
  readonly ca?: string | undefined
}

/** What `layer` builds its keep-alive connection pool with. */
export interface LayerOptions extends Options {
  /** Also bounds connecting (10 seconds by default there), besides the answer. */
  readonly timeout?: Duration.DurationInput | undefined
  readonly tls?: TlsOptions | undefined
}

const defaultMaxBodyBytes = 8 * 1024 * 1024

/** An `HttpClient` sending every request through `dispatcher` (e.g. a keep-alive `Undici.Agent`). */
export const make = (dispatcher: Undici.Dispatcher, options: Options = {}): HttpClient.HttpClient => {
  const timeout = options.timeout === undefined ? 0 : Duration.toMillis(Duration.decode(options.timeout))
  /** undici's timeout errors, carrying the bound that ran out for whoever reports it. */
  const timedOut = (cause: unknown) =>
    timeout > 0 && TransportErrors.isTimeout(cause)
      ? new TransportErrors.Timeout({ timeoutMillis: timeout, cause })
      : cause
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes
  const targets = new Map<string, Target>()

  /** Origin and path, parsed once per distinct URL: `new URL` per call showed in profiles. */
  const targetOf = (request: HttpClientRequest.HttpClientRequest): Either.Either<Target, Error> => {
    const plain = request.urlParams.length === 0 && Option.isNone(request.hash)
    const known = plain ? targets.get(request.url) : undefined
    if (known !== undefined) return Either.right(known)
    return Either.map(UrlParams.makeUrl(request.url, request.urlParams, request.hash), (url) => {
      const target = { origin: url.origin, path: url.pathname + url.search + url.hash }
      if (plain) {
        if (targets.size >= maxTargets) targets.clear()
        targets.set(request.url, target)
      }
      return target
    })
  }

  const send = (
    request: HttpClientRequest.HttpClientRequest,
    target: Target,
    body: Payload
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError> =>
    Effect.async((resume) => {
      let controller: Undici.Dispatcher.DispatchController | undefined
      let abandoned = false
      let arriving: ArrivingBody | undefined
      const abort = () => {
        abandoned = true
        controller?.abort(new Error("the request was interrupted"))
      }
      const handler: Undici.Dispatcher.DispatchHandler = {
        onRequestStart: (started) => {
          controller = started
          // Interrupted while waiting for a connection: undici has no other way to drop it.
          if (abandoned) started.abort(new Error("the request was interrupted"))
        },
        onResponseStart: (_, status, headers) => {
          // Informational answers (1xx) come before the real one.
          if (status < 200) return
          arriving = new ArrivingBody()
          resume(Effect.succeed(new UndiciResponse(request, status, headers, arriving, abort)))
        },
        onResponseData: (started, chunk) => {
          if (arriving === undefined) return
          if (arriving.size + chunk.length > maxBodyBytes) {
            started.abort(new Error(`the answer's body is larger than ${maxBodyBytes} bytes`))
            return
          }
          arriving.push(chunk)
        },
        onResponseEnd: () => arriving?.end(),
        onResponseError: (_, error) => {
          const cause = timedOut(error)
          if (arriving === undefined) {
            resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause })))
          } else {
            arriving.fail(cause)
          }
        }
      }
      dispatcher.dispatch(
        {
          method: request.method,
          origin: target.origin,
          path: target.path,
          headers: request.headers,
          body,
          headersTimeout: timeout,
          bodyTimeout: timeout
        },
        handler
      )
      return Effect.sync(abort)
    })

  return HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
    Effect.flatMap((request) => {
      const target = targetOf(request)
      if (Either.isLeft(target)) {
        return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: target.left }))
      }
      const payload = payloadOf(request.body)
      return Effect.isEffect(payload)
        ? Effect.flatMap(payload, (body) => send(request, target.right, body))
        : send(request, target.right, payload)
    }),
    Effect.succeed
  )
}

const invalid = (path: ReadonlyArray<string>, message: string) => ConfigError.InvalidData([...path], message)

const parses = (parse: () => unknown): boolean => {
  try {
    parse()
    return true
  } catch {
    return false
  }
}

/** A certificate or key that does not parse is a configuration error naming it, not a failure at the first handshake. */
const checkTls = (tls: TlsOptions): Effect.Effect<void, ConfigError.ConfigError> => {
  const { cert, key } = tls
  if ((cert === undefined) !== (key === undefined)) {
    return Effect.fail(invalid(["tls"], "a client certificate and its key go together"))
  }
  if (cert !== undefined && !parses(() => new Crypto.X509Certificate(cert))) {
    return Effect.fail(invalid(["tls", "cert"], "is not a PEM certificate"))
  }
  if (key !== undefined && !parses(() => Crypto.createPrivateKey(Redacted.value(key)))) {
    return Effect.fail(invalid(["tls", "key"], "is not a PEM private key"))
  }
  return Effect.void
}

const defaultConnectTimeout = Duration.seconds(10)

/**
 * A client over a keep-alive `Undici.Agent` of its own, closed with the scope; the TLS options go
 * into every handshake (two-way TLS, as Visa runs it).
 */
export const makeAgent = (
  options: LayerOptions = {}
): Effect.Effect<HttpClient.HttpClient, ConfigError.ConfigError, Scope.Scope> =>
  Effect.gen(function* () {
    const tls = options.tls ?? {}
    yield* checkTls(tls)
    const connectTimeout = Duration.toMillis(Duration.decode(options.timeout ?? defaultConnectTimeout))
    const agent = yield* Effect.acquireRelease(
      Effect.sync(
        () =>
          new Undici.Agent({
            connect: {
              timeout: connectTimeout,
              ...(tls.cert === undefined ? {} : { cert: tls.cert }),
              ...(tls.key === undefined ? {} : { key: Redacted.value(tls.key) }),
              ...(tls.ca === undefined ? {} : { ca: tls.ca })
            }
          })
      ),
      (agent) => Effect.promise(() => agent.destroy())
    )
    return make(agent, options)
  })

/** `HttpClient.HttpClient` over its own keep-alive pool: what the transports are given by default. */
export const layer = (options: LayerOptions = {}): Layer.Layer<HttpClient.HttpClient, ConfigError.ConfigError> =>
  Layer.scoped(HttpClient.HttpClient, makeAgent(options))

/** As `layer`, the options read from `config` (the transports export theirs: `LedgerHttpConfig`, `VisaHttpConfig`). */
export const layerConfig = (
  config: Config.Config<LayerOptions>
): Layer.Layer<HttpClient.HttpClient, ConfigError.ConfigError> =>
  Layer.scoped(HttpClient.HttpClient, Effect.flatMap(config, makeAgent))
