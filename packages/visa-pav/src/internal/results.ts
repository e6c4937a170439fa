import { AccountValidationResult, type RawCodes } from "@cardkit/domain"
import type { CardValidationResponse } from "../CardValidationResponse.js"
import { VisaCodes } from "../VisaCodes.js"

/**
 * Visa's answer in the domain's words, every code read through `VisaCodes`. Public so the fake's
 * tests can prove that what it sends reads back as what it meant.
 */
export const toDomainResult = (response: CardValidationResponse): AccountValidationResult => {
  const nameMatchDecision = response.cardHolderNameVerificationResult?.nameMatchDecision
  const tavvCode = response.cardholderAuthenticationVerificationResults
  const raw: RawCodes = {
    actionCode: response.actionCode,
    responseCode: response.responseCode,
    ...(response.approvalCode === undefined ? {} : { approvalCode: response.approvalCode }),
    ...(response.cvv2ResultCode === undefined ? {} : { cvv2ResultCode: response.cvv2ResultCode }),
    ...(response.addressVerificationResults === undefined
      ? {}
      : { addressVerificationResults: response.addressVerificationResults }),
    ...(nameMatchDecision === undefined ? {} : { nameMatchDecision }),
    ...(tavvCode === undefined ? {} : { cardholderAuthenticationVerificationResults: tavvCode })
  }
  return AccountValidationResult.make({
    approved: VisaCodes.approves(response.actionCode),
    actionCode: response.actionCode,
    cvv2: VisaCodes.cvv2(response.cvv2ResultCode),
    address: VisaCodes.address(response.addressVerificationResults),
    // A name check Visa answered without a decision still was asked for, so it is reported.
    ...(response.cardHolderNameVerificationResult === undefined ? {} : { name: VisaCodes.name(nameMatchDecision) }),
    ...(tavvCode === undefined ? {} : { tavv: VisaCodes.tavv(tavvCode) }),
    transactionId: response.transactionIdentifier,
    raw
  })
}
