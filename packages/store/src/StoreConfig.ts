import { Config, Option, Redacted } from "effect"

/** Where the store keeps its tables. */
export type StoreDatabase =
  /** SQLite, embedded: a file, or `:memory:` (gone with the process; tests). */
  | { readonly _tag: "Sqlite"; readonly filename: string }
  /** PostgreSQL, shared by every replica pointed at it. */
  | { readonly _tag: "Postgres"; readonly url: Redacted.Redacted<string> }

export interface StoreOptions {
  readonly database: StoreDatabase
}

/** The SQLite file under a data directory; `:memory:` as the directory keeps it in memory. */
export const sqliteIn = (dataDir: string): StoreDatabase => ({
  _tag: "Sqlite",
  filename: dataDir === ":memory:" ? ":memory:" : `${dataDir.replace(/\/+$/, "")}/cardkit.sqlite`
})

/**
 * `CARDKIT_DATABASE_URL=postgres://…` for PostgreSQL; otherwise SQLite in `CARDKIT_DATA_DIR`
 * (`.cardkit` in the working directory when unset; `:memory:` for none on disk).
 */
export const StoreConfig: Config.Config<StoreOptions> = Config.all({
  url: Config.option(
    Config.redacted().pipe(
      Config.validate({
        message: "must be a postgres:// or postgresql:// URL",
        validation: (url) => /^postgres(ql)?:\/\//.test(Redacted.value(url))
      }),
      // Nested after the check, so that its error names the variable.
      Config.nested("CARDKIT_DATABASE_URL")
    )
  ),
  dataDir: Config.withDefault(Config.nonEmptyString("CARDKIT_DATA_DIR"), ".cardkit")
}).pipe(
  Config.map(({ dataDir, url }) => ({
    database: Option.match(url, {
      onNone: () => sqliteIn(dataDir),
      onSome: (url): StoreDatabase => ({ _tag: "Postgres", url })
    })
  }))
)
