import { Effect, Exit, Fiber, FiberId, type Scope } from "effect"
import type { NonEmptyReadonlyArray } from "effect/Array"

/*
 * Group commit: concurrent callers each hand an item to one writer fiber and wait for it; the writer
 * takes everything queued and writes it with one `write`, then answers every caller of the batch with
 * that write's exit. A statement's fixed cost (building it, its span, the driver's call, PostgreSQL's
 * round trip) then falls on a batch instead of on each item. The writer starts a write as soon as one
 * item is queued — no timer — so a lone caller waits no longer than a direct write would; batches form
 * from what queues while the writer is busy or waits its turn behind other fibers. Items are written
 * in the order they were submitted, and a batch's failure is the failure of every one of its callers.
 */

/** Submits an item; succeeds once the batch holding it was written, fails with that batch's failure. */
export type Submit<A, E> = (item: A) => Effect.Effect<void, E>

interface Pending<A, E> {
  readonly item: A
  readonly resume: (exit: Exit.Exit<void, E>) => void
}

/**
 * A group-committing writer over `write`, batches of at most `maxBatch` items, its fiber living in the
 * scope. Once submitted, an item is written even if its caller is interrupted meanwhile. When the scope
 * closes, every item already submitted is still written and its caller answered; a caller that submits
 * after is interrupted.
 */
export const make = <A, E, R>(
  write: (items: NonEmptyReadonlyArray<A>) => Effect.Effect<void, E, R>,
  options: { readonly maxBatch: number }
): Effect.Effect<Submit<A, E>, never, Scope.Scope | R> =>
  Effect.gen(function* () {
    // A plain array the writer empties synchronously, so no item is ever held by a fiber that could be
    // interrupted between taking it and writing it; callers and the writer wait through `Effect.async`
    // callbacks, which cost far less per item than a `Deferred`.
    let queued: Array<Pending<A, E>> = []
    let wake: (() => void) | undefined
    let closed = false

    const writeBatch = (batch: Array<Pending<A, E>>) =>
      Effect.flatMap(
        Effect.exit(write(batch.map((pending) => pending.item) as unknown as NonEmptyReadonlyArray<A>)),
        (exit) =>
          Effect.sync(() => {
            for (const pending of batch) pending.resume(exit)
          })
      )

    const idle = Effect.async<void>((resume) => {
      wake = () => resume(Effect.void)
    })

    // Interruptible only while idle: whatever is queued is written and its callers answered first.
    const loop: Effect.Effect<never, never, R> = Effect.uninterruptibleMask((restore) => {
      const step: Effect.Effect<never, never, R> = Effect.suspend(() => {
        if (queued.length === 0) return Effect.flatMap(restore(idle), () => step)
        const batch = queued.length <= options.maxBatch ? queued : queued.slice(0, options.maxBatch)
        queued = batch === queued ? [] : queued.slice(options.maxBatch)
        return Effect.flatMap(writeBatch(batch), () => step)
      })
      return step
    })
    const writer = yield* Effect.forkDaemon(loop)

    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closed = true
        return Effect.zipRight(
          Fiber.interrupt(writer),
          // The writer stops only when idle, so nothing should be queued; a caller that is, is not left waiting.
          Effect.sync(() => {
            const left = queued
            queued = []
            for (const pending of left) pending.resume(Exit.interrupt(FiberId.none))
          })
        )
      })
    )

    return (item: A) =>
      Effect.async<void, E>((resume) => {
        if (closed) return resume(Effect.interrupt)
        queued.push({ item, resume })
        if (wake !== undefined) {
          const writerWakes = wake
          wake = undefined
          writerWakes()
        }
      })
  })
