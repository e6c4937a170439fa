import { Schema } from "effect"
import { Chars, opt } from "./internal/wire.js"

/*
 * The request of `POST /pav/v1/cardvalidation`, field for field as Visa's OpenAPI document
 * (fixtures/visa-pav-openapi.yaml) defines it: the same members, types, required lists and length
 * limits, each struct named as its component. test/spec-parity.test.ts holds them to the spec.
 * The card data (PAN, CVV2/dTVV, TAVV) decodes into `Redacted` so it never prints.
 */

export const PointOfServiceDataRequest = Schema.Struct({
  panEntryMode: Schema.Int,
  posEnvironment: opt(Chars(1, 1)),
  motoECIIndicator: Chars(1, 1),
  posConditionCode: Schema.Int,
  specialConditionIndicatorMerchant: opt(Chars(1, 1))
}).annotations({ identifier: "PointOfServiceDataRequest" })

export const PointOfServiceCapability = Schema.Struct({
  posTerminalType: opt(Schema.Int),
  posTerminalEntryCapability: opt(Schema.Int)
}).annotations({ identifier: "PointOfServiceCapability" })

export const CardAcceptorAddress = Schema.Struct({
  city: opt(Chars(1, 13)),
  state: opt(Chars(2, 2)),
  county: opt(Chars(3, 3)),
  country: opt(Chars(2, 3)),
  zipCode: opt(Chars(5, 9))
}).annotations({ identifier: "CardAcceptorAddress" })
export type CardAcceptorAddress = typeof CardAcceptorAddress.Type

export const CardAcceptor = Schema.Struct({
  name: Chars(1, 25),
  idCode: Chars(1, 15),
  address: opt(CardAcceptorAddress),
  terminalId: opt(Chars(1, 8))
}).annotations({ identifier: "CardAcceptor" })
export type CardAcceptor = typeof CardAcceptor.Type

export const AddressVerificationResults = Schema.Struct({
  street: opt(Chars(1, 20)),
  postalCode: Chars(1, 9)
}).annotations({ identifier: "AddressVerificationResults" })

export const IdentityVerificationRequest = Schema.Struct({
  identities: opt(
    Schema.Array(
      Schema.Struct({
        identityType: Schema.String,
        identityValue: Chars(1, 35)
      })
    )
  )
}).annotations({ identifier: "IdentityVerificationRequest" })

export const CardHolderNameVerificationRequest = Schema.Struct({
  lastName: Chars(1, 35),
  firstName: opt(Chars(1, 35)),
  ownerType: opt(Chars(2, 2)),
  middleName: opt(Chars(1, 35))
}).annotations({ identifier: "CardHolderNameVerificationRequest" })

/**
 * Tighter than the spec, which gives the PAN only a length: a PAN is ASCII digits, and a string of
 * other digits (full-width `４`, Arabic-Indic `٤`) is refused here rather than declined later as an
 * unknown card. test/spec-parity.test.ts lists this as an allowed tightening. The pattern repeats
 * the length so that generated PANs are drawn at that length rather than filtered down to it.
 */
const PanDigits = Chars(13, 19).pipe(Schema.pattern(/^[0-9]{13,19}$/, { message: () => "must be the digits 0-9" }))

export const CardValidationRequest = Schema.Struct({
  tavv: opt(Schema.Redacted(Chars(40, 40))),
  // The spec gives no length limit here, only the prose "Length: 2".
  accountType: opt(Schema.String),
  acquiringBin: Chars(6, 11),
  cardAcceptor: opt(CardAcceptor),
  cardCvv2Value: opt(Schema.Redacted(Chars(3, 4))),
  cardExpiryDate: opt(Chars(7, 7)),
  cardCurrencyCode: opt(Chars(3, 3)),
  pointOfServiceData: opt(PointOfServiceDataRequest),
  acquirerCountryCode: Chars(3, 3),
  identityVerification: opt(IdentityVerificationRequest),
  primaryAccountNumber: Schema.Redacted(PanDigits),
  cardHolderPhoneNumber: opt(Chars(1, 16)),
  cardHolderEmailAddress: opt(Chars(1, 99)),
  systemsTraceAuditNumber: opt(Chars(6, 6)),
  pointOfServiceCapability: opt(PointOfServiceCapability),
  retrievalReferenceNumber: opt(Chars(12, 12)),
  addressVerificationResults: opt(AddressVerificationResults),
  cardHolderNameVerification: opt(CardHolderNameVerificationRequest)
}).annotations({ identifier: "CardValidationRequest" })
export type CardValidationRequest = typeof CardValidationRequest.Type
/** The request as JSON carries it: card data in the clear, exactly what goes over (encrypted) TLS. */
export type CardValidationRequestJson = typeof CardValidationRequest.Encoded
