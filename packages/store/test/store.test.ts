import { describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { migrate } from "../src/internal/migrations.js"
import { Store } from "../src/Store.js"
import { databases } from "./databases.js"

describe.each(databases)("Store on %s", (dialect, layer) => {
  it.effect("migrates an empty database, and migrating again runs nothing", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      expect((yield* Store).dialect).toBe(dialect === "sqlite" ? "Sqlite" : "Postgres")
      const migrations = yield* sql<{
        migration_id: number
        name: string
      }>`select migration_id, name from cardkit_migrations`
      expect(migrations.map((m) => [Number(m.migration_id), m.name])).toEqual([[1, "initial"]])
      expect(yield* migrate).toEqual([])
      yield* sql`insert into audit_records (at, operation, outcome) values (1, 'revealCvv', 'ok')`
      yield* sql`insert into audit_records (at, operation, outcome) values (2, 'revealCvv', 'ok')`
      const ids = yield* sql<{ id: number | string }>`select id from audit_records order by id`
      expect(ids.map((row) => Number(row.id))).toEqual([1, 2])
    }).pipe(Effect.provide(layer()))
  )
})
