import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { Duration, Effect, Either, Layer, type Redacted } from "effect"
import { RevealBudget, SqlRevealBudget } from "../src/RevealBudget.js"
import { Store } from "../src/Store.js"
import { startPostgres, type TestPostgres } from "../src/testing.js"

/*
 * Replicas on one PostgreSQL database: each its own store layer and connection pool, as separate
 * processes would be, reserving against the same budgets at once.
 */

let server: Promise<TestPostgres> | undefined

beforeAll(() => {
  server = startPostgres()
  return server.then(() => undefined)
}, 120_000)

afterAll(() => server?.then((pg) => pg.stop()))

/** One replica on the database at `url`, built in the test's scope. */
const replica = (url: Redacted.Redacted<string>) =>
  Layer.build(
    SqlRevealBudget.layer({ card: { limit: 5, window: Duration.hours(1) } }).pipe(
      Layer.provideMerge(Store.layer({ database: { _tag: "Postgres", url } }))
    )
  )

describe("SqlRevealBudget across replicas", () => {
  it.scoped(
    "two replicas, 20 reserves at once on one card with limit 5: exactly 5 pass, whatever the default isolation",
    () =>
      Effect.gen(function* () {
        const url = yield* Effect.promise(() =>
          (server ?? Promise.reject(new Error("no server"))).then((pg) => pg.createDatabase("replicas"))
        )
        // The server's default stricter than READ COMMITTED must not let a reserve count a stale snapshot.
        yield* Effect.flatMap(
          SqlClient.SqlClient,
          (sql) => sql`alter database replicas set default_transaction_isolation to 'repeatable read'`
        ).pipe(Effect.provide(Store.layer({ database: { _tag: "Postgres", url } })))
        const [first, second] = yield* Effect.all([replica(url), replica(url)])
        const outcomes = yield* Effect.all(
          Array.from({ length: 20 }, (_, i) =>
            Effect.flatMap(RevealBudget, (budget) => budget.reserve({ cardId: "card1", customerId: "cust1" })).pipe(
              Effect.either,
              Effect.provide(i % 2 === 0 ? first : second)
            )
          ),
          { concurrency: "unbounded" }
        )
        expect(outcomes.filter(Either.isRight)).toHaveLength(5)
        const [row] = yield* SqlClient.SqlClient.pipe(
          Effect.flatMap((sql) => sql<{ n: number | string }>`select count(*) as n from reveal_events`),
          Effect.provide(second)
        )
        expect(Number(row?.n)).toBe(5)
      })
  )
})
