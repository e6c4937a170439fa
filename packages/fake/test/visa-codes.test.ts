import {
  AccountValidationRequest,
  type AccountValidationResult,
  CardExpiry,
  makeCvv,
  type Pan,
  type Tavv
} from "@cardkit/domain"
import { CardValidationResponse, toDomainResult } from "@cardkit/visa-pav"
import { describe, expect, it } from "@effect/vitest"
import { Redacted, Schema } from "effect"
import { type Decision, decide, type IssuerView, type Lookup, toResult } from "../src/Decision.js"
import { toWireResponse } from "../src/internal/visaWire.js"

/*
 * The fake says what it means twice: in Visa's codes (what the wire fake sends) and in the domain's
 * words (what FakeProvider returns). Both must agree with what the transport reads from those codes.
 */

const now = Date.UTC(2030, 0, 15)
const pan = "4957030420210462"
const tavvHex = "0100000000000287A522DC5E26614C4005000000"
const otherTavvHex = "0100000000000287A522DC5E26614C4005000001"
const expiry = CardExpiry.make("2040-10")

const card: IssuerView = {
  expiry,
  cvv2: "022",
  active: true,
  inactiveCode: "05",
  street: "801 Metro Center Blv",
  postalCode: "94404",
  firstName: "Ada",
  lastName: "Lovelace",
  tavv: tavvHex
}

const lookups: ReadonlyArray<Lookup> = [
  { _tag: "Card", card },
  { _tag: "Card", card: { ...card, active: false, inactiveCode: "41" } },
  { _tag: "Card", card: { ...card, active: false, inactiveCode: "05" } },
  { _tag: "Card", card: { ...card, expiry: CardExpiry.make("2029-12") } },
  { _tag: "Card", card: { ...card, postalCode: undefined, tavv: undefined } },
  { _tag: "Unlocatable" },
  { _tag: "Unknown" }
]

const cvv2s = [undefined, "022", "999"] as const
const expiries = [undefined, "2040-10", "2041-01", "2029-11"] as const
const addresses = [
  undefined,
  { street: "801 Metro Center Blvd.", postalCode: "94404" },
  { street: "801 Metro Center Blv", postalCode: "10001" },
  { street: "12 Other Road", postalCode: "94404" },
  { street: "12 Other Road", postalCode: "10001" }
] as const
const names = [
  undefined,
  { first: "Ada", last: "Lovelace" },
  { first: "Augusta", last: "Lovelace" },
  { first: "Ada", last: "Byron" }
] as const
const tavvs = [undefined, tavvHex, otherTavvHex] as const

const requests: ReadonlyArray<AccountValidationRequest> = cvv2s.flatMap((cvv2) =>
  expiries.flatMap((exp) =>
    addresses.flatMap((billingAddress) =>
      names.flatMap((cardholderName) =>
        tavvs.map((tavv) =>
          Schema.decodeUnknownSync(AccountValidationRequest)({
            pan,
            ...(cvv2 === undefined ? {} : { cvv2 }),
            ...(exp === undefined ? {} : { expiry: exp }),
            ...(billingAddress === undefined ? {} : { billingAddress }),
            ...(cardholderName === undefined ? {} : { cardholderName }),
            ...(tavv === undefined ? {} : { tavv })
          })
        )
      )
    )
  )
)

// Callers may hand the issuer a request built without validation: a PAN failing Luhn.
const notLuhn = new AccountValidationRequest(
  { pan: Redacted.make("4957030420210463") as Pan, cvv2: makeCvv("022"), tavv: Redacted.make(tavvHex) as Tavv, expiry },
  true
)

const decisions: ReadonlyArray<Decision> = [
  ...lookups.flatMap((lookup) => requests.map((request) => decide(request, lookup, now, "12AB54"))),
  decide(notLuhn, { _tag: "Card", card }, now, "12AB54")
]

// What FakeIssuer returns for a decision.
const fakeResult = (decision: Decision) => toResult(decision, "381228649430011")

const words = (result: AccountValidationResult | Decision) => ({
  approved: result.approved,
  cvv2: result.cvv2,
  address: result.address,
  name: result.name,
  tavv: result.tavv,
  raw: result.raw
})

const sent = (pick: (decision: Decision) => string | undefined) =>
  [...new Set(decisions.map(pick).filter((code) => code !== undefined))].sort()

describe("the fake's Visa codes", () => {
  it("covers every code the fake can send", () => {
    expect(sent((d) => d.raw.actionCode)).toEqual(["00", "05", "14", "25", "41", "54", "N7"])
    expect(sent((d) => d.raw.cvv2ResultCode)).toEqual(["M", "N", "P"])
    expect(sent((d) => d.raw.addressVerificationResults)).toEqual(["A", "I", "N", "U", "Y", "Z"])
    expect(sent((d) => d.raw.nameMatchDecision)).toEqual(["01", "02", "03"])
    expect(sent((d) => d.raw.cardholderAuthenticationVerificationResults)).toEqual(["1", "2"])
    // Each domain word the fake means, too, so a branch that stops reaching the wire is noticed.
    expect(sent((d) => d.cvv2)).toEqual(["match", "no_match", "not_checked", "not_processed"])
    expect(sent((d) => d.address)).toEqual([
      "match",
      "no_match",
      "not_checked",
      "postal_code_only",
      "street_only",
      "unavailable"
    ])
    expect(sent((d) => d.name)).toEqual(["match", "no_match", "partial_match"])
    expect(sent((d) => d.tavv)).toEqual(["invalid", "valid"])
    expect(sent((d) => String(d.approved))).toEqual(["false", "true"])
  })

  it("reads back, through the wire and the transport, as the domain value the fake meant", () => {
    const decode = Schema.decodeUnknownSync(CardValidationResponse)
    for (const decision of decisions) {
      const read = toDomainResult(decode(toWireResponse(fakeResult(decision))))
      expect(words(read), JSON.stringify(decision.raw)).toEqual(words(decision))
      expect(read.actionCode).toBe(decision.raw.actionCode)
    }
  })

  it("sends an approval code exactly when it approves", () => {
    for (const decision of decisions) expect(decision.raw.approvalCode !== undefined).toBe(decision.approved)
  })
})
