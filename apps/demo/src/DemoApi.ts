import {
  AccountValidationRequest,
  AccountValidationResult,
  CardFlags,
  CardId,
  CvvDigits,
  GetCvvRequest
} from "@cardkit/domain"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSecurity, OpenApi } from "@effect/platform"
import { Schema, Struct } from "effect"
import {
  BadGateway,
  BadRequest,
  BadRequestDescription,
  Conflict,
  GatewayTimeout,
  InternalError,
  NotFound,
  ServiceUnavailable,
  Unauthorized,
  UnsupportedMediaType
} from "./ApiErrors.js"

export const Health = Schema.Struct({
  status: Schema.Literal("ok"),
  /** Which provider answers: the in-memory `fake` or the `live` ledger and Visa transports. */
  provider: Schema.Literal("fake", "live")
}).annotations({ identifier: "Health" })

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

/** Every `/v1` route needs one of the configured API keys, as `x-api-key` or `Authorization: Bearer`. */
export class ApiKeyAuth extends HttpApiMiddleware.Tag<ApiKeyAuth>()("ApiKeyAuth", {
  failure: Unauthorized,
  security: {
    apiKey: HttpApiSecurity.apiKey({ key: "x-api-key", in: "header" }),
    bearer: HttpApiSecurity.bearer
  }
}) {}

export class HealthGroup extends HttpApiGroup.make("health").add(
  HttpApiEndpoint.get("health", "/health")
    .addSuccess(Health)
    .annotate(OpenApi.Summary, "Liveness and the provider in use")
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
      .addError(BadGateway)
      .addError(ServiceUnavailable)
      .addError(GatewayTimeout)
      .annotate(OpenApi.Summary, "Reveal a card's CVV")
      .annotate(OpenApi.Description, "The ledger's GET_CVV. The answer is sent with `Cache-Control: no-store`.")
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
  .add(AccountsGroup)
  // Answered by the server's last resort rather than by a handler; declared so the document lists it.
  .addError(InternalError)
  .annotate(OpenApi.Title, "cardkit demo API")
  .annotate(OpenApi.Version, "0.1.0")
  .annotate(
    OpenApi.Description,
    "Reveal a card's CVV through the issuer's ledger and validate a payment account through Visa PAV."
  )
  .annotate(OpenApi.Transform, withoutHttpApiDecodeError) {}
