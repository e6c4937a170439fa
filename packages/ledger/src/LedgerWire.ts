import { CardFlags, Channel } from "@cardkit/domain"
import { Schema } from "effect"

/*
 * The ledger's wire format, exactly as its "Get CVV of a Card" document prints it. The fake
 * ledger server decodes requests with these same schemas, so client and fake cannot drift.
 */

/** Every card operation is this one JSON-RPC-style method; `transactionType` selects the operation. */
export const cardMethod = "ledger.CARD.request"

export const TransactionType = Schema.Literal(
  "ADD_CARD",
  "GET_CARD",
  "GET_CVV",
  "VALIDATE_CVV",
  "PIN_CHANGE",
  "UPDATE_STATUS",
  "REPLACE_CARD",
  "GET_CARD_LIMIT"
)
export type TransactionType = typeof TransactionType.Type

const Text = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128))

/** The fields every card payload carries, in the document's order. */
const cardPayload = <T extends TransactionType>(transactionType: T) =>
  ({
    reference: Schema.optional(Text),
    product: Text,
    program: Text,
    channel: Channel,
    transactionType: Schema.Literal(transactionType),
    customerId: Text,
    accountNumber: Text,
    cardId: Text
  }) as const

export const GetCvvPayload = Schema.Struct(cardPayload("GET_CVV")).annotations({ identifier: "GetCvvPayload" })
export type GetCvvPayload = typeof GetCvvPayload.Type

export const GetCardPayload = Schema.Struct(cardPayload("GET_CARD")).annotations({ identifier: "GetCardPayload" })
export type GetCardPayload = typeof GetCardPayload.Type

/** `cvv` is base64 of the CVV encrypted to the ledger's RSA public key (PKCS#1 v1.5) when `isEncrypt`. */
export const ValidateCvvPayload = Schema.Struct({
  ...cardPayload("VALIDATE_CVV"),
  cvv: Schema.String.pipe(Schema.minLength(3), Schema.maxLength(1024)),
  isEncrypt: Schema.Boolean
}).annotations({ identifier: "ValidateCvvPayload" })
export type ValidateCvvPayload = typeof ValidateCvvPayload.Type

export const StatusAction = Schema.Literal(
  "ACTIVATE",
  "LOCK",
  "UNLOCK",
  "REPORT MISSING CARD",
  "REISSUE",
  "DEACTIVATE",
  "BLOCK",
  "UNBLOCK",
  "CLOSE"
)
export type StatusAction = typeof StatusAction.Type

export const UpdateStatusPayload = Schema.Struct({
  ...cardPayload("UPDATE_STATUS"),
  action: StatusAction
}).annotations({ identifier: "UpdateStatusPayload" })
export type UpdateStatusPayload = typeof UpdateStatusPayload.Type

/** Credentials as the document's envelope carries them, plus the key id public clients add. */
export const ApiCredentials = Schema.Struct({
  credential: Schema.String,
  signature: Schema.String,
  apiKey: Schema.String,
  keyId: Schema.optional(Schema.String)
})
export type ApiCredentials = typeof ApiCredentials.Type

/** The request envelope (the payload is decoded separately, from its exact bytes). */
export const RequestEnvelope = Schema.Struct({
  method: Schema.String,
  id: Schema.Union(Schema.String, Schema.Number),
  params: Schema.Struct({
    payload: Schema.Struct({ transactionType: Schema.String }),
    api: ApiCredentials
  })
})
export type RequestEnvelope = typeof RequestEnvelope.Type

/** Every result's acknowledgement: `<TYPE>_ACK`, `REF` + reference, unix seconds, original reference. */
export const WireAck = Schema.Struct({
  type: Schema.String,
  reference: Schema.String,
  dateCreated: Schema.Number,
  originalReference: Schema.optional(Schema.String)
})
export type WireAck = typeof WireAck.Type

const flagFields = CardFlags.fields

/** The card as GET_CVV answers it, every field in the document's order. */
export const WireCvvCard = Schema.Struct({
  cardId: Schema.String,
  postedDate: Schema.String,
  updatedDate: Schema.String,
  allowAtm: flagFields.allowAtm,
  allowEcommerce: flagFields.allowEcommerce,
  allowMoto: flagFields.allowMoto,
  allowPos: flagFields.allowPos,
  allowTips: flagFields.allowTips,
  allowPurchase: flagFields.allowPurchase,
  allowRefund: flagFields.allowRefund,
  allowCashback: flagFields.allowCashback,
  allowWithdraw: flagFields.allowWithdraw,
  allowAuthAndCompletion: flagFields.allowAuthAndCompletion,
  smart: flagFields.smart,
  checkAvsZip: flagFields.checkAvsZip,
  checkAvsAddr: flagFields.checkAvsAddr,
  cvv: Schema.String,
  transactionMade: flagFields.transactionMade,
  isReIssue: flagFields.isReIssue,
  isReplace: flagFields.isReplace
})
export type WireCvvCard = typeof WireCvvCard.Type

export const GetCvvResult = Schema.Struct({ card: WireCvvCard, api: WireAck })
export type GetCvvResult = typeof GetCvvResult.Type

/** GET_CARD: the card without its CVV, with its status. */
export const WireCard = Schema.Struct({
  ...WireCvvCard.omit("cvv").fields,
  status: Schema.optional(Schema.String)
})
export type WireCard = typeof WireCard.Type

export const GetCardResult = Schema.Struct({ card: WireCard, api: WireAck })
export type GetCardResult = typeof GetCardResult.Type

/** Results that carry nothing but the acknowledgement (VALIDATE_CVV, UPDATE_STATUS). */
export const AckResult = Schema.Struct({ api: WireAck, card: Schema.optional(Schema.Unknown) })
export type AckResult = typeof AckResult.Type

/** Failures still come back as HTTP 200, with a string code. */
export const WireError = Schema.Struct({ code: Schema.String, message: Schema.String })
export type WireError = typeof WireError.Type

/** An answer: an error (which wins, should both be there) or a result for the request's id. */
export const ResponseEnvelope = Schema.Union(
  Schema.Struct({ id: Schema.optional(Schema.Union(Schema.String, Schema.Number, Schema.Null)), error: WireError }),
  Schema.Struct({ id: Schema.Union(Schema.String, Schema.Number), result: Schema.Unknown })
)
export type ResponseEnvelope = typeof ResponseEnvelope.Type

/**
 * Error codes. `1019` (incorrect CVV) and `9999` (internal error) are the ledger's documented codes;
 * the others vary between ledger deployments, so a client takes them from configuration and the
 * fake answers with these defaults.
 */
export const LedgerErrorCodes = {
  invalidRequest: "1000",
  cardNotFound: "1004",
  cardNotActive: "1005",
  incorrectCvv: "1019",
  authentication: "4001",
  internal: "9999"
} as const
