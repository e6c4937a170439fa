import { afterAll, beforeAll } from "@effect/vitest"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { StoreUnavailable } from "@cardkit/domain"
import { Effect, Layer } from "effect"
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
