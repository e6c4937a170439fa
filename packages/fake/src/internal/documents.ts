import type { IssueCardOptions } from "../FakeIssuer.js"

/** The ledger's "Get CVV of a Card" example card, with the CVV, flags and dates it prints. */
export const ledgerDocumentCard: IssueCardOptions = {
  cardId: "025951734ff74c13a14137e02834fa00",
  customerId: "100000000006001",
  accountNumber: "400320588344662",
  // The ledger document shows no PAN; this one is Luhn-valid and otherwise unused.
  pan: "4003205883446621",
  expiry: "2029-11",
  cvv: "679",
  postedDate: "2024-11-20T06:56:11.399Z",
  updatedDate: "2024-11-20T06:56:11.399Z"
}

/** Visa PAV's sandbox example account, as the OpenAPI examples and Visa's test data give it. */
export const visaDocumentCard: IssueCardOptions = {
  cardId: "visa-pav-sandbox-4957030420210462",
  customerId: "visa-sandbox",
  accountNumber: "4957030420210462",
  pan: "4957030420210462",
  expiry: "2040-10",
  cvv2: "022",
  billingAddress: { street: "801 Metro Center Blv", postalCode: "94404" },
  tavv: "0100000000000287A522DC5E26614C4005000000",
  // What Visa's PAV sandbox answers for this card (protocol-notes.md), so code sees the same here.
  approvalCode: "12AB54",
  postedDate: "2024-11-20T06:56:11.399Z",
  updatedDate: "2024-11-20T06:56:11.399Z"
}

export const documentCards: ReadonlyArray<IssueCardOptions> = [ledgerDocumentCard, visaDocumentCard]
