import type {
  AccountValidationError,
  BudgetExceeded,
  CardLifecycleError,
  CardSecretsError,
  StoreUnavailable
} from "@cardkit/domain"
import { PayloadAlreadyConsumed, PayloadExpired, PayloadNotFound, type SignablePayloadError } from "@cardkit/store"
import { HttpApiSchema, HttpServerResponse } from "@effect/platform"
import { Effect, Schema } from "effect"

/**
 * The error body every failing route answers with: `{ error: { code, message } }`. Each status has
 * its own codes, which is also how the encoder tells the classes apart (they share one shape).
 */
const errorBody = <const Codes extends ReadonlyArray<string>>(...codes: Codes) => ({
  error: Schema.Struct({
    /** The typed error's name. */
    code: Schema.Literal(...codes),
    message: Schema.String
  })
})

export const BadRequestDescription = "The input is invalid; `error.field` names the field"

export class BadRequest extends Schema.Class<BadRequest>("BadRequest")(
  {
    error: Schema.Struct({
      code: Schema.Literal("InvalidRequest"),
      message: Schema.String,
      /** The offending input's dotted path (`billingAddress.postalCode`), or `body`. */
      field: Schema.String
    })
  },
  HttpApiSchema.annotations({ status: 400, description: BadRequestDescription })
) {}

export class Unauthorized extends Schema.Class<Unauthorized>("Unauthorized")(
  errorBody("Unauthorized"),
  HttpApiSchema.annotations({ status: 401, description: "The API key is missing or wrong" })
) {}

export class NotFound extends Schema.Class<NotFound>("NotFound")(
  errorBody("CardNotFound", "NotFound"),
  HttpApiSchema.annotations({ status: 404, description: "No such card (or route)" })
) {}

export class UnsupportedMediaType extends Schema.Class<UnsupportedMediaType>("UnsupportedMediaType")(
  errorBody("UnsupportedMediaType"),
  HttpApiSchema.annotations({ status: 415, description: "The body is not sent as `application/json` (UTF-8)" })
) {}

export class Conflict extends Schema.Class<Conflict>("Conflict")(
  errorBody("CardNotActive", "StatusActionNotAllowed"),
  HttpApiSchema.annotations({ status: 409, description: "The card's status forbids the operation" })
) {}

export class Unprocessable extends Schema.Class<Unprocessable>("Unprocessable")(
  errorBody("IncorrectCvv", "IdempotencyKeyReused"),
  HttpApiSchema.annotations({
    status: 422,
    description: "The CVV is incorrect, or the `Idempotency-Key` was used before with another body"
  })
) {}

export class TooManyRequests extends Schema.Class<TooManyRequests>("TooManyRequests")(
  {
    error: Schema.Struct({
      code: Schema.Literal("BudgetExceeded"),
      message: Schema.String,
      /** Whole seconds until the next reveal is allowed; the `Retry-After` header says the same. */
      retryAfter: Schema.Int
    })
  },
  HttpApiSchema.annotations({
    status: 429,
    description: "A reveal budget of the card or the customer is spent; retry after `Retry-After` seconds"
  })
) {}

export class BadGateway extends Schema.Class<BadGateway>("BadGateway")(
  errorBody("ProviderRejected", "AuthenticationFailed", "ProtocolViolation"),
  HttpApiSchema.annotations({ status: 502, description: "The provider refused or broke its protocol" })
) {}

export class ServiceUnavailable extends Schema.Class<ServiceUnavailable>("ServiceUnavailable")(
  errorBody("ProviderUnavailable", "StoreUnavailable"),
  HttpApiSchema.annotations({ status: 503, description: "The provider or cardkit's store cannot be reached" })
) {}

export class GatewayTimeout extends Schema.Class<GatewayTimeout>("GatewayTimeout")(
  errorBody("ProviderTimeout"),
  HttpApiSchema.annotations({ status: 504, description: "The provider did not answer in time" })
) {}

/*
 * A signed payload's refusals: each its own class, since the codes are the store's (upper case, as
 * the issue names them) and a 404 or 409 of a card route would not tell the client to build a new one.
 */

export class SignedPayloadNotFound extends Schema.Class<SignedPayloadNotFound>("SignedPayloadNotFound")(
  errorBody(PayloadNotFound.code),
  HttpApiSchema.annotations({
    status: 404,
    description: "No signable payload of that id was built with this API key"
  })
) {}

export class SignedPayloadConsumed extends Schema.Class<SignedPayloadConsumed>("SignedPayloadConsumed")(
  errorBody(PayloadAlreadyConsumed.code),
  HttpApiSchema.annotations({
    status: 409,
    description: "The signable payload was performed before: each is performed once"
  })
) {}

export class SignedPayloadExpired extends Schema.Class<SignedPayloadExpired>("SignedPayloadExpired")(
  errorBody(PayloadExpired.code),
  HttpApiSchema.annotations({
    status: 410,
    description: "The signable payload is older than `CARDKIT_SIGNABLE_PAYLOAD_TTL`: build and sign a new one"
  })
) {}

/** Why a signed payload could not be taken, as its answer (the message names the payload id only). */
export const fromPayloadError = (
  error: SignablePayloadError
): SignedPayloadNotFound | SignedPayloadConsumed | SignedPayloadExpired => {
  switch (error._tag) {
    case "PayloadNotFound":
      return new SignedPayloadNotFound({ error: { code: error.code, message: error.message } })
    case "PayloadAlreadyConsumed":
      return new SignedPayloadConsumed({ error: { code: error.code, message: error.message } })
    case "PayloadExpired":
      return new SignedPayloadExpired({ error: { code: error.code, message: error.message } })
  }
}

export class InternalError extends Schema.Class<InternalError>("InternalError")(
  errorBody("InternalError"),
  HttpApiSchema.annotations({
    status: 500,
    description: "The server failed unexpectedly; the `x-request-id` header names the failure in its log"
  })
) {}

export type ApiError =
  | BadRequest
  | NotFound
  | Conflict
  | Unprocessable
  | TooManyRequests
  | BadGateway
  | ServiceUnavailable
  | GatewayTimeout

/** The status an error is answered with (its schema's `status` annotation). */
export const statusOf = (error: ApiError): number => {
  if (error instanceof BadRequest) return 400
  if (error instanceof NotFound) return 404
  if (error instanceof Conflict) return 409
  if (error instanceof Unprocessable) return 422
  if (error instanceof TooManyRequests) return 429
  if (error instanceof BadGateway) return 502
  if (error instanceof ServiceUnavailable) return 503
  return 504
}

export const idempotencyKeyReused = new Unprocessable({
  error: {
    code: "IdempotencyKeyReused",
    message: "this Idempotency-Key was used with another request body; send a new key for a new request"
  }
})

/** A 400 naming the field; `reason` must not repeat the value it rejects. */
export const badRequest = (field: string, reason: string): BadRequest =>
  new BadRequest({ error: { code: "InvalidRequest", message: `${field}: ${reason}`, field } })

/**
 * A domain error as the HTTP answer. Domain errors never carry card data, so their messages go out
 * as they are.
 */
export function fromDomainError(error: StoreUnavailable): ServiceUnavailable
export function fromDomainError(
  error: AccountValidationError
): BadRequest | BadGateway | ServiceUnavailable | GatewayTimeout
export function fromDomainError(
  error: CardSecretsError
): BadRequest | NotFound | Conflict | TooManyRequests | BadGateway | ServiceUnavailable | GatewayTimeout
export function fromDomainError(error: CardLifecycleError): Exclude<ApiError, TooManyRequests>
export function fromDomainError(error: CardSecretsError | CardLifecycleError): ApiError
export function fromDomainError(error: CardSecretsError | CardLifecycleError | AccountValidationError): ApiError {
  switch (error._tag) {
    case "InvalidRequest":
      return badRequest(error.field, error.reason)
    case "CardNotFound":
      return new NotFound({ error: { code: error._tag, message: error.message } })
    case "CardNotActive":
    case "StatusActionNotAllowed":
      return new Conflict({ error: { code: error._tag, message: error.message } })
    case "IncorrectCvv":
      return new Unprocessable({ error: { code: error._tag, message: error.message } })
    case "AuthenticationFailed":
    case "ProviderRejected":
    case "ProtocolViolation":
      return new BadGateway({ error: { code: error._tag, message: error.message } })
    case "BudgetExceeded":
      return tooManyRequests(error)
    case "ProviderUnavailable":
    case "StoreUnavailable":
      return new ServiceUnavailable({ error: { code: error._tag, message: error.message } })
    case "ProviderTimeout":
      return new GatewayTimeout({ error: { code: error._tag, message: error.message } })
  }
}

const tooManyRequests = (error: BudgetExceeded): TooManyRequests =>
  new TooManyRequests({
    error: { code: error._tag, message: error.message, retryAfter: Math.ceil(error.retryAfterMillis / 1000) }
  })

/**
 * A spent budget as its 429 answer with `Retry-After`: answered as a response, because HttpApi's error
 * encoding sets the status of an error schema but no header.
 */
export const budgetExceededResponse = (error: BudgetExceeded): HttpServerResponse.HttpServerResponse => {
  const body = tooManyRequests(error)
  return HttpServerResponse.unsafeJson(body, {
    status: 429,
    headers: { "retry-after": String(body.error.retryAfter) }
  })
}

/**
 * A failed reveal (or device-signed operation) as its answer: a spent budget is a 429 response with
 * `Retry-After` (so never a `TooManyRequests` failure), any other error fails as `fromDomainError` maps it.
 */
export function answerOrFail(
  error: CardSecretsError
): Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  BadRequest | NotFound | Conflict | BadGateway | ServiceUnavailable | GatewayTimeout
>
export function answerOrFail(
  error: CardSecretsError | CardLifecycleError
): Effect.Effect<HttpServerResponse.HttpServerResponse, Exclude<ApiError, TooManyRequests>>
export function answerOrFail(
  error: CardSecretsError | CardLifecycleError
): Effect.Effect<HttpServerResponse.HttpServerResponse, ApiError> {
  return error._tag === "BudgetExceeded"
    ? Effect.succeed(budgetExceededResponse(error))
    : Effect.fail(fromDomainError(error))
}
