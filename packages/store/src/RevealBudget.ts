import { BudgetExceeded, type StoreUnavailable } from "@cardkit/domain"
import * as SqlClient from "@effect/sql/SqlClient"
import {
  Array as Arr,
  Clock,
  Config,
  ConfigError,
  Context,
  Duration,
  Effect,
  Either,
  Layer,
  Option,
  type Scope
} from "effect"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as GroupCommit from "./internal/groupCommit.js"
import {
  decideInOrder,
  type Outcome,
  type Request,
  type Scope as BudgetScope,
  touchedScopes
} from "./internal/revealBatch.js"
import { readCommitted } from "./internal/readCommitted.js"
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

// Reserves per batch: far below either database's limit of bound parameters.
const maxReservesPerBatch = 256

const refusalOf = (scope: BudgetScope, freesAt: number, now: number) =>
  new BudgetExceeded({
    scope: scope.scope,
    limit: scope.limit,
    window: scope.window,
    retryAfterMillis: Math.max(1, freesAt - now)
  })

const make = (
  options: RevealBudgetOptions
): Effect.Effect<RevealBudget["Type"], never, SqlClient.SqlClient | Scope.Scope> =>
  Effect.gen(function* () {
    if (options.card === undefined && options.customer === undefined) return RevealBudget.unlimited
    const sql = yield* SqlClient.SqlClient
    const budgets = [
      ["card", options.card],
      ["customer", options.customer]
    ] as const

    const scopesOf = (key: RevealBudgetKey): ReadonlyArray<BudgetScope> =>
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
        // One order for the scopes, so a refusal by both names the same one whichever replica decides.
        .sort((a, b) => (a.key < b.key ? -1 : 1))

    /*
     * Each scope's events are kept in `reveal_events` and counted in `reveal_counts`, the two changed
     * together in one transaction: a reserve deletes the events that left the window (each event once,
     * by the (scope, at) index) and takes them off the count, so it never walks the window; only a
     * refusal looks for the event that frees a place, past the `count - limit` oldest.
     */

    /*
     * PostgreSQL: the migration's functions, each one statement holding the scopes' advisory locks.
     * In autocommit the statement's own transaction ends with it, so the locks are held for one round
     * trip; that is READ COMMITTED only where the server's default is, so a replica that finds it is
     * not runs its calls from then on in a transaction set to READ COMMITTED.
     */
    let autocommitReadCommitted = true
    const atReadCommitted = <A>(call: Effect.Effect<Option.Option<A>, unknown>): Effect.Effect<A, unknown> => {
      const inTransaction = readCommitted(sql, call).pipe(
        Effect.flatMap((result) =>
          Option.isSome(result) ? Effect.succeed(result.value) : Effect.fail("not at READ COMMITTED")
        )
      )
      if (!autocommitReadCommitted) return inTransaction
      return Effect.flatMap(call, (result) => {
        if (Option.isSome(result)) return Effect.succeed(result.value)
        autocommitReadCommitted = false
        return inTransaction
      })
    }

    /** A row of either function's answer: the request's outcome, its refusal naming a scope of `scopes`. */
    interface ReserveRow {
      readonly read_committed: boolean
      readonly events: ReadonlyArray<number | string> | null
      readonly refused: number | null
      readonly frees_at: number | string | null
    }
    const outcomeOf = (row: ReserveRow, scopes: ReadonlyArray<BudgetScope>): Outcome => {
      const refused = row.refused === null ? undefined : scopes[row.refused - 1]
      return refused === undefined
        ? { _tag: "Reserved", events: (row.events ?? []).map(Number) }
        : { _tag: "Refused", scope: refused, freesAt: Number(row.frees_at) }
    }

    /** PostgreSQL, a lone reserve: one call of migration 2's function, which does less than the batch's. */
    const reserveOneOnPostgres = ({ scopes, now }: Request): Effect.Effect<Array<Outcome>, unknown> =>
      atReadCommitted(
        sql<ReserveRow>`select * from cardkit_reserve_reveal(
          ${scopes.map((scope) => scope.key)}::text[],
          ${scopes.map((scope) => scope.limit)}::integer[],
          ${scopes.map((scope) => scope.windowMillis)}::bigint[],
          ${now}::bigint
        )`.pipe(
          Effect.map(([row]) =>
            row === undefined || !row.read_committed ? Option.none() : Option.some([outcomeOf(row, scopes)])
          )
        )
      )

    /** PostgreSQL, a batch: one call of migration 3's function, which decides it in order. */
    const reserveOnPostgres = (requests: NonEmptyReadonlyArray<Request>): Effect.Effect<Array<Outcome>, unknown> => {
      if (requests.length === 1) return reserveOneOnPostgres(requests[0])
      const touched = touchedScopes(requests)
      const index = new Map(touched.map((scope, i) => [scope.key, i + 1]))
      const pairItems = requests.flatMap((request, i) => request.scopes.map(() => i + 1))
      const pairScopes = requests.flatMap((request) => request.scopes.map((scope) => index.get(scope.key)))
      return atReadCommitted(
        sql<ReserveRow & { readonly item: number | null }>`select * from cardkit_reserve_reveals(
          ${requests.map((request) => request.now)}::bigint[],
          ${pairItems}::integer[],
          ${pairScopes}::integer[],
          ${touched.map((scope) => scope.key)}::text[],
          ${touched.map((scope) => scope.limit)}::integer[],
          ${touched.map((scope) => scope.windowMillis)}::bigint[]
        ) order by item`.pipe(
          Effect.map((rows) =>
            rows[0] === undefined || !rows[0].read_committed
              ? Option.none()
              : Option.some(rows.map((row) => outcomeOf(row, touched)))
          )
        )
      )
    }

    /**
     * SQLite: a batch in one transaction, which its one connection already serializes: the events that
     * leave the window by the batch's latest time deleted and every touched count read, the requests
     * decided in memory in submission order (`decideInOrder`), then their events inserted and the
     * changed counts written, one statement each.
     */
    const reserveOnSqlite = (requests: NonEmptyReadonlyArray<Request>): Effect.Effect<Array<Outcome>, unknown> =>
      sql.withTransaction(
        Effect.gen(function* () {
          const touched = touchedScopes(requests)
          const latest = new Map<string, number>()
          for (const request of requests)
            for (const scope of request.scopes)
              latest.set(scope.key, Math.max(latest.get(scope.key) ?? request.now, request.now))
          const pruned = yield* sql<{ scope: string; at: number }>`delete from reveal_events where ${sql.or(
            touched.map(
              (scope) => sql`(scope = ${scope.key} and at <= ${(latest.get(scope.key) ?? 0) - scope.windowMillis})`
            )
          )} returning scope, at`
          const stored = yield* sql<{ scope: string; count: number }>`select scope, count from reveal_counts
            where scope in ${sql.in(touched.map((scope) => scope.key))}`
          const decided = yield* decideInOrder(requests, {
            stored: new Map(stored.map((row) => [row.scope, row.count])),
            pruned,
            // What the table holds of a scope once pruned, oldest first: none of the batch's events yet.
            oldest: (key, n) =>
              Effect.map(
                sql<{ at: number }>`select at from reveal_events where scope = ${key} order by at asc limit ${n}`,
                (rows) => rows.map((row) => row.at)
              )
          })
          const inserted =
            decided.inserts.length === 0
              ? []
              : yield* sql<{ id: number }>`insert into reveal_events ${sql.insert(decided.inserts)} returning id`
          // Ids count up in the order of the inserted rows, whatever order RETURNING lists them in.
          const ids = inserted.map((row) => row.id).sort((a, b) => a - b)
          const gone = decided.prunedInBatch.map((i) => ids[i] ?? 0)
          if (gone.length > 0) yield* sql`delete from reveal_events where id in ${sql.in(gone)}`
          if (decided.counts.length > 0)
            yield* sql`insert into reveal_counts ${sql.insert(decided.counts)}
              on conflict (scope) do update set count = excluded.count`
          return decided.decisions.map(
            (decision): Outcome =>
              decision._tag === "Refused"
                ? decision
                : { _tag: "Reserved", events: decision.inserts.map((i) => ids[i] ?? 0) }
          )
        })
      )

    const releaseOnPostgres = (events: ReadonlyArray<number>) =>
      atReadCommitted(
        sql<{ released: boolean }>`select cardkit_release_reveal(${events}::bigint[]) as released`.pipe(
          Effect.map(([row]) => (row?.released === true ? Option.some(undefined) : Option.none()))
        )
      )

    const releaseOnSqlite = (events: ReadonlyArray<number>) =>
      sql.withTransaction(
        Effect.gen(function* () {
          const gone = yield* sql<{ scope: string }>`delete from reveal_events where id in ${sql.in(
            events
          )} returning scope`
          const scopes = Arr.dedupe(gone.map((row) => row.scope))
          yield* Effect.forEach(
            scopes,
            (scope) =>
              sql`update reveal_counts set count = count - ${gone.filter((row) => row.scope === scope).length}
                where scope = ${scope}`,
            { discard: true }
          )
        })
      )

    // Concurrent reserves are decided together (group commit), each answered with its own outcome.
    const submit = yield* GroupCommit.makeEach(
      (requests: NonEmptyReadonlyArray<Request>) =>
        orUnavailable(
          sql.onDialectOrElse({
            pg: () => reserveOnPostgres(requests),
            orElse: () => reserveOnSqlite(requests)
          }),
          "reserving a reveal budget"
        ),
      // On PostgreSQL batches of other cards need not wait for each other, and one waiting on a lock
      // another holds is handed it by the server without a round trip; SQLite has one connection.
      { maxBatch: maxReservesPerBatch, maxWriting: sql.onDialectOrElse({ pg: () => 4, orElse: () => 1 }) }
    )

    return RevealBudget.of({
      reserve: (key) =>
        Effect.gen(function* () {
          const scopes = scopesOf(key)
          const now = yield* Clock.currentTimeMillis
          // A refusal commits too: the pruning it did is kept.
          const outcome = yield* submit({ scopes, now })
          return outcome._tag === "Reserved"
            ? { events: outcome.events }
            : yield* Effect.fail(refusalOf(outcome.scope, outcome.freesAt, now))
        }),
      release: (reservation) =>
        reservation.events.length === 0
          ? Effect.void
          : sql
              .onDialectOrElse({
                pg: () => releaseOnPostgres(reservation.events),
                orElse: () => releaseOnSqlite(reservation.events)
              })
              .pipe(
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
    Layer.effect(RevealBudget, SqlRevealBudget).pipe(Layer.provideMerge(Layer.scoped(SqlRevealBudget, make(options))))

  /** As `layer`, the budgets read from `config`: by default `CARDKIT_REVEAL_BUDGET_CARD` / `_CUSTOMER`. */
  static readonly layerConfig = (
    config: Config.Config<RevealBudgetOptions> = RevealBudgetConfig
  ): Layer.Layer<SqlRevealBudget | RevealBudget, ConfigError.ConfigError, SqlClient.SqlClient> =>
    Layer.unwrapEffect(Effect.map(config, SqlRevealBudget.layer))
}
