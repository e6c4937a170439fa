import {
  type AccountValidationRequest,
  AccountValidationResult,
  type AddressResult,
  type Cvv2Result,
  type NameResult,
  type RawCodes,
  type TavvResult
} from "@cardkit/domain"
import { type CardExpiry, isExpired, luhnValid } from "@cardkit/domain"
import { VisaCodes } from "@cardkit/visa-pav"
import { Redacted } from "effect"

/*
 * The account-validation decision an issuer runs, answered in VisaNet's own codes (which the wire
 * Visa fake sends verbatim) and in the domain's words (which FakeProvider returns).
 */

/** What the issuer knows about the card behind a PAN. */
export interface IssuerView {
  readonly expiry: CardExpiry
  readonly cvv2: string
  readonly active: boolean
  /** `41` for a card reported lost or stolen, `05` for any other inactive status. */
  readonly inactiveCode: string
  readonly street?: string | undefined
  readonly postalCode?: string | undefined
  readonly firstName?: string | undefined
  readonly lastName?: string | undefined
  readonly tavv?: string | undefined
}

/** Where the PAN led: a card, an account the issuer cannot locate (`25`), or nothing (`14`). */
export type Lookup =
  | { readonly _tag: "Card"; readonly card: IssuerView }
  | { readonly _tag: "Unlocatable" }
  | {
      readonly _tag: "Unknown"
    }

const letters = (s: string) =>
  s
    .toUpperCase()
    .replace(/[^A-Z0-9 ]/g, " ")
    .replace(/\s+/g, " ")
    .trim()

/**
 * AVS compares what processors compare: the street number and the first word of the street name
 * (so `801 Metro Center Blvd.` matches `801 METRO CENTER BLV`), and the postal code without spaces
 * or dashes, US ZIP+4 matching on its first five digits.
 */
export const normalizeStreet = (street: string): string => {
  const words = letters(street).split(" ")
  const number = words.find((w) => /\d/.test(w)) ?? ""
  const name = words.find((w) => !/\d/.test(w)) ?? ""
  return `${number} ${name}`.trim()
}

export const normalizePostalCode = (postalCode: string): string => {
  const compact = postalCode.toUpperCase().replace(/[\s-]/g, "")
  return /^\d{9}$/.test(compact) ? compact.slice(0, 5) : compact
}

/** Visa AVS letter: Y both, A street only, Z postal code only, N neither, U nothing on file. */
export const avsCode = (
  given: { readonly street?: string | undefined; readonly postalCode: string },
  onFile: { readonly street?: string | undefined; readonly postalCode?: string | undefined }
): string => {
  if (onFile.postalCode === undefined) return "U"
  const street =
    given.street !== undefined &&
    onFile.street !== undefined &&
    normalizeStreet(given.street) === normalizeStreet(onFile.street)
  const postal = normalizePostalCode(given.postalCode) === normalizePostalCode(onFile.postalCode)
  return street && postal ? "Y" : street ? "A" : postal ? "Z" : "N"
}

const sameName = (a: string | undefined, b: string | undefined) =>
  a !== undefined && b !== undefined && letters(a) === letters(b)

/** Account Name Inquiry, two-character decisions: `01` match, `02` partial match, `03` no match. */
export const nameDecision = (
  given: { readonly first?: string | undefined; readonly last: string },
  onFile: { readonly firstName?: string | undefined; readonly lastName?: string | undefined }
): string => {
  if (!sameName(given.last, onFile.lastName)) return "03"
  if (given.first === undefined || sameName(given.first, onFile.firstName)) return "01"
  return "02"
}

/** Visa's approval: `00`, as Visa's PAV sandbox answers its example card (see `decide`). */
export const approvedCode = "00"

export interface Decision {
  readonly raw: RawCodes
  readonly approved: boolean
  readonly cvv2: Cvv2Result
  readonly address: AddressResult
  readonly name?: NameResult
  readonly tavv?: TavvResult
}

/** A decision as the domain result an issuer answers, under the transaction id it gave the call. */
export const toResult = (decision: Decision, transactionId: string): AccountValidationResult =>
  new AccountValidationResult({
    approved: decision.approved,
    actionCode: decision.raw.actionCode,
    cvv2: decision.cvv2,
    address: decision.address,
    ...(decision.name === undefined ? {} : { name: decision.name }),
    ...(decision.tavv === undefined ? {} : { tavv: decision.tavv }),
    transactionId,
    raw: decision.raw
  })

/**
 * Decide a validation. Precedence follows an issuer's checks: an account it cannot find (`14`,
 * also for a PAN failing Luhn, or `25` when the account exists but cannot be located), a card
 * that is not active (`41`/`05`), an expired card (`54`: the expiry given, or the one on file,
 * lies before the current month by `nowMillis`, which comes from Effect's `Clock`), an expiry
 * that is not the card's (`05`), a CVV2 mismatch (`N7`), a failed token cryptogram (`05`),
 * else approved. Approval is `00` rather than `85`:
 * both mean "no reason to decline" for a verification, and `00` is what Visa's own sandbox
 * answers for the documents' example card, so code written against the fake sees what the
 * sandbox shows. Every check that ran reports its result, even on a decline.
 */
export const decide = (
  request: AccountValidationRequest,
  lookup: Lookup,
  nowMillis: number,
  approvalCode: string
): Decision => {
  // Callers may hand over a request built without validation; a PAN failing Luhn is no account.
  if (!luhnValid(Redacted.value(request.pan))) return finish({ actionCode: "14", responseCode: "5" })
  if (lookup._tag !== "Card") {
    const unlocatable = lookup._tag === "Unlocatable"
    const raw: RawCodes = {
      actionCode: unlocatable ? "25" : "14",
      responseCode: "5",
      ...(request.cvv2 === undefined ? {} : { cvv2ResultCode: "P" }),
      ...(unlocatable ? { addressVerificationResults: "I" } : {})
    }
    return finish(raw)
  }
  const card = lookup.card
  const cvv2ResultCode = request.cvv2 === undefined ? undefined : Redacted.value(request.cvv2) === card.cvv2 ? "M" : "N"
  const addressVerificationResults =
    request.billingAddress === undefined
      ? undefined
      : avsCode(request.billingAddress, { street: card.street, postalCode: card.postalCode })
  const nameMatchDecision =
    request.cardholderName === undefined
      ? undefined
      : nameDecision(request.cardholderName, { firstName: card.firstName, lastName: card.lastName })
  const tavvCode =
    request.tavv === undefined
      ? undefined
      : card.tavv !== undefined && Redacted.value(request.tavv).toUpperCase() === card.tavv.toUpperCase()
        ? "2"
        : "1"
  const actionCode = !card.active
    ? card.inactiveCode
    : (request.expiry !== undefined && isExpired(request.expiry, nowMillis)) || isExpired(card.expiry, nowMillis)
      ? "54"
      : request.expiry !== undefined && request.expiry !== card.expiry
        ? "05"
        : cvv2ResultCode === "N"
          ? "N7"
          : tavvCode === "1"
            ? "05"
            : approvedCode
  return finish({
    actionCode,
    responseCode: "5",
    ...(VisaCodes.approves(actionCode) ? { approvalCode } : {}),
    ...(cvv2ResultCode === undefined ? {} : { cvv2ResultCode }),
    ...(addressVerificationResults === undefined ? {} : { addressVerificationResults }),
    ...(nameMatchDecision === undefined ? {} : { nameMatchDecision }),
    ...(tavvCode === undefined ? {} : { cardholderAuthenticationVerificationResults: tavvCode })
  })
}

// The domain words come from the transport's own table, so the fake means what Visa's answer reads as.
const finish = (raw: RawCodes): Decision => ({
  raw,
  approved: VisaCodes.approves(raw.actionCode),
  cvv2: VisaCodes.cvv2(raw.cvv2ResultCode),
  address: VisaCodes.address(raw.addressVerificationResults),
  ...(raw.nameMatchDecision === undefined ? {} : { name: VisaCodes.name(raw.nameMatchDecision) }),
  ...(raw.cardholderAuthenticationVerificationResults === undefined
    ? {}
    : { tavv: VisaCodes.tavv(raw.cardholderAuthenticationVerificationResults) })
})
