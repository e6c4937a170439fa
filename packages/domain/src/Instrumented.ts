import { Cause, Context, Effect, Exit, Layer, Option } from "effect"
import { AccountValidation } from "./AccountValidation.js"
import { CardLifecycle } from "./CardLifecycle.js"
import { CardSecrets } from "./CardSecrets.js"
import type { CustomerId } from "./Ids.js"
import * as CardkitMetrics from "./Telemetry.js"

/*
 * The ports traced and counted, as decorators of the port in context (as `AuditedCardSecrets` is):
 * a span `cardkit.<method>` per call with `cardkit.operation` and `cardkit.outcome`, and the card
 * and customer ids where the request names them — ids, never card data: no PAN, CVV, PIN or TAVV
 * is read from a request or an answer here.
 */

interface Ids {
  readonly cardId?: string
  readonly customerId: CustomerId
}

/** The span's attributes: the operation, and the card and customer ids `ids` names. */
const spanAttributes = (operation: string, ids: Ids | undefined): Record<string, string> =>
  ids === undefined
    ? { "cardkit.operation": operation }
    : ids.cardId === undefined
      ? { "cardkit.operation": operation, "cardkit.customer_id": ids.customerId }
      : { "cardkit.operation": operation, "cardkit.card_id": ids.cardId, "cardkit.customer_id": ids.customerId }

/**
 * `effect` in its span `cardkit.<operation>` (with the ids of `ids`, when given), and `counted` with
 * its outcome once it ends: `outcomeOf`'s, or `verdict`'s for a success that has more to say (a decline).
 */
const observed = <A, E, R>(
  operation: string,
  ids: Ids | undefined,
  effect: Effect.Effect<A, E, R>,
  counted: (outcome: string, exit: Exit.Exit<A, E>) => Effect.Effect<void>,
  verdict?: (result: A) => string
): Effect.Effect<A, E, R> => {
  const outcomeOf = (exit: Exit.Exit<A, E>) =>
    verdict !== undefined && Exit.isSuccess(exit) ? verdict(exit.value) : CardkitMetrics.outcomeOf(exit)
  return CardkitMetrics.whenTraced(
    CardkitMetrics.inSpan(
      `cardkit.${operation}`,
      { attributes: spanAttributes(operation, ids) },
      effect,
      (exit, span) => {
        const outcome = outcomeOf(exit)
        span.attribute("cardkit.outcome", outcome)
        return counted(outcome, exit)
      }
    ),
    Effect.onExit(effect, (exit) => counted(outcomeOf(exit), exit))
  )
}

const makeSecrets: Effect.Effect<CardSecrets["Type"], never, CardSecrets> = Effect.map(CardSecrets, (secrets) =>
  CardSecrets.of({
    getCvv: (request) =>
      observed("getCvv", request, secrets.getCvv(request), (outcome, exit) => {
        const counted = CardkitMetrics.count(CardkitMetrics.reveals, { operation: "getCvv", outcome })
        const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
        return Option.isSome(failure) && failure.value._tag === "BudgetExceeded"
          ? Effect.zipRight(
              counted,
              CardkitMetrics.count(CardkitMetrics.budgetRefusals, { scope: failure.value.scope })
            )
          : counted
      })
  })
)

/**
 * The `CardSecrets` in context traced and counted: a span `cardkit.getCvv`, each reveal in
 * `cardkit_reveals_total` and each refused by a reveal budget in `cardkit_budget_refusals_total`.
 * Outermost, it sees what the decorators under it refuse (the budget, the audit) as well as the
 * provider's answers.
 */
export class InstrumentedCardSecrets extends Context.Tag("@cardkit/domain/InstrumentedCardSecrets")<
  InstrumentedCardSecrets,
  CardSecrets["Type"]
>() {
  static readonly make = makeSecrets
  static readonly layer: Layer.Layer<InstrumentedCardSecrets | CardSecrets, never, CardSecrets> = Layer.effect(
    CardSecrets,
    InstrumentedCardSecrets
  ).pipe(Layer.provideMerge(Layer.effect(InstrumentedCardSecrets, makeSecrets)))
}

type Lifecycle = CardLifecycle["Type"]

const makeLifecycle: Effect.Effect<Lifecycle, never, CardLifecycle> = Effect.map(CardLifecycle, (lifecycle) => {
  /** A method traced, and counted in `cardkit_lifecycle_writes_total` when `write`. */
  const method =
    <Request extends { readonly cardId?: string; readonly customerId: CustomerId }, A, E>(
      operation: keyof Lifecycle,
      call: (request: Request) => Effect.Effect<A, E>,
      write: boolean
    ) =>
    (request: Request): Effect.Effect<A, E> =>
      observed(operation, request, call.call(lifecycle, request), (outcome) =>
        write ? CardkitMetrics.count(CardkitMetrics.lifecycleWrites, { operation, outcome }) : Effect.void
      )
  return CardLifecycle.of({
    getCard: method("getCard", lifecycle.getCard, false),
    listCards: method("listCards", lifecycle.listCards, false),
    getLimits: method("getLimits", lifecycle.getLimits, false),
    issueCard: method("issueCard", lifecycle.issueCard, true),
    activate: method("activate", lifecycle.activate, true),
    lock: method("lock", lifecycle.lock, true),
    unlock: method("unlock", lifecycle.unlock, true),
    reportLostStolen: method("reportLostStolen", lifecycle.reportLostStolen, true),
    replace: method("replace", lifecycle.replace, true),
    close: method("close", lifecycle.close, true),
    changePin: method("changePin", lifecycle.changePin, true),
    // A check against the card's CVV: counted with the writes, so guessing shows.
    validateCvv: method("validateCvv", lifecycle.validateCvv, true),
    setLimit: method("setLimit", lifecycle.setLimit, true)
  })
})

/**
 * The `CardLifecycle` in context traced (a span `cardkit.<method>` per call) and its writes and CVV
 * checks counted in `cardkit_lifecycle_writes_total`; reads are traced only.
 */
export class InstrumentedCardLifecycle extends Context.Tag("@cardkit/domain/InstrumentedCardLifecycle")<
  InstrumentedCardLifecycle,
  Lifecycle
>() {
  static readonly make = makeLifecycle
  static readonly layer: Layer.Layer<InstrumentedCardLifecycle | CardLifecycle, never, CardLifecycle> = Layer.effect(
    CardLifecycle,
    InstrumentedCardLifecycle
  ).pipe(Layer.provideMerge(Layer.effect(InstrumentedCardLifecycle, makeLifecycle)))
}

const makeValidation: Effect.Effect<AccountValidation["Type"], never, AccountValidation> = Effect.map(
  AccountValidation,
  (validation) =>
    AccountValidation.of({
      // The request is all card data (PAN, CVV2, TAVV): nothing of it goes on the span.
      validate: (request) =>
        observed(
          "validate",
          undefined,
          validation.validate(request),
          (outcome) => CardkitMetrics.count(CardkitMetrics.accountValidations, { outcome }),
          (result) => (result.approved ? "approved" : "declined")
        )
    })
)

/**
 * The `AccountValidation` in context traced (a span `cardkit.validate`) and counted in
 * `cardkit_account_validations_total` as `approved`, `declined` or the failure's tag.
 */
export class InstrumentedAccountValidation extends Context.Tag("@cardkit/domain/InstrumentedAccountValidation")<
  InstrumentedAccountValidation,
  AccountValidation["Type"]
>() {
  static readonly make = makeValidation
  static readonly layer: Layer.Layer<InstrumentedAccountValidation | AccountValidation, never, AccountValidation> =
    Layer.effect(AccountValidation, InstrumentedAccountValidation).pipe(
      Layer.provideMerge(Layer.effect(InstrumentedAccountValidation, makeValidation))
    )
}
