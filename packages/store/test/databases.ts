import { afterAll, beforeAll } from "@effect/vitest"
import type * as SqlClient from "@effect/sql/SqlClient"
import { SqlClient as SqlClientTag } from "@effect/sql/SqlClient"
import type { StoreUnavailable } from "@cardkit/domain"
import { Effect, Layer } from "effect"
import type { Context, Redacted, Scope } from "effect"
import { Store } from "../src/Store.js"
import { startPostgres, type TestPostgres } from "../src/testing.js"

/*
 * Every store suite runs against both databases: SQLite in memory and a PostgreSQL 15 server this
 * file's suites share (started once per test file, a fresh database per layer).
 */

let server: Promise<TestPostgres> | undefined
let count = 0

beforeAll(() => {
  server = startPostgres()
  return server.then(() => undefined)
}, 120_000)

afterAll(() => server?.then((s) => s.stop()))

export type StoreLayer = Layer.Layer<Store | SqlClient.SqlClient, StoreUnavailable>

export const databases: ReadonlyArray<readonly [name: string, layer: () => StoreLayer]> = [
  ["sqlite", () => Store.layerMemory],
  [
    "postgres",
    () =>
      Layer.unwrapEffect(
        Effect.promise(async () => {
          const pg = await (server ?? Promise.reject(new Error("the PostgreSQL server was not started")))
          const url = await pg.createDatabase(`t${process.pid}_${++count}`)
          return Store.layer({ database: { _tag: "Postgres", url } })
        })
      )
  ]
]

/** A fresh database on the suites' PostgreSQL server, its URL usable twice: two replicas on one database. */
export const postgresDatabase: Effect.Effect<Redacted.Redacted<string>> = Effect.promise(async () => {
  const pg = await (server ?? Promise.reject(new Error("the PostgreSQL server was not started")))
  return pg.createDatabase(`t${process.pid}_${++count}`)
})

/** A store on `url`, with `services` over its `SqlClient`, built in the test's scope: one replica. */
export const replicaOn = <A, E>(
  url: Redacted.Redacted<string>,
  services: Layer.Layer<A, E, SqlClient.SqlClient>
): Effect.Effect<Context.Context<A>, E | StoreUnavailable, Scope.Scope> =>
  Layer.build(services.pipe(Layer.provide(Store.layer({ database: { _tag: "Postgres", url } }))))

/** Makes REPEATABLE READ the default of the database at `url`, for the connections opened after. */
export const repeatableReadByDefault = (url: Redacted.Redacted<string>): Effect.Effect<void, unknown> =>
  Effect.scoped(
    Effect.gen(function* () {
      const sql = yield* SqlClientTag
      const [row] = yield* sql<{ name: string }>`select current_database() as name`
      yield* sql.unsafe(`alter database "${row?.name}" set default_transaction_isolation = 'repeatable read'`)
    }).pipe(Effect.provide(Store.layer({ database: { _tag: "Postgres", url } })))
  )
