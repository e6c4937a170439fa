import { type BudgetExceeded, CardSecrets, type StoreUnavailable } from "@cardkit/domain"
import { Effect, Exit, Layer } from "effect"
import { RevealBudget, type RevealBudgetKey } from "./RevealBudget.js"

/*
 * The `CardSecrets` in context behind the reveal budgets: a reveal is reserved before the provider
 * is called and given back unless it succeeded, so a refused, failed or interrupted reveal spends
 * nothing. A reveal the budget refuses never reaches the provider.
 */

/** `reveal` within the budgets of `key`: reserved first, given back unless it succeeded. */
export const withinBudget = <A, E, R>(
  budget: RevealBudget["Type"],
  key: RevealBudgetKey,
  reveal: Effect.Effect<A, E, R>
): Effect.Effect<A, E | BudgetExceeded | StoreUnavailable, R> =>
  Effect.acquireUseRelease(
    budget.reserve(key),
    () => reveal,
    (reservation, exit) => (Exit.isSuccess(exit) ? Effect.void : budget.release(reservation))
  )

/** The budgeted `CardSecrets` over the one in context. */
export const make: Effect.Effect<CardSecrets["Type"], never, CardSecrets | RevealBudget> = Effect.gen(function* () {
  const secrets = yield* CardSecrets
  const budget = yield* RevealBudget
  return CardSecrets.of({
    getCvv: (request) =>
      withinBudget(budget, { cardId: request.cardId, customerId: request.customerId }, secrets.getCvv(request))
  })
})

/** Replaces the `CardSecrets` in context with its budgeted self. */
export const layer: Layer.Layer<CardSecrets, never, CardSecrets | RevealBudget> = Layer.effect(CardSecrets, make)
