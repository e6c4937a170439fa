import {
  type AddressResult,
  AccountValidationResult,
  type Cvv2Result,
  type NameResult,
  type RawCodes,
  type TavvResult
} from "@cardkit/domain"
import type { CardValidationResponse } from "../CardValidationResponse.js"

/*
 * Visa's result codes in the domain's words. Letters cardkit does not know are tolerated (the
 * sandbox sends AVS `I`, which no table lists): they read as "not processed"/"unavailable" and
 * stay verbatim in `raw`.
 */

/**
 * Approved iff the VisaNet response code is `00` (approved) or `85` (no reason to decline): the two
 * answers issuers give a verification. `10` (partial approval) and `11` (V.I.P. approval) answer
 * an amount; a zero-amount verification that gets them has not been vouched for by the issuer,
 * so they count as not approved (the code stays in `actionCode` for callers that think otherwise).
 */
export const isApproved = (actionCode: string): boolean => actionCode === "00" || actionCode === "85"

const cvv2: Record<string, Cvv2Result> = { M: "match", N: "no_match" }

// Visa's domestic letters plus its international ones (B, P: one part matched, the other not
// verified; D, M: both matched; C, I: not verified).
const address: Record<string, AddressResult> = {
  Y: "match",
  D: "match",
  M: "match",
  A: "street_only",
  B: "street_only",
  Z: "postal_code_only",
  P: "postal_code_only",
  N: "no_match"
}

// Account Name Inquiry match decisions.
const name: Record<string, NameResult> = { "01": "match", "02": "partial_match", "03": "no_match" }

// CAVV/TAVV results: 2 passed, 1 failed, anything else (0: not validated) not checked.
const tavv: Record<string, TavvResult> = { "2": "valid", "1": "invalid" }

export const toDomainResult = (response: CardValidationResponse): AccountValidationResult => {
  const nameMatchDecision = response.cardHolderNameVerificationResult?.nameMatchDecision
  const tavvCode = response.cardholderAuthenticationVerificationResults
  const raw: { -readonly [K in keyof RawCodes]: RawCodes[K] } = {
    actionCode: response.actionCode,
    responseCode: response.responseCode
  }
  if (response.approvalCode !== undefined) raw.approvalCode = response.approvalCode
  if (response.cvv2ResultCode !== undefined) raw.cvv2ResultCode = response.cvv2ResultCode
  if (response.addressVerificationResults !== undefined) {
    raw.addressVerificationResults = response.addressVerificationResults
  }
  if (nameMatchDecision !== undefined) raw.nameMatchDecision = nameMatchDecision
  if (tavvCode !== undefined) raw.cardholderAuthenticationVerificationResults = tavvCode
  return AccountValidationResult.make(
    {
      approved: isApproved(response.actionCode),
      actionCode: response.actionCode,
      cvv2: response.cvv2ResultCode === undefined ? "not_checked" : (cvv2[response.cvv2ResultCode] ?? "not_processed"),
      address:
        response.addressVerificationResults === undefined
          ? "not_checked"
          : (address[response.addressVerificationResults] ?? "unavailable"),
      ...(response.cardHolderNameVerificationResult === undefined
        ? {}
        : { name: (nameMatchDecision === undefined ? undefined : name[nameMatchDecision]) ?? "not_checked" }),
      ...(tavvCode === undefined ? {} : { tavv: tavv[tavvCode] ?? "not_checked" }),
      transactionId: response.transactionIdentifier,
      raw
    },
    // Built from a response the wire schema has already validated.
    { disableValidation: true }
  )
}
