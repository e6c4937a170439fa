import { Context, type Effect, Schema } from "effect"
import { Cvv } from "./Cvv.js"
import type { CardSecretsError } from "./Errors.js"
import { accountFields, CardId } from "./Ids.js"

/** Reveal the CVV of a virtual card (the ledger's `GET_CVV`). */
export class GetCvvRequest extends Schema.Class<GetCvvRequest>("GetCvvRequest")({
  cardId: CardId,
  ...accountFields
}) {}

/** The card's switches, named and ordered exactly as the ledger's Get CVV document lists them. */
export const CardFlags = Schema.Struct({
  allowAtm: Schema.Boolean,
  allowEcommerce: Schema.Boolean,
  allowMoto: Schema.Boolean,
  allowPos: Schema.Boolean,
  allowTips: Schema.Boolean,
  allowPurchase: Schema.Boolean,
  allowRefund: Schema.Boolean,
  allowCashback: Schema.Boolean,
  allowWithdraw: Schema.Boolean,
  allowAuthAndCompletion: Schema.Boolean,
  smart: Schema.Boolean,
  checkAvsZip: Schema.Boolean,
  checkAvsAddr: Schema.Boolean,
  transactionMade: Schema.Boolean,
  isReIssue: Schema.Boolean,
  isReplace: Schema.Boolean
}).annotations({ identifier: "CardFlags" })
export type CardFlags = typeof CardFlags.Type

export const cardFlagNames = Object.keys(CardFlags.fields) as ReadonlyArray<keyof CardFlags>

/** The provider's acknowledgement of one request. */
export class Ack extends Schema.Class<Ack>("Ack")({
  /** `<TRANSACTION_TYPE>_ACK`, e.g. `GET_CVV_ACK`. */
  type: Schema.String,
  /** The provider's reference for its answer (`REF` + the request's reference on the ledger). */
  reference: Schema.String,
  /** The request's reference, echoed. */
  originalReference: Schema.String,
  /** When the provider created the answer, in Unix seconds. */
  dateCreated: Schema.Number
}) {}

/** A revealed CVV with the card's state. The CVV is `Redacted`: read it with `Redacted.value`. */
export class CardCvv extends Schema.Class<CardCvv>("CardCvv")({
  cardId: CardId,
  cvv: Cvv,
  flags: CardFlags,
  postedDate: Schema.DateTimeUtc,
  updatedDate: Schema.DateTimeUtc,
  ack: Ack
}) {
  /**
   * A `CardCvv` of fields a schema has just decoded (a provider's answer) or that a provider holds,
   * not checked again. Why: the validating constructor re-checks every field and nested class, which
   * costs a signed reveal more than its signature does (apps/bench/README.md, the ledger's signing
   * row); a reveal's fields are checked once, where they come in.
   */
  static readonly fromDecoded = (
    fields: Omit<ConstructorParameters<typeof CardCvv>[0], "ack"> & {
      readonly ack: ConstructorParameters<typeof Ack>[0]
    }
  ): CardCvv => new CardCvv({ ...fields, ack: new Ack(fields.ack, true) }, true)
}

/** Reveals card secrets. Implemented by the ledger transport and by `FakeProvider`. */
export class CardSecrets extends Context.Tag("@cardkit/domain/CardSecrets")<
  CardSecrets,
  {
    readonly getCvv: (request: GetCvvRequest) => Effect.Effect<CardCvv, CardSecretsError>
  }
>() {}
