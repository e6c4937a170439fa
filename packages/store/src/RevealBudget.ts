import { BudgetExceeded, type StoreUnavailable } from "@cardkit/domain"
import * as SqlClient from "@effect/sql/SqlClient"
import { Array as Arr, Clock, Config, ConfigError, Context, Duration, Effect, Either, Layer, Option } from "effect"
import { orUnavailable } from "./Store.js"

/** At most `limit` reveals in any sliding `window`. */
export interface Budget {
  /** A positive whole number. */
  readonly limit: number
  readonly window: Duration.Duration
}

/** A budget per card and per customer (across their cards); an absent one is unlimited. */
export interface RevealBudgetOptions {
  readonly card?: Budget
  readonly customer?: Budget
}

/** What `reserve` recorded, to give back with `release` when the reveal did not happen. */
export interface Reservation {
  /** The ids of the recorded reveal events; none when unlimited. */
  readonly events: ReadonlyArray<number>
}

/** Whose budgets a reveal spends. */
export interface RevealBudgetKey {
  readonly cardId: string
  readonly customerId: string
}

/**
 * Reveal budgets: `reserve` before a reveal records it against the card's and the customer's budgets
 * (both, or neither when either is spent); `release` gives it back when the reveal did not happen.
 */
export class RevealBudget extends Context.Tag("@cardkit/store/RevealBudget")<
  RevealBudget,
  {
    readonly reserve: (key: RevealBudgetKey) => Effect.Effect<Reservation, BudgetExceeded | StoreUnavailable>
    /** Never fails: a reservation that cannot be given back only spends budget, it refuses nothing now. */
    readonly release: (reservation: Reservation) => Effect.Effect<void>
  }
>() {
  /** No budget at all: reserves nothing, touches no database. */
  static readonly unlimited: RevealBudget["Type"] = RevealBudget.of({
    reserve: () => Effect.succeed({ events: [] }),
    release: () => Effect.void
  })

  static readonly layerUnlimited: Layer.Layer<RevealBudget> = Layer.succeed(RevealBudget, RevealBudget.unlimited)
}

const expected = "must be <count>/<duration>: a positive whole count and an Effect duration, e.g. 5/1 hour"

/** `5/1 hour` as a `Budget`; the window a whole number of milliseconds, at least one. */
export const parseBudget = (text: string): Either.Either<Budget, string> => {
  const match = /^\s*(\d+)\s*\/\s*(.+?)\s*$/.exec(text)
  const limit = Number(match?.[1])
  const window = Option.filter(Duration.decodeUnknown(match?.[2]), (window) => {
    const millis = Duration.toMillis(window)
    return Number.isSafeInteger(millis) && millis >= 1
  })
  return Number.isSafeInteger(limit) && limit >= 1 && Option.isSome(window)
    ? Either.right({ limit, window: window.value })
    : Either.left(expected)
}

const budgetConfig = (name: string): Config.Config<Option.Option<Budget>> =>
  Config.option(
    Config.string(name).pipe(
      Config.mapOrFail((text) => Either.mapLeft(parseBudget(text), (message) => ConfigError.InvalidData([], message)))
    )
  )

/** `CARDKIT_REVEAL_BUDGET_CARD` and `CARDKIT_REVEAL_BUDGET_CUSTOMER`, each `<count>/<duration>`; unset = unlimited. */
export const RevealBudgetConfig: Config.Config<RevealBudgetOptions> = Config.all({
  card: budgetConfig("CARDKIT_REVEAL_BUDGET_CARD"),
  customer: budgetConfig("CARDKIT_REVEAL_BUDGET_CUSTOMER")
}).pipe(
  Config.map(
    ({ card, customer }): RevealBudgetOptions => ({
      ...(Option.isSome(card) ? { card: card.value } : {}),
      ...(Option.isSome(customer) ? { customer: customer.value } : {})
    })
  )
)

const units = ["days", "hours", "minutes", "seconds", "millis"] as const

/** A window as people write it (`1 hour`, `1 hour 30 minutes`), for `BudgetExceeded.window`. */
export const formatWindow = (window: Duration.Duration): string => {
  const parts = Duration.parts(window)
  const words = units
    .filter((unit) => parts[unit] > 0)
    .map((unit) => `${parts[unit]} ${parts[unit] === 1 ? unit.slice(0, -1) : unit}`)
  return words.length === 0 ? Duration.format(window) : words.join(" ")
}

interface Scope {
  readonly scope: BudgetExceeded["scope"]
  /** The `reveal_events.scope` value, `card:<cardId>` or `customer:<customerId>`. */
  readonly key: string
  readonly limit: number
  readonly windowMillis: number
  readonly window: string
}

const make = (options: RevealBudgetOptions): Effect.Effect<RevealBudget["Type"], never, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    if (options.card === undefined && options.customer === undefined) return RevealBudget.unlimited
    const sql = yield* SqlClient.SqlClient
    const budgets = [
      ["card", options.card],
      ["customer", options.customer]
    ] as const

    const scopesOf = (key: RevealBudgetKey): ReadonlyArray<Scope> =>
      budgets
        .flatMap(([scope, budget]) =>
          budget === undefined
            ? []
            : [
                {
                  scope,
                  key: `${scope}:${scope === "card" ? key.cardId : key.customerId}`,
                  limit: budget.limit,
                  windowMillis: Math.ceil(Duration.toMillis(budget.window)),
                  window: formatWindow(budget.window)
                }
              ]
        )
        // One order for every replica's locks, so two reserves never wait on each other in a cycle.
        .sort((a, b) => (a.key < b.key ? -1 : 1))

    /*
     * PostgreSQL: a transaction-scoped advisory lock per scope key, rather than `SELECT … FOR UPDATE`
     * on a counter row, because it needs no row to exist first (no upsert race on a scope's first
     * reveal, no second table to keep in step with the events) and is released by commit or rollback
     * whatever happens to the connection. Under READ COMMITTED each statement after the lock sees what
     * the previous holder committed, so replicas count the same events. The two-key form keeps these
     * locks apart from any other advisory lock on the server; a hash collision only serializes two
     * scopes more than needed. SQLite has one connection and its transaction already serializes.
     */
    const lock = (scope: Scope) =>
      sql.onDialectOrElse({
        pg: () =>
          Effect.asVoid(sql`select pg_advisory_xact_lock(hashtext('cardkit.reveal_events'), hashtext(${scope.key}))`),
        orElse: () => Effect.void
      })

    /** The scope's budget is spent: when the reveal that frees a place leaves the window. */
    const spent = (scope: Scope, now: number) =>
      Effect.gen(function* () {
        // Events at or before `now - window` no longer count: pruned here, cheaply, by the (scope, at) index.
        yield* sql`delete from reveal_events where scope = ${scope.key} and at <= ${now - scope.windowMillis}`
        // The newest `limit` in (now - window, now]: with `limit` of them, the oldest of those frees a place.
        const newest = yield* sql<{ at: number | string }>`select at from reveal_events
          where scope = ${scope.key} and at > ${now - scope.windowMillis} and at <= ${now}
          order by at desc limit ${scope.limit}`
        if (newest.length < scope.limit) return Option.none()
        const frees = Number(newest[scope.limit - 1]?.at ?? now) + scope.windowMillis
        return Option.some(
          new BudgetExceeded({
            scope: scope.scope,
            limit: scope.limit,
            window: scope.window,
            retryAfterMillis: Math.max(1, frees - now)
          })
        )
      })

    const attempt = (scopes: ReadonlyArray<Scope>) =>
      Effect.gen(function* () {
        // Only READ COMMITTED gives each statement after the locks a snapshot taken after them: a server
        // defaulting to REPEATABLE READ would count from before the previous holder committed.
        yield* sql.onDialectOrElse({
          pg: () => Effect.asVoid(sql`set transaction isolation level read committed`),
          orElse: () => Effect.void
        })
        yield* Effect.forEach(scopes, lock, { discard: true })
        const now = yield* Clock.currentTimeMillis
        const refusals = Arr.getSomes(yield* Effect.forEach(scopes, (scope) => spent(scope, now)))
        // Both spent: the later retry is when the reveal can actually happen.
        const refusal = refusals.reduce<BudgetExceeded | undefined>(
          (latest, error) =>
            latest === undefined || error.retryAfterMillis > latest.retryAfterMillis ? error : latest,
          undefined
        )
        if (refusal !== undefined) return Either.left(refusal)
        const rows = yield* sql<{ id: number | string }>`insert into reveal_events ${sql.insert(
          scopes.map((scope) => ({ scope: scope.key, at: now }))
        )} returning id`
        return Either.right<Reservation>({ events: rows.map((row) => Number(row.id)) })
      })

    return RevealBudget.of({
      reserve: (key) => {
        const scopes = scopesOf(key)
        // A refusal commits too: the pruning it did is kept.
        return orUnavailable(sql.withTransaction(attempt(scopes)), "reserving a reveal budget").pipe(Effect.flatten)
      },
      release: (reservation) =>
        reservation.events.length === 0
          ? Effect.void
          : sql`delete from reveal_events where id in ${sql.in(reservation.events)}`.pipe(
              Effect.asVoid,
              Effect.catchAllCause(() =>
                Effect.logWarning(
                  "a reveal budget's reservation could not be given back; it spends budget until it ages out"
                )
              )
            )
    })
  })

/** Reveal budgets kept in the store's `reveal_events`, so every replica on one database shares them. */
export class SqlRevealBudget extends Context.Tag("@cardkit/store/SqlRevealBudget")<
  SqlRevealBudget,
  RevealBudget["Type"]
>() {
  static readonly make = make

  static readonly layer = (
    options: RevealBudgetOptions
  ): Layer.Layer<SqlRevealBudget | RevealBudget, never, SqlClient.SqlClient> =>
    Layer.effect(RevealBudget, SqlRevealBudget).pipe(Layer.provideMerge(Layer.effect(SqlRevealBudget, make(options))))

  /** As `layer`, the budgets read from `config`: by default `CARDKIT_REVEAL_BUDGET_CARD` / `_CUSTOMER`. */
  static readonly layerConfig = (
    config: Config.Config<RevealBudgetOptions> = RevealBudgetConfig
  ): Layer.Layer<SqlRevealBudget | RevealBudget, ConfigError.ConfigError, SqlClient.SqlClient> =>
    Layer.unwrapEffect(Effect.map(config, SqlRevealBudget.layer))
}
