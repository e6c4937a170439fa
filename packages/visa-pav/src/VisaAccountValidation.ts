import {
  AccountValidation,
  type AccountValidationError,
  type AccountValidationRequest,
  type AccountValidationResult,
  InvalidRequest,
  invalidRequestFromParseError
} from "@cardkit/domain"
import type { HttpClient } from "@effect/platform"
import { type Config, ConfigError, Context, Effect, Layer, Redacted, Schema } from "effect"
import { CardValidationRequest, type CardValidationRequestJson } from "./CardValidationRequest.js"
import { domainFieldOf } from "./internal/fields.js"
import { observedTransport } from "./internal/observedTransport.js"
import { nextTraceNumbers, type TraceNumbers } from "./internal/references.js"
import { toDomainResult } from "./internal/results.js"
import { VisaAccountValidationConfig, type VisaAccountValidationOptions } from "./VisaPavOptions.js"

const Acquirer = CardValidationRequest.pick("acquiringBin", "acquirerCountryCode", "cardAcceptor")
type AcquirerJson = typeof Acquirer.Encoded
const decodeAcquirer = Schema.decodeUnknown(Acquirer, { errors: "first" })

// The spec's limits for the AVS members, tighter than the domain's.
const streetMax = 20
const postalCodeMax = 9

/**
 * AVS compares the house number and the start of the street name, so a street longer than Visa's
 * 20 characters is cut rather than refused; a postal code too long even without spaces and dashes
 * (ZIP+4 `94404-1234` → `944041234`) cannot be verified and is refused.
 */
const avsPostalCode = (postalCode: string): string | undefined => {
  if (postalCode.length <= postalCodeMax) return postalCode
  const compact = postalCode.replace(/[\s-]/g, "")
  return compact.length <= postalCodeMax ? compact : undefined
}

/** The domain request as Visa's wire request, with this client's acquirer and fresh trace numbers. */
const toWireRequest = (
  request: AccountValidationRequest,
  acquirer: AcquirerJson,
  trace: TraceNumbers
): CardValidationRequestJson | InvalidRequest => {
  const { billingAddress, cardholderName } = request
  const avsPostal = billingAddress === undefined ? undefined : avsPostalCode(billingAddress.postalCode)
  if (billingAddress !== undefined && avsPostal === undefined) {
    return new InvalidRequest({
      field: "billingAddress.postalCode",
      reason: `Visa verifies postal codes of at most ${postalCodeMax} characters`
    })
  }
  // Members in the spec's order, as Visa's examples print them.
  return {
    acquiringBin: acquirer.acquiringBin,
    acquirerCountryCode: acquirer.acquirerCountryCode,
    ...(acquirer.cardAcceptor === undefined ? {} : { cardAcceptor: acquirer.cardAcceptor }),
    primaryAccountNumber: Redacted.value(request.pan),
    systemsTraceAuditNumber: trace.systemsTraceAuditNumber,
    retrievalReferenceNumber: trace.retrievalReferenceNumber,
    ...(request.expiry === undefined ? {} : { cardExpiryDate: request.expiry }),
    ...(request.cvv2 === undefined ? {} : { cardCvv2Value: Redacted.value(request.cvv2) }),
    ...(request.tavv === undefined ? {} : { tavv: Redacted.value(request.tavv) }),
    ...(billingAddress === undefined || avsPostal === undefined
      ? {}
      : {
          addressVerificationResults:
            billingAddress.street === undefined
              ? { postalCode: avsPostal }
              : { street: billingAddress.street.trim().slice(0, streetMax).trimEnd(), postalCode: avsPostal }
        }),
    ...(cardholderName === undefined
      ? {}
      : {
          cardHolderNameVerification: {
            lastName: cardholderName.last,
            ...(cardholderName.first === undefined ? {} : { firstName: cardholderName.first }),
            ...(cardholderName.middle === undefined ? {} : { middleName: cardholderName.middle })
          }
        })
  }
}

/** Wire field names in errors become the domain's; Visa's response becomes the domain result. */
const inDomainTerms = {
  onFailure: (error: AccountValidationError): AccountValidationError =>
    error._tag === "InvalidRequest"
      ? new InvalidRequest({ field: domainFieldOf(error.field), reason: error.reason })
      : error,
  onSuccess: toDomainResult
}

const make = (
  options: VisaAccountValidationOptions
): Effect.Effect<AccountValidation["Type"], ConfigError.ConfigError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const acquirer: AcquirerJson = {
      acquiringBin: options.acquiringBin,
      acquirerCountryCode: options.acquirerCountryCode,
      ...(options.cardAcceptor === undefined ? {} : { cardAcceptor: options.cardAcceptor })
    }
    yield* decodeAcquirer(acquirer).pipe(
      Effect.mapError((error) => {
        const problem = invalidRequestFromParseError(error, "options")
        return ConfigError.InvalidData(problem.field.split("."), problem.reason)
      })
    )
    const transport = yield* observedTransport(options)
    const validate = (
      request: AccountValidationRequest
    ): Effect.Effect<AccountValidationResult, AccountValidationError> =>
      Effect.mapBoth(
        Effect.flatMap(nextTraceNumbers, (trace) => {
          const wire = toWireRequest(request, acquirer, trace)
          return wire instanceof InvalidRequest ? Effect.fail(wire) : transport.send(wire)
        }),
        inDomainTerms
      )
    return AccountValidation.of({ validate })
  })

/**
 * The domain's `AccountValidation` over Visa's PAV API: the acquirer and fresh trace numbers added to
 * every request, Visa's codes read back as the domain's verdict. Its layers provide it as
 * `AccountValidation` too.
 */
export class VisaAccountValidation extends Context.Tag("@cardkit/visa-pav/VisaAccountValidation")<
  VisaAccountValidation,
  AccountValidation["Type"]
>() {
  /** Over the `HttpClient` in context (`UndiciHttpClient.layer` with Visa's TLS in production). */
  static readonly make = make

  static readonly layer = (
    options: VisaAccountValidationOptions
  ): Layer.Layer<VisaAccountValidation | AccountValidation, ConfigError.ConfigError, HttpClient.HttpClient> =>
    asPort(Layer.effect(VisaAccountValidation, make(options)))

  /** As `layer`, the options read from `config`: by default the documented `CARDKIT_VISA_*` names. */
  static readonly layerConfig = (
    config: Config.Config<VisaAccountValidationOptions> = VisaAccountValidationConfig
  ): Layer.Layer<VisaAccountValidation | AccountValidation, ConfigError.ConfigError, HttpClient.HttpClient> =>
    asPort(Layer.effect(VisaAccountValidation, Effect.flatMap(config, make)))
}

const asPort = <E, R>(layer: Layer.Layer<VisaAccountValidation, E, R>) =>
  Layer.effect(AccountValidation, VisaAccountValidation).pipe(Layer.provideMerge(layer))
