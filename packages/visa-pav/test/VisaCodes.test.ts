import { AddressResult, Cvv2Result, NameResult, TavvResult } from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { CardValidationResponse } from "../src/CardValidationResponse.js"
import { toDomainResult } from "../src/internal/results.js"
import { VisaCodes } from "../src/VisaCodes.js"

// Names a plain object would find on `Object.prototype`; Visa could send any of them as a code.
const prototypeNames = ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf"]
const unknownCodes = ["X", "9", "", "zz", "m", ...prototypeNames]

describe("VisaCodes", () => {
  it("approves on 00 and 85 only", () => {
    expect(VisaCodes.approves("00")).toBe(true)
    expect(VisaCodes.approves("85")).toBe(true)
    const approving = [...VisaCodes.actionCodes].filter(([, code]) => code.approves).map(([code]) => code)
    expect(approving.sort()).toEqual(["00", "85"])
    for (const code of ["05", "10", "11", "14", "25", "41", "54", "N7", "91"])
      expect(VisaCodes.approves(code)).toBe(false)
  })

  it("says what the action codes mean", () => {
    expect(VisaCodes.meaning("00")).toBe("approved")
    expect(VisaCodes.meaning("85")).toBe("no reason to decline")
    expect(VisaCodes.meaning("05")).toBe("do not honor")
    expect(VisaCodes.meaning("14")).toBe("invalid account number")
    expect(VisaCodes.meaning("25")).toBe("unable to locate the account")
    expect(VisaCodes.meaning("41")).toBe("lost card")
    expect(VisaCodes.meaning("43")).toBe("stolen card")
    expect(VisaCodes.meaning("54")).toBe("expired card")
    expect(VisaCodes.meaning("N7")).toBe("CVV2 mismatch")
    expect(VisaCodes.meaning("91")).toBe("issuer unavailable")
    for (const [code, { meaning }] of VisaCodes.actionCodes) {
      expect(code).toMatch(/^[0-9A-Z]{2}$/)
      expect(meaning.trim()).not.toBe("")
    }
  })

  it("reads CVV2 results", () => {
    expect(VisaCodes.cvv2("M")).toBe("match")
    expect(VisaCodes.cvv2("N")).toBe("no_match")
    expect(VisaCodes.cvv2("P")).toBe("not_processed")
    expect(VisaCodes.cvv2("S")).toBe("not_processed")
    expect(VisaCodes.cvv2("U")).toBe("not_processed")
    expect(VisaCodes.cvv2(undefined)).toBe("not_checked")
  })

  it("reads AVS letters, domestic and international", () => {
    for (const letter of ["Y", "D", "M"]) expect(VisaCodes.address(letter)).toBe("match")
    for (const letter of ["A", "B"]) expect(VisaCodes.address(letter)).toBe("street_only")
    for (const letter of ["Z", "P"]) expect(VisaCodes.address(letter)).toBe("postal_code_only")
    expect(VisaCodes.address("N")).toBe("no_match")
    for (const letter of ["U", "R", "G", "C", "I"]) expect(VisaCodes.address(letter)).toBe("unavailable")
    expect(VisaCodes.address(undefined)).toBe("not_checked")
  })

  it("reads name match decisions", () => {
    expect(VisaCodes.name("01")).toBe("match")
    expect(VisaCodes.name("02")).toBe("partial_match")
    expect(VisaCodes.name("03")).toBe("no_match")
    expect(VisaCodes.name(undefined)).toBe("not_checked")
  })

  it("reads TAVV results", () => {
    expect(VisaCodes.tavv("2")).toBe("valid")
    expect(VisaCodes.tavv("1")).toBe("invalid")
    expect(VisaCodes.tavv("0")).toBe("not_checked")
    expect(VisaCodes.tavv(undefined)).toBe("not_checked")
  })

  it("reads an unknown code, prototype member names included, as the fallback that claims no verdict", () => {
    for (const code of unknownCodes) {
      expect(VisaCodes.approves(code), code).toBe(false)
      expect(VisaCodes.meaning(code), code).toBeUndefined()
      expect(VisaCodes.cvv2(code), code).toBe("not_processed")
      expect(VisaCodes.address(code), code).toBe("unavailable")
      expect(VisaCodes.name(code), code).toBe("not_checked")
      expect(VisaCodes.tavv(code), code).toBe("not_checked")
    }
  })

  it("holds only domain words", () => {
    const check = <A>(schema: Schema.Schema<A>, table: ReadonlyMap<string, A>) => {
      for (const value of table.values()) expect(Schema.is(schema)(value)).toBe(true)
    }
    check(Cvv2Result, VisaCodes.cvv2Results)
    check(AddressResult, VisaCodes.addressResults)
    check(NameResult, VisaCodes.nameResults)
    check(TavvResult, VisaCodes.tavvResults)
  })
})

describe("the transport's reading", () => {
  const decode = Schema.decodeUnknownSync(CardValidationResponse)
  const base = { actionCode: "00", responseCode: "5", transactionIdentifier: "381228649430011" }

  it("reads every table entry as the table says", () => {
    for (const [code, { approves }] of VisaCodes.actionCodes)
      expect(toDomainResult(decode({ ...base, actionCode: code })).approved, code).toBe(approves)
    for (const [code, result] of VisaCodes.cvv2Results)
      expect(toDomainResult(decode({ ...base, cvv2ResultCode: code })).cvv2).toBe(result)
    for (const [code, result] of VisaCodes.addressResults)
      expect(toDomainResult(decode({ ...base, addressVerificationResults: code })).address).toBe(result)
    for (const [code, result] of VisaCodes.nameResults) {
      const response = decode({
        ...base,
        cardHolderNameVerificationResult: { nameResult: "00", nameMatchDecision: code }
      })
      expect(toDomainResult(response).name).toBe(result)
    }
    for (const [code, result] of VisaCodes.tavvResults)
      expect(toDomainResult(decode({ ...base, cardholderAuthenticationVerificationResults: code })).tavv).toBe(result)
  })

  it("reads a code no table lists as the fallback", () => {
    const read = toDomainResult(
      decode({
        ...base,
        actionCode: "XX",
        cvv2ResultCode: "X",
        addressVerificationResults: "X",
        cardHolderNameVerificationResult: { nameResult: "00", nameMatchDecision: "99" },
        cardholderAuthenticationVerificationResults: "X"
      })
    )
    expect(read).toMatchObject({
      approved: false,
      cvv2: "not_processed",
      address: "unavailable",
      name: "not_checked",
      tavv: "not_checked",
      raw: { actionCode: "XX", cvv2ResultCode: "X", addressVerificationResults: "X", nameMatchDecision: "99" }
    })
  })

  it("leaves out the name and TAVV Visa did not answer, and reports a name answer without a decision", () => {
    const bare = toDomainResult(decode(base))
    expect(bare).toMatchObject({ approved: true, cvv2: "not_checked", address: "not_checked" })
    expect(bare.name).toBeUndefined()
    expect(bare.tavv).toBeUndefined()
    expect(toDomainResult(decode({ ...base, cardHolderNameVerificationResult: { nameResult: "00" } })).name).toBe(
      "not_checked"
    )
  })
})
