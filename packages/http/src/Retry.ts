import { Duration, Effect, Random } from "effect"

/*
 * Written out rather than `Effect.retry` with a `Schedule`: a schedule builds its driver on every
 * call, even when the first attempt succeeds, as nearly all do; here a call that succeeds costs
 * one failure handler, and the waits are built only once an attempt has failed.
 */

export interface RetryOptions<E> {
  /** Attempts after the first; none when 0 or less. */
  readonly times: number
  /** The wait before the first retry, doubled before each further one; every wait is jittered 0.5–1.5×. */
  readonly baseDelay: Duration.DurationInput
  /** No single wait is longer; unbounded by default. */
  readonly maxDelay?: Duration.DurationInput | undefined
  /** Whether a failure is worth another attempt: any other fails at once. */
  readonly while: (error: E) => boolean
}

/** `attempt`, and after a failure `while` accepts, a jittered wait and `attempt` again, at most `times` times. */
export const retry = <A, E, R>(attempt: Effect.Effect<A, E, R>, options: RetryOptions<E>): Effect.Effect<A, E, R> =>
  retrying(attempt, options, options.times, options.baseDelay)

const retrying = <A, E, R>(
  attempt: Effect.Effect<A, E, R>,
  options: RetryOptions<E>,
  remaining: number,
  delay: Duration.DurationInput
): Effect.Effect<A, E, R> =>
  remaining <= 0
    ? attempt
    : Effect.catchIf(attempt, options.while, () =>
        Effect.flatMap(Random.nextRange(0.5, 1.5), (jitter) =>
          Effect.zipRight(
            Effect.sleep(Duration.min(Duration.times(delay, jitter), options.maxDelay ?? Duration.infinity)),
            retrying(attempt, options, remaining - 1, Duration.times(delay, 2))
          )
        )
      )
