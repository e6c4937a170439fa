import { describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { ConfigProvider, Effect, Either } from "effect"
import { migrate } from "../src/internal/migrations.js"
import { Store } from "../src/Store.js"
import { StoreConfig } from "../src/StoreConfig.js"
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
      expect(migrations.map((m) => [Number(m.migration_id), m.name])).toEqual([
        [1, "initial"],
        [2, "reveal_budget_counts"],
        [3, "reveal_budget_batches"]
      ])
      expect(yield* migrate).toEqual([])
      yield* sql`insert into audit_records (at, operation, outcome) values (1, 'revealCvv', 'ok')`
      yield* sql`insert into audit_records (at, operation, outcome) values (2, 'revealCvv', 'ok')`
      const ids = yield* sql<{ id: number | string }>`select id from audit_records order by id`
      expect(ids.map((row) => Number(row.id))).toEqual([1, 2])
    }).pipe(Effect.provide(layer()))
  )
})

describe("StoreConfig", () => {
  const read = (env: Record<string, string>) =>
    Effect.either(Effect.withConfigProvider(StoreConfig, ConfigProvider.fromMap(new Map(Object.entries(env)))))

  it.effect(
    "SQLite in CARDKIT_DATA_DIR by default, PostgreSQL with CARDKIT_DATABASE_URL; a bad URL is named, not echoed",
    () =>
      Effect.gen(function* () {
        expect(yield* read({})).toEqual(
          Either.right({ database: { _tag: "Sqlite", filename: ".cardkit/cardkit.sqlite" } })
        )
        expect(yield* read({ CARDKIT_DATA_DIR: "/var/lib/cardkit/" })).toEqual(
          Either.right({ database: { _tag: "Sqlite", filename: "/var/lib/cardkit/cardkit.sqlite" } })
        )
        expect(yield* read({ CARDKIT_DATA_DIR: ":memory:" })).toEqual(
          Either.right({ database: { _tag: "Sqlite", filename: ":memory:" } })
        )
        const pg = yield* read({ CARDKIT_DATABASE_URL: "postgres://u:secret@db:5432/cardkit" })
        expect(Either.getOrThrow(pg).database._tag).toBe("Postgres")
        const bad = yield* Effect.flip(
          Effect.withConfigProvider(
            StoreConfig,
            ConfigProvider.fromMap(new Map([["CARDKIT_DATABASE_URL", "mysql://u:secret@db/cardkit"]]))
          )
        )
        expect(String(bad)).toContain("CARDKIT_DATABASE_URL")
        expect(String(bad)).not.toContain("secret")
      })
  )
})
