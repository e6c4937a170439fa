import {
  AccountValidation,
  type AccountValidationError,
  type AccountValidationRequest,
  type AccountValidationResult,
  InvalidRequest,
  invalidRequestFromParseError
} from "@cardkit/domain"
import { type Config, ConfigError, Effect, Layer, Redacted, Schema, type Scope } from "effect"
import { CardValidationRequest, type CardValidationRequestJson } from "./CardValidationRequest.js"
import { domainFieldOf } from "./internal/fields.js"
import { nextTraceNumbers, type TraceNumbers } from "./internal/references.js"
import { toDomainResult } from "./internal/results.js"
import { makeTransport } from "./internal/transport.js"
import { VisaAccountValidationConfig, type VisaAccountValidationOptions } from "./VisaPavOptions.js"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

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
  // Built member by member, in the spec's order: V8 copies `{ ...object, more }` on a slow path,
  // and the two such copies cost more than decoding the answer (apps/bench/README.md).
  const wire = {
    acquiringBin: acquirer.acquiringBin,
    acquirerCountryCode: acquirer.acquirerCountryCode
  } as Mutable<CardValidationRequestJson>
  if (acquirer.cardAcceptor !== undefined) wire.cardAcceptor = acquirer.cardAcceptor
  wire.primaryAccountNumber = Redacted.value(request.pan)
  wire.systemsTraceAuditNumber = trace.systemsTraceAuditNumber
  wire.retrievalReferenceNumber = trace.retrievalReferenceNumber
  if (request.expiry !== undefined) wire.cardExpiryDate = request.expiry
  if (request.cvv2 !== undefined) wire.cardCvv2Value = Redacted.value(request.cvv2)
  if (request.tavv !== undefined) wire.tavv = Redacted.value(request.tavv)
  if (request.billingAddress !== undefined) {
    const { street, postalCode } = request.billingAddress
    const avsPostal = avsPostalCode(postalCode)
    if (avsPostal === undefined) {
      return new InvalidRequest({
        field: "billingAddress.postalCode",
        reason: `Visa verifies postal codes of at most ${postalCodeMax} characters`
      })
    }
    wire.addressVerificationResults =
      street === undefined
        ? { postalCode: avsPostal }
        : { street: street.trim().slice(0, streetMax).trimEnd(), postalCode: avsPostal }
  }
  if (request.cardholderName !== undefined) {
    const { first, middle, last } = request.cardholderName
    wire.cardHolderNameVerification = {
      lastName: last,
      ...(first === undefined ? {} : { firstName: first }),
      ...(middle === undefined ? {} : { middleName: middle })
    }
  }
  return wire
}

/** Wire field names in errors become the domain's; Visa's response becomes the domain result. */
const inDomainTerms = {
  onFailure: (error: AccountValidationError): AccountValidationError =>
    error._tag === "InvalidRequest"
      ? new InvalidRequest({ field: domainFieldOf(error.field), reason: error.reason })
      : error,
  onSuccess: toDomainResult
}

/** `AccountValidation` over Visa's PAV API. */
const make = (
  options: VisaAccountValidationOptions
): Effect.Effect<AccountValidation["Type"], ConfigError.ConfigError, Scope.Scope> =>
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
    const transport = yield* makeTransport(options)
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

/** `AccountValidation` over Visa's PAV API, with its own connection pool (two-way TLS, optional MLE). */
export const VisaAccountValidation = {
  make,
  layer: (options: VisaAccountValidationOptions): Layer.Layer<AccountValidation, ConfigError.ConfigError> =>
    Layer.scoped(AccountValidation, make(options)),
  /** As `layer`, the options read from `config`: by default the documented `CARDKIT_VISA_*` names. */
  layerConfig: (
    config: Config.Config<VisaAccountValidationOptions> = VisaAccountValidationConfig
  ): Layer.Layer<AccountValidation, ConfigError.ConfigError> =>
    Layer.scoped(AccountValidation, Effect.flatMap(config, make))
} as const
