import { BudgetExceeded, StoreUnavailable } from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { Duration, Effect, Either, Layer, TestClock } from "effect"
import { RevealBudget, type RevealBudgetOptions, SqlRevealBudget } from "../src/RevealBudget.js"
import { databases, type StoreLayer } from "./databases.js"

const hour = Duration.hours(1)
const minute = 60_000

const withBudget = (options: RevealBudgetOptions, store: StoreLayer) =>
  Effect.provide(SqlRevealBudget.layer(options).pipe(Layer.provideMerge(store)))

const reserve = (cardId: string, customerId = "cust1") =>
  Effect.flatMap(RevealBudget, (budget) => budget.reserve({ cardId, customerId }))

/** The reserve's refusal: anything but `BudgetExceeded` fails the test. */
const refusal = (cardId: string, customerId = "cust1") =>
  Effect.flip(reserve(cardId, customerId)).pipe(
    Effect.filterOrDieMessage(
      (error): error is BudgetExceeded => error instanceof BudgetExceeded,
      "expected BudgetExceeded"
    )
  )

const eventsOf = (scope: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ n: number | string }>`select count(*) as n from reveal_events where scope = ${scope}`.pipe(
      Effect.map((rows) => Number(rows[0]?.n))
    )
  )

describe.each(databases)("SqlRevealBudget on %s", (dialect, layer) => {
  it.effect("refuses the reveal past the card's limit, naming the scope and when to retry", () =>
    Effect.gen(function* () {
      yield* reserve("card1")
      yield* TestClock.adjust(Duration.minutes(1))
      yield* reserve("card1")
      yield* TestClock.adjust(Duration.minutes(1))
      yield* reserve("card1")
      const error = yield* refusal("card1")
      expect(error).toBeInstanceOf(BudgetExceeded)
      expect(error).toMatchObject({
        scope: "card",
        limit: 3,
        window: "1 hour",
        retryAfterMillis: 60 * minute - 2 * minute
      })
      expect(error.message).toBe("the card's reveal budget of 3 per 1 hour is spent: retry in 3480 s")
      // Another card of the same customer has its own budget.
      yield* reserve("card2")
      expect(yield* eventsOf("card:card1")).toBe(3)
    }).pipe(withBudget({ card: { limit: 3, window: hour } }, layer()))
  )

  it.effect("slides: allowed again exactly when the oldest counting reveal leaves the window", () =>
    Effect.gen(function* () {
      yield* reserve("card1")
      yield* TestClock.adjust(Duration.minutes(10))
      yield* reserve("card1")
      yield* TestClock.adjust(Duration.minutes(5))
      expect((yield* refusal("card1")).retryAfterMillis).toBe(45 * minute)
      yield* TestClock.adjust(45 * minute - 1)
      expect((yield* refusal("card1")).retryAfterMillis).toBe(1)
      yield* TestClock.adjust(1)
      yield* reserve("card1")
      // Now the reveal at 10 minutes is the oldest that counts: it leaves at 70 minutes.
      expect((yield* refusal("card1")).retryAfterMillis).toBe(10 * minute)
      yield* TestClock.adjust(Duration.minutes(10))
      yield* reserve("card1")
    }).pipe(withBudget({ card: { limit: 2, window: hour } }, layer()))
  )

  it.effect("the customer's budget spans their cards; other customers are apart", () =>
    Effect.gen(function* () {
      yield* reserve("card1")
      yield* reserve("card2")
      const error = yield* refusal("card3")
      expect(error).toMatchObject({ scope: "customer", limit: 2, window: "10 minutes", retryAfterMillis: 10 * minute })
      yield* reserve("card3", "cust2")
      yield* reserve("card1", "cust2")
      expect(yield* eventsOf("customer:cust1")).toBe(2)
      expect(yield* eventsOf("customer:cust2")).toBe(2)
      // No card budget: nothing is kept per card.
      expect(yield* eventsOf("card:card3")).toBe(0)
    }).pipe(withBudget({ customer: { limit: 2, window: Duration.minutes(10) } }, layer()))
  )

  it.effect("records both scopes or neither", () =>
    Effect.gen(function* () {
      yield* reserve("card1")
      yield* reserve("card1")
      expect((yield* refusal("card1")).scope).toBe("card")
      // The refused reveal did not spend the customer's budget.
      expect(yield* eventsOf("customer:cust1")).toBe(2)
      yield* reserve("card2")
      expect((yield* refusal("card2")).scope).toBe("customer")
      expect(yield* eventsOf("card:card2")).toBe(1)
      expect(yield* eventsOf("customer:cust1")).toBe(3)
    }).pipe(withBudget({ card: { limit: 2, window: hour }, customer: { limit: 3, window: hour } }, layer()))
  )

  it.effect("both spent: the refusal is the one that frees last", () =>
    Effect.gen(function* () {
      yield* reserve("card1")
      const error = yield* refusal("card1")
      expect(error).toMatchObject({ scope: "customer", window: "2 hours", retryAfterMillis: 2 * 60 * minute })
    }).pipe(
      withBudget({ card: { limit: 1, window: hour }, customer: { limit: 1, window: Duration.hours(2) } }, layer())
    )
  )

  it.effect("a released reservation gives its budget back", () =>
    Effect.gen(function* () {
      const budget = yield* RevealBudget
      const reservation = yield* reserve("card1")
      expect(reservation.events).toHaveLength(2)
      yield* refusal("card1")
      yield* budget.release(reservation)
      expect(yield* eventsOf("card:card1")).toBe(0)
      expect(yield* eventsOf("customer:cust1")).toBe(0)
      yield* reserve("card1")
    }).pipe(withBudget({ card: { limit: 1, window: hour }, customer: { limit: 5, window: hour } }, layer()))
  )

  it.effect("prunes the events that left the window", () =>
    Effect.gen(function* () {
      yield* reserve("card1")
      yield* reserve("card1")
      yield* TestClock.adjust(Duration.minutes(1))
      yield* reserve("card1")
      expect(yield* eventsOf("card:card1")).toBe(1)
    }).pipe(withBudget({ card: { limit: 2, window: Duration.minutes(1) } }, layer()))
  )

  it.effect("a store that fails is StoreUnavailable, not a refusal", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql`drop table reveal_events`
      expect(yield* Effect.flip(reserve("card1"))).toBeInstanceOf(StoreUnavailable)
    }).pipe(withBudget({ card: { limit: 1, window: hour } }, layer()))
  )

  it.effect("20 concurrent reserves on one card with limit 5: exactly 5 pass", () =>
    Effect.gen(function* () {
      const outcomes = yield* Effect.all(
        Array.from({ length: 20 }, () => Effect.either(reserve("card1"))),
        { concurrency: "unbounded" }
      )
      expect(outcomes.filter(Either.isRight)).toHaveLength(5)
      const refusals = outcomes.filter(Either.isLeft).map((outcome) => outcome.left)
      expect(refusals).toHaveLength(15)
      for (const error of refusals) expect(error).toMatchObject({ _tag: "BudgetExceeded", scope: "card" })
      expect(yield* eventsOf("card:card1")).toBe(5)
      if (dialect === "postgres") {
        // The reserves ran on several connections at once, not one after the other on one.
        const sql = yield* SqlClient.SqlClient
        const [row] = yield* sql<{ n: number | string }>`select count(*) as n from pg_stat_activity
          where datname = current_database() and backend_type = 'client backend'`
        expect(Number(row?.n)).toBeGreaterThan(2)
      }
    }).pipe(withBudget({ card: { limit: 5, window: hour } }, layer()))
  )

  it.effect("20 concurrent reserves on a customer's 20 cards with limit 5: exactly 5 pass", () =>
    Effect.gen(function* () {
      const outcomes = yield* Effect.all(
        Array.from({ length: 20 }, (_, i) => Effect.either(reserve(`card${i}`))),
        { concurrency: "unbounded" }
      )
      expect(outcomes.filter(Either.isRight)).toHaveLength(5)
      expect(yield* eventsOf("customer:cust1")).toBe(5)
      const sql = yield* SqlClient.SqlClient
      const [cards] = yield* sql<{
        n: number | string
      }>`select count(*) as n from reveal_events where scope like 'card:%'`
      expect(Number(cards?.n)).toBe(5)
    }).pipe(withBudget({ card: { limit: 1, window: hour }, customer: { limit: 5, window: hour } }, layer()))
  )
})
