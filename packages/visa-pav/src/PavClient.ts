import { type AccountValidationError, CardkitMetrics, invalidRequestFromParseError, maskPans } from "@cardkit/domain"
import { HttpClient } from "@effect/platform"
import { type Config, type ConfigError, Context, Effect, Exit, FiberRef, Layer, Schema } from "effect"
import { CardValidationRequest } from "./CardValidationRequest.js"
import type { CardValidationResponse } from "./CardValidationResponse.js"
import { provider } from "./internal/errors.js"
import { cardValidationPath, makeTransport, type PavTransport } from "./internal/transport.js"
import { type PavClientOptions, VisaPavConfig } from "./VisaPavOptions.js"

export { cardValidationPath }

const encodeRequest = Schema.encode(CardValidationRequest)

const operation = "cardvalidation"

/**
 * The attempts of the call the current fiber is making. The transport retries inside `send`, out of
 * this module's sight; the HTTP client it is given counts each exchange here, so the call's span can
 * say how many there were and each one after the first is counted as a retry.
 */
const currentAttempts = FiberRef.unsafeMake<{ count: number } | undefined>(undefined)

const countingAttempts = (client: HttpClient.HttpClient): HttpClient.HttpClient =>
  HttpClient.transform(client, (exchange) =>
    Effect.flatMap(FiberRef.get(currentAttempts), (attempts) => {
      if (attempts === undefined) return exchange
      attempts.count++
      return attempts.count === 1 ? exchange : Effect.zipRight(CardkitMetrics.countRetry(provider, operation), exchange)
    })
  )

/**
 * `send(wire)` as one provider call: the span `visa.cardvalidation` with the attempts made and Visa's
 * action and response codes (or the code of a rejection) — the request's body, which holds the PAN,
 * CVV2 and TAVV, is never read here.
 */
const observed = (
  send: Effect.Effect<CardValidationResponse, AccountValidationError>
): Effect.Effect<CardValidationResponse, AccountValidationError> =>
  Effect.suspend(() => {
    const attempts = { count: 0 }
    return CardkitMetrics.observeProviderCall(
      { span: "visa.cardvalidation", provider, operation },
      Effect.locally(send, currentAttempts, attempts),
      (exit, span) => {
        span.attribute("cardkit.attempt", attempts.count)
        if (Exit.isSuccess(exit)) {
          span.attribute("visa.action_code", exit.value.actionCode)
          span.attribute("visa.response_code", exit.value.responseCode)
        } else if (exit.cause._tag === "Fail" && exit.cause.error._tag === "ProviderRejected") {
          // Visa's code as it sent it, which only Visa's word says is not a card number.
          span.attribute("cardkit.provider_code", maskPans(exit.cause.error.code))
        }
      }
    )
  })

/**
 * Visa's transport with every call observed: its span `visa.cardvalidation`, its duration and its
 * retries counted. What `PavClient` and `VisaAccountValidation` send through.
 */
export const observedTransport = (
  options: PavClientOptions
): Effect.Effect<PavTransport, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Effect.map(
    makeTransport({
      ...options,
      transformClient: (client) =>
        countingAttempts(options.transformClient === undefined ? client : options.transformClient(client))
    }),
    (transport) => ({ send: (wire) => observed(transport.send(wire)) })
  )

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
