import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * `effect` in one transaction at READ COMMITTED on PostgreSQL, whatever the server's default: a
 * statement that waited on a row another replica changed then re-reads it and decides on what was
 * committed, where REPEATABLE READ would fail it with a serialization error. SQLite has one
 * connection, and its transaction already serializes.
 */
export const readCommitted = <A, E, R>(sql: SqlClient.SqlClient, effect: Effect.Effect<A, E, R>) =>
  sql.withTransaction(
    Effect.zipRight(
      sql.onDialectOrElse({
        pg: () => Effect.asVoid(sql`set transaction isolation level read committed`),
        orElse: () => Effect.void
      }),
      effect
    )
  )
