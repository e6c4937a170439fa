import {
  type AccountValidationError,
  invalidRequestFromParseError,
  ProtocolViolation,
  ProviderUnavailable
} from "@cardkit/domain"
import { type RetryOptions, retry } from "@cardkit/http"
import { HttpBody, HttpClient, HttpClientRequest } from "@effect/platform"
import { Clock, ConfigError, Duration, Effect, Either, Redacted, Schema } from "effect"
import type { CardValidationRequestJson } from "../CardValidationRequest.js"
import { CardValidationResponse } from "../CardValidationResponse.js"
import { importMlePrivateKey, importMlePublicKey, isMleBody, mleDecrypt, mleEncrypt } from "../Mle.js"
import type { PavClientOptions } from "../VisaPavOptions.js"
import { xPayToken } from "../XPayToken.js"
import { fromHttpStatus, fromTransport, provider, Retryable } from "./errors.js"

export const cardValidationPath = "/pav/v1/cardvalidation"

const isRetryable = (error: AccountValidationError | Retryable): error is Retryable => error instanceof Retryable

/** Sends a wire request as it is and answers Visa's response, every failure typed. */
export interface PavTransport {
  readonly send: (request: CardValidationRequestJson) => Effect.Effect<CardValidationResponse, AccountValidationError>
}

const invalidOption = (path: ReadonlyArray<string>, message: string) => ConfigError.InvalidData([...path], message)

const decodeResponse = Schema.decodeUnknownEither(CardValidationResponse)

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The transport over the `HttpClient` in context, which carries the two-way TLS and the timeouts. */
export const makeTransport = (
  options: PavClientOptions
): Effect.Effect<PavTransport, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const retryPolicy: RetryOptions<AccountValidationError | Retryable> = {
      times: options.retries ?? 2,
      baseDelay: Duration.millis(50),
      while: isRetryable
    }

    const mle =
      options.mle === undefined
        ? undefined
        : yield* Effect.all({
            keyId: Effect.succeed(options.mle.keyId),
            encryption: Effect.succeed(options.mle.encryption ?? "A128GCM"),
            publicKey: importMlePublicKey(options.mle.serverPublicKey),
            privateKey: importMlePrivateKey(options.mle.clientPrivateKey)
          }).pipe(Effect.mapError((error) => invalidOption(["mle"], error.reason)))

    const given = yield* HttpClient.HttpClient
    const client = options.transformClient === undefined ? given : options.transformClient(given)

    const base = options.url.replace(/\/+$/, "")
    const query =
      options.xPayToken === undefined ? "" : new URLSearchParams({ apikey: options.xPayToken.apiKey }).toString()
    const request = HttpClientRequest.post(`${base}${cardValidationPath}${query === "" ? "" : `?${query}`}`, {
      acceptJson: true,
      headers: {
        "content-type": "application/json",
        authorization: `Basic ${Buffer.from(`${Redacted.value(options.userId)}:${Redacted.value(options.password)}`).toString("base64")}`,
        ...(mle === undefined ? {} : { keyId: mle.keyId })
      }
    })
    const xPay = options.xPayToken
    const path = new URL(`${base}${cardValidationPath}`).pathname

    /** The request for `body`: built as it is, or with a fresh X-Pay-Token when one is configured. */
    const withBody = (
      body: string
    ): HttpClientRequest.HttpClientRequest | Effect.Effect<HttpClientRequest.HttpClientRequest> => {
      // A string body: undici sends it as it is, with no encoding pass of our own.
      const withText = HttpClientRequest.setBody(request, HttpBody.raw(body))
      return xPay === undefined
        ? withText
        : Effect.map(Clock.currentTimeMillis, (now) =>
            HttpClientRequest.setHeader(
              withText,
              "x-pay-token",
              xPayToken({
                sharedSecret: xPay.sharedSecret,
                path,
                queryString: query,
                body,
                timestampSeconds: Math.floor(now / 1000)
              })
            )
          )
    }

    /** `then` of the JSON Visa meant: MLE envelopes decrypted with the client's key first. */
    const whenOpened = <A, E>(
      body: unknown,
      then: (body: unknown) => Effect.Effect<A, E>
    ): Effect.Effect<A, E | ProtocolViolation> =>
      mle === undefined || !isMleBody(body)
        ? then(body)
        : mleDecrypt(body.encData, mle.privateKey).pipe(
            Effect.mapError((error) => new ProtocolViolation({ provider, reason: error.reason })),
            Effect.flatMap(({ plaintext }) => then(parseJson(plaintext)))
          )

    const decoded = (body: unknown): Effect.Effect<CardValidationResponse, ProtocolViolation> =>
      Either.match(decodeResponse(body), {
        onLeft: (error) => {
          const problem = invalidRequestFromParseError(error, "response")
          return Effect.fail(new ProtocolViolation({ provider, reason: `${problem.field}: ${problem.reason}` }))
        },
        onRight: Effect.succeed
      })

    const interpret = (
      status: number,
      text: string
    ): Effect.Effect<CardValidationResponse, AccountValidationError | Retryable> => {
      const json = parseJson(text)
      if (status !== 200) return whenOpened(json, (body) => Effect.fail(fromHttpStatus(status, body)))
      if (json === undefined) {
        return Effect.fail(
          new ProviderUnavailable({ provider, reason: "answered HTTP 200 with a body that is not JSON" })
        )
      }
      return whenOpened(json, decoded)
    }

    const exchange = (request: HttpClientRequest.HttpClientRequest) =>
      Effect.matchEffect(
        Effect.flatMap(client.execute(request), (response) =>
          Effect.map(response.text, (text) => ({ status: response.status, text }))
        ),
        {
          onFailure: (error) => Effect.fail(fromTransport(error.cause)),
          onSuccess: ({ status, text }) => interpret(status, text)
        }
      )

    const attempt = (body: string) => {
      const request = withBody(body)
      return Effect.isEffect(request) ? Effect.flatMap(request, exchange) : exchange(request)
    }

    /** `attempt(body)`, retried while it fails `Retryable`; once the retries run out, the error that wraps. */
    const withRetries = (body: string): Effect.Effect<CardValidationResponse, AccountValidationError> =>
      Effect.catchIf(retry(attempt(body), retryPolicy), isRetryable, (retryable) => Effect.fail(retryable.error))

    const send = (wire: CardValidationRequestJson) => {
      const json = JSON.stringify(wire)
      return mle === undefined
        ? withRetries(json)
        : mleEncrypt(json, { keyId: mle.keyId, publicKey: mle.publicKey, encryption: mle.encryption }).pipe(
            Effect.mapError((error) => new ProviderUnavailable({ provider, reason: error.reason })),
            Effect.flatMap((encData) => withRetries(JSON.stringify({ encData })))
          )
    }

    return { send }
  })
