import type { StoreUnavailable } from "@cardkit/domain"
import { Cause, Effect, Exit, Option } from "effect"
import { currentActor } from "./Actor.js"
import type { AuditTrail } from "./AuditTrail.js"

/** What an audited call is, and what its result adds to its record. */
export interface AuditedCall<A> {
  /** The port method's name: `getCvv`, `lock`, … */
  readonly operation: string
  readonly customerId: string | null
  /** The card the request names; null when it names none yet (`issueCard`). */
  readonly cardId: string | null
  /** The card a successful call made (`issueCard`'s new card), recorded instead of `cardId`. */
  readonly resultCardId?: (result: A) => string
  /** The provider's reference in a successful result (a `CardCvv`'s `ack.reference`). */
  readonly providerReference?: (result: A) => string
}

const tagOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : "Error"

/** How the call ended, for its record; none when it was interrupted (it has no answer to record). */
const outcomeOf = <A, E>(exit: Exit.Exit<A, E>): Option.Option<string> =>
  Exit.isSuccess(exit)
    ? Option.some("ok")
    : Option.orElse(Option.map(Cause.failureOption(exit.cause), tagOf), () =>
        Option.as(Cause.dieOption(exit.cause), "Defect")
      )

/**
 * `effect` with its record in `trail`, written after it answers and before the answer is returned:
 * `ok`, or the failure's `_tag` (and then the failure itself is returned). If the record cannot be
 * written the call fails with `StoreUnavailable` instead of answering, whatever the provider said —
 * a CVV never leaves unrecorded (fail closed). The actor is the current fiber's (`withActor`).
 *
 * Once the provider has answered, recording cannot be interrupted: a write the provider made is
 * recorded even if the caller goes away meanwhile. A call interrupted before the provider answered
 * is not recorded — no answer left, and its outcome is not known.
 */
export const audited = <A, E, R>(
  trail: AuditTrail["Type"],
  call: AuditedCall<A>,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | StoreUnavailable, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.exit(restore(effect)), (exit) =>
      Option.match(outcomeOf(exit), {
        onNone: () => exit,
        onSome: (outcome) =>
          Effect.flatMap(currentActor, (actor) =>
            trail.record({
              apiKeyId: actor.apiKeyId ?? null,
              customerId: call.customerId,
              cardId:
                Exit.isSuccess(exit) && call.resultCardId !== undefined ? call.resultCardId(exit.value) : call.cardId,
              operation: call.operation,
              outcome,
              providerReference:
                Exit.isSuccess(exit) && call.providerReference !== undefined
                  ? call.providerReference(exit.value)
                  : null,
              requestId: actor.requestId ?? null,
              clientAddress: actor.clientAddress ?? null
            })
          ).pipe(Effect.zipRight(exit))
      })
    )
  )
