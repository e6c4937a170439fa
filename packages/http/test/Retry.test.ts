import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Exit, Fiber, Random, TestClock } from "effect"
import { retry } from "../src/index.js"

class Unavailable {
  readonly _tag = "Unavailable"
}
class Refused {
  readonly _tag = "Refused"
}

/** An attempt that fails with `failures` in turn, then succeeds with how many attempts it took; each start is timed. */
const scripted = (failures: ReadonlyArray<Unavailable | Refused>) => {
  const startedAt: Array<number> = []
  const attempt = Effect.flatMap(Clock.currentTimeMillis, (now) => {
    startedAt.push(now)
    const failure = failures[startedAt.length - 1]
    return failure === undefined ? Effect.succeed(startedAt.length) : Effect.fail(failure)
  })
  const waits = () => startedAt.slice(1).map((at, i) => at - startedAt[i]!)
  return { attempt, startedAt, waits }
}

const unavailable = (times: number) => Array.from({ length: times }, () => new Unavailable())
const whileUnavailable = (error: Unavailable | Refused) => error._tag === "Unavailable"

/** Runs `effect` to its end, the test clock moved far enough for any wait. */
const settled = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(effect)
    yield* TestClock.adjust(Duration.hours(1))
    return yield* Fiber.await(fiber)
  })

describe("retry", () => {
  it.effect("retries a failure `while` accepts, and succeeds with the first attempt that does", () =>
    Effect.gen(function* () {
      const { attempt, startedAt } = scripted(unavailable(2))
      const exit = yield* settled(retry(attempt, { times: 3, baseDelay: "100 millis", while: whileUnavailable }))
      expect(exit).toEqual(Exit.succeed(3))
      expect(startedAt).toHaveLength(3)
    })
  )

  it.effect("attempts `times` + 1 times at most, failing with the last failure", () =>
    Effect.gen(function* () {
      const { attempt, startedAt } = scripted(unavailable(10))
      const exit = yield* settled(retry(attempt, { times: 3, baseDelay: "100 millis", while: whileUnavailable }))
      expect(exit).toEqual(Exit.fail(new Unavailable()))
      expect(startedAt).toHaveLength(4)
    })
  )

  it.effect("does not retry a failure `while` refuses, nor at all when `times` is 0", () =>
    Effect.gen(function* () {
      const refused = scripted([new Refused(), ...unavailable(1)])
      const exit = yield* settled(
        retry(refused.attempt, { times: 3, baseDelay: "100 millis", while: whileUnavailable })
      )
      expect(exit).toEqual(Exit.fail(new Refused()))
      expect(refused.startedAt).toHaveLength(1)

      const none = scripted(unavailable(1))
      yield* settled(retry(none.attempt, { times: 0, baseDelay: "100 millis", while: whileUnavailable }))
      expect(none.startedAt).toHaveLength(1)
    })
  )

  it.effect("waits nothing before the first attempt", () =>
    Effect.gen(function* () {
      const { attempt } = scripted([])
      expect(yield* retry(attempt, { times: 3, baseDelay: "100 millis", while: whileUnavailable })).toBe(1)
    })
  )

  it.effect("doubles the wait from `baseDelay`, jittered between 0.5× and 1.5×, never past `maxDelay`", () =>
    Effect.gen(function* () {
      const options = { times: 4, baseDelay: "100 millis", maxDelay: "500 millis", while: whileUnavailable } as const
      const lowest = scripted(unavailable(4))
      yield* settled(retry(lowest.attempt, options)).pipe(Effect.withRandom(Random.fixed([0])))
      expect(lowest.waits()).toEqual([50, 100, 200, 400])

      const highest = scripted(unavailable(4))
      yield* settled(retry(highest.attempt, options)).pipe(Effect.withRandom(Random.fixed([1])))
      expect(highest.waits()).toEqual([150, 300, 500, 500])
    })
  )

  it.effect("keeps every random wait within its bounds", () =>
    Effect.gen(function* () {
      for (let run = 0; run < 20; run++) {
        const { attempt, waits } = scripted(unavailable(3))
        yield* settled(retry(attempt, { times: 3, baseDelay: "100 millis", while: whileUnavailable }))
        const [first, second, third] = waits()
        expect(first).toBeGreaterThanOrEqual(50)
        expect(first).toBeLessThanOrEqual(150)
        expect(second).toBeGreaterThanOrEqual(100)
        expect(second).toBeLessThanOrEqual(300)
        expect(third).toBeGreaterThanOrEqual(200)
        expect(third).toBeLessThanOrEqual(600)
      }
    })
  )
})
