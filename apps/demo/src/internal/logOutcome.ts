import { Effect } from "effect"

/**
 * One Info line per provider call, `<subject> ok` or `<subject> <error tag>`: the subject names the
 * operation and ids only (a card, a customer, a payload), never a PAN, PIN or CVV.
 */
export const logOutcome =
  (subject: string) =>
  <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.tapBoth(effect, {
      onFailure: (error) => Effect.logInfo(`${subject} ${error._tag}`),
      onSuccess: () => Effect.logInfo(`${subject} ok`)
    })
