import type { Reference, StoreUnavailable } from "@cardkit/domain"
import { HttpServerResponse } from "@effect/platform"
import { Cause, Effect, Exit, Schema } from "effect"
import { type IdempotencyStore, referenceOf, type StoredAnswer } from "@cardkit/store"
import {
  type ApiError,
  fromDomainError,
  idempotencyKeyReused,
  type ServiceUnavailable,
  statusOf,
  type Unprocessable
} from "../ApiErrors.js"

export interface Write<A, I> {
  /** The route's name: a key reused on another route is a mismatch. */
  readonly route: string
  /** The caller's id (`Caller`): keys of different API keys are apart. */
  readonly caller: string
  readonly idempotencyKey: string | undefined
  /** What the body is compared by: the decoded path and body, encoded again (only its keyed hash is kept). */
  readonly request: unknown
  /** The answer's schema, to keep its encoded JSON; `undefined` for a 204. */
  readonly success: Schema.Schema<A, I> | undefined
  readonly status: number
}

const replayed = { "idempotent-replayed": "true" }

const respond = (answer: StoredAnswer, headers: Record<string, string> = {}) =>
  answer.body === undefined
    ? HttpServerResponse.empty({ status: answer.status, headers })
    : HttpServerResponse.unsafeJson(answer.body, { status: answer.status, headers })

/**
 * The write has run by now, so a store that fails to keep its answer (or let go of its key) does not
 * change what the client is told: it is logged, and the key's claim is left to `release` or its lease.
 */
const kept = (effect: Effect.Effect<void, StoreUnavailable>) =>
  Effect.catchAll(effect, (error) => Effect.logWarning(`idempotency key not settled: ${error.message}`))

/**
 * A write, idempotent when it came with an `Idempotency-Key`. `run` gets the ledger reference derived
 * from the key (or `undefined` without one). Its answer, a success or an error below 500, is kept and
 * given again to a request with the same key and body; a provider failure (5xx), a defect or an
 * interruption releases the key, so a retry runs the write again (with the same reference, which the
 * ledger can recognise). A store that cannot claim the key answers 503 before the write runs.
 */
export const idempotent = <A, I, E extends ApiError, R>(
  store: IdempotencyStore["Type"],
  write: Write<A, I>,
  run: (reference: Reference | undefined) => Effect.Effect<A, E, R>
): Effect.Effect<A | HttpServerResponse.HttpServerResponse, E | Unprocessable | ServiceUnavailable, R> => {
  const { idempotencyKey } = write
  if (idempotencyKey === undefined) return run(undefined)
  {
    const who = store.claimant(write.caller, idempotencyKey, write.route, write.request)
    return Effect.flatMap(
      Effect.mapError(store.claim(who), (error) => fromDomainError(error)),
      (claim): Effect.Effect<A | HttpServerResponse.HttpServerResponse, E | Unprocessable, R> => {
        switch (claim._tag) {
          case "Mismatch":
            return Effect.fail(idempotencyKeyReused)
          case "Replay":
            return Effect.succeed(respond(claim.answer, replayed))
          case "Claimed":
            return run(referenceOf(write.caller, idempotencyKey)).pipe(
              Effect.exit,
              Effect.flatMap((exit) => {
                if (Exit.isSuccess(exit)) {
                  const answer: StoredAnswer = {
                    status: write.status,
                    body: write.success === undefined ? undefined : Schema.encodeSync(write.success)(exit.value)
                  }
                  return Effect.as(kept(store.complete(who, answer)), respond(answer))
                }
                const failure = Cause.failureOption(exit.cause)
                if (failure._tag === "Some" && statusOf(failure.value) < 500) {
                  const answer: StoredAnswer = { status: statusOf(failure.value), body: { ...failure.value } }
                  return Effect.zipRight(kept(store.complete(who, answer)), Effect.fail(failure.value))
                }
                return Effect.failCause(exit.cause)
              }),
              // Whatever did not complete (a 5xx, a defect, an interruption) lets a retry run; after
              // `complete` this does nothing.
              Effect.ensuring(kept(store.release(who)))
            )
        }
      }
    )
  }
}
