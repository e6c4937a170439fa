import { type AccountValidationError, CardkitMetrics, maskPans } from "@cardkit/domain"
import { HttpClient } from "@effect/platform"
import { type ConfigError, Effect, Exit, FiberRef } from "effect"
import type { CardValidationResponse } from "../CardValidationResponse.js"
import type { PavClientOptions } from "../VisaPavOptions.js"
import { provider } from "./errors.js"
import { makeTransport, type PavTransport } from "./transport.js"

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
