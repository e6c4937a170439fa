import { CardId, CustomerId } from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { Clock, DateTime, Effect, Either, Layer, Runtime, Schema, TestClock } from "effect"
import fc from "fast-check"
import { type AuditEntry, AuditQuery, type AuditRecord, AuditTrail, SqlAuditTrail } from "../src/AuditTrail.js"
import { databases } from "./databases.js"

const entry = (fields: Partial<AuditEntry> = {}): AuditEntry => ({
  apiKeyId: "key_ops",
  customerId: "cust-1",
  cardId: "card-1",
  operation: "lock",
  outcome: "ok",
  providerReference: null,
  requestId: "req-a",
  clientAddress: "10.0.0.7",
  ...fields
})

type QueryFields = { readonly [K in keyof typeof AuditQuery.Type]?: (typeof AuditQuery.Type)[K] | undefined }

const query = ({ limit, ...fields }: QueryFields = {}) =>
  new AuditQuery(limit === undefined ? fields : { ...fields, limit })

/** Every record `query` selects, page after page, failing on a page that repeats one. */
const walk = (trail: AuditTrail["Type"], base: Omit<QueryFields, "cursor">) =>
  Effect.gen(function* () {
    const seen: Array<AuditRecord> = []
    let cursor: string | undefined
    for (let pages = 0; ; pages++) {
      if (pages > 200) return yield* Effect.die("the cursor does not end")
      const page = yield* trail.list(query({ ...base, cursor }))
      expect(page.records.length).toBeLessThanOrEqual(base.limit ?? 50)
      seen.push(...page.records)
      if (page.next === null) return seen
      expect(page.records.length).toBe(base.limit ?? 50)
      cursor = page.next
    }
  })

describe.each(databases)("SqlAuditTrail on %s", (_, layer) => {
  const provided = <A, E>(effect: Effect.Effect<A, E, AuditTrail | SqlClient.SqlClient>) =>
    Effect.provide(effect, SqlAuditTrail.layer.pipe(Layer.provideMerge(layer())))

  it.effect("records every field, timed by the Clock, and lists them newest first", () =>
    provided(
      Effect.gen(function* () {
        const trail = yield* AuditTrail
        yield* TestClock.setTime(1_000)
        yield* trail.record(entry({ operation: "getCvv", providerReference: "REF-r1" }))
        yield* TestClock.setTime(2_000)
        yield* trail.record(
          entry({ apiKeyId: null, cardId: null, operation: "issueCard", outcome: "ProviderTimeout", requestId: null })
        )
        const page = yield* trail.list(query())
        expect(page.next).toBeNull()
        expect(page.records.map((r) => [r.operation, DateTime.toEpochMillis(r.at)])).toEqual([
          ["issueCard", 2_000],
          ["getCvv", 1_000]
        ])
        const [second, first] = page.records
        expect({ ...first, id: undefined, at: undefined }).toEqual({
          ...entry({ operation: "getCvv", providerReference: "REF-r1" }),
          id: undefined,
          at: undefined
        })
        expect(second).toMatchObject({
          apiKeyId: null,
          cardId: null,
          outcome: "ProviderTimeout",
          requestId: null,
          customerId: "cust-1"
        })
        expect(Number(second?.id)).toBeGreaterThan(Number(first?.id))
      })
    )
  )

  it.effect("filters by card, customer and time (since inclusive, until exclusive), combined with AND", () =>
    provided(
      Effect.gen(function* () {
        const trail = yield* AuditTrail
        const rows: ReadonlyArray<readonly [number, string, string]> = [
          [100, "cust-1", "card-1"],
          [200, "cust-1", "card-2"],
          [300, "cust-2", "card-3"],
          [400, "cust-1", "card-1"]
        ]
        for (const [at, customerId, cardId] of rows) {
          yield* TestClock.setTime(at)
          yield* trail.record(entry({ customerId, cardId, requestId: `at${at}` }))
        }
        const ats = (fields: QueryFields) =>
          Effect.map(trail.list(query(fields)), (page) => page.records.map((r) => DateTime.toEpochMillis(r.at)))
        const t = (millis: number) => DateTime.unsafeMake(millis)
        expect(yield* ats({ cardId: CardId.make("card-1") })).toEqual([400, 100])
        expect(yield* ats({ customerId: CustomerId.make("cust-1") })).toEqual([400, 200, 100])
        expect(yield* ats({ since: t(200) })).toEqual([400, 300, 200])
        expect(yield* ats({ until: t(300) })).toEqual([200, 100])
        expect(yield* ats({ since: t(200), until: t(400) })).toEqual([300, 200])
        expect(yield* ats({ customerId: CustomerId.make("cust-1"), since: t(101), until: t(401) })).toEqual([400, 200])
        expect(yield* ats({ customerId: CustomerId.make("cust-2"), cardId: CardId.make("card-1") })).toEqual([])
      })
    )
  )

  it.effect("stores an id that looks like a card number masked, and still finds it by that id", () =>
    provided(
      Effect.gen(function* () {
        const trail = yield* AuditTrail
        const sql = yield* SqlClient.SqlClient
        yield* trail.record(entry({ cardId: "4111111111111111", customerId: "5500000000000004" }))
        const rows = yield* sql<Record<string, unknown>>`select * from audit_records`
        expect(JSON.stringify(rows)).not.toMatch(/\d{12}/)
        const page = yield* trail.list(query({ cardId: CardId.make("4111111111111111") }))
        expect(page.records.map((r) => [r.cardId, r.customerId])).toEqual([["411111******1111", "550000******0004"]])
      })
    )
  )

  it.effect("pages walk every selected record exactly once, newest first, whatever the page size", () =>
    provided(
      Effect.gen(function* () {
        const trail = yield* AuditTrail
        const sql = yield* SqlClient.SqlClient
        const run = Runtime.runPromise(yield* Effect.runtime<never>())
        const written = fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 3 }),
            customer: fc.constantFrom("cust-1", "cust-2"),
            card: fc.constantFrom("card-1", "card-2", "card-3")
          }),
          { maxLength: 40 }
        )
        const filter = fc.record({
          card: fc.option(fc.constantFrom("card-1", "card-2", "card-3"), { nil: undefined }),
          customer: fc.option(fc.constantFrom("cust-1", "cust-2"), { nil: undefined }),
          since: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
          until: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined })
        })
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(written, filter, fc.integer({ min: 1, max: 12 }), (entries, f, limit) =>
              run(
                Effect.gen(function* () {
                  yield* sql`delete from audit_records`
                  const start = yield* Clock.currentTimeMillis
                  const expected: Array<{ requestId: string; at: number }> = []
                  for (const [i, e] of entries.entries()) {
                    yield* TestClock.adjust(e.gap)
                    const at = yield* Clock.currentTimeMillis
                    yield* trail.record(entry({ customerId: e.customer, cardId: e.card, requestId: `r${i}` }))
                    const selected =
                      (f.card === undefined || f.card === e.card) &&
                      (f.customer === undefined || f.customer === e.customer) &&
                      (f.since === undefined || at >= start + f.since) &&
                      (f.until === undefined || at < start + f.until)
                    if (selected) expected.unshift({ requestId: `r${i}`, at })
                  }
                  const seen = yield* walk(trail, {
                    limit,
                    cardId: f.card === undefined ? undefined : CardId.make(f.card),
                    customerId: f.customer === undefined ? undefined : CustomerId.make(f.customer),
                    since: f.since === undefined ? undefined : DateTime.unsafeMake(start + f.since),
                    until: f.until === undefined ? undefined : DateTime.unsafeMake(start + f.until)
                  })
                  expect(seen.map((r) => ({ requestId: r.requestId, at: DateTime.toEpochMillis(r.at) }))).toEqual(
                    expected
                  )
                })
              )
            ),
            { numRuns: 30 }
          )
        )
      })
    )
  )
})

describe("AuditQuery", () => {
  const decode = Schema.decodeUnknownEither(AuditQuery)

  it("reads a URL's query: limit 50 by default, at most 500, a cursor only as a page's next", () => {
    expect(Either.getOrThrow(decode({})).limit).toBe(50)
    const full = Either.getOrThrow(
      decode({
        cardId: "card-1",
        customerId: "cust-1",
        since: "2026-12-01T00:00:00Z",
        until: "2026-12-02T00:00:00.000Z",
        cursor: "42",
        limit: "500"
      })
    )
    expect(full.limit).toBe(500)
    expect(DateTime.toEpochMillis(full.since as DateTime.Utc)).toBe(Date.UTC(2026, 11, 1))
    for (const bad of [{ limit: "501" }, { limit: "0" }, { limit: "1.5" }, { cursor: "abc" }, { cursor: "0" }]) {
      expect(Either.isLeft(decode(bad))).toBe(true)
    }
  })
})
