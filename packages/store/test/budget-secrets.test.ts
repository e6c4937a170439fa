import {
  AccountNumber,
  BudgetExceeded,
  CardId,
  CardNotFound,
  CardSecrets,
  CustomerId,
  GetCvvRequest
} from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, Layer, Redacted, Ref } from "effect"
import * as BudgetedCardSecrets from "../src/BudgetedCardSecrets.js"
import { type RevealBudgetOptions, SqlRevealBudget } from "../src/RevealBudget.js"
import { makeStub, type StubSecrets } from "./budget-stub.js"
import { databases, type StoreLayer } from "./databases.js"

const request = (cardId: string) =>
  GetCvvRequest.make({
    cardId: CardId.make(cardId),
    customerId: CustomerId.make("cust1"),
    accountNumber: AccountNumber.make("ACC1")
  })

const reveal = (cardId: string) => Effect.flatMap(CardSecrets, (secrets) => secrets.getCvv(request(cardId)))

/** The stub behind the budget, and the stub itself to steer and count its calls. */
const budgeted = <A, E>(
  options: RevealBudgetOptions,
  store: StoreLayer,
  body: (stub: StubSecrets) => Effect.Effect<A, E, CardSecrets>
) =>
  Effect.flatMap(makeStub, (stub) =>
    body(stub).pipe(
      Effect.provide(
        BudgetedCardSecrets.layer.pipe(
          Layer.provide(stub.layer),
          Layer.provide(SqlRevealBudget.layer(options)),
          Layer.provide(store)
        )
      )
    )
  )

const oncePerHour: RevealBudgetOptions = { card: { limit: 1, window: Duration.hours(1) } }

describe.each(databases)("BudgetedCardSecrets on %s", (_, layer) => {
  it.effect("reveals within the budget; past it, refuses without calling the provider", () =>
    budgeted({ card: { limit: 2, window: Duration.hours(1) } }, layer(), (stub) =>
      Effect.gen(function* () {
        const first = yield* reveal("card1")
        expect(first.cardId).toBe("card1")
        expect(Redacted.value(first.cvv)).toBe("123")
        yield* reveal("card1")
        const error = yield* Effect.flip(reveal("card1"))
        expect(error).toBeInstanceOf(BudgetExceeded)
        expect(error).toMatchObject({ scope: "card", limit: 2, retryAfterMillis: 60 * 60_000 })
        expect(yield* Ref.get(stub.calls)).toBe(2)
      })
    )
  )

  it.effect("a failed reveal spends nothing", () =>
    budgeted(oncePerHour, layer(), (stub) =>
      Effect.gen(function* () {
        yield* Ref.set(stub.next, "fail")
        for (let i = 0; i < 3; i++) expect(yield* Effect.flip(reveal("card1"))).toBeInstanceOf(CardNotFound)
        yield* Ref.set(stub.next, "reveal")
        yield* reveal("card1")
        expect((yield* Effect.flip(reveal("card1")))._tag).toBe("BudgetExceeded")
        expect(yield* Ref.get(stub.calls)).toBe(4)
      })
    )
  )

  it.effect("an interrupted reveal spends nothing", () =>
    budgeted(oncePerHour, layer(), (stub) =>
      Effect.gen(function* () {
        yield* Ref.set(stub.next, "hang")
        const fiber = yield* Effect.fork(reveal("card1"))
        yield* Deferred.await(stub.hanging)
        yield* Fiber.interrupt(fiber)
        yield* Ref.set(stub.next, "reveal")
        yield* reveal("card1")
        expect((yield* Effect.flip(reveal("card1")))._tag).toBe("BudgetExceeded")
      })
    )
  )
})
