import * as Http from "node:http"
import {
  Etag,
  FileSystem,
  HttpApiBuilder,
  type HttpApp,
  HttpIncomingMessage,
  HttpMiddleware,
  HttpPlatform,
  type HttpRouter,
  HttpServer,
  HttpServerResponse,
  Path
} from "@effect/platform"
import { HttpApiDecodeError } from "@effect/platform/HttpApiError"
import { RequestError, RouteNotFound, type ServeError } from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { ListenConfig } from "@cardkit/http"
import {
  type AuditTrail,
  CurrentActor,
  GuardedDeviceSignedOperations,
  type IdempotencyStore,
  type SignablePayloadStore,
  type StoreHealth,
  StoreServices
} from "@cardkit/store"
import {
  type AccountValidation,
  type CardLifecycle,
  type CardSecrets,
  type DeviceSignedOperations,
  describeError,
  InstrumentedAccountValidation,
  InvalidRequest,
  JsonBody,
  RequestId,
  type StoreUnavailable,
  withoutRejectedValue
} from "@cardkit/domain"
import { Telemetry } from "@cardkit/telemetry"
import { Cause, type Config, type ConfigError, Context, Effect, Layer, Option, Scope } from "effect"
import {
  type BadRequest,
  badRequest,
  InternalError,
  NotFound,
  Unauthorized,
  UnsupportedMediaType
} from "./ApiErrors.js"
import { bufferBody } from "./internal/bufferedBody.js"
import { observed } from "./internal/httpTelemetry.js"
import { assignRequestId, withRequestIdsInLogs } from "./internal/requestId.js"
import { actorOf, AdminKeyAuthLive, ApiKeyAuthLive, ApiKeys } from "./ApiKeys.js"
import { DemoApi } from "./DemoApi.js"
import { HandlersLive } from "./Handlers.js"
import { PagesLive } from "./Pages.js"
import { ProviderInfo, ProviderLayer, type ProviderServices } from "./Provider.js"

const fromDecodeError = (error: HttpApiDecodeError): BadRequest => {
  const first = error.issues[0]
  if (first === undefined) return badRequest("body", "is invalid")
  return badRequest(
    first.path.length === 0 ? "body" : first.path.map(String).join("."),
    withoutRejectedValue(first.message)
  )
}

/** Both request bodies are a few hundred bytes; a bigger one is refused before it is read whole. */
const maxBodyBytes = 16_384

const badBody = badRequest("body", `must be a JSON document of at most ${maxBodyBytes} bytes`)

const wrongContentType = new UnsupportedMediaType({
  error: { code: "UnsupportedMediaType", message: "send the body as application/json, in UTF-8" }
})

const refused = <E extends BadRequest | NotFound | Unauthorized | UnsupportedMediaType>(error: E) =>
  Effect.zipRight(Effect.logInfo(`request refused: ${error.error.code} ${error.error.message}`), Effect.fail(error))

/**
 * Requests the router or HttpApi refuse before a handler runs, in the API's own error shape: schema
 * failures become a 400 naming the field (never repeating the value), a body that is not strict JSON
 * (`JsonBody.parse`) or too big a 400 with the reason, an unknown path a JSON 404. Every POST and PUT
 * route reads a JSON body, so a POST or PUT that does not send one as `application/json` is a 415
 * before anything else. A declared oversized body is refused before it is read; one that grows past the limit while
 * streaming costs the client its connection. Bodies are read by `bufferBody`, the cheaper way. Each
 * refusal, a 401 included, is logged at Info.
 */
const requestErrors = (app: HttpApp.Default): HttpApp.Default<unknown> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request): HttpApp.Default<unknown> => {
    if (
      (request.method === "POST" || request.method === "PUT") &&
      !JsonBody.isJsonContentType(request.headers["content-type"])
    ) {
      return refused(wrongContentType)
    }
    if (Number(request.headers["content-length"] ?? 0) > maxBodyBytes) return refused(badBody)
    bufferBody(request, maxBodyBytes)
    return app
  }).pipe(
    Effect.catchAllCause((cause: Cause.Cause<unknown>): HttpApp.Default<unknown> => {
      const failure = Cause.failureOption(cause)
      if (Option.isSome(failure)) {
        if (failure.value instanceof HttpApiDecodeError) return refused(fromDecodeError(failure.value))
        if (failure.value instanceof RouteNotFound) {
          return refused(new NotFound({ error: { code: "NotFound", message: "no such route" } }))
        }
        // Logged here rather than by ApiKeyAuth, which tries each scheme in turn and fails once per scheme.
        if (failure.value instanceof Unauthorized) return refused(failure.value)
      }
      // The platform reads bodies with `Effect.orDie`, so a refused body arrives as a defect.
      const defect = Cause.dieOption(cause)
      if (Option.isSome(defect) && defect.value instanceof RequestError && defect.value.reason === "Decode") {
        const reason = defect.value.cause
        return refused(reason instanceof InvalidRequest ? badRequest(reason.field, reason.reason) : badBody)
      }
      return Effect.failCause(cause)
    })
  )

const internalError = HttpServerResponse.unsafeJson(
  new InternalError({
    error: { code: "InternalError", message: "the server failed unexpectedly; x-request-id names the failure" }
  }),
  { status: 500 }
)

/**
 * The last resort around the whole app: it gives the request its id (answered as `x-request-id`, and
 * annotated on every log line the request writes, and on its span when `tracing`), answers whatever
 * nothing else answered (a defect, or a failure no error schema encodes) as the `InternalError` 500,
 * logged at Error, and records the request's duration. An interruption (the client went away, the
 * server is stopping) is left to the platform.
 */
const lastResort = <R>(app: HttpApp.Default<unknown, R>, tracing: boolean): HttpApp.Default<unknown, R> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const requestId = assignRequestId(request)
    const answer = app.pipe(
      // Who the audit trail records for whatever the request does.
      Effect.locally(CurrentActor, actorOf(request, requestId)),
      Effect.catchAllCause((cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.failCause(cause)
          : Effect.as(
              Effect.logError(`request failed unexpectedly: ${describeError(Cause.squash(cause))}`),
              internalError
            )
      ),
      Effect.map((response) => HttpServerResponse.setHeader(response, RequestId.header, requestId))
    )
    return observed(request, requestId, tracing, answer)
  })

const ApiLive = HttpApiBuilder.api(DemoApi).pipe(
  Layer.provide(HandlersLive),
  Layer.provide([ApiKeyAuthLive, AdminKeyAuthLive])
)

const servingContext = Context.pick(
  HttpServer.HttpServer,
  HttpPlatform.HttpPlatform,
  Etag.Generator,
  FileSystem.FileSystem,
  Path.Path,
  HttpIncomingMessage.MaxBodySize,
  Scope.Scope
)

/**
 * `HttpApiBuilder.serve()`, except that requests run with only the services the platform looks up
 * while serving one. Handlers, middleware and pages take what they need when they are built, yet the
 * serving context is copied several times per request (for each service provided to it, by the
 * router, by every handler group): the twenty-odd services of the layers around the app would be
 * copied each time, a cost measured in apps/bench/README.md ("demo serving context"). The last
 * resort goes around everything the app answers, errors and pages included, in the request's server
 * span when `tracing`.
 */
const serveApi = (tracing: boolean) =>
  Layer.scopedDiscard(
    Effect.flatMap(HttpApiBuilder.httpApp, (app) =>
      withRequestIdsInLogs(HttpServer.serveEffect(lastResort(app, tracing)), tracing).pipe(
        Effect.mapInputContext(
          (
            context: Context.Context<
              | HttpServer.HttpServer
              | HttpRouter.HttpRouter.DefaultServices
              | HttpIncomingMessage.MaxBodySize
              | Scope.Scope
            >
          ) => servingContext(context)
        )
      )
    )
  ).pipe(Layer.provide([HttpApiBuilder.Router.Live, HttpApiBuilder.Middleware.layer]))

const appLive = (tracing: boolean) =>
  serveApi(tracing).pipe(
    Layer.provide(PagesLive),
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
    // Typed as failing with nothing because HttpApi checks an API middleware's errors against the
    // API-level ones only; BadRequest, NotFound and UnsupportedMediaType are endpoint errors, so its
    // encoder knows them.
    Layer.provide(HttpApiBuilder.middleware(requestErrors as HttpApiBuilder.MiddlewareFn<never>)),
    Layer.provide(ApiLive),
    Layer.provide(Layer.succeed(HttpIncomingMessage.MaxBodySize, Option.some(FileSystem.Size(maxBodyBytes)))),
    // The platform's span per request: the demo opens its own when traces are exported (`observed`),
    // and none otherwise, where it would be paid for by every request and read by no one
    // (apps/bench/README.md, "demo tracer").
    HttpMiddleware.withTracerDisabledWhen(() => true)
  )

/**
 * The app on the `Telemetry` in context, or, given none, on metrics kept in memory only
 * (`Telemetry.metricsOnly`: `/metrics` answers, nothing is exported, the tracer is left as it is).
 */
const AppLive = Layer.unwrapEffect(
  Effect.map(Effect.serviceOption(Telemetry), (telemetry) =>
    Option.match(telemetry, {
      onNone: () => appLive(false).pipe(Layer.provide(Telemetry.metricsOnly)),
      onSome: (telemetry) => appLive(telemetry.tracing).pipe(Layer.provide(Layer.succeed(Telemetry, telemetry)))
    })
  )
)

export interface DemoServerOptions {
  /** 127.0.0.1 by default: the demo reveals CVVs and is not meant for other hosts unless asked. */
  readonly host?: string | undefined
  /** 3000 by default; 0 picks a free port, read it back from `DemoServer`. */
  readonly port?: number | undefined
}

/**
 * Where the demo listens, from `HOST` and `PORT` (127.0.0.1:3000 by default). Nest it under a prefix
 * of your own, or build a `Config` of your own, for `DemoServer.layerConfig`.
 */
export const DemoServerConfig: Config.Config<DemoServerOptions> = ListenConfig.address(3000)

/** What the demo app needs beside its address: its API keys, a provider's services and the store's. */
export type DemoServerRequirements =
  | ApiKeys
  | ProviderServices
  | IdempotencyStore
  | AuditTrail
  | SignablePayloadStore
  | StoreHealth

/** The running demo app: where it listens. */
export class DemoServer extends Context.Tag("@cardkit/demo/DemoServer")<
  DemoServer,
  { readonly url: string; readonly host: string; readonly port: number }
>() {
  /** Serve the app on `host:port` until the scope closes. */
  static readonly make = (
    options: DemoServerOptions = {}
  ): Effect.Effect<DemoServer["Type"], ServeError, Scope.Scope | DemoServerRequirements> =>
    Effect.map(Layer.build(DemoServer.layer(options)), Context.get(DemoServer))

  /** Serve the app on `host:port` with the API keys and provider services in context. */
  static readonly layer = (
    options: DemoServerOptions = {}
  ): Layer.Layer<DemoServer, ServeError, DemoServerRequirements> => {
    const host = options.host ?? "127.0.0.1"
    const address = Layer.scoped(
      DemoServer,
      Effect.gen(function* () {
        const bound = yield* HttpServer.HttpServer
        const port = bound.address._tag === "TcpAddress" ? bound.address.port : 0
        const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`
        const { name } = yield* ProviderInfo
        yield* Effect.logInfo(`cardkit demo listening on ${url} (provider: ${name})`)
        yield* Effect.addFinalizer(() => Effect.logInfo("cardkit demo stopped"))
        return { url, host, port }
      })
    )
    return Layer.merge(AppLive, address).pipe(
      Layer.provide(NodeHttpServer.layer(Http.createServer, { host, port: options.port ?? 3000 }))
    )
  }

  /** As `layer`, the options read from `config`: by default `HOST` and `PORT` (`DemoServerConfig`). */
  static readonly layerConfig = (
    config: Config.Config<DemoServerOptions> = DemoServerConfig
  ): Layer.Layer<DemoServer, ServeError | ConfigError.ConfigError, DemoServerRequirements> =>
    Layer.unwrapEffect(Effect.map(config, DemoServer.layer))
}

/**
 * A provider's services as the demo serves them, on the store's: its reveals and writes audited,
 * its reveals budgeted (`StoreServices.guarded`), device-signed ones too (`GuardedDeviceSignedOperations`),
 * and every port call traced and counted (`Instrumented*`).
 */
export const servedOn = <E1, R1, E2, R2, ROut = never>(
  provider: Layer.Layer<ProviderServices | ROut, E1, R1>,
  store: Layer.Layer<StoreServices.StoreServices, E2, R2>
): Layer.Layer<ProviderServices | ROut | StoreServices.StoreServices, E1 | E2, R1 | R2> =>
  // Merged last, the guarded ports stand in for the provider's own (a test holds this: audited reveals).
  Layer.mergeAll(provider, store, guardedOn(provider, store))

const guardedOn = <E1, R1, E2, R2>(
  provider: Layer.Layer<ProviderServices, E1, R1>,
  store: Layer.Layer<StoreServices.StoreServices, E2, R2>
): Layer.Layer<AccountValidation | CardSecrets | CardLifecycle | DeviceSignedOperations, E1 | E2, R1 | R2> =>
  Layer.mergeAll(StoreServices.guarded, GuardedDeviceSignedOperations.layer, InstrumentedAccountValidation.layer).pipe(
    Layer.provide(Layer.merge(provider, store))
  )

/**
 * The whole demo from the environment: the server on `HOST`/`PORT`, its keys from
 * `CARDKIT_DEMO_API_KEYS`, the provider `CARDKIT_PROVIDER` names, the store on
 * `CARDKIT_DATABASE_URL` / `CARDKIT_DATA_DIR` and the telemetry the `OTEL_*` variables and
 * `CARDKIT_METRICS_PORT` describe (`TelemetryConfig`).
 */
export const DemoLive: Layer.Layer<DemoServer, ServeError | StoreUnavailable | ConfigError.ConfigError> =
  DemoServer.layerConfig().pipe(
    Layer.provide(ApiKeys.layerConfig()),
    Layer.provide(servedOn(ProviderLayer, StoreServices.layerConfig)),
    // Last, so that it is built first and closed last: the server stops before the final flush.
    Layer.provide(Telemetry.layerConfig())
  )
