import { BudgetExceeded } from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { Duration, Effect, Either, Layer, TestClock } from "effect"
import fc from "fast-check"
import { decideInOrder, type Request, type Scope, touchedScopes } from "../src/internal/revealBatch.js"
import { RevealBudget, type RevealBudgetOptions, SqlRevealBudget } from "../src/RevealBudget.js"
import { databases, type StoreLayer } from "./databases.js"
import { statementTracer } from "./statementTracer.js"

/*
 * Concurrent reserves decided together: a batch decides as its reserves would have one after
 * another, in the order they were submitted, and costs a few statements (SQLite) or one call
 * (PostgreSQL) for all of them.
 */

const scopeOf = (key: string, limit: number, windowMillis: number): Scope => ({
  scope: key.startsWith("card:") ? "card" : "customer",
  key,
  limit,
  windowMillis,
  window: `${windowMillis} millis`
})

interface Event {
  readonly id: number
  readonly scope: string
  readonly at: number
}

/** The reserves run one after another on a table of events, as one transaction each would. */
const sequentially = (table: ReadonlyArray<Event>, requests: ReadonlyArray<Request>) => {
  let events = [...table]
  let nextId = Math.max(0, ...table.map((event) => event.id)) + 1
  const decisions = requests.map((request) => {
    let refusal: { scope: string; freesAt: number } | undefined
    for (const scope of request.scopes) {
      events = events.filter((event) => event.scope !== scope.key || event.at > request.now - scope.windowMillis)
      const counting = events
        .filter((event) => event.scope === scope.key)
        .map((event) => event.at)
        .sort((a, b) => a - b)
      if (counting.length < scope.limit) continue
      const freesAt = (counting[counting.length - scope.limit] ?? request.now) + scope.windowMillis
      if (refusal === undefined || freesAt > refusal.freesAt) refusal = { scope: scope.key, freesAt }
    }
    if (refusal !== undefined) return { _tag: "Refused" as const, ...refusal }
    const ids = request.scopes.map((scope) => {
      events.push({ id: nextId, scope: scope.key, at: request.now })
      return nextId++
    })
    return { _tag: "Reserved" as const, ids }
  })
  return { decisions, events }
}

const keys = ["card:c1", "card:c2", "customer:u1"] as const

const batchCase = fc.record({
  limits: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 })),
  windows: fc.tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 30 })),
  table: fc.array(fc.record({ scope: fc.integer({ min: 0, max: 2 }), at: fc.integer({ min: 0, max: 40 }) }), {
    maxLength: 12
  }),
  // Times that may go back as well as forth, as clocks of concurrent callers may.
  requests: fc.array(
    fc.record({
      card: fc.integer({ min: 0, max: 1 }),
      withCustomer: fc.boolean(),
      now: fc.integer({ min: 10, max: 60 })
    }),
    { minLength: 1, maxLength: 12 }
  )
})

type BatchCase = typeof batchCase extends fc.Arbitrary<infer A> ? A : never

/** A case's scopes, and its requests each on its card's scope and, when it says so, the customer's. */
const batchOf = ({ limits, windows, requests }: BatchCase) => {
  const scopes = keys.map((key, i) => scopeOf(key, limits[i] ?? 1, windows[i] ?? 1))
  const batch = requests.map(
    (r): Request => ({
      scopes: [scopes[r.card], ...(r.withCustomer ? [scopes[2]] : [])].filter(
        (scope): scope is Scope => scope !== undefined
      ),
      now: r.now
    })
  ) as unknown as readonly [Request, ...Array<Request>]
  return { scopes, batch }
}

describe("decideInOrder", () => {
  it.effect("decides a batch exactly as its reserves one after another, whatever their times", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(batchCase, async (testCase) => {
          const { table } = testCase
          const { scopes, batch } = batchOf(testCase)
          const events = table.map((row, i) => ({ id: i + 1, scope: keys[row.scope] ?? "", at: row.at }))
          const expected = sequentially(events, batch)

          // What the SQLite batch reads: the prune by each scope's latest time, the counts, the rest.
          const latest = new Map<string, number>()
          for (const request of batch)
            for (const scope of request.scopes)
              latest.set(scope.key, Math.max(latest.get(scope.key) ?? request.now, request.now))
          const prunes = (event: Event) => {
            const scope = scopes.find((s) => s.key === event.scope)
            const last = latest.get(event.scope)
            return scope !== undefined && last !== undefined && event.at <= last - scope.windowMillis
          }
          const stored = new Map<string, number>()
          for (const event of events) stored.set(event.scope, (stored.get(event.scope) ?? 0) + 1)
          const kept = events.filter((event) => !prunes(event))
          const decided = await Effect.runPromise(
            decideInOrder(batch, {
              stored,
              pruned: events.filter(prunes),
              oldest: (key, n) =>
                Effect.succeed(
                  kept
                    .filter((event) => event.scope === key)
                    .map((event) => event.at)
                    .sort((a, b) => a - b)
                    .slice(0, n)
                )
            })
          )

          // The inserts get ids counting up after the table's, as the database would give them.
          const firstId = events.length + 1
          expect(
            decided.decisions.map((decision) =>
              decision._tag === "Refused"
                ? { _tag: "Refused", scope: decision.scope.key, freesAt: decision.freesAt }
                : { _tag: "Reserved", ids: decision.inserts.map((i) => firstId + i) }
            )
          ).toEqual(expected.decisions)
          expect(decided.inserts.map((row, i) => ({ id: firstId + i, ...row }))).toEqual(
            expected.decisions.flatMap((decision, i) =>
              decision._tag === "Reserved"
                ? decision.ids.map((id, j) => ({ id, scope: batch[i]?.scopes[j]?.key, at: batch[i]?.now }))
                : []
            )
          )
          // What is left once the batch's own pruned events are deleted: the sequential run's events.
          const gone = new Set(decided.prunedInBatch.map((i) => firstId + i))
          const left = [...kept, ...decided.inserts.map((row, i) => ({ id: firstId + i, ...row }))].filter(
            (event) => !gone.has(event.id)
          )
          const byId = (a: Event, b: Event) => a.id - b.id
          expect(left.sort(byId)).toEqual([...expected.events].sort(byId))
          // Every count written is its scope's events, and every scope whose count changed is written.
          for (const scope of scopes) {
            const count = expected.events.filter((event) => event.scope === scope.key).length
            const written = decided.counts.find((row) => row.scope === scope.key)
            if (written !== undefined) expect(written.count).toBe(count)
            else if (latest.has(scope.key)) expect(stored.get(scope.key) ?? 0).toBe(count)
          }
        }),
        { numRuns: 300 }
      )
    )
  )
})

const hour = Duration.hours(1)

const withBudget = (options: RevealBudgetOptions, store: StoreLayer) =>
  Effect.provide(SqlRevealBudget.layer(options).pipe(Layer.provideMerge(store)))

const reserve = (cardId: string, customerId = "cust1") =>
  Effect.flatMap(RevealBudget, (budget) => budget.reserve({ cardId, customerId }))

const reserveStatements = (statements: ReadonlyArray<string>) =>
  statements.filter((text) => /reveal_events|reveal_counts|cardkit_reserve_reveal/i.test(text))

describe.each(databases)("SqlRevealBudget's batches on %s", (dialect, layer) => {
  it.effect("50 reserves at once are decided in a few statements, each answered on its own", () => {
    const { statements, tracer } = statementTracer()
    return Effect.gen(function* () {
      // Only the reserves' statements, not the migrations'.
      statements.length = 0
      const outcomes = yield* Effect.all(
        Array.from({ length: 50 }, (_, i) => Effect.either(reserve(`card${i % 5}`))),
        { concurrency: "unbounded" }
      )
      expect(outcomes.filter(Either.isRight)).toHaveLength(50)
      const ids = outcomes.flatMap((outcome) => (Either.isRight(outcome) ? outcome.right.events : []))
      expect(new Set(ids).size).toBe(100)
      const ran = reserveStatements(statements)
      if (dialect === "postgres") expect(ran.length).toBeLessThanOrEqual(10)
      // Four statements per transaction, against four per reserve one after another.
      else expect(ran.length).toBeLessThanOrEqual(16)
      const sql = yield* SqlClient.SqlClient
      const [row] = yield* sql<{ n: number | string }>`select count(*) as n from reveal_events`
      expect(Number(row?.n)).toBe(100)
    }).pipe(
      withBudget({ card: { limit: 100, window: hour }, customer: { limit: 100, window: hour } }, layer()),
      Effect.withTracer(tracer)
    )
  })

  it.effect("a lone reserve costs what it did: one call on PostgreSQL, four statements on SQLite", () => {
    const { statements, tracer } = statementTracer()
    return Effect.gen(function* () {
      statements.length = 0
      yield* reserve("card1")
      expect(reserveStatements(statements)).toHaveLength(dialect === "postgres" ? 1 : 4)
    }).pipe(withBudget({ card: { limit: 5, window: hour } }, layer()), Effect.withTracer(tracer))
  })

  it.effect("in a batch, a refusal may wait for an event the batch itself recorded", () =>
    Effect.gen(function* () {
      yield* reserve("card1")
      // The reveal at 0 has left the window: the batch prunes it, records one and refuses the rest.
      yield* TestClock.adjust(Duration.minutes(10))
      const outcomes = yield* Effect.all(
        Array.from({ length: 6 }, () => Effect.either(reserve("card1"))),
        { concurrency: "unbounded" }
      )
      const refusals = outcomes.flatMap((outcome) => (Either.isLeft(outcome) ? [outcome.left] : []))
      expect(outcomes.filter(Either.isRight)).toHaveLength(1)
      expect(refusals).toHaveLength(5)
      for (const error of refusals) {
        expect(error).toBeInstanceOf(BudgetExceeded)
        expect(error).toMatchObject({ scope: "card", retryAfterMillis: 5 * 60_000 })
      }
      if (dialect === "sqlite") expect(outcomes.map(Either.isRight)).toEqual([true, false, false, false, false, false])
      const sql = yield* SqlClient.SqlClient
      const [row] = yield* sql<{ n: number | string }>`select count(*) as n from reveal_events`
      expect(Number(row?.n)).toBe(1)
    }).pipe(withBudget({ card: { limit: 1, window: Duration.minutes(5) } }, layer()))
  )

  it.effect("concurrent reserves on two customers' cards: each budget spent exactly, nothing else", () =>
    Effect.gen(function* () {
      const outcomes = yield* Effect.all(
        Array.from({ length: 40 }, (_, i) =>
          Effect.either(reserve(`card${i % 4}`, i % 2 === 0 ? "cust1" : "cust2")).pipe(
            Effect.map((outcome) => ({ i, outcome }))
          )
        ),
        { concurrency: "unbounded" }
      )
      const passed = outcomes.filter(({ outcome }) => Either.isRight(outcome))
      // card0 and card2 are cust1's, card1 and card3 cust2's: 2 per card, 3 per customer.
      expect(passed.filter(({ i }) => i % 2 === 0)).toHaveLength(3)
      expect(passed.filter(({ i }) => i % 2 === 1)).toHaveLength(3)
      for (const card of [0, 1, 2, 3]) expect(passed.filter(({ i }) => i % 4 === card).length).toBeLessThanOrEqual(2)
      if (dialect === "sqlite")
        // One after another in the order submitted: the first three of each customer pass.
        expect(passed.map(({ i }) => i)).toEqual([0, 1, 2, 3, 4, 5])
      const sql = yield* SqlClient.SqlClient
      const counts = yield* sql<{ scope: string; count: number | string }>`select scope, count from reveal_counts
        where scope like 'customer:%' order by scope`
      expect(counts.map((row) => [row.scope, Number(row.count)])).toEqual([
        ["customer:cust1", 3],
        ["customer:cust2", 3]
      ])
    }).pipe(withBudget({ card: { limit: 2, window: hour }, customer: { limit: 3, window: hour } }, layer()))
  )
})

const postgres = databases.filter(([dialect]) => dialect === "postgres")

describe.each(postgres)("cardkit_reserve_reveals on %s", (_dialect, layer) => {
  it.effect("decides a batch exactly as its reserves one after another, whatever their times", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const run = (effect: Effect.Effect<void, unknown>) => Effect.runPromise(Effect.orDie(effect))
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(batchCase, (testCase) =>
            run(
              Effect.gen(function* () {
                const { table } = testCase
                yield* sql`delete from reveal_events`
                yield* sql`delete from reveal_counts`
                const { batch } = batchOf(testCase)
                const stored =
                  table.length === 0
                    ? []
                    : yield* sql<{ id: number | string; scope: string; at: number | string }>`insert into reveal_events
                        ${sql.insert(table.map((row) => ({ scope: keys[row.scope] ?? "", at: row.at })))}
                        returning id, scope, at`
                const events = stored.map((row) => ({ id: Number(row.id), scope: row.scope, at: Number(row.at) }))
                yield* sql`insert into reveal_counts (scope, count)
                  select scope, count(*) from reveal_events group by scope`
                const expected = sequentially(events, batch)
                const touched = touchedScopes(batch)
                const index = new Map(touched.map((scope, i) => [scope.key, i + 1]))
                const rows = yield* sql<{
                  item: number
                  events: ReadonlyArray<number | string> | null
                  refused: number | null
                  frees_at: number | string | null
                }>`select * from cardkit_reserve_reveals(
                  ${batch.map((request) => request.now)}::bigint[],
                  ${batch.flatMap((request, i) => request.scopes.map(() => i + 1))}::integer[],
                  ${batch.flatMap((request) => request.scopes.map((scope) => index.get(scope.key)))}::integer[],
                  ${touched.map((scope) => scope.key)}::text[],
                  ${touched.map((scope) => scope.limit)}::integer[],
                  ${touched.map((scope) => scope.windowMillis)}::bigint[]
                ) order by item`
                // The database's ids are its own: the model's are matched to them in the order recorded.
                const firstId = Math.max(0, ...events.map((event) => event.id)) + 1
                const recorded = rows.flatMap((row) => (row.events ?? []).map(Number))
                const idOf = new Map(recorded.map((id, i) => [firstId + i, id]))
                expect(
                  rows.map((row) =>
                    row.refused === null
                      ? { _tag: "Reserved", ids: (row.events ?? []).map(Number) }
                      : { _tag: "Refused", scope: touched[row.refused - 1]?.key, freesAt: Number(row.frees_at) }
                  )
                ).toEqual(
                  expected.decisions.map((decision) =>
                    decision._tag === "Refused"
                      ? decision
                      : { _tag: "Reserved", ids: decision.ids.map((id) => idOf.get(id)) }
                  )
                )
                const left = yield* sql<{
                  id: number | string
                  scope: string
                  at: number | string
                }>`select id, scope, at
                  from reveal_events order by id`
                expect(left.map((row) => ({ id: Number(row.id), scope: row.scope, at: Number(row.at) }))).toEqual(
                  expected.events
                    .map((event) => ({ ...event, id: idOf.get(event.id) ?? event.id }))
                    .sort((a, b) => a.id - b.id)
                )
                const counts = yield* sql<{ scope: string; count: number | string }>`select scope, count
                  from reveal_counts where count <> 0 order by scope`
                expect(counts.map((row) => [row.scope, Number(row.count)])).toEqual(
                  keys.flatMap((key) => {
                    const n = expected.events.filter((event) => event.scope === key).length
                    return n === 0 ? [] : [[key, n]]
                  })
                )
              })
            )
          ),
          { numRuns: 60 }
        )
      )
    }).pipe(Effect.provide(layer()))
  )
})
