import { StoreUnavailable } from "@cardkit/domain"
import { type Claimant, IdempotencyStore } from "@cardkit/store"
import { describe, expect, it } from "@effect/vitest"
import { HttpServerResponse } from "@effect/platform"
import { Effect, Schema } from "effect"
import { ServiceUnavailable } from "../src/ApiErrors.js"
import { idempotent } from "../src/internal/idempotent.js"

/* An idempotent write when the idempotency store fails: never an unanswered write, never a 5xx defect. */

const Answer = Schema.Struct({ cardId: Schema.String })

const write = {
  route: "lock",
  caller: "caller-a",
  idempotencyKey: "key-1",
  request: { cardId: "c1" },
  success: Answer,
  status: 200
}

/** The in-memory store with some operations failing, and what was asked of it. */
const failing = (fails: ReadonlyArray<"claim" | "complete" | "release">) =>
  Effect.map(IdempotencyStore.make(), (store) => {
    const asked: Array<string> = []
    const unavailable = new StoreUnavailable({ reason: "the database is down" })
    const wrap =
      <Args extends ReadonlyArray<unknown>, A>(
        name: "claim" | "complete" | "release",
        operation: (...args: Args) => Effect.Effect<A, StoreUnavailable>
      ) =>
      (...args: Args) =>
        Effect.suspend(() => {
          asked.push(name)
          return fails.includes(name) ? Effect.fail(unavailable) : operation(...args)
        })
    const wrapped: IdempotencyStore["Type"] = {
      claimant: store.claimant,
      claim: wrap("claim", store.claim),
      complete: wrap("complete", (who: Claimant, answer) => store.complete(who, answer)),
      release: wrap("release", store.release)
    }
    return { asked, store: wrapped }
  })

describe("idempotent, on a failing store", () => {
  it.effect("a key that cannot be claimed is a 503 StoreUnavailable, and the write does not run", () =>
    Effect.gen(function* () {
      const { store } = yield* failing(["claim"])
      let runs = 0
      const error = yield* Effect.flip(idempotent(store, write, () => Effect.sync(() => ({ cardId: `c${++runs}` }))))
      expect(error.error.code).toBe("StoreUnavailable")
      expect(error.constructor.name).toBe("ServiceUnavailable")
      expect(runs).toBe(0)
    })
  )

  it.effect("an answer that cannot be kept is still given, and the key is released for a retry", () =>
    Effect.gen(function* () {
      const { asked, store } = yield* failing(["complete"])
      const response = yield* idempotent(store, write, () => Effect.succeed({ cardId: "c1" }))
      expect(HttpServerResponse.isServerResponse(response) && response.status).toBe(200)
      expect(asked).toEqual(["claim", "complete", "release"])
      // Released: a retry runs the write again rather than wait.
      let runs = 0
      yield* idempotent(store, write, () => Effect.sync(() => ({ cardId: `c${++runs}` })))
      expect(runs).toBe(1)
    })
  )

  it.effect("a key that cannot be released does not change the answer of a failed write", () =>
    Effect.gen(function* () {
      const { asked, store } = yield* failing(["release"])
      const down = new ServiceUnavailable({ error: { code: "ProviderUnavailable", message: "the provider is down" } })
      expect(yield* Effect.flip(idempotent(store, write, () => Effect.fail(down)))).toBe(down)
      expect(asked).toEqual(["claim", "release"])
    })
  )
})
