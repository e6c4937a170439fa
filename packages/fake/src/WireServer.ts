import * as Http from "node:http"
import * as Https from "node:https"
import type { HttpApp, HttpServerRequest } from "@effect/platform"
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { RouteNotFound, type ServeError } from "@effect/platform/HttpServerError"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { ListenConfig } from "@cardkit/http"
import { Config, Context, Effect, Layer, type Scope } from "effect"
import { serveWire } from "./internal/wireHttp.js"

export interface WireServerTls {
  /** Server certificate chain, PEM. */
  readonly cert: string
  /** Server private key, PEM. */
  readonly key: string
  /** CAs that client certificates must chain to, PEM. */
  readonly ca?: string
  /** Two-way TLS as Visa runs it: the handshake fails without a client certificate from `ca`. */
  readonly requireClientCertificate?: boolean
}

export interface WireServerOptions {
  /** Defaults to 127.0.0.1: the fakes hold card data and are never meant for other hosts. */
  readonly host?: string
  /** 0 (the default) picks a free ephemeral port; read it back from `WireServer`. */
  readonly port?: number
  readonly tls?: WireServerTls
}

const createServer = (tls: WireServerTls | undefined): Http.Server =>
  tls === undefined
    ? Http.createServer()
    : // An https.Server emits the same "request" events NodeHttpServer listens to; only its
      // TypeScript type is not declared as an http.Server.
      (Https.createServer({
        cert: tls.cert,
        key: tls.key,
        ...(tls.ca === undefined ? {} : { ca: tls.ca }),
        requestCert: tls.requireClientCertificate ?? false,
        rejectUnauthorized: tls.requireClientCertificate ?? false
      }) as unknown as Http.Server)

const layer = <E, R>(
  app: HttpApp.Default<E, R>,
  options: WireServerOptions = {}
): Layer.Layer<WireServer, ServeError, Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>> => {
  const host = options.host ?? "127.0.0.1"
  const scheme = options.tls === undefined ? "http" : "https"
  const info = Layer.effect(
    WireServer,
    HttpServer.addressWith((address) =>
      Effect.succeed(
        address._tag === "TcpAddress"
          ? { url: `${scheme}://${formatHost(host)}:${address.port}`, host, port: address.port }
          : { url: `${scheme}://unix:${address.path}`, host, port: 0 }
      )
    )
  )
  return Layer.mergeAll(HttpServer.serve(app), info).pipe(
    Layer.provide(NodeHttpServer.layer(() => createServer(options.tls), { host, port: options.port ?? 0 }))
  )
}

const formatHost = (host: string) => (host.includes(":") ? `[${host}]` : host)

const jsonError = (status: number, code: string, message: string) =>
  HttpServerResponse.unsafeJson({ error: { code, message } }, { status })

const combine = <E, R>(
  routes: ReadonlyArray<readonly [path: `/${string}`, app: HttpApp.Default<E, R>]>
): HttpApp.Default<never, R | HttpServerRequest.HttpServerRequest> => {
  const router = routes.reduce<HttpRouter.HttpRouter<E, R>>(
    (router, [path, app]) => HttpRouter.all(router, path, app),
    HttpRouter.empty
  )
  const routed = Effect.catchIf(
    router,
    (error): error is RouteNotFound => error instanceof RouteNotFound,
    () => jsonError(404, "NOT_FOUND", "no such path")
  )
  return serveWire(() => jsonError(500, "INTERNAL", "internal error"))(routed)
}

/** Where a wire fake listens, once it listens. */
export class WireServer extends Context.Tag("@cardkit/fake/WireServer")<
  WireServer,
  { readonly url: string; readonly host: string; readonly port: number }
>() {
  /**
   * Serve `app` on its own port (ephemeral unless `port` is given) for as long as the layer lives,
   * providing the URL it listens on.
   */
  static readonly layer = layer

  /**
   * One app out of several, each mounted at the exact paths it serves (every method): how one port
   * serves the ledger's `/cardv2` and Visa's `/pav/v1/cardvalidation` together. Other paths get a
   * plain JSON 404. Each request gets its id and its log line here, once, as in each fake alone; a
   * wire fake mounted here still answers its own failures in its own protocol's shape, and only what
   * another app lets escape gets the plain JSON 500.
   */
  static readonly combine = combine
}

/** Where the wire fakes listen, from `CARDKIT_FAKE_HOST` (127.0.0.1) and `CARDKIT_FAKE_PORT` (0: any free port). */
export const WireServerConfig: Config.Config<WireServerOptions> = ListenConfig.address(0).pipe(
  Config.nested("FAKE"),
  Config.nested("CARDKIT")
)

/** `app` served as `WireServer.layer` serves it, its address provided as `tag` too. */
export const serveAs = <Self, E, R, E2, R2>(
  tag: Context.Tag<Self, WireServer["Type"]>,
  app: Effect.Effect<HttpApp.Default<E, R>, E2, R2>,
  options: WireServerOptions
): Layer.Layer<
  Self | WireServer,
  ServeError | E2,
  R2 | Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>
> =>
  Layer.unwrapEffect(
    Effect.map(app, (app) => Layer.effect(tag, WireServer).pipe(Layer.provideMerge(layer(app, options))))
  )
