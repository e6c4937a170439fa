import { Context, type Effect, Schema } from "effect"
import { CardExpiry } from "./CardExpiry.js"
import { CardFlags } from "./CardSecrets.js"
import { Cvv } from "./Cvv.js"
import type {
  CardNotActive,
  CardNotFound,
  IncorrectCvv,
  InvalidRequest,
  ProviderError,
  StatusActionNotAllowed,
  StoreUnavailable
} from "./Errors.js"
import { accountFields, CardId } from "./Ids.js"

/** A customer's account, to list or issue cards in. */
export class CustomerAccount extends Schema.Class<CustomerAccount>("CustomerAccount")(accountFields) {}

/** One card of a customer's account. */
export class CardRef extends Schema.Class<CardRef>("CardRef")({ cardId: CardId, ...accountFields }) {}

/**
 * A card's status in provider-neutral terms. A provider maps its own spellings here and keeps its
 * own in `Card.rawStatus`; a status it does not know is `unknown`, never a failure.
 */
export const CardStatus = Schema.Literal(
  "active",
  "inactive",
  "frozen",
  "blocked",
  "lost_stolen",
  "closed",
  "deactivated",
  "expired",
  "not_in_use",
  "returned_undelivered",
  "not_processed",
  "unknown"
).annotations({ identifier: "CardStatus" })
export type CardStatus = typeof CardStatus.Type

export const CardType = Schema.Literal("virtual", "physical").annotations({ identifier: "CardType" })
export type CardType = typeof CardType.Type

/** A card as a product team sees it: nothing secret, the PAN by its last four digits only. */
export class Card extends Schema.Class<Card>("Card")({
  cardId: CardId,
  type: CardType,
  status: CardStatus,
  /** The provider's own spelling of the status (`TEMPRORY_BLOCKED_BY_CLIENT`, …). */
  rawStatus: Schema.String,
  last4: Schema.String.pipe(Schema.pattern(/^\d{4}$/)),
  expiry: CardExpiry,
  flags: Schema.optional(CardFlags)
}) {}

/** Issue a card: a virtual one is usable at once, a physical one is ordered and activated later. */
export class IssueCardRequest extends Schema.Class<IssueCardRequest>("IssueCardRequest")({
  ...accountFields,
  type: CardType,
  /** For a virtual card: the month it expires (`YYYY-MM`); the provider's default when absent. */
  expiry: Schema.optional(CardExpiry)
}) {}

/** Activate a physical card with the CVV printed on it. */
export class ActivateCardRequest extends Schema.Class<ActivateCardRequest>("ActivateCardRequest")({
  cardId: CardId,
  ...accountFields,
  cvv: Cvv
}) {}

/** Check a CVV against the card's. */
export class ValidateCvvRequest extends Schema.Class<ValidateCvvRequest>("ValidateCvvRequest")({
  cardId: CardId,
  ...accountFields,
  cvv: Cvv
}) {}

/** A PIN: 4 to 12 digits, held `Redacted` from the caller to the wire. */
export const Pin = Schema.Redacted(
  Schema.String.pipe(Schema.pattern(/^\d{4,12}$/, { message: () => "must be 4 to 12 digits" }))
).annotations({ identifier: "Pin" })
export type Pin = typeof Pin.Type

export class ChangePinRequest extends Schema.Class<ChangePinRequest>("ChangePinRequest")({
  cardId: CardId,
  ...accountFields,
  pin: Pin
}) {}

/** Why a card is replaced: lost or stolen gets a new PAN, damaged a reissue with the same PAN. */
export const ReplaceReason = Schema.Literal("lost_stolen", "damaged").annotations({ identifier: "ReplaceReason" })
export type ReplaceReason = typeof ReplaceReason.Type

export class ReplaceCardRequest extends Schema.Class<ReplaceCardRequest>("ReplaceCardRequest")({
  cardId: CardId,
  ...accountFields,
  reason: ReplaceReason
}) {}

/** The card replaced (no longer in use) and its replacement. */
export class ReplacedCard extends Schema.Class<ReplacedCard>("ReplacedCard")({
  replaced: Card,
  replacement: Card
}) {}

/** What a limit counts: money (`amount`, a decimal string) or transactions (`count`). */
export const LimitKind = Schema.Literal("amount", "count").annotations({ identifier: "LimitKind" })
export type LimitKind = typeof LimitKind.Type

export const LimitCycle = Schema.Literal("per_transaction", "day", "month", "year", "lifetime").annotations({
  identifier: "LimitCycle"
})
export type LimitCycle = typeof LimitCycle.Type

/** An amount (up to two decimals) or a count (an integer), as a string: no float ever holds money. */
export const LimitValue = Schema.String.pipe(
  Schema.pattern(/^\d{1,12}(\.\d{1,2})?$/, { message: () => "must be a non-negative number, at most two decimals" })
).annotations({ identifier: "LimitValue" })

export class CardLimit extends Schema.Class<CardLimit>("CardLimit")({
  kind: LimitKind,
  cycle: LimitCycle,
  value: LimitValue,
  /** What is left in the current cycle, when the provider says. */
  remaining: Schema.optional(LimitValue)
}) {}

export class SetLimitRequest extends Schema.Class<SetLimitRequest>("SetLimitRequest")({
  cardId: CardId,
  ...accountFields,
  kind: LimitKind,
  cycle: LimitCycle,
  value: LimitValue
}) {}

/** What a lifecycle call can fail with. */
export type CardLifecycleError =
  | InvalidRequest
  | CardNotFound
  | CardNotActive
  | IncorrectCvv
  | StatusActionNotAllowed
  | StoreUnavailable
  | ProviderError

/**
 * A card's life after it is issued, provider-neutral: the ledger transport and `FakeProvider`
 * implement it. Writes that change a status answer the card as it now is.
 */
export class CardLifecycle extends Context.Tag("@cardkit/domain/CardLifecycle")<
  CardLifecycle,
  {
    readonly getCard: (card: CardRef) => Effect.Effect<Card, CardLifecycleError>
    readonly listCards: (account: CustomerAccount) => Effect.Effect<ReadonlyArray<Card>, CardLifecycleError>
    readonly issueCard: (request: IssueCardRequest) => Effect.Effect<Card, CardLifecycleError>
    readonly activate: (request: ActivateCardRequest) => Effect.Effect<Card, CardLifecycleError>
    readonly lock: (card: CardRef) => Effect.Effect<Card, CardLifecycleError>
    readonly unlock: (card: CardRef) => Effect.Effect<Card, CardLifecycleError>
    readonly reportLostStolen: (card: CardRef) => Effect.Effect<Card, CardLifecycleError>
    readonly replace: (request: ReplaceCardRequest) => Effect.Effect<ReplacedCard, CardLifecycleError>
    readonly close: (card: CardRef) => Effect.Effect<Card, CardLifecycleError>
    readonly changePin: (request: ChangePinRequest) => Effect.Effect<void, CardLifecycleError>
    readonly validateCvv: (request: ValidateCvvRequest) => Effect.Effect<void, CardLifecycleError>
    readonly getLimits: (card: CardRef) => Effect.Effect<ReadonlyArray<CardLimit>, CardLifecycleError>
    readonly setLimit: (request: SetLimitRequest) => Effect.Effect<ReadonlyArray<CardLimit>, CardLifecycleError>
  }
>() {}
