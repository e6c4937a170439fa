import { Health, type StoreUnavailable } from "@cardkit/domain"
import * as SqlClient from "@effect/sql/SqlClient"
import { Context, Effect, Layer, Option } from "effect"

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
const unavailableShape = (reason: string): Health.HealthChecksShape => ({
  checks: [{ name: "store", run: Effect.succeed(Health.failing(reason)) }],
  credentials: []
})
export const unavailable = (error: StoreUnavailable): Health.HealthChecksShape => unavailableShape(error.reason)

/**
 * The store's health on the `SqlClient` found in context, failing when there is none: for an app
 * whose store layers (`StoreServices.layerOn`) provide the client beside the services they name.
 */
export const inContext: Effect.Effect<Health.HealthChecksShape> = Effect.flatMap(
  Effect.serviceOption(SqlClient.SqlClient),
  Option.match({
    onNone: () => Effect.succeed(unavailableShape("no store is configured")),
    onSome: (sql) => Effect.provideService(make, SqlClient.SqlClient, sql)
  })
)

/** The store's health on the `SqlClient` `Store`'s layers provide. */
export class StoreHealth extends Context.Tag("@cardkit/store/StoreHealth")<StoreHealth, Health.HealthChecksShape>() {
  static readonly make = make
  static readonly layer: Layer.Layer<StoreHealth, never, SqlClient.SqlClient> = Layer.effect(StoreHealth, make)
  static readonly unavailable = unavailable
  static readonly inContext = inContext
}
