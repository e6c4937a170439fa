import { invalidRequestFromParseError, JsonBody } from "@cardkit/domain"
import { type HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { ServeError } from "@effect/platform/HttpServerError"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import {
  CardValidationRequest,
  cardValidationPath,
  importMlePrivateKey,
  importMlePublicKey,
  isMleBody,
  type MleEncryption,
  type MleError,
  mleDecrypt,
  mleEncrypt,
  type VisaErrorBody
} from "@cardkit/visa-pav"
import { type Config, type ConfigError, Context, Effect, Either, Layer, Option, type Redacted, Schema } from "effect"
import { FakeIssuer } from "./FakeIssuer.js"
import type { Fault } from "./Faults.js"
import { toIssuerRequest, toWireResponse, visaErrors } from "./internal/visaWire.js"
import { closingConnection, readBody, serveWire } from "./internal/wireHttp.js"
import { serveAs, type WireServer, WireServerConfig, type WireServerOptions } from "./WireServer.js"

export interface FakeVisaOptions {
  /** The project credentials Basic auth must carry; without them the fake is open (any or none). */
  readonly credentials?: { readonly userId: string; readonly password: string }
  /** Message Level Encryption. */
  readonly mle?: {
    readonly keyId: string
    /** The fake's MLE private key (PEM): requests are encrypted to its public key. */
    readonly serverPrivateKey: Redacted.Redacted<string>
    /** The client's MLE public key (certificate or SPKI PEM): responses are encrypted to it. */
    readonly clientPublicKey: string
    /** Refuse plain requests (default true); when false, plain requests get plain answers. */
    readonly required?: boolean
    readonly encryption?: MleEncryption
  }
  /** Larger bodies are refused with HTTP 413 in Visa's format; 64 KiB by default. */
  readonly maxBodyBytes?: number
}

export interface FakeVisaServerOptions extends FakeVisaOptions, WireServerOptions {}

const decodeRequest = Schema.decodeUnknownEither(CardValidationRequest, { errors: "first" })

const visa = ([status, body]: readonly [number, VisaErrorBody]) => HttpServerResponse.unsafeJson(body, { status })

const internalError = () => visa(visaErrors.internal())

/** The handler of `POST /pav/v1/cardvalidation`, answering from the `FakeIssuer` in context. */
const app = (options: FakeVisaOptions = {}): Effect.Effect<HttpApp.Default, MleError, FakeIssuer> =>
  Effect.gen(function* () {
    const issuer = yield* FakeIssuer
    const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024
    const mle =
      options.mle === undefined
        ? undefined
        : {
            keyId: options.mle.keyId,
            required: options.mle.required ?? true,
            recipient: {
              keyId: options.mle.keyId,
              publicKey: yield* importMlePublicKey(options.mle.clientPublicKey),
              encryption: options.mle.encryption ?? "A128GCM"
            },
            privateKey: yield* importMlePrivateKey(options.mle.serverPrivateKey)
          }
    const authorization =
      options.credentials === undefined
        ? undefined
        : `Basic ${Buffer.from(`${options.credentials.userId}:${options.credentials.password}`).toString("base64")}`

    const ok = (body: unknown, encrypted: boolean) =>
      mle === undefined || !encrypted
        ? Effect.succeed(HttpServerResponse.unsafeJson(body))
        : Effect.map(mleEncrypt(JSON.stringify(body), mle.recipient), (encData) =>
            HttpServerResponse.unsafeJson({ encData })
          )

    /** An injected fault, shown as Visa's infrastructure would show it; `undefined` lets the call through. */
    const faulty = (fault: Fault, request: HttpServerRequest.HttpServerRequest, body: string) => {
      switch (fault._tag) {
        case "Latency":
          return Effect.as(Effect.sleep(fault.millis), undefined)
        case "Unavailable":
          return Effect.succeed(visa(visaErrors.unavailable()))
        case "Reset":
          return Effect.sync(() => {
            NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
            return HttpServerResponse.empty()
          })
        case "Garbage":
          return Effect.succeed(
            HttpServerResponse.text("<html><body><h1>502 Bad Gateway</h1></body></html>", {
              contentType: "text/html"
            })
          )
        case "Truncated":
          return Effect.succeed(
            HttpServerResponse.text(body.slice(0, Math.floor(body.length / 2)), { contentType: "application/json" })
          )
      }
    }

    const handle = Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (request.url.split("?")[0] !== cardValidationPath) return visa(visaErrors.notFound())
      if (request.method !== "POST") return visa(visaErrors.method())
      if (authorization !== undefined) {
        const given = request.headers.authorization
        if (given === undefined) return visa(visaErrors.credentialMissing())
        if (given !== authorization) return visa(visaErrors.credentialWrong())
      }
      if (!JsonBody.isJsonContentType(request.headers["content-type"])) return visa(visaErrors.mediaType())
      const body = yield* Effect.either(readBody(request, maxBodyBytes))
      if (Either.isLeft(body)) {
        return body.left._tag === "BodyTooLarge"
          ? closingConnection(visa(visaErrors.tooLarge(maxBodyBytes)))
          : visa(visaErrors.body("could not be read"))
      }
      let json = JsonBody.parse(body.right)
      if (Either.isLeft(json)) return visa(visaErrors.body(json.left.reason))
      let encrypted = false
      if (mle !== undefined) {
        if (isMleBody(json.right)) {
          if (request.headers.keyid !== mle.keyId)
            return visa(visaErrors.mle("The keyId header does not name an MLE key"))
          const opened = yield* Effect.either(mleDecrypt(json.right.encData, mle.privateKey))
          if (Either.isLeft(opened)) return visa(visaErrors.mle("encData cannot be decrypted with the MLE key"))
          json = JsonBody.parse(opened.right.plaintext)
          if (Either.isLeft(json)) return visa(visaErrors.body(json.left.reason))
          encrypted = true
        } else if (mle.required) {
          return visa(visaErrors.mle("Message Level Encryption is required: send encData"))
        }
      }
      const wire = decodeRequest(json.right)
      if (Either.isLeft(wire)) {
        const problem = invalidRequestFromParseError(wire.left)
        return visa(visaErrors.invalidField(problem.field, problem.reason))
      }
      const issuerRequest = toIssuerRequest(wire.right)
      if (issuerRequest === undefined) return visa(visaErrors.expiry())
      const result = yield* issuer.validateAccount(issuerRequest)
      const answer = toWireResponse(result)
      const fault = yield* issuer.nextFault("validateAccount")
      if (Option.isSome(fault)) {
        const shown = yield* faulty(fault.value, request, JSON.stringify(answer))
        if (shown !== undefined) return shown
      }
      return yield* ok(answer, encrypted)
    })

    return serveWire(internalError)(handle)
  })

/**
 * A wire-level fake of Visa's PAV API over the in-memory `FakeIssuer`, served: Visa's request schema
 * enforced (400 in Visa's error format naming the field), Basic auth, optional two-way TLS
 * (`tls` with `requireClientCertificate`) and MLE, faults from `FakeIssuer.nextFault("validateAccount")`.
 */
export class FakeVisaServer extends Context.Tag("@cardkit/fake/FakeVisaServer")<FakeVisaServer, WireServer["Type"]>() {
  static readonly path = cardValidationPath

  /** The handler of `POST /pav/v1/cardvalidation`, to mount beside other apps (`WireServer.combine`). */
  static readonly make = app

  /** Serve it on its own port (ephemeral unless `port` is given); the address is also `WireServer`. */
  static readonly layer = (
    options: FakeVisaServerOptions = {}
  ): Layer.Layer<FakeVisaServer | WireServer, ServeError | MleError, FakeIssuer> =>
    serveAs(FakeVisaServer, app(options), options)

  /** As `layer`, the options read from `config`: by default where `WireServerConfig` says, without credentials. */
  static readonly layerConfig = (
    config: Config.Config<FakeVisaServerOptions> = WireServerConfig
  ): Layer.Layer<FakeVisaServer | WireServer, ServeError | MleError | ConfigError.ConfigError, FakeIssuer> =>
    Layer.unwrapEffect(Effect.map(config, FakeVisaServer.layer))
}
