import type { CardCvv } from "@cardkit/domain"
import type { WireCardHolder, WireCvvCard, WireLimit, WireReplacedCard } from "@cardkit/ledger"
import { DateTime, Redacted } from "effect"
import type { CardHolderRecord, CardRecord } from "../FakeIssuer.js"

/*
 * The fake's records as the ledger's results print them. A card is built once with every member any
 * result shows; answering through an operation's result schema keeps that result's members, in its
 * order, so each result's field list is written down once, in `LedgerWire`.
 */

const iso = DateTime.formatIso

/** GET_CVV's card: all a reveal needs is the revealed `CardCvv`. */
export const cvvCard = (revealed: CardCvv): WireCvvCard => ({
  cardId: revealed.cardId,
  postedDate: iso(revealed.postedDate),
  updatedDate: iso(revealed.updatedDate),
  ...revealed.flags,
  cvv: Redacted.value(revealed.cvv)
})

const limitOf = ({ type, cycleType, value }: CardRecord["limits"][number]): WireLimit => ({
  type,
  value,
  cycleLength: "0",
  cycleType,
  // The fake records no spending, so the whole limit remains.
  remaining: value
})

/** A card with every member a card result may show; never its CVV (`cvv` is empty). */
export const wireCard = (card: CardRecord) => {
  const last4 = Redacted.value(card.pan).slice(-4)
  const posted = iso(card.postedDate)
  return {
    cardId: card.cardId,
    cardType: card.cardType,
    cardHolderId: card.cardHolderId ?? "",
    cardProduct: card.product,
    customerId: card.customerId,
    accountId: card.accountNumber,
    product: card.product,
    program: card.program,
    postedDate: posted,
    createdDate: posted,
    updatedDate: iso(card.updatedDate),
    cardMaskNumber: `${"*".repeat(12)}${last4}`,
    cardNumber: card.cardNumber,
    cardStatus: card.status,
    cardExpiryDate: card.expiry.replace("-", ""),
    ...card.flags,
    cvv: "",
    accountNumber: card.accountNumber,
    cardName: card.cardName ?? "",
    patterns: [`CARDNUMBER:${last4}`, `CARDSTATUS:${card.status}`],
    limits: card.limits.map(limitOf),
    orderStatus: card.orderStatus,
    orderId: card.orderId,
    network: "VISA_DPS",
    externalCardId: card.externalCardId,
    cardCreatedYear: posted.slice(0, 4),
    orderSubStatus: card.orderSubStatus
  }
}

/** REPLACE_CARD's cards also name their holder. */
export const replacedCard = (card: CardRecord, holder: CardHolderRecord): WireReplacedCard => {
  const name = `${holder.details.firstName} ${holder.details.lastName}`
  return {
    ...wireCard(card),
    cardHolderId: holder.cardHolderId,
    cardHolderName: name,
    cardName: card.cardName ?? name,
    accountName: name,
    customerName: name
  }
}

export const wireHolder = (holder: CardHolderRecord): WireCardHolder => ({
  cardHolderId: holder.cardHolderId,
  ...holder.details,
  country: holder.country,
  createdDate: iso(holder.createdDate),
  updatedDate: iso(holder.updatedDate)
})

/** A page of `items`: `offset` items skipped, at most `max` kept (all of them without a page). */
export const page = <A>(
  items: ReadonlyArray<A>,
  pagination: { readonly offset: number; readonly max: number } | undefined
): ReadonlyArray<A> =>
  pagination === undefined ? items : items.slice(pagination.offset, pagination.offset + pagination.max)
