import { CardFlags, Channel } from "@cardkit/domain"
import { Schema } from "effect"

/*
 * The ledger's card API on the wire (`ledger.CARD.request` on `{URL}/cardv2`), field for field and in
 * the order the reference (NetXD's pages and a production client) gives them. The fake ledger server
 * decodes requests with these same schemas, so client and fake cannot drift. Where the sources
 * disagree, the payload schemas accept both forms and the client sends the production client's.
 */

/** Every card operation is this one JSON-RPC-style method; `transactionType` selects the operation. */
export const cardMethod = "ledger.CARD.request"

const Text = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128))
const OptionalText = Schema.String.pipe(Schema.maxLength(128))

/** The fields most payloads carry, in the order the card-holder and card-limit pages list them. */
const common = <T extends string>(transactionType: T) =>
  ({
    reference: Schema.optional(Text),
    transactionType: Schema.Literal(transactionType),
    customerId: Text,
    accountNumber: Text,
    product: Text,
    channel: Channel,
    program: Text
  }) as const

/** The same fields in the order the Get CVV, PIN and status pages list them. */
const cardFirst = <T extends string>(transactionType: T) =>
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

/**
 * `isEncrypt`: the production client sends JSON `true`, the pages document the string `"true"`;
 * both are accepted, and `LedgerClientOptions.isEncrypt` picks what the client sends.
 */
export const IsEncrypt = Schema.Union(Schema.Literal(true), Schema.Literal("true"))
export type IsEncrypt = typeof IsEncrypt.Type

/** An RSA-encrypted secret (PKCS#1 v1.5, standard base64) or, where the page allows, empty. */
const Encrypted = Schema.String.pipe(Schema.maxLength(1024))

/** A card holder's details as the card-holder pages name them. */
export const WireCardHolderDetails = Schema.Struct({
  firstName: Text,
  lastName: Text,
  phoneNumber: Text,
  emailId: Text,
  addressLine1: Text,
  addressLine2: OptionalText,
  city: Text,
  state: Text,
  zipCode: Text
})
export type WireCardHolderDetails = typeof WireCardHolderDetails.Type

const Pagination = Schema.Struct({
  offset: Schema.Int.pipe(Schema.nonNegative()),
  max: Schema.Int.pipe(Schema.between(1, 100))
})

export const AddCardHolderWithPrimaryAddressPayload = Schema.Struct(
  common("ADD_CARD_HOLDER_WITH_PRIMARY_ADDRESS")
).annotations({ identifier: "AddCardHolderWithPrimaryAddressPayload" })

export const AddCardHolderWithNonPrimaryAddressPayload = Schema.Struct({
  ...common("ADD_CARD_HOLDER_WITH_NON_PRIMARY_ADDRESS"),
  cardHolder: WireCardHolderDetails
}).annotations({ identifier: "AddCardHolderWithNonPrimaryAddressPayload" })

export const UpdateCardHolderPayload = Schema.Struct({
  ...common("UPDATE_CARD_HOLDER"),
  cardHolder: Schema.Struct({
    cardHolderId: Text,
    firstName: Schema.optional(Text),
    lastName: Schema.optional(Text),
    phoneNumber: Schema.optional(Text),
    emailId: Schema.optional(Text),
    addressLine1: Schema.optional(Text),
    addressLine2: Schema.optional(OptionalText),
    city: Schema.optional(Text),
    state: Schema.optional(Text),
    zipCode: Schema.optional(Text)
  })
}).annotations({ identifier: "UpdateCardHolderPayload" })

export const GetCardHolderListPayload = Schema.Struct({
  ...common("GET_CARDHOLDER_LIST"),
  pagination: Schema.optional(Pagination)
}).annotations({ identifier: "GetCardHolderListPayload" })

export const WireCardType = Schema.Literal("PHYSICAL", "VIRTUAL")
export type WireCardType = typeof WireCardType.Type

const YesNo = Schema.Literal("YES", "NO")

/** `ADD_CARD`'s card: a physical one needs its holder only; a virtual one its expiry and limits too. */
export const NewWireCard = Schema.Union(
  Schema.Struct({ cardHolderId: Text, cardType: Schema.Literal("PHYSICAL") }),
  Schema.Struct({
    cardHolderId: Text,
    cardType: Schema.Literal("VIRTUAL"),
    expiryYear: Schema.String.pipe(Schema.pattern(/^\d{4}$/)),
    expiryMonth: Schema.String.pipe(Schema.pattern(/^(0?[1-9]|1[0-2])$/)),
    cardLimit: Schema.optional(Schema.String.pipe(Schema.pattern(/^\d+(\.\d{1,2})?$/))),
    singleUseCard: Schema.optional(YesNo),
    cardName: Schema.optional(Text),
    countryGroupId: Schema.optional(Text)
  })
)
export type NewWireCard = typeof NewWireCard.Type

export const AddCardPayload = Schema.Struct({ ...common("ADD_CARD"), card: NewWireCard }).annotations({
  identifier: "AddCardPayload"
})

export const GetCardPayload = Schema.Struct({ ...common("GET_CARD"), cardId: Text }).annotations({
  identifier: "GetCardPayload"
})

export const GetCardDetailsPayload = Schema.Struct({ ...common("GET_CARD_DETAILS"), cardId: Text }).annotations({
  identifier: "GetCardDetailsPayload"
})

export const GetCardListPayload = Schema.Struct({ ...common("GET_CARD_LIST"), pagination: Pagination }).annotations({
  identifier: "GetCardListPayload"
})

export const GetCvvPayload = Schema.Struct(cardFirst("GET_CVV")).annotations({ identifier: "GetCvvPayload" })
export type GetCvvPayload = typeof GetCvvPayload.Type

/** No reference, customer or account: the card and its RSA-encrypted CVV. */
export const ValidateCvvPayload = Schema.Struct({
  transactionType: Schema.Literal("VALIDATE_CVV"),
  product: Text,
  channel: Channel,
  program: Text,
  cardId: Text,
  cardCvv: Encrypted.pipe(Schema.minLength(3)),
  isEncrypt: IsEncrypt
}).annotations({ identifier: "ValidateCvvPayload" })
export type ValidateCvvPayload = typeof ValidateCvvPayload.Type

export const PinChangePayload = Schema.Struct({
  ...cardFirst("PIN_CHANGE"),
  newPIN: Encrypted.pipe(Schema.minLength(4)),
  isEncrypt: IsEncrypt
}).annotations({ identifier: "PinChangePayload" })

/**
 * The status actions, each with every spelling the sources use (the status page writes them with
 * spaces, the production client with underscores, and "REPORT MISSING CARD" is its `REPORT_LOST_STOLEN`).
 * The client sends the first spelling of each.
 */
export const statusActionSpellings = {
  ACTIVATE: ["ACTIVATE"],
  LOCK: ["LOCK"],
  UNLOCK: ["UNLOCK"],
  BLOCK: ["BLOCK"],
  UNBLOCK: ["UNBLOCK"],
  CLOSE: ["CLOSE"],
  DEACTIVATE: ["DEACTIVATE"],
  MARK_UNDELIVERED: ["MARK_UNDELIVERED", "MARK UNDELIVERED"],
  REPORT_LOST_STOLEN: ["REPORT_LOST_STOLEN", "REPORT MISSING CARD"],
  REISSUE: ["REISSUE"],
  REPLACE_CARD: ["REPLACE_CARD", "REPLACE CARD"]
} as const satisfies Record<string, readonly [string, ...Array<string>]>

/** A status action by its one name, whatever spelling came over the wire. */
export type StatusAction = keyof typeof statusActionSpellings
type Spelling = (typeof statusActionSpellings)[StatusAction][number]

const actionBySpelling: ReadonlyMap<string, StatusAction> = new Map(
  Object.entries(statusActionSpellings).flatMap(([action, spellings]) =>
    spellings.map((spelling) => [spelling, action as StatusAction] as const)
  )
)

/** A status action as sent: any of its spellings. */
export const StatusActionSpelling = Schema.Literal(
  ...(Object.values(statusActionSpellings).flat() as [Spelling, ...Array<Spelling>])
)
export type StatusActionSpelling = typeof StatusActionSpelling.Type

/** The action a spelling names (`REPORT MISSING CARD` → `REPORT_LOST_STOLEN`). */
export const statusActionOf = (spelling: StatusActionSpelling): StatusAction => actionBySpelling.get(spelling)!

export const UpdateStatusPayload = Schema.Struct({
  reference: Schema.optional(Text),
  product: Text,
  program: Text,
  channel: Channel,
  transactionType: Schema.Literal("UPDATE_STATUS"),
  customerId: Text,
  cardId: Text,
  accountNumber: Text,
  statusAction: StatusActionSpelling,
  /** RSA-encrypted; mandatory to ACTIVATE, `""` otherwise (the key is always there). */
  cardCvv: Encrypted,
  isEncrypt: IsEncrypt
}).annotations({ identifier: "UpdateStatusPayload" })

export const ReplaceCardPayload = Schema.Struct({
  reference: Schema.optional(Text),
  product: Text,
  program: Text,
  channel: Channel,
  transactionType: Schema.Literal("REPLACE_CARD"),
  customerId: Text,
  cardId: Text,
  accountNumber: Text,
  /** `REISSUE` keeps the PAN, `REPLACE_CARD` issues a new one. */
  statusAction: Schema.Literal("REPLACE_CARD", "REPLACE CARD", "REISSUE")
}).annotations({ identifier: "ReplaceCardPayload" })

export const GetCardLimitPayload = Schema.Struct({ ...common("GET_CARD_LIMIT"), cardId: Text }).annotations({
  identifier: "GetCardLimitPayload"
})

export const LimitType = Schema.Literal("VOLUME", "COUNT")
export type LimitType = typeof LimitType.Type
export const CycleType = Schema.Literal("LIFE_TIME", "YEAR", "MONTH", "DAY", "PER_TRANSACTION")
export type CycleType = typeof CycleType.Type

/** Amounts and counts are strings on the wire. */
const Amount = Schema.String.pipe(Schema.pattern(/^\d{1,12}(\.\d{1,2})?$/))

export const SetLimitPayload = Schema.Struct({
  ...common("SET_LIMIT"),
  cardLimit: Schema.Struct({ cardId: Text, cycleType: CycleType, type: LimitType, value: Amount })
}).annotations({ identifier: "SetLimitPayload" })

/** Credentials as the envelope carries them, plus the key id public clients add. */
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

/** The card's switches in the order the card results print them (the last three come after `cvv`). */
const switches = {
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
  checkAvsAddr: flagFields.checkAvsAddr
} as const

const afterCvv = {
  transactionMade: flagFields.transactionMade
} as const

const replaced = {
  isReIssue: flagFields.isReIssue,
  isReplace: flagFields.isReplace
} as const

/** A card status as the ledger spells it (`TEMPRORY_…` is its spelling); unknown ones pass through. */
export const WireCardStatus = Schema.String

/**
 * The short card of GET_CVV, UPDATE_STATUS and the limit results: its id and dates, `head`, the
 * switches, `cvv`, `beforeFlags`, then the last flags — the order the results print.
 */
const shortCard = <Head extends Schema.Struct.Fields, BeforeFlags extends Schema.Struct.Fields>(
  head: Head,
  beforeFlags: BeforeFlags
) =>
  Schema.Struct({
    cardId: Schema.String,
    postedDate: Schema.String,
    updatedDate: Schema.String,
    ...head,
    ...switches,
    cvv: Schema.String,
    ...beforeFlags,
    ...afterCvv,
    ...replaced
  })

/** The card as GET_CVV answers it, every field in the document's order. */
export const WireCvvCard = shortCard({}, {})
export type WireCvvCard = typeof WireCvvCard.Type

export const GetCvvResult = Schema.Struct({ card: WireCvvCard, api: WireAck })
export type GetCvvResult = typeof GetCvvResult.Type

/** A card holder as GET_CARD answers it. */
export const WireCardHolder = Schema.Struct({
  cardHolderId: Schema.String,
  ...WireCardHolderDetails.fields,
  country: Schema.optional(Schema.String),
  createdDate: Schema.optional(Schema.String),
  updatedDate: Schema.optional(Schema.String)
})
export type WireCardHolder = typeof WireCardHolder.Type

/** GET_CARD's card: no CVV value (`cvv` is there, empty), its status under `cardStatus`. */
export const WireCard = Schema.Struct({
  cardId: Schema.String,
  cardProduct: Schema.String,
  postedDate: Schema.String,
  updatedDate: Schema.String,
  cardMaskNumber: Schema.String,
  cardStatus: WireCardStatus,
  cardExpiryDate: Schema.String,
  ...switches,
  cvv: Schema.String,
  ...afterCvv,
  orderStatus: Schema.String,
  ...replaced,
  orderSubStatus: Schema.String
})
export type WireCard = typeof WireCard.Type

export const GetCardResult = Schema.Struct({ cardHolder: WireCardHolder, card: WireCard, api: WireAck })
export type GetCardResult = typeof GetCardResult.Type

/** GET_CARD_DETAILS: the card without anything sensitive, under `cardDetails`, with `createdDate`. */
export const WireCardDetails = Schema.Struct({
  cardId: Schema.String,
  cardProduct: Schema.String,
  createdDate: Schema.String,
  updatedDate: Schema.String,
  cardMaskNumber: Schema.String,
  cardStatus: WireCardStatus,
  cardExpiryDate: Schema.String,
  orderStatus: Schema.String,
  orderId: Schema.String,
  ...replaced,
  orderSubStatus: Schema.String,
  externalCardId: Schema.String,
  /**
   * Not in D-GCD's list, which leaves a card's type to what the caller stored at ADD_CARD; read when
   * a ledger (the fake does) sends it, so a card's type need not be stored beside the ledger.
   */
  cardType: Schema.optional(WireCardType)
})
export type WireCardDetails = typeof WireCardDetails.Type

export const GetCardDetailsResult = Schema.Struct({ cardDetails: WireCardDetails, api: WireAck })
export type GetCardDetailsResult = typeof GetCardDetailsResult.Type

/** ADD_CARD's new card: not activated, its order placed, `cvv` empty. */
export const WireNewCard = Schema.Struct({
  cardId: Schema.String,
  cardType: WireCardType,
  postedDate: Schema.String,
  updatedDate: Schema.String,
  cardMaskNumber: Schema.String,
  cardStatus: WireCardStatus,
  cardExpiryDate: Schema.String,
  ...switches,
  cvv: Schema.String,
  ...afterCvv,
  orderStatus: Schema.String,
  orderId: Schema.String,
  ...replaced,
  orderSubStatus: Schema.String
})
export type WireNewCard = typeof WireNewCard.Type

export const AddCardResult = Schema.Struct({ card: WireNewCard, api: WireAck })
export type AddCardResult = typeof AddCardResult.Type

/** UPDATE_STATUS's card: its new status and switches, not the mask, expiry or order. */
export const WireStatusCard = shortCard({ cardStatus: WireCardStatus }, {})
export type WireStatusCard = typeof WireStatusCard.Type

export const UpdateStatusResult = Schema.Struct({ card: WireStatusCard, api: WireAck })
export type UpdateStatusResult = typeof UpdateStatusResult.Type

/** REPLACE_CARD's cards, old and new, as the replace page's result prints them. */
export const WireReplacedCard = Schema.Struct({
  cardId: Schema.String,
  cardHolderId: Schema.String,
  cardHolderName: Schema.String,
  cardProduct: Schema.String,
  customerId: Schema.String,
  accountId: Schema.String,
  product: Schema.String,
  program: Schema.String,
  cardType: WireCardType,
  postedDate: Schema.String,
  updatedDate: Schema.String,
  cardMaskNumber: Schema.String,
  /** A token of 32 hex digits, not a PAN. */
  cardNumber: Schema.String,
  cardStatus: WireCardStatus,
  cardExpiryDate: Schema.String,
  ...switches,
  cvv: Schema.String,
  accountNumber: Schema.String,
  cardName: Schema.String,
  patterns: Schema.Array(Schema.String),
  ...afterCvv,
  orderStatus: Schema.String,
  orderId: Schema.String,
  network: Schema.String,
  ...replaced,
  externalCardId: Schema.String,
  cardCreatedYear: Schema.String,
  orderSubStatus: Schema.String,
  accountName: Schema.String,
  customerName: Schema.String
})
export type WireReplacedCard = typeof WireReplacedCard.Type

export const ReplaceCardResult = Schema.Struct({ card: WireReplacedCard, newCard: WireReplacedCard, api: WireAck })
export type ReplaceCardResult = typeof ReplaceCardResult.Type

/** One limit of a card; every value a string. */
export const WireLimit = Schema.Struct({
  type: LimitType,
  value: Schema.String,
  cycleLength: Schema.String,
  cycleType: CycleType,
  remaining: Schema.String
})
export type WireLimit = typeof WireLimit.Type

export const WireLimitCard = shortCard({}, { limits: Schema.Array(WireLimit) })

export const GetCardLimitResult = Schema.Struct({ card: WireLimitCard, api: WireAck })
export type GetCardLimitResult = typeof GetCardLimitResult.Type

/** VALIDATE_CVV's success; a wrong CVV is an error (`1019`), never a result. */
export const ValidateCvvResult = Schema.Struct({ cardId: Schema.String, api: WireAck, message: Schema.String })
export type ValidateCvvResult = typeof ValidateCvvResult.Type

/** Results that carry nothing but the acknowledgement (PIN_CHANGE). */
export const AckResult = Schema.Struct({ api: WireAck })
export type AckResult = typeof AckResult.Type

/** A card holder added; the shape the primary-address page shows, assumed for the other. */
export const CardHolderResult = Schema.Struct({ cardHolderId: Schema.String, api: WireAck })
export type CardHolderResult = typeof CardHolderResult.Type

/** The pages do not show these results: the card holder or list as GET_CARD's members name them. */
export const UpdateCardHolderResult = Schema.Struct({ cardHolder: WireCardHolder, api: WireAck })
export const GetCardHolderListResult = Schema.Struct({ cardHolders: Schema.Array(WireCardHolder), api: WireAck })
export const GetCardListResult = Schema.Struct({ cards: Schema.Array(WireCardDetails), api: WireAck })
export const SetLimitResult = Schema.Struct({ card: WireLimitCard, api: WireAck })

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
 * Error codes. `1019` (incorrect CVV), `1018` (a status action the card's status does not allow)
 * and `9999` (internal error) are the ledger's own; the others vary between deployments, so a
 * client takes them from configuration and the fake answers with these defaults.
 */
export const LedgerErrorCodes = {
  invalidRequest: "1000",
  cardNotFound: "1004",
  cardNotActive: "1005",
  statusActionNotAllowed: "1018",
  incorrectCvv: "1019",
  authentication: "4001",
  internal: "9999"
} as const
