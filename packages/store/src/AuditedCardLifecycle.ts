import { CardLifecycle, type CardLifecycleError, type CustomerId } from "@cardkit/domain"
import { Context, Effect, Layer } from "effect"
import { audited } from "./Audited.js"
import { AuditTrail } from "./AuditTrail.js"

const make: Effect.Effect<CardLifecycle["Type"], never, CardLifecycle | AuditTrail> = Effect.gen(function* () {
  const lifecycle = yield* CardLifecycle
  const trail = yield* AuditTrail

  /** A method on one card, recorded under its own name. */
  const write =
    <Request extends { readonly customerId: CustomerId; readonly cardId: string }, A>(
      operation: keyof CardLifecycle["Type"],
      method: (request: Request) => Effect.Effect<A, CardLifecycleError>
    ) =>
    (request: Request): Effect.Effect<A, CardLifecycleError> =>
      audited(
        trail,
        { operation, customerId: request.customerId, cardId: request.cardId },
        method.call(lifecycle, request)
      )

  return CardLifecycle.of({
    // Reads reveal nothing secret and change nothing: not recorded.
    getCard: (card) => lifecycle.getCard(card),
    listCards: (account) => lifecycle.listCards(account),
    getLimits: (card) => lifecycle.getLimits(card),
    // No card before it is issued: its record names the new card, or none when issuing failed.
    issueCard: (request) =>
      audited(
        trail,
        { operation: "issueCard", customerId: request.customerId, cardId: null, resultCardId: (card) => card.cardId },
        lifecycle.issueCard(request)
      ),
    activate: write("activate", lifecycle.activate),
    lock: write("lock", lifecycle.lock),
    unlock: write("unlock", lifecycle.unlock),
    reportLostStolen: write("reportLostStolen", lifecycle.reportLostStolen),
    // The replaced card's id; the replacement is in the answer, not the record.
    replace: write("replace", lifecycle.replace),
    close: write("close", lifecycle.close),
    changePin: write("changePin", lifecycle.changePin),
    // A check against the card's CVV: recorded as writes are, so guessing shows in the trail.
    validateCvv: write("validateCvv", lifecycle.validateCvv),
    setLimit: write("setLimit", lifecycle.setLimit)
  })
})

/**
 * The `CardLifecycle` in context with every write and every CVV check recorded in the `AuditTrail`
 * (see `audited`); `getCard`, `listCards` and `getLimits` pass through unrecorded. Its layer provides
 * the decorated port in place of the one it is given, as `AuditedCardSecrets.layer` does.
 */
export class AuditedCardLifecycle extends Context.Tag("@cardkit/store/AuditedCardLifecycle")<
  AuditedCardLifecycle,
  CardLifecycle["Type"]
>() {
  static readonly make = make
  static readonly layer: Layer.Layer<AuditedCardLifecycle | CardLifecycle, never, CardLifecycle | AuditTrail> =
    Layer.effect(CardLifecycle, AuditedCardLifecycle).pipe(Layer.provideMerge(Layer.effect(AuditedCardLifecycle, make)))
}
