import {
  AccountNumber,
  AccountValidationRequest,
  AccountValidationResult,
  ActivateCardRequest,
  Card,
  CardFlags,
  CardId,
  CardLimit,
  CardRef,
  ChangePinRequest,
  CustomerId,
  CvvDigits,
  DeviceSignature,
  GetCvvRequest,
  Health as DomainHealth,
  IssueCardRequest,
  ReplaceCardRequest,
  ReplacedCard,
  SetLimitRequest,
  ValidateCvvRequest
} from "@cardkit/domain"
import {
  HttpApi,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSchema,
  HttpApiSecurity,
  OpenApi
} from "@effect/platform"
import { AuditPage, AuditQuery } from "@cardkit/store"
import { Context, Schema, Struct } from "effect"
import {
  BadGateway,
  BadRequest,
  BadRequestDescription,
  Conflict,
  GatewayTimeout,
  InternalError,
  NotFound,
  ServiceUnavailable,
  SignedPayloadConsumed,
  SignedPayloadExpired,
  SignedPayloadNotFound,
  TooManyRequests,
  Unauthorized,
  Unprocessable,
  UnsupportedMediaType
} from "./ApiErrors.js"
import { IdempotencyKey } from "./Idempotency.js"

export const Health = Schema.Struct({
  /** `degraded` while a credential expires within `CARDKIT_CREDENTIAL_EXPIRY_WARNING` or is outside its validity. */
  status: Schema.Literal("ok", "degraded"),
  /** Which provider answers: the in-memory `fake` or the `live` ledger and Visa transports. */
  provider: Schema.Literal("fake", "live"),
  /** The credentials cardkit holds whose validity is known, with their age and expiry; absent when none is. */
  credentials: Schema.optional(Schema.Array(DomainHealth.CredentialReport))
}).annotations({ identifier: "Health" })

/** Ready: the store and each provider endpoint answered; `degraded` while a credential nears its expiry. */
export const Readiness = Schema.Struct({
  ...DomainHealth.HealthReport.fields,
  status: Schema.Literal("ok", "degraded")
}).annotations({ identifier: "Readiness" })

/** Not ready: the same report, `failing`, each check and credential with its status (the failing ones name why). */
export class NotReady extends Schema.Class<NotReady>("NotReady")(
  DomainHealth.HealthReport.fields,
  HttpApiSchema.annotations({ status: 503, description: "The store or a provider endpoint does not answer" })
) {}

/** `GetCvvRequest` without the card id, which the path carries. */
export const RevealCvvBody = Schema.Struct(Struct.omit(GetCvvRequest.fields, "cardId")).annotations({
  identifier: "RevealCvvBody"
})

/** The one answer that carries a CVV in clear; sent with `Cache-Control: no-store`. */
export const RevealedCvv = Schema.Struct({
  cardId: CardId,
  cvv: CvvDigits,
  card: CardFlags,
  /** The provider's reference for its answer. */
  reference: Schema.String
}).annotations({ identifier: "RevealedCvv" })
export type RevealedCvv = typeof RevealedCvv.Encoded

/** Who sent the request: the SHA-256 digest (hex) of the API key it was sent with, never the key. */
export class Caller extends Context.Tag("@cardkit/demo/Caller")<Caller, { readonly id: string }>() {}

/** Every `/v1` route needs one of the configured API keys, as `x-api-key` or `Authorization: Bearer`. */
export class ApiKeyAuth extends HttpApiMiddleware.Tag<ApiKeyAuth>()("ApiKeyAuth", {
  failure: Unauthorized,
  provides: Caller,
  security: {
    apiKey: HttpApiSecurity.apiKey({ key: "x-api-key", in: "header" }),
    bearer: HttpApiSecurity.bearer
  }
}) {}

/** The admin routes (`/v1/audit`) need one of the admin keys (`CARDKIT_DEMO_ADMIN_API_KEYS`), sent the same ways. */
export class AdminKeyAuth extends HttpApiMiddleware.Tag<AdminKeyAuth>()("AdminKeyAuth", {
  failure: Unauthorized,
  provides: Caller,
  security: {
    apiKey: HttpApiSecurity.apiKey({ key: "x-api-key", in: "header" }),
    bearer: HttpApiSecurity.bearer
  }
}) {}

export class HealthGroup extends HttpApiGroup.make("health")
  .add(
    HttpApiEndpoint.get("health", "/health")
      .addSuccess(Health)
      .annotate(OpenApi.Summary, "Liveness and the provider in use")
      .annotate(
        OpenApi.Description,
        "Runs no check: answers 200 while the process serves, with the credentials' expiry."
      )
  )
  .add(
    HttpApiEndpoint.get("ready", "/health/ready")
      .addSuccess(Readiness)
      .addError(NotReady)
      .annotate(OpenApi.Summary, "Readiness: the store and the provider's endpoints answer")
      .annotate(
        OpenApi.Description,
        "Each check bounded by `CARDKIT_HEALTH_TIMEOUT`; 503 naming what fails, or a credential outside its validity."
      )
  ) {}

export class CardsGroup extends HttpApiGroup.make("cards")
  .add(
    HttpApiEndpoint.post("revealCvv", "/v1/cards/:cardId/cvv")
      .setPath(Schema.Struct({ cardId: CardId }))
      .setPayload(RevealCvvBody)
      .addSuccess(RevealedCvv)
      .addError(BadRequest)
      .addError(NotFound)
      .addError(UnsupportedMediaType)
      .addError(Conflict)
      .addError(TooManyRequests)
      .addError(BadGateway)
      .addError(ServiceUnavailable)
      .addError(GatewayTimeout)
      .annotate(OpenApi.Summary, "Reveal a card's CVV")
      .annotate(OpenApi.Description, "The ledger's GET_CVV. The answer is sent with `Cache-Control: no-store`.")
  )
  .middleware(ApiKeyAuth) {}

/* The request classes' fields without the card id, which the path carries. */

/** The body of lock, unlock, report-lost and close: the card's customer and account. */
export const CardBody = Schema.Struct(Struct.omit(CardRef.fields, "cardId")).annotations({ identifier: "CardBody" })
export const IssueCardBody = Schema.Struct(IssueCardRequest.fields).annotations({ identifier: "IssueCardBody" })
export const ActivateCardBody = Schema.Struct(Struct.omit(ActivateCardRequest.fields, "cardId")).annotations({
  identifier: "ActivateCardBody"
})
export const ValidateCvvBody = Schema.Struct(Struct.omit(ValidateCvvRequest.fields, "cardId")).annotations({
  identifier: "ValidateCvvBody"
})
export const ChangePinBody = Schema.Struct(Struct.omit(ChangePinRequest.fields, "cardId")).annotations({
  identifier: "ChangePinBody"
})
export const ReplaceCardBody = Schema.Struct(Struct.omit(ReplaceCardRequest.fields, "cardId")).annotations({
  identifier: "ReplaceCardBody"
})
export const SetLimitBody = Schema.Struct(Struct.omit(SetLimitRequest.fields, "cardId")).annotations({
  identifier: "SetLimitBody"
})

/**
 * The customer and account of a GET route, from the query string. A struct reads only its own
 * members, so `__proto__`, `constructor` and any other name in the query are ignored.
 */
export const CardQuery = Schema.Struct({ customerId: CustomerId, accountNumber: AccountNumber })
export const AccountQuery = Schema.Struct({ accountNumber: AccountNumber })

export const CardList = Schema.Struct({ cards: Schema.Array(Card) }).annotations({ identifier: "CardList" })
export const CardLimits = Schema.Struct({ cardId: CardId, limits: Schema.Array(CardLimit) }).annotations({
  identifier: "CardLimits"
})
export const CvvValid = Schema.Struct({ cardId: CardId, valid: Schema.Literal(true) }).annotations({
  identifier: "CvvValid"
})

/** Every write route takes an optional `Idempotency-Key`. */
export const WriteHeaders = Schema.Struct({ "idempotency-key": Schema.optional(IdempotencyKey) })

const cardPath = Schema.Struct({ cardId: CardId })

const idempotencyNote =
  " Send an `Idempotency-Key` header to retry it safely: the same key with the same body (per API key, for" +
  " 24 hours) answers the first answer again without calling the provider; with another body it is a 422" +
  " `IdempotencyKeyReused`."

const read = <const Name extends string, const Path extends HttpApiEndpoint.PathSegment>(name: Name, path: Path) =>
  HttpApiEndpoint.get(name, path)
    .addError(BadRequest)
    .addError(NotFound)
    .addError(Conflict)
    .addError(Unprocessable)
    .addError(BadGateway)
    .addError(ServiceUnavailable)
    .addError(GatewayTimeout)

const write = <const Name extends string, const Path extends HttpApiEndpoint.PathSegment>(
  method: "post" | "put",
  name: Name,
  path: Path
) =>
  (method === "post" ? HttpApiEndpoint.post(name, path) : HttpApiEndpoint.put(name, path))
    .setHeaders(WriteHeaders)
    .addError(BadRequest)
    .addError(NotFound)
    .addError(UnsupportedMediaType)
    .addError(Conflict)
    .addError(Unprocessable)
    .addError(BadGateway)
    .addError(ServiceUnavailable)
    .addError(GatewayTimeout)

const transition = <const Name extends string, const Path extends HttpApiEndpoint.PathSegment>(
  name: Name,
  path: Path,
  summary: string,
  description: string
) =>
  write("post", name, path)
    .setPath(cardPath)
    .setPayload(CardBody)
    .addSuccess(Card)
    .annotate(OpenApi.Summary, summary)
    .annotate(
      OpenApi.Description,
      `${description} A transition the card's status does not allow is a 409 \`StatusActionNotAllowed\`.${idempotencyNote}`
    )

export class LifecycleGroup extends HttpApiGroup.make("lifecycle")
  .add(
    read("getCard", "/v1/cards/:cardId")
      .setPath(cardPath)
      .setUrlParams(CardQuery)
      .addSuccess(Card)
      .annotate(OpenApi.Summary, "Get a card")
      .annotate(
        OpenApi.Description,
        "The card's type, status (and the provider's own spelling), last four digits and expiry."
      )
  )
  .add(
    read("listCards", "/v1/customers/:customerId/cards")
      .setPath(Schema.Struct({ customerId: CustomerId }))
      .setUrlParams(AccountQuery)
      .addSuccess(CardList)
      .annotate(OpenApi.Summary, "List a customer's cards")
  )
  .add(
    write("post", "issueCard", "/v1/cards")
      .setPayload(IssueCardBody)
      .addSuccess(Card, { status: 201 })
      .annotate(OpenApi.Summary, "Issue a card")
      .annotate(
        OpenApi.Description,
        `A virtual card is usable at once; a physical one is ordered and activated later.${idempotencyNote}`
      )
  )
  .add(
    write("post", "activateCard", "/v1/cards/:cardId/activate")
      .setPath(cardPath)
      .setPayload(ActivateCardBody)
      .addSuccess(Card)
      .annotate(OpenApi.Summary, "Activate a physical card")
      .annotate(
        OpenApi.Description,
        `With the CVV printed on it; an incorrect CVV is a 422 \`IncorrectCvv\`.${idempotencyNote}`
      )
  )
  .add(transition("lockCard", "/v1/cards/:cardId/lock", "Lock a card", "Freeze the card until it is unlocked."))
  .add(transition("unlockCard", "/v1/cards/:cardId/unlock", "Unlock a card", "Undo a lock."))
  .add(
    transition(
      "reportLost",
      "/v1/cards/:cardId/report-lost",
      "Report a card lost or stolen",
      "The card is blocked for good; replace it."
    )
  )
  .add(
    write("post", "replaceCard", "/v1/cards/:cardId/replace")
      .setPath(cardPath)
      .setPayload(ReplaceCardBody)
      .addSuccess(ReplacedCard)
      .annotate(OpenApi.Summary, "Replace a card")
      .annotate(
        OpenApi.Description,
        `\`lost_stolen\`: a new card number; \`damaged\`: a reissue with the same number.${idempotencyNote}`
      )
  )
  .add(transition("closeCard", "/v1/cards/:cardId/close", "Close a card", "The card can no longer be used."))
  .add(
    write("put", "changePin", "/v1/cards/:cardId/pin")
      .setPath(cardPath)
      .setPayload(ChangePinBody)
      .addSuccess(HttpApiSchema.NoContent)
      .annotate(OpenApi.Summary, "Set a card's PIN")
      .annotate(OpenApi.Description, `The PIN is never echoed or logged.${idempotencyNote}`)
  )
  .add(
    read("getLimits", "/v1/cards/:cardId/limits")
      .setPath(cardPath)
      .setUrlParams(CardQuery)
      .addSuccess(CardLimits)
      .annotate(OpenApi.Summary, "Get a card's limits")
  )
  .add(
    write("put", "setLimit", "/v1/cards/:cardId/limits")
      .setPath(cardPath)
      .setPayload(SetLimitBody)
      .addSuccess(CardLimits)
      .annotate(OpenApi.Summary, "Set one of a card's limits")
      .annotate(
        OpenApi.Description,
        `An amount or a count per cycle; answers every limit as it now is.${idempotencyNote}`
      )
  )
  .add(
    write("post", "validateCvv", "/v1/cards/:cardId/cvv/validate")
      .setPath(cardPath)
      .setPayload(ValidateCvvBody)
      .addSuccess(CvvValid)
      .annotate(OpenApi.Summary, "Check a card's CVV")
      .annotate(OpenApi.Description, `An incorrect CVV is a 422 \`IncorrectCvv\`.${idempotencyNote}`)
  )
  .middleware(ApiKeyAuth) {}

/** What a device signs: `payload` is the exact text to sign, `payloadId` what to send its signature with. */
export const SignableAnswer = Schema.Struct({
  /** The id to send the signature to, as `POST /v1/signed/{payloadId}`. */
  payloadId: Schema.String,
  /** The exact text the device signs (UTF-8), unchanged. */
  payload: Schema.String
}).annotations({ identifier: "SignableAnswer" })

/** The device's signature over a payload's text and the key id its key was registered under. */
export const SignedBody = Schema.Struct(DeviceSignature.fields).annotations({ identifier: "SignedBody" })

const signedNote =
  " The device signs `payload` as it is (ECDSA P-256 over SHA-256, DER, standard base64) and the signature" +
  " goes to `POST /v1/signed/{payloadId}` with this API key, once, within `CARDKIT_SIGNABLE_PAYLOAD_TTL`" +
  " (3 minutes by default)."

/** A route building the payload a device signs for one operation on the card in the path. */
const signable = <const Name extends string, const Path extends HttpApiEndpoint.PathSegment>(
  name: Name,
  path: Path,
  summary: string
) =>
  HttpApiEndpoint.post(name, path)
    .setPath(cardPath)
    .addSuccess(SignableAnswer, { status: 201 })
    .addError(BadRequest)
    .addError(NotFound)
    .addError(UnsupportedMediaType)
    .addError(Conflict)
    .addError(Unprocessable)
    .addError(BadGateway)
    .addError(ServiceUnavailable)
    .addError(GatewayTimeout)
    .annotate(OpenApi.Summary, summary)

export class SignedGroup extends HttpApiGroup.make("signed")
  .add(
    signable("signRevealCvv", "/v1/cards/:cardId/cvv/signable", "Build a CVV reveal for the device to sign")
      .setPayload(RevealCvvBody)
      .annotate(OpenApi.Description, `The CVV route's body.${signedNote}`)
  )
  .add(
    signable("signValidateCvv", "/v1/cards/:cardId/cvv/validate/signable", "Build a CVV check for the device to sign")
      .setPayload(ValidateCvvBody)
      .annotate(OpenApi.Description, `The CVV check route's body.${signedNote}`)
  )
  .add(
    signable("signChangePin", "/v1/cards/:cardId/pin/signable", "Build a PIN change for the device to sign")
      .setPayload(ChangePinBody)
      .annotate(
        OpenApi.Description,
        `The PIN route's body; \`payload\` carries the PIN (encrypted where the provider encrypts it).${signedNote}`
      )
  )
  .add(
    signable("signActivate", "/v1/cards/:cardId/activate/signable", "Build an activation for the device to sign")
      .setPayload(ActivateCardBody)
      .annotate(OpenApi.Description, `The activate route's body.${signedNote}`)
  )
  .add(
    signable("signReplace", "/v1/cards/:cardId/replace/signable", "Build a replacement for the device to sign")
      .setPayload(ReplaceCardBody)
      .annotate(OpenApi.Description, `The replace route's body.${signedNote}`)
  )
  .add(
    HttpApiEndpoint.post("performSigned", "/v1/signed/:payloadId")
      .setPath(Schema.Struct({ payloadId: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(64)) }))
      .setPayload(SignedBody)
      // The plain route's answer of the payload's operation.
      .addSuccess(RevealedCvv)
      .addSuccess(CvvValid)
      .addSuccess(Card)
      .addSuccess(ReplacedCard)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(BadRequest)
      .addError(NotFound)
      .addError(SignedPayloadNotFound)
      .addError(UnsupportedMediaType)
      .addError(Conflict)
      .addError(SignedPayloadConsumed)
      .addError(SignedPayloadExpired)
      .addError(Unprocessable)
      // A device-signed reveal spends the reveal budgets as the CVV route does.
      .addError(TooManyRequests)
      .addError(BadGateway)
      .addError(ServiceUnavailable)
      .addError(GatewayTimeout)
      .annotate(OpenApi.Summary, "Perform a device-signed operation")
      .annotate(
        OpenApi.Description,
        "Sends the payload's text unchanged with the device's signature and key id, and answers as the plain" +
          " route does: `RevealedCvv` (with `Cache-Control: no-store`), `CvvValid`, the `Card`, the" +
          " `ReplacedCard`, or a 204 for the PIN. Only the API key that built the payload may perform it, once" +
          " (`PAYLOAD_NOT_FOUND`, `PAYLOAD_ALREADY_CONSUMED`, `PAYLOAD_EXPIRED` otherwise); a signature the" +
          " provider refuses is a 502 `AuthenticationFailed`."
      )
  )
  .middleware(ApiKeyAuth) {}

export class AccountsGroup extends HttpApiGroup.make("accounts")
  .add(
    HttpApiEndpoint.post("validateAccount", "/v1/account-validations")
      .setPayload(AccountValidationRequest)
      .addSuccess(AccountValidationResult)
      .addError(BadRequest)
      .addError(UnsupportedMediaType)
      .addError(BadGateway)
      .addError(ServiceUnavailable)
      .addError(GatewayTimeout)
      .annotate(OpenApi.Summary, "Validate a payment account")
      .annotate(
        OpenApi.Description,
        "Visa Payment Account Validation: the account's standing with optional CVV2, address, name and TAVV " +
          "checks. A decline is a 200 with `approved: false`."
      )
  )
  .middleware(ApiKeyAuth) {}

export class AuditGroup extends HttpApiGroup.make("audit")
  .add(
    HttpApiEndpoint.get("listAudit", "/v1/audit")
      .setUrlParams(Schema.Struct(AuditQuery.fields))
      .addSuccess(AuditPage)
      .addError(BadRequest)
      .addError(ServiceUnavailable)
      .annotate(OpenApi.Summary, "The audit trail: who revealed or changed which card, when")
      .annotate(
        OpenApi.Description,
        "Every CVV reveal and every write, newest first, with an admin key (`CARDKIT_DEMO_ADMIN_API_KEYS`). " +
          "Filters `cardId`, `customerId`, `since` (inclusive) and `until` (exclusive) combine; send `next` " +
          "back as `cursor` for the following page. A record never holds a CVV, a PIN or a full PAN."
      )
  )
  .middleware(AdminKeyAuth) {}

/** The metrics as Prometheus scrapes them (`@cardkit/telemetry`), with an admin key. */
export class TelemetryGroup extends HttpApiGroup.make("telemetry")
  .add(
    HttpApiEndpoint.get("metrics", "/metrics")
      .addSuccess(HttpApiSchema.Text({ contentType: "text/plain; version=0.0.4; charset=utf-8" }))
      .annotate(OpenApi.Summary, "The metrics, as Prometheus text")
      .annotate(
        OpenApi.Description,
        "Every metric cardkit keeps, in the Prometheus exposition format, with an admin key " +
          "(`CARDKIT_DEMO_ADMIN_API_KEYS`); `CARDKIT_METRICS_PORT` serves the same text without a key on a port of its own."
      )
  )
  .middleware(AdminKeyAuth) {}

const decodeErrorRef = "#/components/schemas/HttpApiDecodeError"

/**
 * HttpApi declares its own `HttpApiDecodeError` (which would echo the rejected value) on every
 * endpoint. The app answers those failures as `BadRequest` instead (see DemoServer), so the document
 * must not promise that shape.
 */
interface SchemaRef {
  readonly $ref?: string
  readonly anyOf?: ReadonlyArray<SchemaRef>
}
interface Response {
  description: string
  readonly content?: Record<string, { schema: SchemaRef }>
}
interface Document {
  readonly paths: Record<string, Record<string, { readonly responses: Record<string, Response> }>>
  readonly components: { readonly schemas: Record<string, unknown> }
}

const withoutHttpApiDecodeError = <Spec extends object>(spec: Spec): Spec => {
  const document = spec as unknown as Document
  for (const item of Object.values(document.paths)) {
    for (const { responses } of Object.values(item)) {
      const json = responses["400"]?.content?.["application/json"]
      if (json === undefined) continue
      const rest = (json.schema.anyOf ?? [json.schema]).filter((schema) => schema.$ref !== decodeErrorRef)
      if (rest.length === 0) {
        delete responses["400"]
      } else {
        json.schema = rest.length === 1 ? rest[0]! : { anyOf: rest }
        responses["400"]!.description = BadRequestDescription
      }
    }
  }
  for (const name of ["HttpApiDecodeError", "Issue", "PropertyKey"]) delete document.components.schemas[name]
  return spec
}

export class DemoApi extends HttpApi.make("cardkit-demo")
  .add(HealthGroup)
  .add(CardsGroup)
  .add(LifecycleGroup)
  .add(AccountsGroup)
  .add(SignedGroup)
  .add(AuditGroup)
  .add(TelemetryGroup)
  // Answered by the server's last resort rather than by a handler; declared so the document lists it.
  .addError(InternalError)
  .annotate(OpenApi.Title, "cardkit demo API")
  .annotate(OpenApi.Version, "0.1.0")
  .annotate(
    OpenApi.Description,
    "Reveal a card's CVV and run a card's lifecycle (issue, activate, lock, unlock, report lost, replace, close," +
      " PIN, limits) through the issuer's ledger, and validate a payment account through Visa PAV."
  )
  .annotate(OpenApi.Transform, withoutHttpApiDecodeError) {}
