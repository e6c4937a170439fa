import { type AccountValidationError, invalidRequestFromParseError } from "@cardkit/domain"
import type { HttpClient } from "@effect/platform"
import { type Config, type ConfigError, Context, Effect, Layer, Schema } from "effect"
import { CardValidationRequest } from "./CardValidationRequest.js"
import type { CardValidationResponse } from "./CardValidationResponse.js"
import { observedTransport } from "./internal/observedTransport.js"
import { cardValidationPath } from "./internal/transport.js"
import { type PavClientOptions, VisaPavConfig } from "./VisaPavOptions.js"

export { cardValidationPath }

const encodeRequest = Schema.encode(CardValidationRequest)

/** Visa's PAV API in its own terms: a wire request in, Visa's wire response out, every failure typed. */
export class PavClient extends Context.Tag("@cardkit/visa-pav/PavClient")<
  PavClient,
  {
    readonly cardValidation: (
      request: CardValidationRequest
    ) => Effect.Effect<CardValidationResponse, AccountValidationError>
  }
>() {
  /** The client over the `HttpClient` in context (`UndiciHttpClient.layer` with Visa's TLS in production). */
  static readonly make = (
    options: PavClientOptions
  ): Effect.Effect<PavClient["Type"], ConfigError.ConfigError, HttpClient.HttpClient> =>
    Effect.map(observedTransport(options), (transport) =>
      PavClient.of({
        cardValidation: (request) =>
          encodeRequest(request).pipe(
            Effect.mapError((error) => invalidRequestFromParseError(error)),
            Effect.flatMap(transport.send)
          )
      })
    )

  static readonly layer = (
    options: PavClientOptions
  ): Layer.Layer<PavClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
    Layer.effect(PavClient, PavClient.make(options))

  /** As `layer`, the options read from `config`: by default the documented `CARDKIT_VISA_*` names. */
  static readonly layerConfig = (
    config: Config.Config<PavClientOptions> = VisaPavConfig
  ): Layer.Layer<PavClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
    Layer.effect(PavClient, Effect.flatMap(config, PavClient.make))
}
