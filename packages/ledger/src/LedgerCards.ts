import {
  Card,
  CardCvv,
  type CardSecretsError,
  CardLimit,
  type LimitCycle,
  type LimitKind,
  makeCvv,
  ProtocolViolation,
  ProviderRejected,
  ReplacedCard
} from "@cardkit/domain"
import { DateTime, Effect, Option, ParseResult, Schema } from "effect"
import type { LedgerError } from "./LedgerClient.js"
import { toCardStatus } from "./LedgerStatus.js"
import {
  type CycleType,
  type GetCvvResult,
  LedgerErrorCodes,
  type LimitType,
  type WireCardType,
  type WireLimit
} from "./LedgerWire.js"

/*
 * The ledger's cards and limits in the domain's provider-neutral terms, written once: the ledger
 * transport maps its answers with these, and the in-memory fake maps its records through the same
 * wire shapes, so both give a product team the same `Card`.
 */

/** What every card result of the ledger names, whatever else it carries. */
export interface WireCardView {
  readonly cardId: string
  /** Absent from GET_CARD_DETAILS and GET_CARD_LIST on the documented wire. */
  readonly cardType?: WireCardType | undefined
  readonly cardStatus: string
  /** `************1234`. */
  readonly cardMaskNumber: string
  /** `YYYYMM`. */
  readonly cardExpiryDate: string
}

const decodeCard = Schema.decodeUnknown(Card)

/**
 * The domain's card for a wire card: status by `LedgerStatus` (the raw spelling kept), last four
 * digits from the mask, `YYYYMM` as `YYYY-MM`. A card whose answer names no type is taken to be
 * physical, the type the ledger issues by default (D-AC); an answer that cannot be a card is the
 * ledger's protocol violation, told without the values it held.
 */
export const toCard = (wire: WireCardView): Effect.Effect<Card, ProtocolViolation> =>
  decodeCard({
    cardId: wire.cardId,
    type: wire.cardType === "VIRTUAL" ? "virtual" : "physical",
    status: toCardStatus(wire.cardStatus),
    rawStatus: wire.cardStatus,
    last4: wire.cardMaskNumber.slice(-4),
    expiry: `${wire.cardExpiryDate.slice(0, 4)}-${wire.cardExpiryDate.slice(4)}`
  }).pipe(
    Effect.mapError(
      (error) =>
        new ProtocolViolation({
          provider: "ledger",
          reason: `a card in the answer is malformed at ${pathOf(error)}`
        })
    )
  )

const pathOf = (error: ParseResult.ParseError): string => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  return issue === undefined ? "the card" : issue.path.join(".") || "the card"
}

const kinds: Record<LimitKind, LimitType> = { amount: "VOLUME", count: "COUNT" }
const cycles: Record<LimitCycle, CycleType> = {
  per_transaction: "PER_TRANSACTION",
  day: "DAY",
  month: "MONTH",
  year: "YEAR",
  lifetime: "LIFE_TIME"
}
/** The same tables read the other way: the ledger's spellings to the domain's. */
const inverse = <K extends string, V extends string>(table: Record<K, V>) =>
  Object.fromEntries(Object.entries(table).map(([key, value]) => [value, key])) as Record<V, K>
const kindOf = inverse(kinds)
const cycleOf = inverse(cycles)

/** The ledger's `type` (`VOLUME`, `COUNT`) of a limit kind. */
export const toLimitType = (kind: LimitKind): LimitType => kinds[kind]

/** The ledger's `cycleType` of a limit cycle. */
export const toCycleType = (cycle: LimitCycle): CycleType => cycles[cycle]

const decodeLimit = Schema.decodeUnknown(CardLimit)

/** The domain's limit for a wire limit; a value that is no amount or count is a protocol violation. */
export const toLimit = (wire: WireLimit): Effect.Effect<CardLimit, ProtocolViolation> =>
  decodeLimit({
    kind: kindOf[wire.type],
    cycle: cycleOf[wire.cycleType],
    value: wire.value,
    ...(wire.remaining === "" ? {} : { remaining: wire.remaining })
  }).pipe(
    Effect.mapError(
      (error) =>
        new ProtocolViolation({ provider: "ledger", reason: `a limit in the answer is malformed at ${pathOf(error)}` })
    )
  )

export const toLimits = (wire: ReadonlyArray<WireLimit>): Effect.Effect<ReadonlyArray<CardLimit>, ProtocolViolation> =>
  Effect.forEach(wire, toLimit)

/** Both cards of a REPLACE_CARD answer: the card replaced and its replacement. */
export const toReplacedCard = (wire: {
  readonly card: WireCardView
  readonly newCard: WireCardView
}): Effect.Effect<ReplacedCard, ProtocolViolation> =>
  Effect.map(
    Effect.all([toCard(wire.card), toCard(wire.newCard)]),
    ([replaced, replacement]) => new ReplacedCard({ replaced, replacement })
  )

const violation = (reason: string) => new ProtocolViolation({ provider: "ledger", reason })

const date = (text: string, field: string) =>
  Option.match(DateTime.make(text), {
    onNone: () => Effect.fail(violation(`${field} is not a date`)),
    onSome: (value) => Effect.succeed(value)
  })

/**
 * The revealed CVV of a GET_CVV answer to a request for `cardId`: the answer must be for that card
 * and its CVV 3 or 4 digits.
 */
export const toCardCvv = (cardId: string, { card, api }: GetCvvResult): Effect.Effect<CardCvv, ProtocolViolation> =>
  Effect.gen(function* () {
    if (card.cardId !== cardId) return yield* violation("the answer is for another card")
    if (!/^\d{3,4}$/.test(card.cvv)) return yield* violation("the CVV is not 3 or 4 digits")
    const { cvv, postedDate, updatedDate, cardId: _, ...flags } = card
    // Every field was decoded by the wire schema or checked above.
    return CardCvv.fromDecoded({
      cardId: card.cardId as CardCvv["cardId"],
      cvv: makeCvv(cvv),
      flags,
      postedDate: yield* date(postedDate, "postedDate"),
      updatedDate: yield* date(updatedDate, "updatedDate"),
      ack: {
        type: api.type,
        reference: api.reference,
        originalReference: api.originalReference ?? "",
        dateCreated: api.dateCreated
      }
    })
  })

const oddity = (code: string, message: string) => new ProviderRejected({ provider: "ledger", code, message })

/**
 * A GET_CVV failure in `CardSecrets`' terms: GET_CVV checks no CVV and changes no status, so such
 * answers are the ledger's oddities.
 */
export const revealErrors = <A>(reveal: Effect.Effect<A, LedgerError>): Effect.Effect<A, CardSecretsError> =>
  Effect.catchTags(reveal, {
    IncorrectCvv: () => Effect.fail(oddity(LedgerErrorCodes.incorrectCvv, "incorrect CVV answered to GET_CVV")),
    StatusActionNotAllowed: () =>
      Effect.fail(oddity(LedgerErrorCodes.statusActionNotAllowed, "status action refused to GET_CVV"))
  })
