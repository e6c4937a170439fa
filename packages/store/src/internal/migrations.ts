import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/*
 * The store's schema, one migration per change, never edited once released: a new column or table is
 * a new entry. Times are Unix milliseconds from Effect's `Clock` (so `TestClock` drives them), ids
 * chosen by cardkit, and no column ever holds a CVV, a PIN or a full PAN.
 */

/** An id the database counts up: a cursor for the audit trail, a handle for a budget's reservation. */
const serialId = Effect.map(SqlClient.SqlClient, (sql) =>
  sql.onDialectOrElse({
    pg: () => sql.unsafe("bigint generated always as identity primary key"),
    orElse: () => sql.unsafe("integer primary key autoincrement")
  })
)

export const migrations = Migrator.fromRecord({
  "1_initial": Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const id = yield* serialId
    // A value every replica shares: the key of the idempotency store's keyed hashes.
    yield* sql`create table cardkit_settings (name text primary key, value text not null)`
    // A key pending (`status` null) since `claimed_at` by the claim `claim_id`, or answered until `expires_at`.
    yield* sql`create table idempotency_keys (
      scope text primary key,
      fingerprint text not null,
      claim_id text not null,
      status integer,
      body text,
      claimed_at bigint not null,
      expires_at bigint
    )`
    yield* sql`create table audit_records (
      id ${id},
      at bigint not null,
      api_key_id text,
      customer_id text,
      card_id text,
      operation text not null,
      outcome text not null,
      provider_reference text,
      request_id text,
      client_address text
    )`
    yield* sql`create index audit_records_card on audit_records (card_id, id)`
    yield* sql`create index audit_records_customer on audit_records (customer_id, id)`
    yield* sql`create table reveal_events (id ${id}, scope text not null, at bigint not null)`
    yield* sql`create index reveal_events_scope on reveal_events (scope, at)`
    yield* sql`create table signable_payloads (
      id text primary key,
      caller text not null,
      operation text not null,
      card_id text not null,
      customer_id text not null,
      payload text,
      created_at bigint not null,
      consumed_at bigint
    )`
    yield* sql`create index signable_payloads_created on signable_payloads (created_at)`
  })
})

/** Runs what the database has not run yet; replicas starting together wait on PostgreSQL's lock. */
export const migrate = Migrator.make({})({ loader: migrations, table: "cardkit_migrations" })
