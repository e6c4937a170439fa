import { Reference } from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, Fiber, Layer, Redacted, Schema, TestClock } from "effect"
import type { StoreUnavailable } from "@cardkit/domain"
import { type Claim, type Claimant, IdempotencyStore, referenceOf } from "../src/IdempotencyStore.js"
import { SqlIdempotencyStore, type SqlIdempotencyStoreOptions } from "../src/SqlIdempotencyStore.js"
import { databases, postgresDatabase, repeatableReadByDefault, replicaOn } from "./databases.js"

const answer = { status: 200, body: { cardId: "c1", status: "frozen" } }

const implementations = [
  ["memory", () => IdempotencyStore.layer()] as const,
  ...databases.map(([name, layer]) => [name, () => SqlIdempotencyStore.layer().pipe(Layer.provide(layer()))] as const)
]

describe.each(implementations)("IdempotencyStore on %s", (_, layer) => {
  const withStore = <A, E>(test: (store: IdempotencyStore["Type"]) => Effect.Effect<A, E>) =>
    Effect.flatMap(IdempotencyStore, test).pipe(Effect.provide(layer()))

  it.effect("a claimed key answered once is replayed for the same body", () =>
    withStore((store) =>
      Effect.gen(function* () {
        const first = store.claimant("caller-a", "key-1", "lock", { cardId: "c1" })
        expect(yield* store.claim(first)).toEqual({ _tag: "Claimed" })
        yield* store.complete(first, answer)
        const again = store.claimant("caller-a", "key-1", "lock", { cardId: "c1" })
        expect(again).toEqual(first)
        expect(yield* store.claim(again)).toEqual({ _tag: "Replay", answer })
      })
    )
  )

  it.effect("an answer without a body (a 204) is replayed without one", () =>
    withStore((store) =>
      Effect.gen(function* () {
        const first = store.claimant("caller-a", "key-1", "pin", { cardId: "c1" })
        yield* store.claim(first)
        yield* store.complete(first, { status: 204, body: undefined })
        expect(yield* store.claim(first)).toEqual({ _tag: "Replay", answer: { status: 204, body: undefined } })
      })
    )
  )

  it.effect("the same key with another body, or on another route, is a mismatch", () =>
    withStore((store) =>
      Effect.gen(function* () {
        const first = store.claimant("caller-a", "key-1", "pin", { cardId: "c1", pin: "1234" })
        yield* store.claim(first)
        yield* store.complete(first, answer)
        expect(yield* store.claim(store.claimant("caller-a", "key-1", "pin", { cardId: "c1", pin: "4321" }))).toEqual({
          _tag: "Mismatch"
        })
        expect(yield* store.claim(store.claimant("caller-a", "key-1", "lock", { cardId: "c1", pin: "1234" }))).toEqual({
          _tag: "Mismatch"
        })
      })
    )
  )

  it.effect("keys of different callers are apart", () =>
    withStore((store) =>
      Effect.gen(function* () {
        const a = store.claimant("caller-a", "key-1", "lock", { cardId: "c1" })
        yield* store.claim(a)
        yield* store.complete(a, answer)
        expect(yield* store.claim(store.claimant("caller-b", "key-1", "lock", { cardId: "c2" }))).toEqual({
          _tag: "Claimed"
        })
      })
    )
  )

  it.effect("an answer expires after 24 hours (TestClock), then the key is free for any body", () =>
    withStore((store) =>
      Effect.gen(function* () {
        const first = store.claimant("caller-a", "key-1", "lock", { cardId: "c1" })
        yield* store.claim(first)
        yield* store.complete(first, answer)
        yield* TestClock.adjust("23 hours")
        expect((yield* store.claim(first))._tag).toBe("Replay")
        yield* TestClock.adjust("1 hour")
        const other = store.claimant("caller-a", "key-1", "lock", { cardId: "c9" })
        expect(yield* store.claim(other)).toEqual({ _tag: "Claimed" })
        yield* store.complete(other, { status: 409, body: { error: "no" } })
        expect(yield* store.claim(other)).toEqual({ _tag: "Replay", answer: { status: 409, body: { error: "no" } } })
      })
    )
  )

  it.effect("a second claim of a key in flight waits for the first's answer", () =>
    withStore((store) =>
      Effect.gen(function* () {
        const first = store.claimant("caller-a", "key-1", "lock", { cardId: "c1" })
        yield* store.claim(first)
        const waiting = yield* Effect.fork(store.claim(first))
        yield* Effect.yieldNow()
        expect(yield* Fiber.poll(waiting)).toEqual(expect.objectContaining({ _tag: "None" }))
        yield* store.complete(first, answer)
        expect(yield* Fiber.join(waiting)).toEqual({ _tag: "Replay", answer })
      })
    )
  )

  it.effect("of two concurrent requests with one key, one runs the write and the other replays it", () =>
    withStore((store) =>
      Effect.gen(function* () {
        let runs = 0
        const who = store.claimant("caller-a", "key-1", "lock", { cardId: "c1" })
        const request = Effect.flatMap(store.claim(who), (claim) => {
          if (claim._tag !== "Claimed") return Effect.succeed(claim._tag)
          runs++
          return Effect.as(Effect.zipRight(Effect.yieldNow(), store.complete(who, answer)), claim._tag)
        })
        const tags = yield* Effect.all([request, request, request], { concurrency: "unbounded" })
        expect(tags.sort()).toEqual(["Claimed", "Replay", "Replay"])
        expect(runs).toBe(1)
      })
    )
  )

  it.effect("a released key is claimed by the request that waited", () =>
    withStore((store) =>
      Effect.gen(function* () {
        const first = store.claimant("caller-a", "key-1", "lock", { cardId: "c1" })
        yield* store.claim(first)
        const started = yield* Deferred.make<void>()
        const waiting = yield* Effect.fork(Effect.zipRight(Deferred.succeed(started, undefined), store.claim(first)))
        yield* Deferred.await(started)
        yield* store.release(first)
        expect(yield* Fiber.join(waiting)).toEqual({ _tag: "Claimed" })
        // Release after complete does nothing: the answer stays.
        yield* store.complete(first, answer)
        yield* store.release(first)
        expect(yield* store.claim(first)).toEqual({ _tag: "Replay", answer })
      })
    )
  )

  it.effect("hashes never hold the key or the body in clear", () =>
    withStore((store) =>
      Effect.sync(() => {
        const { fingerprint, scope } = store.claimant("caller-a", "key-1", "pin", { pin: "4821" })
        expect(`${scope}${fingerprint}`).not.toMatch(/4821|key-1|caller-a/)
      })
    )
  )
})

it("the derived reference is a valid Reference, stable per caller and key", () => {
  const reference = referenceOf("caller-a", "key-1")
  expect(Schema.is(Reference)(reference)).toBe(true)
  expect(referenceOf("caller-a", "key-1")).toBe(reference)
  expect(referenceOf("caller-b", "key-1")).not.toBe(reference)
  expect(Schema.is(Reference)(referenceOf("x".repeat(300), "\u007e".repeat(255)))).toBe(true)
})

/* Two replicas: two stores that share a database but nothing in memory. */

const quick: SqlIdempotencyStoreOptions = { lease: "300 millis", pollInterval: "10 millis" }

const replicaPairs = [
  ...databases.map(
    ([name, layer]) =>
      [
        `${name}, two stores on one client`,
        (options: SqlIdempotencyStoreOptions) =>
          Effect.gen(function* () {
            const context = yield* Layer.build(layer())
            const make = SqlIdempotencyStore.make(options).pipe(Effect.provide(context))
            return [yield* make, yield* make] as const
          })
      ] as const
  ),
  ...[false, true].map(
    (repeatableRead) =>
      [
        `postgres, two clients on one database${repeatableRead ? " defaulting to REPEATABLE READ" : ""}`,
        (options: SqlIdempotencyStoreOptions) =>
          Effect.gen(function* () {
            const url = yield* postgresDatabase
            if (repeatableRead) yield* Effect.orDie(repeatableReadByDefault(url))
            const replica = Effect.map(
              replicaOn(url, SqlIdempotencyStore.layer(options)),
              Context.get(IdempotencyStore)
            )
            return [yield* replica, yield* replica] as const
          })
      ] as const
  )
]

describe.each(replicaPairs)("SqlIdempotencyStore replicas (%s)", (_, replicas) => {
  const claimantOf = (store: IdempotencyStore["Type"], body: unknown = { cardId: "c1" }): Claimant =>
    store.claimant("caller-a", "key-1", "lock", body)

  it.scoped("compute the same claimant, so a retry on the other is recognised", () =>
    Effect.gen(function* () {
      const [a, b] = yield* replicas({})
      expect(claimantOf(b)).toEqual(claimantOf(a))
      yield* a.claim(claimantOf(a))
      yield* a.complete(claimantOf(a), answer)
      expect(yield* b.claim(claimantOf(b))).toEqual({ _tag: "Replay", answer })
    })
  )

  it.live("a key pending on one makes the other wait, then replay its answer", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const [a, b] = yield* replicas(quick)
        expect(yield* a.claim(claimantOf(a))).toEqual({ _tag: "Claimed" })
        expect(yield* b.claim(claimantOf(b, { cardId: "c2" }))).toEqual({ _tag: "Mismatch" })
        const waiting = yield* Effect.fork(b.claim(claimantOf(b)))
        yield* Effect.sleep("100 millis")
        expect(yield* Fiber.poll(waiting)).toEqual(expect.objectContaining({ _tag: "None" }))
        yield* a.complete(claimantOf(a), answer)
        expect(yield* Fiber.join(waiting)).toEqual({ _tag: "Replay", answer })
      })
    )
  )

  it.live("of concurrent requests with one key on both, exactly one runs the write, the others replay it", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const [a, b] = yield* replicas({ ...quick, lease: "1 minute" })
        let runs = 0
        const request = (store: IdempotencyStore["Type"], who: Claimant) =>
          Effect.flatMap(store.claim(who), (claim): Effect.Effect<Claim, StoreUnavailable> => {
            if (claim._tag !== "Claimed") return Effect.succeed(claim)
            runs++
            return Effect.as(Effect.zipRight(Effect.sleep("20 millis"), store.complete(who, answer)), claim)
          })
        for (let round = 0; round < 5; round++) {
          const key = `concurrent-${round}`
          const claims = yield* Effect.all(
            [a, b, a, b].map((store) => request(store, store.claimant("caller-a", key, "lock", { cardId: "c1" }))),
            { concurrency: "unbounded" }
          )
          expect(claims.filter((claim) => claim._tag === "Claimed")).toHaveLength(1)
          expect(claims.filter((claim) => claim._tag === "Replay")).toEqual(Array(3).fill({ _tag: "Replay", answer }))
        }
        expect(runs).toBe(5)
      })
    )
  )

  it.live("a key released by one is claimed by the other that waited", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const [a, b] = yield* replicas({ ...quick, lease: "1 minute" })
        yield* a.claim(claimantOf(a))
        const waiting = yield* Effect.fork(b.claim(claimantOf(b)))
        yield* Effect.sleep("50 millis")
        yield* a.release(claimantOf(a))
        expect(yield* Fiber.join(waiting)).toEqual({ _tag: "Claimed" })
      })
    )
  )

  it.live("a claim abandoned past its lease is taken over, and its late answer is dropped", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const [a, b] = yield* replicas(quick)
        // Taken before the claim: its lease runs from the claim's own clock reading, which a loaded
        // machine can put well before the claim's round trip to the database returns.
        const started = Date.now()
        yield* a.claim(claimantOf(a))
        expect(yield* b.claim(claimantOf(b, { cardId: "c2" }))).toEqual({ _tag: "Mismatch" })
        expect(yield* b.claim(claimantOf(b))).toEqual({ _tag: "Claimed" })
        expect(Date.now() - started).toBeGreaterThanOrEqual(250)
        const second = { status: 200, body: { cardId: "c1", status: "active" } }
        yield* b.complete(claimantOf(b), second)
        yield* a.complete(claimantOf(a), answer)
        expect(yield* a.claim(claimantOf(a))).toEqual({ _tag: "Replay", answer: second })
      })
    )
  )
})

describe.each(databases)("SqlIdempotencyStore's secret on %s", (_, layer) => {
  it.effect("is kept in the database unless configured, and a configured one hashes apart", () =>
    Effect.gen(function* () {
      const stored = (yield* SqlIdempotencyStore.make()).claimant("caller-a", "key-1", "lock", {})
      const again = (yield* SqlIdempotencyStore.make()).claimant("caller-a", "key-1", "lock", {})
      expect(again).toEqual(stored)
      const secret = Redacted.make("a configured secret")
      const configured = (yield* SqlIdempotencyStore.make({ secret })).claimant("caller-a", "key-1", "lock", {})
      expect(configured.scope).not.toBe(stored.scope)
      expect((yield* SqlIdempotencyStore.make({ secret })).claimant("caller-a", "key-1", "lock", {})).toEqual(
        configured
      )
    }).pipe(Effect.provide(layer()))
  )
})
