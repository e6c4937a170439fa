import { Health, type StoreUnavailable } from "@cardkit/domain"
import * as SqlClient from "@effect/sql/SqlClient"
import { Context, Effect, Layer } from "effect"

/** The store's check for readiness: `select 1` answers on its database. It holds no credential. */
const make: Effect.Effect<Health.HealthChecksShape, never, SqlClient.SqlClient> = Effect.map(
  SqlClient.SqlClient,
  (sql) => ({
    checks: [
      {
        name: "store",
        // The driver's message may quote the connection string: only that the query failed goes out.
        run: Effect.suspend(() => sql`select 1`).pipe(
          Effect.as(Health.ok("the database answers")),
          Effect.catchAll(() => Effect.succeed(Health.failing("the database does not answer")))
        )
      }
    ],
    credentials: []
  })
)

/** The store as a readiness check, when the store could not even be opened: failing with its reason. */
export const unavailable = (error: StoreUnavailable): Health.HealthChecksShape => ({
  checks: [{ name: "store", run: Effect.succeed(Health.failing(error.reason)) }],
  credentials: []
})

/** The store's health on the `SqlClient` `Store`'s layers provide. */
export class StoreHealth extends Context.Tag("@cardkit/store/StoreHealth")<StoreHealth, Health.HealthChecksShape>() {
  static readonly make = make
  static readonly layer: Layer.Layer<StoreHealth, never, SqlClient.SqlClient> = Layer.effect(StoreHealth, make)
  static readonly unavailable = unavailable
}
