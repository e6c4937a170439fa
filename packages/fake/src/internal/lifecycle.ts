import { CardLifecycle, CardNotFound, type CardRef, ReplacedCard } from "@cardkit/domain"
import { LedgerCards, type StatusAction } from "@cardkit/ledger"
import { Effect, Redacted } from "effect"
import type { CardRecord, FakeIssuer } from "../FakeIssuer.js"
import { type FakeOperation, withFault } from "../Faults.js"
import { wireCard } from "./ledgerCards.js"
import type { Role } from "./transitions.js"

/** A record as the ledger's answers show it, mapped as the ledger transport maps them. */
const toCard = (record: CardRecord) => LedgerCards.toCard(wireCard(record))

const toLimits = (record: CardRecord) => LedgerCards.toLimits(wireCard(record).limits)

/*
 * Who acts in each call, as the production client signs it (reference §2.3, §9): the service
 * (ADMIN) issues cards, reads them, locks and unlocks them, reports them lost and closes them; the
 * cardholder's device (LEGALREP) activates, sets the PIN, checks the CVV and asks for a replacement.
 * The transition table then allows or refuses the action for that role, as the ledger does.
 */
const service: Role = "ADMIN"
const cardholder: Role = "LEGALREP"

/** `CardLifecycle` over the fake issuer's ledger model, each call faulted as its ledger operation. */
export const makeLifecycle = (issuer: FakeIssuer["Type"]): CardLifecycle["Type"] => {
  const faulted = <A, E>(operation: FakeOperation, effect: Effect.Effect<A, E>) =>
    withFault(issuer.nextFault, operation, effect)

  /** The card, if it is this customer's account's: anyone else learns only that it was not found. */
  const owned = (ref: CardRef) =>
    Effect.flatMap(issuer.getCard(ref.cardId), (card) =>
      card.customerId === ref.customerId && card.accountNumber === ref.accountNumber
        ? Effect.succeed(card)
        : Effect.fail(new CardNotFound({ cardId: ref.cardId }))
    )

  const move = (ref: CardRef, action: StatusAction, role: Role, cvv?: string) =>
    Effect.flatMap(owned(ref), () => issuer.updateStatus(ref.cardId, action, { role, cvv }))

  const status = (action: StatusAction) => (ref: CardRef) =>
    faulted("updateStatus", Effect.flatMap(move(ref, action, service), toCard))

  return CardLifecycle.of({
    getCard: (ref) => faulted("getCardDetails", Effect.flatMap(owned(ref), toCard)),
    listCards: (account) => faulted("getCardList", Effect.flatMap(issuer.cards(account), Effect.forEach(toCard))),
    issueCard: (request) =>
      faulted(
        "addCard",
        Effect.flatMap(issuer.addCardHolder(request), ({ cardHolderId }) =>
          Effect.flatMap(
            issuer.addCard({
              customerId: request.customerId,
              accountNumber: request.accountNumber,
              product: request.product,
              program: request.program,
              cardHolderId,
              cardType: request.type === "virtual" ? "VIRTUAL" : "PHYSICAL",
              // The ledger takes an expiry for a virtual card only; a physical one gets the issuer's.
              ...(request.type === "virtual" && request.expiry !== undefined ? { expiry: request.expiry } : {})
            }),
            toCard
          )
        )
      ),
    activate: (request) =>
      faulted(
        "updateStatus",
        Effect.flatMap(move(request, "ACTIVATE", cardholder, Redacted.value(request.cvv)), toCard)
      ),
    lock: status("LOCK"),
    unlock: status("UNLOCK"),
    reportLostStolen: status("REPORT_LOST_STOLEN"),
    replace: (request) =>
      faulted(
        "replaceCard",
        Effect.gen(function* () {
          const card = yield* owned(request)
          // A new PAN is for a card reported lost: the service reports it first, as the production client does.
          if (request.reason === "lost_stolen" && card.status !== "LOST_STOLEN") {
            yield* issuer.updateStatus(card.cardId, "REPORT_LOST_STOLEN", { role: service })
          }
          const action = request.reason === "lost_stolen" ? "REPLACE_CARD" : "REISSUE"
          const replaced = yield* issuer.replaceCard(card.cardId, action, cardholder)
          return new ReplacedCard({
            replaced: yield* toCard(replaced.card),
            replacement: yield* toCard(replaced.newCard)
          })
        })
      ),
    close: (ref) =>
      faulted(
        "updateStatus",
        Effect.gen(function* () {
          const card = yield* owned(ref)
          // A frozen or blocked card is released before it is closed, as the production client does (§9).
          if (card.status === "TEMPRORY_BLOCKED_BY_CLIENT") yield* move(ref, "UNLOCK", service)
          if (card.status === "TEMPRORY_BLOCKED_BY_ADMIN") yield* move(ref, "UNBLOCK", service)
          return yield* toCard(yield* move(ref, "CLOSE", service))
        })
      ),
    changePin: (request) =>
      faulted(
        "pinChange",
        Effect.flatMap(owned(request), (card) => issuer.changePin(card.cardId, Redacted.value(request.pin)))
      ),
    validateCvv: (request) =>
      faulted(
        "validateCvv",
        Effect.flatMap(owned(request), (card) => issuer.validateCvv(card.cardId, Redacted.value(request.cvv)))
      ),
    getLimits: (ref) => faulted("getCardLimit", Effect.flatMap(owned(ref), toLimits)),
    setLimit: (request) =>
      faulted(
        "setLimit",
        Effect.flatMap(owned(request), (card) =>
          Effect.flatMap(
            issuer.setLimit(card.cardId, {
              type: LedgerCards.toLimitType(request.kind),
              cycleType: LedgerCards.toCycleType(request.cycle),
              value: request.value
            }),
            toLimits
          )
        )
      )
  })
}
