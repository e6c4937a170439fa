import { Schema } from "effect"
import { Chars, opt } from "./internal/wire.js"

/* The response of `POST /pav/v1/cardvalidation`, field for field as the spec defines it. */

export const IdentityVerificationResponse = Schema.Struct({
  identities: opt(
    Schema.Array(
      Schema.Struct({
        identityType: Schema.String,
        identityVerificationResult: Chars(1, 1)
      })
    )
  )
}).annotations({ identifier: "IdentityVerificationResponse" })

export const CardHolderNameVerificationResponse = Schema.Struct({
  nameResult: opt(Chars(2, 2)),
  nameMatchDecision: opt(Chars(2, 2)),
  lastNameAccountMatchDecision: opt(Chars(2, 2)),
  firstNameAccountMatchDecision: opt(Chars(2, 2)),
  middleNameAccountMatchDecision: opt(Chars(2, 2))
}).annotations({ identifier: "CardHolderNameVerificationResponse" })

export const CardValidationResponse = Schema.Struct({
  /** The VisaNet response code: `00`/`85` approved, `05`, `14`, `25`, `54`, `N7`, `91`, … */
  actionCode: Chars(2, 2),
  approvalCode: opt(Chars(6, 6)),
  /** Who answered: `5` the issuer, others a Visa system. */
  responseCode: Chars(1, 1),
  cvv2ResultCode: opt(Chars(1, 1)),
  identityVerification: opt(IdentityVerificationResponse),
  transactionIdentifier: Chars(15, 15),
  cardVerificationResults: opt(Chars(1, 1)),
  cardAuthenticationResults: opt(Chars(1, 1)),
  addressVerificationResults: opt(Chars(1, 1)),
  cardHolderNameVerificationResult: opt(CardHolderNameVerificationResponse),
  cardHolderPhoneNumberVerificationResults: opt(Chars(1, 1)),
  cardHolderEmailAddressVerificationResults: opt(Chars(1, 1)),
  cardholderAuthenticationVerificationResults: opt(Chars(1, 1))
}).annotations({ identifier: "CardValidationResponse" })
export type CardValidationResponse = typeof CardValidationResponse.Type
