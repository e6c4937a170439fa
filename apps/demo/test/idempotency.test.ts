import { Reference } from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Schema, TestClock } from "effect"
import { claimant, IdempotencyStore, referenceOf } from "../src/Idempotency.js"

const answer = { status: 200, body: { cardId: "c1", status: "frozen" } }

describe("IdempotencyStore (in memory)", () => {
  it.effect("a claimed key answered once is replayed for the same body", () =>
    Effect.gen(function* () {
      const store = yield* IdempotencyStore.make()
      const first = claimant("caller-a", "key-1", "lock", { cardId: "c1" })
      expect(yield* store.claim(first)).toEqual({ _tag: "Claimed" })
      yield* store.complete(first, answer)
      const again = claimant("caller-a", "key-1", "lock", { cardId: "c1" })
      expect(yield* store.claim(again)).toEqual({ _tag: "Replay", answer })
    })
  )

  it.effect("the same key with another body, or on another route, is a mismatch", () =>
    Effect.gen(function* () {
      const store = yield* IdempotencyStore.make()
      const first = claimant("caller-a", "key-1", "pin", { cardId: "c1", pin: "1234" })
      yield* store.claim(first)
      yield* store.complete(first, answer)
      expect(yield* store.claim(claimant("caller-a", "key-1", "pin", { cardId: "c1", pin: "4321" }))).toEqual({
        _tag: "Mismatch"
      })
      expect(yield* store.claim(claimant("caller-a", "key-1", "lock", { cardId: "c1", pin: "1234" }))).toEqual({
        _tag: "Mismatch"
      })
    })
  )

  it.effect("keys of different API keys are apart", () =>
    Effect.gen(function* () {
      const store = yield* IdempotencyStore.make()
      const a = claimant("caller-a", "key-1", "lock", { cardId: "c1" })
      yield* store.claim(a)
      yield* store.complete(a, answer)
      expect(yield* store.claim(claimant("caller-b", "key-1", "lock", { cardId: "c2" }))).toEqual({ _tag: "Claimed" })
    })
  )

  it.effect("an answer expires after 24 hours (TestClock)", () =>
    Effect.gen(function* () {
      const store = yield* IdempotencyStore.make()
      const first = claimant("caller-a", "key-1", "lock", { cardId: "c1" })
      yield* store.claim(first)
      yield* store.complete(first, answer)
      yield* TestClock.adjust("23 hours")
      expect((yield* store.claim(first))._tag).toBe("Replay")
      yield* TestClock.adjust("1 hour")
      expect(yield* store.claim(first)).toEqual({ _tag: "Claimed" })
    })
  )

  it.effect("a second claim of a key in flight waits for the first's answer", () =>
    Effect.gen(function* () {
      const store = yield* IdempotencyStore.make()
      const first = claimant("caller-a", "key-1", "lock", { cardId: "c1" })
      yield* store.claim(first)
      const waiting = yield* Effect.fork(store.claim(first))
      yield* Effect.yieldNow()
      expect(yield* Fiber.poll(waiting)).toEqual(expect.objectContaining({ _tag: "None" }))
      yield* store.complete(first, answer)
      expect(yield* Fiber.join(waiting)).toEqual({ _tag: "Replay", answer })
    })
  )

  it.effect("a released key is claimed by the request that waited", () =>
    Effect.gen(function* () {
      const store = yield* IdempotencyStore.make()
      const first = claimant("caller-a", "key-1", "lock", { cardId: "c1" })
      yield* store.claim(first)
      const started = yield* Deferred.make<void>()
      const waiting = yield* Effect.fork(Effect.zipRight(Deferred.succeed(started, undefined), store.claim(first)))
      yield* Deferred.await(started)
      yield* store.release(first)
      expect(yield* Fiber.join(waiting)).toEqual({ _tag: "Claimed" })
    })
  )

  it("hashes never hold the key or the body in clear", () => {
    const { fingerprint, scope } = claimant("caller-a", "key-1", "pin", { pin: "4821" })
    expect(`${scope}${fingerprint}`).not.toMatch(/4821|key-1|caller-a/)
  })

  it("the derived reference is a valid Reference, stable per API key and key", () => {
    const reference = referenceOf("caller-a", "key-1")
    expect(Schema.is(Reference)(reference)).toBe(true)
    expect(referenceOf("caller-a", "key-1")).toBe(reference)
    expect(referenceOf("caller-b", "key-1")).not.toBe(reference)
    expect(Schema.is(Reference)(referenceOf("x".repeat(300), "\u007e".repeat(255)))).toBe(true)
  })
})
