import { StoreUnavailable } from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { Cause, Deferred, Effect, Exit, Fiber, Layer, Scope } from "effect"
import { audited } from "../src/Audited.js"
import { type AuditEntry, AuditQuery, AuditTrail, SqlAuditTrail } from "../src/AuditTrail.js"
import * as GroupCommit from "../src/internal/groupCommit.js"
import { databases } from "./databases.js"
import { statementTracer } from "./statementTracer.js"

const entry = (requestId: string): AuditEntry => ({
  apiKeyId: "key_ops",
  customerId: "cust-1",
  cardId: "card-1",
  operation: "getCvv",
  outcome: "ok",
  providerReference: null,
  requestId,
  clientAddress: null
})

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

/** A group commit over a write that logs each batch, and blocks while `gate` (when given) is closed. */
const logged = <E = never>(
  options: {
    readonly maxBatch?: number
    readonly gate?: Deferred.Deferred<void>
    readonly fail?: (n: number) => E
  } = {}
) =>
  Effect.gen(function* () {
    const batches: Array<ReadonlyArray<number>> = []
    let handed = 0
    const write = yield* GroupCommit.make<number, E>(
      (items) =>
        Effect.suspend(() => {
          batches.push(items)
          const failure = options.fail?.(items[0])
          const written = failure === undefined ? Effect.void : Effect.fail(failure)
          return options.gate === undefined ? written : Effect.zipRight(Deferred.await(options.gate), written)
        }),
      { maxBatch: options.maxBatch ?? 256 }
    )
    // Counts the items handed over (the count and the hand-over happen in one step of the caller).
    const submit = (item: number) =>
      Effect.zipRight(
        Effect.sync(() => handed++),
        write(item)
      )
    /** Lets other fibers run until `n` items were handed over and `b` batches taken. */
    const settled = (n: number, b: number) =>
      Effect.repeat(Effect.yieldNow(), { until: () => handed >= n && batches.length >= b })
    return { submit, batches, settled }
  })

describe("GroupCommit", () => {
  it.scoped("a lone item is written at once, with no timer (the TestClock never moves)", () =>
    Effect.gen(function* () {
      const { submit, batches } = yield* logged()
      yield* submit(1)
      yield* submit(2)
      expect(batches).toEqual([[1], [2]])
    })
  )

  it.scoped("items submitted while a write is under way share the next write, in the order submitted", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const { submit, batches, settled } = yield* logged({ gate })
      const first = yield* Effect.fork(submit(0))
      yield* settled(1, 1)
      expect(batches).toEqual([[0]])
      const rest = yield* Effect.fork(Effect.forEach(range(40), (i) => submit(i + 1), { concurrency: "unbounded" }))
      yield* settled(41, 1)
      expect(batches).toEqual([[0]])
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(first)
      yield* Fiber.join(rest)
      expect(batches).toEqual([[0], range(40).map((i) => i + 1)])
    })
  )

  it.scoped("a batch holds at most maxBatch items", () =>
    Effect.gen(function* () {
      const { submit, batches } = yield* logged({ maxBatch: 4 })
      yield* Effect.forEach(range(10), submit, { concurrency: "unbounded" })
      expect(batches.flat()).toEqual(range(10))
      expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(4)
    })
  )

  it.scoped("a failed write fails every caller of its batch, and the writer goes on with the next", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const { submit, batches, settled } = yield* logged({
        gate,
        fail: (first) => (first === 1 ? `lost ${first}` : undefined)
      })
      const first = yield* Effect.fork(submit(0))
      yield* settled(1, 1)
      const failing = yield* Effect.fork(
        Effect.forEach(range(5), (i) => Effect.either(submit(i + 1)), { concurrency: "unbounded" })
      )
      yield* settled(6, 1)
      yield* Deferred.succeed(gate, undefined)
      expect(yield* Fiber.join(first)).toBeUndefined()
      const answers = yield* Fiber.join(failing)
      expect(answers.map((a) => (a._tag === "Left" ? a.left : "written"))).toEqual(range(5).map(() => "lost 1"))
      yield* submit(9)
      expect(batches).toEqual([[0], [1, 2, 3, 4, 5], [9]])
    })
  )

  it.scoped("a defect in the write is every caller's defect, and the writer survives it", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const batches: Array<ReadonlyArray<number>> = []
      const submit = yield* GroupCommit.make<number, never>(
        (items) =>
          Effect.suspend(() => {
            batches.push(items)
            return items[0] === 0 ? Deferred.await(gate) : items[0] === 1 ? Effect.die("boom") : Effect.void
          }),
        { maxBatch: 8 }
      )
      const first = yield* Effect.fork(submit(0))
      yield* Effect.repeat(Effect.yieldNow(), { until: () => batches.length === 1 })
      const dying = yield* Effect.fork(
        Effect.forEach(range(3), (i) => Effect.exit(submit(i + 1)), { concurrency: "unbounded" })
      )
      yield* Effect.yieldNow()
      yield* Effect.yieldNow()
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(first)
      const exits = yield* Fiber.join(dying)
      expect(batches.slice(0, 2)).toEqual([[0], [1, 2, 3]])
      expect(exits.every((exit) => Exit.isFailure(exit) && Cause.isDie(exit.cause))).toBe(true)
      expect(yield* Effect.exit(submit(4))).toEqual(Exit.void)
    })
  )

  it.scoped("an item is written even if its caller is interrupted while it waits", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const { submit, batches, settled } = yield* logged({ gate })
      const first = yield* Effect.fork(submit(0))
      yield* settled(1, 1)
      const waiting = yield* Effect.fork(submit(1))
      yield* settled(2, 1)
      yield* Fiber.interrupt(waiting)
      expect(batches).toEqual([[0]])
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(first)
      yield* submit(2)
      expect(batches).toEqual([[0], [1], [2]])
    })
  )

  it.effect(
    "when its scope closes, what was submitted is still written and answered; later callers are interrupted",
    () =>
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>()
        const scope = yield* Scope.make()
        const { submit, batches, settled } = yield* Scope.extend(logged({ gate }), scope)
        const first = yield* Effect.fork(submit(0))
        yield* settled(1, 1)
        const queued = yield* Effect.fork(submit(1))
        yield* settled(2, 1)
        const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
        yield* Effect.yieldNow()
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(closing)
        expect(yield* Fiber.await(first)).toEqual(Exit.void)
        expect(yield* Fiber.await(queued)).toEqual(Exit.void)
        expect(Exit.isInterrupted(yield* Effect.exit(submit(2)))).toBe(true)
        expect(batches).toEqual([[0], [1]])
      })
  )
})

describe("GroupCommit.makeEach", () => {
  it.scoped("each caller gets its own item's answer; a failed write fails every caller of its batch", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const batches: Array<ReadonlyArray<number>> = []
      const submit = yield* GroupCommit.makeEach<number, string, string>(
        (items) =>
          Effect.suspend(() => {
            batches.push(items)
            const answered = items.includes(99) ? Effect.fail("lost") : Effect.succeed(items.map((i) => `answer ${i}`))
            return items[0] === 0 ? Effect.zipRight(Deferred.await(gate), answered) : answered
          }),
        { maxBatch: 64 }
      )
      const first = yield* Effect.fork(submit(0))
      yield* Effect.repeat(Effect.yieldNow(), { until: () => batches.length === 1 })
      const rest = yield* Effect.fork(Effect.forEach(range(10), (i) => submit(i + 1), { concurrency: "unbounded" }))
      yield* Effect.yieldNow()
      yield* Effect.yieldNow()
      yield* Deferred.succeed(gate, undefined)
      expect(yield* Fiber.join(first)).toBe("answer 0")
      expect(yield* Fiber.join(rest)).toEqual(range(10).map((i) => `answer ${i + 1}`))
      expect(batches).toEqual([[0], range(10).map((i) => i + 1)])
      expect(yield* Effect.flip(submit(99))).toBe("lost")
      // 99 beside others in one batch (they come later in a turn that already wrote): all of them fail.
      const answers = yield* Effect.forEach([98, 99, 100], (i) => Effect.either(submit(i)), {
        concurrency: "unbounded"
      })
      expect(batches.at(-1)).toEqual([98, 99, 100])
      expect(answers.map((answer) => (answer._tag === "Left" ? answer.left : answer.right))).toEqual([
        "lost",
        "lost",
        "lost"
      ])
    })
  )

  it.scoped("with maxWriting, that many writes run at once, what queued shared out between them", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const batches: Array<ReadonlyArray<number>> = []
      let running = 0
      let mostRunning = 0
      const submit = yield* GroupCommit.makeEach<number, number, never>(
        (items) =>
          Effect.suspend(() => {
            batches.push(items)
            mostRunning = Math.max(mostRunning, ++running)
            return Effect.zipRight(
              Deferred.await(gate),
              Effect.sync(() => {
                running--
                return items.map((i) => i * 2)
              })
            )
          }),
        { maxBatch: 64, maxWriting: 3 }
      )
      const first = yield* Effect.fork(submit(0))
      yield* Effect.repeat(Effect.yieldNow(), { until: () => batches.length === 1 })
      const rest = yield* Effect.fork(Effect.forEach(range(20), (i) => submit(i + 1), { concurrency: "unbounded" }))
      yield* Effect.repeat(Effect.yieldNow(), { until: () => batches.length === 3 })
      // Two writes free beside the first: the twenty queued behind it split in two, in order.
      expect(batches).toEqual([[0], range(10).map((i) => i + 1), range(10).map((i) => i + 11)])
      yield* Deferred.succeed(gate, undefined)
      expect(yield* Fiber.join(first)).toBe(0)
      expect(yield* Fiber.join(rest)).toEqual(range(20).map((i) => (i + 1) * 2))
      expect(mostRunning).toBe(3)
    })
  )
})

describe.each(databases)("SqlAuditTrail's group commit on %s", (_, layer) => {
  const provided = <A, E>(effect: Effect.Effect<A, E, AuditTrail | SqlClient.SqlClient>) =>
    Effect.provide(effect, SqlAuditTrail.layer.pipe(Layer.provideMerge(layer())))

  const requestIdsById = Effect.gen(function* () {
    const trail = yield* AuditTrail
    const page = yield* trail.list(new AuditQuery({ limit: 500 }))
    return [...page.records].sort((a, b) => Number(a.id) - Number(b.id)).map((r) => r.requestId)
  })

  it.effect("concurrent records land as one row each, in few INSERTs, ids in the order they were recorded", () => {
    const { statements, tracer } = statementTracer()
    return provided(
      Effect.gen(function* () {
        const trail = yield* AuditTrail
        yield* Effect.forEach(range(50), (i) => trail.record(entry(`r${i}`)), { concurrency: "unbounded" })
        const inserts = statements.filter((text) => /^insert into audit_records/i.test(text))
        expect(inserts.length).toBeGreaterThanOrEqual(1)
        expect(inserts.length).toBeLessThanOrEqual(3)
        expect(yield* requestIdsById).toEqual(range(50).map((i) => `r${i}`))
      })
    ).pipe(Effect.withTracer(tracer))
  })

  it.effect("a lone record is its own INSERT", () => {
    const { statements, tracer } = statementTracer()
    return provided(
      Effect.gen(function* () {
        const trail = yield* AuditTrail
        yield* trail.record(entry("alone"))
        expect(statements.filter((text) => /^insert into audit_records/i.test(text))).toHaveLength(1)
        expect(yield* requestIdsById).toEqual(["alone"])
      })
    ).pipe(Effect.withTracer(tracer))
  })

  it.effect("when the INSERT fails every call in it fails with StoreUnavailable and returns no answer", () =>
    provided(
      Effect.gen(function* () {
        const trail = yield* AuditTrail
        const sql = yield* SqlClient.SqlClient
        yield* sql`drop table audit_records`
        const call = { operation: "getCvv", customerId: "cust-1", cardId: "card-1" }
        const exits = yield* Effect.forEach(
          range(20),
          (i) => Effect.exit(audited(trail, call, Effect.succeed(`cvv${i}`))),
          {
            concurrency: "unbounded"
          }
        )
        expect(exits).toEqual(
          range(20).map(() => Exit.fail(new StoreUnavailable({ reason: "writing the audit record failed" })))
        )
      })
    )
  )

  it.effect("records whose callers were interrupted after handing them over are written all the same", () =>
    provided(
      Effect.gen(function* () {
        const trail = yield* AuditTrail
        const fibers = yield* Effect.forEach(range(20), (i) => Effect.fork(trail.record(entry(`r${i}`))))
        yield* Effect.yieldNow()
        yield* Fiber.interruptAll(fibers)
        // A record after them is written after them: once it is back, so are they.
        yield* trail.record(entry("last"))
        expect(yield* requestIdsById).toEqual([...range(20).map((i) => `r${i}`), "last"])
      })
    )
  )
})
