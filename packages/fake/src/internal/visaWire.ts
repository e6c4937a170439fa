import {
  AccountValidationRequest,
  type AccountValidationResult,
  BillingAddress,
  CardholderName,
  type Cvv,
  isCardExpiry,
  type Pan,
  type Tavv
} from "@cardkit/domain"
import type { CardValidationRequest, CardValidationResponse, VisaErrorBody } from "@cardkit/visa-pav"
import { visaErrorBody } from "@cardkit/visa-pav"

/*
 * Visa's error answers as the fake gives them. Public captures document `3001` (expiry invalid or
 * expired), `9125` (credential not present) and `9159` (credential validation failed); Visa
 * publishes no code for a body that breaks the schema, for one too large, for an unsupported
 * media type or for MLE problems, so the fake uses codes of its own for those (`9100`–`9199` style, never `5xxx`).
 */
export const visaErrors = {
  invalidField: (field: string, reason: string): [number, VisaErrorBody] => [
    400,
    visaErrorBody(400, "9101", `Invalid input for field ${field}: ${reason}`, field)
  ],
  /** A body that is not plain JSON (see `JsonBody.parse`), or could not be read. */
  body: (reason: string): [number, VisaErrorBody] => [
    400,
    visaErrorBody(400, "9102", `The request body ${reason}`, "body")
  ],
  tooLarge: (maxBytes: number): [number, VisaErrorBody] => [
    413,
    visaErrorBody(413, "9107", `Request entity too large: send at most ${maxBytes} bytes`, "body")
  ],
  expiry: (): [number, VisaErrorBody] => [
    400,
    visaErrorBody(400, "3001", "Expiration date invalid or expired: cardExpiryDate must be YYYY-MM", "cardExpiryDate")
  ],
  mle: (reason: string): [number, VisaErrorBody] => [400, visaErrorBody(400, "9103", reason)],
  mediaType: (): [number, VisaErrorBody] => [
    415,
    visaErrorBody(415, "9104", "Unsupported media type: send application/json")
  ],
  credentialMissing: (): [number, VisaErrorBody] => [
    401,
    visaErrorBody(401, "9125", "Expected input credential was not present")
  ],
  credentialWrong: (): [number, VisaErrorBody] => [401, visaErrorBody(401, "9159", "Token validation failed")],
  notFound: (): [number, VisaErrorBody] => [404, visaErrorBody(404, "9105", "Resource not found")],
  method: (): [number, VisaErrorBody] => [405, visaErrorBody(405, "9106", "Method not allowed: use POST")],
  unavailable: (): [number, VisaErrorBody] => [503, visaErrorBody(503, "9999", "Service temporarily unavailable")],
  /** The fake's own bug, whatever the request was: nothing of the request in it. */
  internal: (): [number, VisaErrorBody] => [500, visaErrorBody(500, "9999", "Internal error")]
} as const

/**
 * The issuer's view of a schema-valid wire request. Its values go to the decision engine as they
 * came (a PAN that fails Luhn or is unknown is declined `14`, as Visa does), except an expiry
 * that is not `YYYY-MM`, which Visa refuses with `3001`: `undefined` then.
 */
export const toIssuerRequest = (wire: CardValidationRequest): AccountValidationRequest | undefined => {
  const expiry = wire.cardExpiryDate
  if (expiry !== undefined && !isCardExpiry(expiry)) return undefined
  const avs = wire.addressVerificationResults
  const name = wire.cardHolderNameVerification
  // Validation is off: the wire schema has checked the shape, and the issuer judges the content.
  return new AccountValidationRequest(
    {
      pan: wire.primaryAccountNumber as Pan,
      ...(expiry === undefined ? {} : { expiry }),
      ...(wire.cardCvv2Value === undefined ? {} : { cvv2: wire.cardCvv2Value as Cvv }),
      ...(wire.tavv === undefined ? {} : { tavv: wire.tavv as Tavv }),
      ...(avs === undefined
        ? {}
        : {
            billingAddress: new BillingAddress(
              { ...(avs.street === undefined ? {} : { street: avs.street }), postalCode: avs.postalCode },
              true
            )
          }),
      ...(name === undefined
        ? {}
        : {
            cardholderName: new CardholderName(
              {
                last: name.lastName,
                ...(name.firstName === undefined ? {} : { first: name.firstName }),
                ...(name.middleName === undefined ? {} : { middle: name.middleName })
              },
              true
            )
          })
    },
    true
  )
}

/** The issuer's decision in Visa's wire form, its raw VisaNet codes verbatim. */
export const toWireResponse = (result: AccountValidationResult): typeof CardValidationResponse.Encoded => {
  const raw = result.raw
  return {
    actionCode: raw.actionCode,
    responseCode: raw.responseCode ?? "5",
    transactionIdentifier: result.transactionId,
    ...(raw.approvalCode === undefined ? {} : { approvalCode: raw.approvalCode }),
    ...(raw.cvv2ResultCode === undefined ? {} : { cvv2ResultCode: raw.cvv2ResultCode }),
    ...(raw.addressVerificationResults === undefined
      ? {}
      : { addressVerificationResults: raw.addressVerificationResults }),
    ...(raw.nameMatchDecision === undefined
      ? {}
      : { cardHolderNameVerificationResult: { nameResult: "00", nameMatchDecision: raw.nameMatchDecision } }),
    ...(raw.cardholderAuthenticationVerificationResults === undefined
      ? {}
      : { cardholderAuthenticationVerificationResults: raw.cardholderAuthenticationVerificationResults })
  }
}
