import { CardId, CustomerId, luhnValid, maskPan, maskPans, type StoreUnavailable } from "@cardkit/domain"
import * as SqlClient from "@effect/sql/SqlClient"
import { Clock, Context, DateTime, Effect, Layer, Schema, type Scope } from "effect"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as GroupCommit from "./internal/groupCommit.js"
import { orUnavailable } from "./Store.js"

/*
 * The audit trail: one record per audited call (a CVV reveal, a lifecycle write, a CVV check), who
 * made it and how it ended. A record holds ids, names and outcomes only — never a CVV, a PIN or a
 * full PAN: the decorators (`AuditedCardSecrets`, `AuditedCardLifecycle`) never pass one, and
 * `SqlAuditTrail` masks a card number used as an id and any PAN-like run of digits in its other text.
 */

const nullable = Schema.NullOr(Schema.String)

/** What an audited call writes; the trail adds the record's `id` and its time. */
export const AuditEntry = Schema.Struct({
  /** The API key's short id (`Actor.apiKeyId`), never the key. */
  apiKeyId: nullable,
  customerId: nullable,
  /** The card the call was about; for `issueCard`, the card it issued; null when the call failed before one existed. */
  cardId: nullable,
  /** The port method's name: `getCvv`, `issueCard`, `activate`, `lock`, `replace`, `validateCvv`, … */
  operation: Schema.String,
  /** `ok`, or the `_tag` of the error the call failed with (`CardNotFound`, `IncorrectCvv`, …; `Defect` for a defect). */
  outcome: Schema.String,
  /** The provider's reference of its answer when the result carries one (a `CardCvv`'s `ack.reference`). */
  providerReference: nullable,
  requestId: nullable,
  clientAddress: nullable
}).annotations({ identifier: "AuditEntry" })
export type AuditEntry = typeof AuditEntry.Type

/** A cursor over the trail: the `next` of a page, opaque to callers (today the last record's id). */
export const AuditCursor = Schema.String.pipe(
  Schema.pattern(/^[1-9][0-9]{0,14}$/, { message: () => "must be the next of a previous page" }),
  Schema.annotations({ identifier: "AuditCursor" })
)

/**
 * One audited call. `id` orders the trail (insertion order, the cursor pages on it); `at` is the time
 * the record was written, from the writer's `Clock`, a `DateTime.Utc` encoded as an ISO 8601 string.
 */
export class AuditRecord extends Schema.Class<AuditRecord>("AuditRecord")({
  id: Schema.String,
  at: Schema.DateTimeUtc,
  ...AuditEntry.fields
}) {}

/** How many records a page holds: `limit`'s default and its largest value. */
export const auditPageSize = { default: 50, max: 500 } as const

/** A page's size, from a query string or a number. */
export const AuditLimit = Schema.NumberFromString.pipe(
  Schema.int(),
  Schema.between(1, auditPageSize.max),
  Schema.annotations({ identifier: "AuditLimit" })
)

/**
 * Which records to list. Filters combine with AND; `since` is inclusive and `until` exclusive
 * (`since <= at < until`). Every field's encoded form is a string, so the schema reads a URL's query
 * parameters (`?cardId=…&since=2026-12-01T00:00:00Z&limit=100`) as well as a program's values.
 */
export class AuditQuery extends Schema.Class<AuditQuery>("AuditQuery")({
  cardId: Schema.optional(CardId),
  customerId: Schema.optional(CustomerId),
  since: Schema.optional(Schema.DateTimeUtc),
  until: Schema.optional(Schema.DateTimeUtc),
  /** The previous page's `next`; absent for the first (newest) page. */
  cursor: Schema.optional(AuditCursor),
  limit: Schema.optionalWith(AuditLimit, { default: () => auditPageSize.default })
}) {}

/** A page of the trail, newest first; `next` is the cursor of the following page, null on the last. */
export class AuditPage extends Schema.Class<AuditPage>("AuditPage")({
  records: Schema.Array(AuditRecord),
  next: Schema.NullOr(AuditCursor)
}) {}

/** Where audited calls are recorded, and read back by an admin. */
export class AuditTrail extends Context.Tag("@cardkit/store/AuditTrail")<
  AuditTrail,
  {
    /** Writes one record, timed by `Clock`; fails when it could not (the audited call then fails closed). */
    readonly record: (entry: AuditEntry) => Effect.Effect<void, StoreUnavailable>
    /**
     * The records `query` selects, newest first, at most `query.limit`. Walking `next` to null visits
     * every record that existed when the walk began exactly once; later records are above its first page.
     */
    readonly list: (query: AuditQuery) => Effect.Effect<AuditPage, StoreUnavailable>
  }
>() {}

interface AuditRow {
  readonly id: number | string
  readonly at: number | string
  readonly api_key_id: string | null
  readonly customer_id: string | null
  readonly card_id: string | null
  readonly operation: string
  readonly outcome: string
  readonly provider_reference: string | null
  readonly request_id: string | null
  readonly client_address: string | null
}

// Stored text with PAN-like digit runs masked; filters go through the same functions, so they match.
const stored = (text: string | null): string | null => (text === null ? null : maskPans(text))

// Ids are the provider's and may be long numbers (the ledger's customer ids have 15 digits), which an
// audit trail must show whole: only an id that is a card number (13 to 19 digits passing Luhn) is masked.
const storedId = (id: string | null): string | null =>
  id !== null && /^\d{13,19}$/.test(id) && luhnValid(id) ? maskPan(id) : id

// PostgreSQL answers `bigint` columns as strings, SQLite as numbers.
const fromRow = (row: AuditRow): AuditRecord =>
  new AuditRecord(
    {
      id: String(row.id),
      at: DateTime.unsafeMake(Number(row.at)),
      apiKeyId: row.api_key_id,
      customerId: row.customer_id,
      cardId: row.card_id,
      operation: row.operation,
      outcome: row.outcome,
      providerReference: row.provider_reference,
      requestId: row.request_id,
      clientAddress: row.client_address
    },
    true
  )

/** A record as `audit_records` stores it, less its id. */
type AuditInsert = Omit<AuditRow, "id" | "at"> & { readonly at: number }

// Rows per INSERT: far below either database's limit of bound parameters (nine a row).
const maxRecordsPerInsert = 256

const make: Effect.Effect<AuditTrail["Type"], never, SqlClient.SqlClient | Scope.Scope> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  // Concurrent records share one INSERT (group commit); each caller still returns only once the
  // statement holding its record succeeded, and fails with it.
  const submit = yield* GroupCommit.make(
    (rows: NonEmptyReadonlyArray<AuditInsert>) =>
      orUnavailable(
        sql`insert into audit_records ${rows.length === 1 ? sql.insert(rows[0]) : sql.insert(rows)}`,
        "writing the audit record"
      ),
    { maxBatch: maxRecordsPerInsert }
  )

  // Timed by the caller's `Clock`, when it asks, not when the writer gets to it.
  const record = (entry: AuditEntry): Effect.Effect<void, StoreUnavailable> =>
    Effect.flatMap(Clock.currentTimeMillis, (at) =>
      submit({
        at,
        api_key_id: stored(entry.apiKeyId),
        customer_id: storedId(entry.customerId),
        card_id: storedId(entry.cardId),
        operation: entry.operation,
        outcome: entry.outcome,
        provider_reference: stored(entry.providerReference),
        request_id: stored(entry.requestId),
        client_address: stored(entry.clientAddress)
      })
    )

  const list = (query: AuditQuery): Effect.Effect<AuditPage, StoreUnavailable> => {
    const conditions = [
      query.cardId === undefined ? undefined : sql`card_id = ${storedId(query.cardId)}`,
      query.customerId === undefined ? undefined : sql`customer_id = ${storedId(query.customerId)}`,
      query.since === undefined ? undefined : sql`at >= ${DateTime.toEpochMillis(query.since)}`,
      query.until === undefined ? undefined : sql`at < ${DateTime.toEpochMillis(query.until)}`,
      query.cursor === undefined ? undefined : sql`id < ${Number(query.cursor)}`
    ].filter((condition) => condition !== undefined)
    // One row more than the page tells whether another page follows.
    return orUnavailable(
      sql<AuditRow>`select id, at, api_key_id, customer_id, card_id, operation, outcome, provider_reference,
          request_id, client_address
        from audit_records where ${sql.and(conditions)} order by id desc limit ${query.limit + 1}`,
      "reading the audit trail"
    ).pipe(
      Effect.map((rows) => {
        const records = rows.slice(0, query.limit).map(fromRow)
        const last = records[records.length - 1]
        return new AuditPage({ records, next: rows.length > query.limit && last !== undefined ? last.id : null }, true)
      })
    )
  }

  return AuditTrail.of({ record, list })
})

/** The audit trail in the store's `audit_records` table, on the `SqlClient` `Store`'s layers provide. */
export class SqlAuditTrail extends Context.Tag("@cardkit/store/SqlAuditTrail")<SqlAuditTrail, AuditTrail["Type"]>() {
  static readonly make = make
  /** Provides `SqlAuditTrail` and `AuditTrail`: `SqlAuditTrail.layer.pipe(Layer.provide(Store.layerConfig()))`. */
  static readonly layer: Layer.Layer<SqlAuditTrail | AuditTrail, never, SqlClient.SqlClient> = Layer.effect(
    AuditTrail,
    SqlAuditTrail
  ).pipe(Layer.provideMerge(Layer.scoped(SqlAuditTrail, make)))
}
