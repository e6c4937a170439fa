import { Effect, Exit, Fiber, type Scope } from "effect"
import type { NonEmptyReadonlyArray } from "effect/Array"

/*
 * Group commit: concurrent callers each hand an item to one writer fiber and wait for it; the writer
 * takes everything queued and writes it with one `write`, then answers every caller of the batch with
 * that write's exit. A statement's fixed cost (building it, its span, the driver's call, PostgreSQL's
 * round trip) then falls on a batch instead of on each item. Items are written in the order they were
 * submitted, and a batch's failure is the failure of every one of its callers. With `makeEach` the
 * write answers each item on its own (the batch's decisions, in submission order), and each caller gets
 * its item's answer.
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

/** As `Submit`, succeeding with the item's own answer from the batch's write. */
export type SubmitEach<A, B, E> = (item: A) => Effect.Effect<B, E>

interface Pending<A, B, E> {
  readonly item: A
  readonly resume: (exit: Exit.Exit<B, E>) => void
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
  makeEach((items: NonEmptyReadonlyArray<A>) => Effect.as(write(items), noAnswers), options)

const noAnswers: ReadonlyArray<void> = []

/**
 * As `make`, over a `write` that answers each item of its batch, in order: its caller succeeds with
 * that answer (`undefined` when the write answered fewer items than it was given). With `maxWriting`
 * above one, up to that many writes run at once (what queued shared out between the free ones), for a
 * `write` whose order across batches does not matter.
 */
export const makeEach = <A, B, E>(
  write: (items: NonEmptyReadonlyArray<A>) => Effect.Effect<ReadonlyArray<B>, E>,
  options: { readonly maxBatch: number; readonly maxWriting?: number }
): Effect.Effect<SubmitEach<A, B, E>, never, Scope.Scope> =>
  Effect.gen(function* () {
    // A plain array the writer empties synchronously, so no item is ever held by a fiber that could be
    // interrupted between taking it and writing it; callers and the writer wait through `Effect.async`
    // callbacks, which cost far less per item than a `Deferred`.
    let queued: Array<Pending<A, B, E>> = []
    let wake: (() => void) | undefined
    // Writes under way, the writer's or a caller's own; with one at a time (the default) ids follow the
    // order of submission.
    const maxWriting = options.maxWriting ?? 1
    let writing = 0
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
      if (queued.length > 0 && writing < maxWriting) wakeWriter()
    }
    const starts = (fiber: unknown) => {
      writing++
      if (!wroteThisTurn) {
        wroteThisTurn = true
        turnStarter = fiber
        setImmediate(turnEnds)
      }
    }
    // What queued during a write is written next, whatever the turn: it waited on that write already.
    const ends = () => {
      writing--
      if (queued.length > 0) wakeWriter()
      else if (closed && writing === 0) drained?.()
    }

    const writeBatch = (batch: Array<Pending<A, B, E>>) =>
      Effect.flatMap(
        Effect.exit(write(batch.map((pending) => pending.item) as unknown as NonEmptyReadonlyArray<A>)),
        (exit) =>
          Effect.sync(() => {
            ends()
            if (Exit.isFailure(exit)) {
              const failed = Exit.failCause(exit.cause)
              for (const pending of batch) pending.resume(failed)
            } else if (exit.value.length === 0) {
              for (const pending of batch) pending.resume(Exit.void as Exit.Exit<B>)
            } else {
              for (const [i, pending] of batch.entries()) pending.resume(Exit.succeed(exit.value[i] as B))
            }
          })
      )

    const idle = Effect.async<void>((resume) => {
      if (queued.length > 0 && writing < maxWriting) resume(Effect.void)
      else wake = () => resume(Effect.void)
    })

    // Interruptible only while idle: a batch, once taken, is written and its callers answered.
    const loop: Effect.Effect<never> = Effect.uninterruptibleMask((restore) => {
      const step: Effect.Effect<never> = Effect.suspend(() => {
        if (queued.length === 0 || writing >= maxWriting) return Effect.flatMap(restore(idle), () => step)
        // Several writes at once share out what queued between the free ones.
        const size = Math.min(options.maxBatch, Math.ceil(queued.length / (maxWriting - writing)))
        const batch = queued.length <= size ? queued : queued.slice(0, size)
        queued = batch === queued ? [] : queued.slice(size)
        starts(undefined)
        return maxWriting === 1
          ? Effect.flatMap(writeBatch(batch), () => step)
          : Effect.zipRight(Effect.forkDaemon(writeBatch(batch)), step)
      })
      return step
    })
    const writer = yield* Effect.forkDaemon(loop)

    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closed = true
        const pending =
          writing === 0 && queued.length === 0
            ? Effect.void
            : Effect.async<void>((resume) => {
                drained = () => resume(Effect.void)
                if (writing < maxWriting) wakeWriter()
              })
        return Effect.zipRight(pending, Fiber.interrupt(writer))
      })
    )

    return (item: A) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.withFiberRuntime<B, E>((fiber) => {
          if (closed) return Effect.interrupt
          const mayWrite = !wroteThisTurn || turnStarter === fiber
          if (mayWrite && writing < maxWriting && queued.length === 0) {
            starts(fiber)
            return Effect.ensuring(
              Effect.map(write([item]), (answers) => answers[0] as B),
              Effect.sync(ends)
            )
          }
          return restore(
            Effect.async<B, E>((resume) => {
              queued.push({ item, resume })
              if (mayWrite && writing < maxWriting) wakeWriter()
            })
          )
        })
      )
  })
