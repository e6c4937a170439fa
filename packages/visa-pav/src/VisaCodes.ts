import type { AddressResult, Cvv2Result, NameResult, TavvResult } from "@cardkit/domain"

/*
 * Visa's result codes in the domain's words: the one table both the transport (reading what Visa
 * answers) and the fake (saying what it means by what it sends) go through, so the two cannot
 * drift apart. Codes are named by Visa, not by cardkit, so they are looked up in `Map`s: a code
 * such as `constructor` must read as unknown, not find a member of `Object.prototype`.
 */

/** What a VisaNet response code (`actionCode`) says, and whether cardkit counts it as an approval. */
export interface VisaActionCode {
  readonly meaning: string
  readonly approves: boolean
}

const action = (meaning: string, approves = false): VisaActionCode => ({ meaning, approves })

/*
 * `00` and `85` are the two answers issuers give a verification. `10` (partial approval) and `11`
 * (V.I.P. approval) answer an amount: a zero-amount verification that gets them has not been
 * vouched for by the issuer, so they do not approve (the code stays in `actionCode` for callers
 * that think otherwise).
 */
const actionCodes: ReadonlyMap<string, VisaActionCode> = new Map([
  ["00", action("approved", true)],
  ["85", action("no reason to decline", true)],
  ["01", action("refer to card issuer")],
  ["04", action("pick up card")],
  ["05", action("do not honor")],
  ["10", action("partial approval")],
  ["11", action("V.I.P. approval")],
  ["12", action("invalid transaction")],
  ["13", action("invalid amount")],
  ["14", action("invalid account number")],
  ["15", action("no such issuer")],
  ["19", action("re-enter transaction")],
  ["25", action("unable to locate the account")],
  ["41", action("lost card")],
  ["43", action("stolen card")],
  ["51", action("insufficient funds")],
  ["54", action("expired card")],
  ["57", action("transaction not permitted to cardholder")],
  ["58", action("transaction not allowed at terminal")],
  ["59", action("suspected fraud")],
  ["61", action("exceeds withdrawal amount limit")],
  ["62", action("restricted card")],
  ["63", action("security violation")],
  ["65", action("exceeds withdrawal frequency limit")],
  ["75", action("PIN tries exceeded")],
  ["91", action("issuer unavailable")],
  ["93", action("violation of law")],
  ["96", action("system malfunction")],
  ["N7", action("CVV2 mismatch")]
])

// `S` (merchant says the card has none) and `U` (issuer not certified) are answers, not checks.
const cvv2Results: ReadonlyMap<string, Cvv2Result> = new Map([
  ["M", "match"],
  ["N", "no_match"],
  ["P", "not_processed"],
  ["S", "not_processed"],
  ["U", "not_processed"]
])

/*
 * Visa's domestic letters plus its international ones (B, P: one part matched, the other not
 * verified; D, M: both matched; C, I: not verified). `I` is not among PAV's documented letters,
 * yet the sandbox sends it for an account it cannot find.
 */
const addressResults: ReadonlyMap<string, AddressResult> = new Map([
  ["Y", "match"],
  ["D", "match"],
  ["M", "match"],
  ["A", "street_only"],
  ["B", "street_only"],
  ["Z", "postal_code_only"],
  ["P", "postal_code_only"],
  ["N", "no_match"],
  ["U", "unavailable"],
  ["R", "unavailable"],
  ["G", "unavailable"],
  ["C", "unavailable"],
  ["I", "unavailable"]
])

const nameResults: ReadonlyMap<string, NameResult> = new Map([
  ["01", "match"],
  ["02", "partial_match"],
  ["03", "no_match"]
])

// `0` is Visa's "not validated": the issuer gave no verdict on the cryptogram.
const tavvResults: ReadonlyMap<string, TavvResult> = new Map([
  ["2", "valid"],
  ["1", "invalid"],
  ["0", "not_checked"]
])

/*
 * An absent code reads as "not checked": Visa leaves a result out when nothing was asked. An
 * unknown code is tolerated rather than refused (Visa adds letters, and the sandbox already sends
 * ones PAV does not document), keeps its verbatim value in `raw`, and reads as the word that
 * claims no verdict about the card: never a match, which would vouch for what nobody checked, and
 * never a mismatch, which would blame the cardholder for what cardkit cannot read. Only a code
 * this table lists approves, for the same reason.
 */
const read =
  <A>(table: ReadonlyMap<string, A>, absent: A, unknown: A) =>
  (code: string | undefined): A =>
    code === undefined ? absent : (table.get(code) ?? unknown)

/** Visa's result codes, as tables and as readings with the fallbacks above. */
export const VisaCodes = {
  actionCodes,
  cvv2Results,
  addressResults,
  nameResults,
  tavvResults,
  /** What an action code means, for people; `undefined` for a code the table does not list. */
  meaning: (actionCode: string): string | undefined => actionCodes.get(actionCode)?.meaning,
  /** Whether the issuer approved: `00` or `85`. */
  approves: (actionCode: string): boolean => actionCodes.get(actionCode)?.approves ?? false,
  cvv2: read<Cvv2Result>(cvv2Results, "not_checked", "not_processed"),
  address: read<AddressResult>(addressResults, "not_checked", "unavailable"),
  name: read<NameResult>(nameResults, "not_checked", "not_checked"),
  tavv: read<TavvResult>(tavvResults, "not_checked", "not_checked")
} as const
