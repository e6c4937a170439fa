import { BudgetExceeded } from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import { Clock, Duration, Effect, Either, Layer, Runtime, type Scope, TestClock } from "effect"
import fc from "fast-check"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { migrations } from "../src/internal/migrations.js"
import { RevealBudget, type RevealBudgetOptions, type Reservation, SqlRevealBudget } from "../src/RevealBudget.js"
import { Store } from "../src/Store.js"
import type { StoreDatabase } from "../src/StoreConfig.js"
import { databases, postgresDatabase, type StoreLayer } from "./databases.js"

/*
 * The per-scope counts beside the events: whatever reserves, refusals, prunes and releases happen,
 * each scope's count is the number of its events, and every outcome is the sliding window's.
 */

const withBudget = (options: RevealBudgetOptions, store: StoreLayer) =>
  Effect.provide(SqlRevealBudget.layer(options).pipe(Layer.provideMerge(store)))

/** Each scope's stored count beside the number of its events, for every scope either table names. */
const countsAndEvents = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ scope: string; count: number | string | null; events: number | string }>`
    select s.scope, c.count, (select count(*) from reveal_events e where e.scope = s.scope) as events
    from (select scope from reveal_events union select scope from reveal_counts) s
    left join reveal_counts c on c.scope = s.scope
    order by s.scope`.pipe(
    Effect.map((rows) =>
      rows.map((row) => ({ scope: row.scope, count: Number(row.count ?? 0), events: Number(row.events) }))
    )
  )
)

const expectCountsRight = Effect.map(countsAndEvents, (rows) => {
  for (const row of rows) expect(row, row.scope).toMatchObject({ count: row.events })
  return rows
})

const card = { limit: 2, window: 30 }
const customer = { limit: 3, window: 50 }

type Step =
  | { readonly _tag: "reserve"; readonly card: string; readonly customer: string }
  | { readonly _tag: "wait"; readonly millis: number }
  | { readonly _tag: "release"; readonly which: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    _tag: fc.constant("reserve" as const),
    card: fc.constantFrom("c1", "c2", "c3"),
    customer: fc.constantFrom("u1", "u2")
  }),
  fc.record({ _tag: fc.constant("wait" as const), millis: fc.integer({ min: 0, max: 25 }) }),
  // Any reservation made so far, even one already given back: a second release must change nothing.
  fc.record({ _tag: fc.constant("release" as const), which: fc.nat() })
)

/** The sliding window as the budget's contract states it, over the events not given back. */
const modelOutcome = (
  events: ReadonlyArray<{ readonly scope: string; readonly at: number }>,
  cardId: string,
  customerId: string,
  now: number
) => {
  let refusal: { scope: "card" | "customer"; retryAfterMillis: number; limit: number } | undefined
  for (const [scope, key, budget] of [
    ["card", `card:${cardId}`, card],
    ["customer", `customer:${customerId}`, customer]
  ] as const) {
    const counting = events
      .filter((event) => event.scope === key && event.at > now - budget.window)
      .map((event) => event.at)
      .sort((a, b) => a - b)
    if (counting.length < budget.limit) continue
    const retryAfterMillis = Math.max(1, (counting[counting.length - budget.limit] ?? now) + budget.window - now)
    if (refusal === undefined || retryAfterMillis > refusal.retryAfterMillis)
      refusal = { scope, retryAfterMillis, limit: budget.limit }
  }
  return refusal
}

describe.each(databases)("SqlRevealBudget's counts on %s", (_dialect, layer) => {
  it.effect("every outcome is the sliding window's and every count its scope's events, through any steps", () =>
    Effect.gen(function* () {
      const budget = yield* RevealBudget
      const sql = yield* SqlClient.SqlClient
      const run = Runtime.runPromise(yield* Effect.runtime<SqlClient.SqlClient>())
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 50 }), (steps) =>
            run(
              Effect.gen(function* () {
                yield* sql`delete from reveal_events`
                yield* sql`delete from reveal_counts`
                const reservations: Array<{ reservation: Reservation; card: string; customer: string; at: number }> = []
                const released = new Set<number>()
                for (const s of steps) {
                  if (s._tag === "wait") {
                    yield* TestClock.adjust(s.millis)
                  } else if (s._tag === "release") {
                    if (reservations.length === 0) continue
                    const which = s.which % reservations.length
                    yield* budget.release(reservations[which]?.reservation ?? { events: [] })
                    released.add(which)
                  } else {
                    const now = yield* Clock.currentTimeMillis
                    const kept = reservations.filter((_, i) => !released.has(i))
                    const events = kept.flatMap((r) => [
                      { scope: `card:${r.card}`, at: r.at },
                      { scope: `customer:${r.customer}`, at: r.at }
                    ])
                    const expected = modelOutcome(events, s.card, s.customer, now)
                    const key = { cardId: s.card, customerId: s.customer }
                    if (expected === undefined) {
                      const reservation = yield* budget.reserve(key)
                      expect(reservation.events).toHaveLength(2)
                      reservations.push({ reservation, card: s.card, customer: s.customer, at: now })
                    } else {
                      const error = yield* Effect.flip(budget.reserve(key))
                      expect(error).toBeInstanceOf(BudgetExceeded)
                      expect(error).toMatchObject(expected)
                    }
                  }
                  yield* expectCountsRight
                }
              })
            )
          ),
          { numRuns: 40 }
        )
      )
    }).pipe(
      withBudget(
        {
          card: { limit: card.limit, window: Duration.millis(card.window) },
          customer: { limit: customer.limit, window: Duration.millis(customer.window) }
        },
        layer()
      )
    )
  )

  it.effect("concurrent reserves and releases leave every count at its scope's events", () =>
    Effect.gen(function* () {
      const budget = yield* RevealBudget
      const outcomes = yield* Effect.all(
        Array.from({ length: 30 }, (_, i) =>
          budget.reserve({ cardId: `card${i % 3}`, customerId: "cust1" }).pipe(
            // Every other success is given back, as a reveal that failed would be.
            Effect.tap((reservation) => (i % 2 === 0 ? budget.release(reservation) : Effect.void)),
            Effect.either
          )
        ),
        { concurrency: "unbounded" }
      )
      expect(outcomes.filter(Either.isRight).length).toBeGreaterThanOrEqual(5)
      const rows = yield* expectCountsRight
      expect(rows.find((row) => row.scope === "customer:cust1")?.count).toBeLessThanOrEqual(5)
      yield* TestClock.adjust(Duration.hours(1))
      yield* Effect.either(budget.reserve({ cardId: "card0", customerId: "cust1" }))
      expect((yield* expectCountsRight).find((row) => row.scope === "customer:cust1")?.count).toBe(1)
    }).pipe(
      withBudget(
        { card: { limit: 3, window: Duration.hours(1) }, customer: { limit: 5, window: Duration.hours(1) } },
        layer()
      )
    )
  )
})

/** A database migrated only as far as `1_initial`, as a developer's local one may be. */
const atMigrationOne = (client: Layer.Layer<SqlClient.SqlClient, unknown>) =>
  Migrator.make({})({
    loader: Effect.map(migrations, (all) => all.filter(([id]) => id === 1)),
    table: "cardkit_migrations"
  }).pipe(
    Effect.zipRight(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) =>
          sql`insert into reveal_events (scope, at) values ('card:card1', 0), ('card:card1', 10), ('card:card2', 20)`
      )
    ),
    Effect.scoped,
    Effect.provide(client),
    Effect.orDie
  )

const migrationCases: ReadonlyArray<
  readonly [
    name: string,
    setup: Effect.Effect<
      { database: StoreDatabase; client: Layer.Layer<SqlClient.SqlClient, unknown> },
      never,
      Scope.Scope
    >
  ]
> = [
  [
    "sqlite",
    Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "cardkit-budget-migration-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    ).pipe(
      Effect.map((dir) => {
        const filename = join(dir, "store.sqlite")
        return { database: { _tag: "Sqlite", filename } as const, client: SqliteClient.layer({ filename }) }
      })
    )
  ],
  [
    "postgres",
    Effect.map(postgresDatabase, (url) => ({
      database: { _tag: "Postgres", url } as const,
      client: PgClient.layer({ url })
    }))
  ]
]

describe.each(migrationCases)("migration 2_reveal_budget_counts on %s", (_dialect, setup) => {
  it.scoped("counts the events a database at migration 1 already holds", () =>
    Effect.gen(function* () {
      const { database, client } = yield* setup
      yield* atMigrationOne(client)
      yield* Effect.gen(function* () {
        expect(yield* countsAndEvents).toEqual([
          { scope: "card:card1", count: 2, events: 2 },
          { scope: "card:card2", count: 1, events: 1 }
        ])
        yield* TestClock.adjust(30)
        const budget = yield* RevealBudget
        // card1's two events still count: the third reveal waits for the one at 0 to leave at 100.
        expect(yield* Effect.flip(budget.reserve({ cardId: "card1", customerId: "cust1" }))).toMatchObject({
          scope: "card",
          retryAfterMillis: 70
        })
        yield* budget.reserve({ cardId: "card2", customerId: "cust1" })
        yield* expectCountsRight
      }).pipe(withBudget({ card: { limit: 2, window: Duration.millis(100) } }, Store.layer({ database })))
    })
  )
})
