import { StoreUnavailable } from "@cardkit/domain"
import { PgClient } from "@effect/sql-pg"
import type * as SqlClient from "@effect/sql/SqlClient"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { type Config, type ConfigError, Context, Effect, Layer } from "effect"
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { migrate } from "./internal/migrations.js"
import { StoreConfig, type StoreDatabase, type StoreOptions } from "./StoreConfig.js"

const clientLayer = (database: StoreDatabase): Layer.Layer<SqlClient.SqlClient, StoreUnavailable> => {
  switch (database._tag) {
    case "Sqlite":
      return Layer.suspend(() => {
        if (database.filename !== ":memory:") mkdirSync(dirname(database.filename), { recursive: true })
        return SqliteClient.layer({ filename: database.filename })
      }).pipe(Layer.mapError(() => new StoreUnavailable({ reason: "the SQLite database could not be opened" })))
    case "Postgres":
      return PgClient.layer({ url: database.url, applicationName: "cardkit" }).pipe(
        Layer.mapError(
          (error) =>
            // The URL holds the password: only the driver's reason goes out, never the URL.
            new StoreUnavailable({ reason: `PostgreSQL could not be reached (${reasonOf(error)})` })
        )
      )
  }
}

const reasonOf = (error: unknown): string => {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause
  return typeof cause?.code === "string" ? cause.code : "connection failed"
}

/** The tables migrated, before any service uses them. */
const migrated = (database: StoreDatabase) =>
  Layer.effectDiscard(
    migrate.pipe(Effect.mapError(() => new StoreUnavailable({ reason: "the store's schema could not be migrated" })))
  ).pipe(Layer.provideMerge(clientLayer(database)))

/**
 * cardkit's state that outlives a request and is shared by every replica: idempotency keys, the audit
 * trail, reveal budgets and signable payloads. SQLite embedded by default, PostgreSQL for replicas.
 * Its layers provide the `SqlClient` the store's services run on, with the schema migrated.
 */
export class Store extends Context.Tag("@cardkit/store/Store")<Store, { readonly dialect: StoreDatabase["_tag"] }>() {
  static readonly make = (options: StoreOptions): Effect.Effect<Store["Type"]> =>
    Effect.succeed(Store.of({ dialect: options.database._tag }))

  static readonly layer = (options: StoreOptions): Layer.Layer<Store | SqlClient.SqlClient, StoreUnavailable> =>
    Layer.merge(Layer.effect(Store, Store.make(options)), migrated(options.database))

  /** As `layer`, the database read from `config`: by default `CARDKIT_DATABASE_URL` / `CARDKIT_DATA_DIR`. */
  static readonly layerConfig = (
    config: Config.Config<StoreOptions> = StoreConfig
  ): Layer.Layer<Store | SqlClient.SqlClient, StoreUnavailable | ConfigError.ConfigError> =>
    Layer.unwrapEffect(Effect.map(config, Store.layer))

  /** An in-memory SQLite store: every test its own. */
  static readonly layerMemory: Layer.Layer<Store | SqlClient.SqlClient, StoreUnavailable> = Layer.suspend(() =>
    Store.layer({ database: { _tag: "Sqlite", filename: ":memory:" } })
  )
}

/** A store call's failure as the domain's `StoreUnavailable`: the driver's message may quote SQL, never data. */
export const orUnavailable = <A, R>(
  effect: Effect.Effect<A, unknown, R>,
  what: string
): Effect.Effect<A, StoreUnavailable, R> =>
  Effect.mapError(effect, () => new StoreUnavailable({ reason: `${what} failed` }))
