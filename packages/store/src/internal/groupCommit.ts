import { Effect, type Exit, Fiber, type Scope } from "effect"
import type { NonEmptyReadonlyArray } from "effect/Array"

/*
 * Group commit: concurrent callers each hand an item to one writer fiber and wait for it; the writer
 * takes everything queued and writes it with one `write`, then answers every caller of the batch with
 * that write's exit. A statement's fixed cost (building it, its span, the driver's call, PostgreSQL's
 * round trip) then falls on a batch instead of on each item. Items are written in the order they were
 * submitted, and a batch's failure is the failure of every one of its callers.
 *
 * No timer ever holds an item back. The first item of an event-loop turn, when nothing is being
 * written, is written at once by its own caller, sparing it the hand-over to the writer fiber and back:
 * a lone caller waits for nobody. But Node runs the microtasks (where fibers resume) after each I/O
 * callback, so writing every such item at once would write each request of a busy turn alone whenever
 * a write does not wait on I/O (SQLite's are synchronous); items that come later in a turn that
 * already wrote are kept for the turn's `setImmediate` instead, after its I/O callbacks, and the writer
 * writes them together — unless they come from the fiber that started the turn's write, which submits
 * one after another and has nobody to share a batch with. While a write waits on I/O (PostgreSQL),
 * what queues meanwhile is the next batch.
 */

/** Submits an item; succeeds once the batch holding it was written, fails with that batch's failure. */
export type Submit<A, E> = (item: A) => Effect.Effect<void, E>

interface Pending<A, E> {
  readonly item: A
  readonly resume: (exit: Exit.Exit<void, E>) => void
}

/**
 * A group-committing writer over `write`, batches of at most `maxBatch` items, one write at a time, its
 * fiber living in the scope. Once submitted, an item is written even if its caller is interrupted
 * meanwhile. When the scope closes, every item already submitted is still written and its caller
 * answered; a caller that submits after is interrupted.
 */
export const make = <A, E>(
  write: (items: NonEmptyReadonlyArray<A>) => Effect.Effect<void, E>,
  options: { readonly maxBatch: number }
): Effect.Effect<Submit<A, E>, never, Scope.Scope> =>
  Effect.gen(function* () {
    // A plain array the writer empties synchronously, so no item is ever held by a fiber that could be
    // interrupted between taking it and writing it; callers and the writer wait through `Effect.async`
    // callbacks, which cost far less per item than a `Deferred`.
    let queued: Array<Pending<A, E>> = []
    let wake: (() => void) | undefined
    // One write at a time, the writer's or a caller's own, so ids follow the order of submission.
    let writing = false
    let closed = false
    let drained: (() => void) | undefined
    // Whether this event-loop turn already wrote: until its `setImmediate`, an item waits for it unless
    // it is from `turnStarter`, the fiber that started the turn's first write.
    let wroteThisTurn = false
    let turnStarter: unknown

    const wakeWriter = () => {
      if (wake === undefined) return
      const writerWakes = wake
      wake = undefined
      writerWakes()
    }
    const turnEnds = () => {
      wroteThisTurn = false
      turnStarter = undefined
      if (queued.length > 0 && !writing) wakeWriter()
    }
    const starts = (fiber: unknown) => {
      writing = true
      if (!wroteThisTurn) {
        wroteThisTurn = true
        turnStarter = fiber
        setImmediate(turnEnds)
      }
    }
    // What queued during a write is written next, whatever the turn: it waited on that write already.
    const ends = () => {
      writing = false
      if (queued.length > 0) wakeWriter()
      else if (closed) drained?.()
    }

    const writeBatch = (batch: Array<Pending<A, E>>) =>
      Effect.flatMap(
        Effect.exit(write(batch.map((pending) => pending.item) as unknown as NonEmptyReadonlyArray<A>)),
        (exit) =>
          Effect.sync(() => {
            ends()
            for (const pending of batch) pending.resume(exit)
          })
      )

    const idle = Effect.async<void>((resume) => {
      wake = () => resume(Effect.void)
    })

    // Interruptible only while idle: a batch, once taken, is written and its callers answered.
    const loop: Effect.Effect<never> = Effect.uninterruptibleMask((restore) => {
      const step: Effect.Effect<never> = Effect.suspend(() => {
        if (queued.length === 0 || writing) return Effect.flatMap(restore(idle), () => step)
        const batch = queued.length <= options.maxBatch ? queued : queued.slice(0, options.maxBatch)
        queued = batch === queued ? [] : queued.slice(options.maxBatch)
        starts(undefined)
        return Effect.flatMap(writeBatch(batch), () => step)
      })
      return step
    })
    const writer = yield* Effect.forkDaemon(loop)

    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closed = true
        const pending =
          !writing && queued.length === 0
            ? Effect.void
            : Effect.async<void>((resume) => {
                drained = () => resume(Effect.void)
                if (!writing) wakeWriter()
              })
        return Effect.zipRight(pending, Fiber.interrupt(writer))
      })
    )

    return (item: A) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.withFiberRuntime<void, E>((fiber) => {
          if (closed) return Effect.interrupt
          const mayWrite = !wroteThisTurn || turnStarter === fiber
          if (mayWrite && !writing && queued.length === 0) {
            starts(fiber)
            return Effect.ensuring(write([item]), Effect.sync(ends))
          }
          return restore(
            Effect.async<void, E>((resume) => {
              queued.push({ item, resume })
              if (mayWrite && !writing) wakeWriter()
            })
          )
        })
      )
  })
