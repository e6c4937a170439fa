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

/*
 * PostgreSQL's reserve and release, each one statement, so a scope's advisory lock is held for one
 * round trip rather than across a transaction's statements. The locks are taken in the order of
 * their lock ids (not of the keys, whose hashes may collide), so two calls never wait in a cycle; the
 * two-key form keeps them apart from any other advisory lock on the server. Each statement after the
 * locks must see what the previous holder committed, which only READ COMMITTED gives (a new snapshot
 * per statement): at any other level the functions do nothing and answer `read_committed` false, for
 * the caller to run them again in a transaction set to READ COMMITTED.
 *
 * A reserve prunes each scope's events that left the window and takes them off its count; a spent
 * scope (count at or past its limit) is refused with the moment the event that frees a place leaves
 * the window (the scope refusing latest wins); otherwise one event per scope is recorded and counted.
 */
const revealBudgetFunctions = (sql: SqlClient.SqlClient) =>
  Effect.all(
    [
      sql`create function cardkit_reserve_reveal(
      scope_keys text[], scope_limits integer[], window_millis bigint[], now_millis bigint
    ) returns table (read_committed boolean, events bigint[], refused integer, frees_at bigint)
    language plpgsql as $$
    declare
      lock_id integer;
      i integer;
      pruned integer;
      counted integer;
      frees bigint;
    begin
      read_committed := current_setting('transaction_isolation') = 'read committed';
      if not read_committed then
        return next;
        return;
      end if;
      for lock_id in select distinct hashtext(k) from unnest(scope_keys) k order by 1 loop
        perform pg_advisory_xact_lock(hashtext('cardkit.reveal_events'), lock_id);
      end loop;
      for i in 1 .. cardinality(scope_keys) loop
        with gone as (
          delete from reveal_events e where e.scope = scope_keys[i] and e.at <= now_millis - window_millis[i]
          returning 1
        )
        select count(*) into pruned from gone;
        if pruned > 0 then
          update reveal_counts c set count = c.count - pruned where c.scope = scope_keys[i] returning c.count into counted;
        else
          select c.count into counted from reveal_counts c where c.scope = scope_keys[i];
        end if;
        counted := coalesce(counted, 0);
        if counted >= scope_limits[i] then
          select e.at + window_millis[i] into frees from reveal_events e where e.scope = scope_keys[i]
            order by e.at asc limit 1 offset counted - scope_limits[i];
          if refused is null or frees > frees_at then
            refused := i;
            frees_at := frees;
          end if;
        end if;
      end loop;
      if refused is null then
        with recorded as (
          insert into reveal_events (scope, at) select k, now_millis from unnest(scope_keys) k returning id
        )
        select array_agg(recorded.id) into events from recorded;
        insert into reveal_counts (scope, count) select k, 1 from unnest(scope_keys) k
          on conflict (scope) do update set count = reveal_counts.count + 1;
      end if;
      return next;
    end
    $$`,
      sql`create function cardkit_release_reveal(event_ids bigint[]) returns boolean
    language plpgsql as $$
    declare
      lock_id integer;
    begin
      if current_setting('transaction_isolation') <> 'read committed' then
        return false;
      end if;
      for lock_id in
        select distinct hashtext(e.scope) from reveal_events e where e.id = any(event_ids) order by 1
      loop
        perform pg_advisory_xact_lock(hashtext('cardkit.reveal_events'), lock_id);
      end loop;
      with gone as (delete from reveal_events e where e.id = any(event_ids) returning e.scope),
        per_scope as (select g.scope, count(*) as n from gone g group by g.scope)
      update reveal_counts c set count = c.count - p.n from per_scope p where c.scope = p.scope;
      return true;
    end
    $$`
    ],
    { discard: true }
  )

/*
 * PostgreSQL's reserve of a batch: the requests (`item_nows`, one time each) decided in order in one
 * call, each exactly as `cardkit_reserve_reveal` would decide it after the previous one, so concurrent
 * reserves take every scope's advisory lock once (in lock-id order) and pay one round trip. A request's
 * scopes are its consecutive entries of `pair_items` (1-based request numbers), naming scopes by their
 * position in `scope_keys`. A scope is pruned only when a request's window has passed its oldest event
 * (read once per call under the lock, so no other writer changes it meanwhile), and the counts are
 * written once at the end. One row per request: its events, or the scope refusing (a position in
 * `scope_keys`) and when it frees a place; `read_committed` false and nothing done when not at READ
 * COMMITTED, as for `cardkit_reserve_reveal`.
 */
const revealBatchFunction = (sql: SqlClient.SqlClient) =>
  sql`create function cardkit_reserve_reveals(
      item_nows bigint[], pair_items integer[], pair_scopes integer[],
      scope_keys text[], scope_limits integer[], window_millis bigint[]
    ) returns table (read_committed boolean, item integer, events bigint[], refused integer, frees_at bigint)
    language plpgsql as $$
    declare
      lock_id integer;
      counts integer[];
      stored integer[];
      oldest bigint[];
      request integer;
      p integer := 1;
      q integer;
      j integer;
      pruned integer;
      frees bigint;
    begin
      read_committed := current_setting('transaction_isolation') = 'read committed';
      if not read_committed then
        return next;
        return;
      end if;
      for lock_id in select distinct hashtext(k) from unnest(scope_keys) k order by 1 loop
        perform pg_advisory_xact_lock(hashtext('cardkit.reveal_events'), lock_id);
      end loop;
      select array_agg(coalesce(c.count, 0) order by s.ord),
          array_agg((select min(e.at) from reveal_events e where e.scope = s.scope_key) order by s.ord)
        into counts, oldest
        from unnest(scope_keys) with ordinality s(scope_key, ord)
        left join reveal_counts c on c.scope = s.scope_key;
      stored := counts;
      for request in 1 .. cardinality(item_nows) loop
        item := request;
        events := null;
        refused := null;
        frees_at := null;
        q := p;
        while q <= cardinality(pair_items) and pair_items[q] = request loop
          j := pair_scopes[q];
          if oldest[j] <= item_nows[request] - window_millis[j] then
            with gone as (
              delete from reveal_events e
                where e.scope = scope_keys[j] and e.at <= item_nows[request] - window_millis[j]
              returning 1
            )
            select count(*) into pruned from gone;
            counts[j] := counts[j] - pruned;
            oldest[j] := (select min(e.at) from reveal_events e where e.scope = scope_keys[j]);
          end if;
          if counts[j] >= scope_limits[j] then
            frees := coalesce(
              (select e.at from reveal_events e where e.scope = scope_keys[j]
                order by e.at asc limit 1 offset counts[j] - scope_limits[j]),
              item_nows[request]
            ) + window_millis[j];
            if refused is null or frees > frees_at then
              refused := j;
              frees_at := frees;
            end if;
          end if;
          q := q + 1;
        end loop;
        if refused is null then
          with recorded as (
            insert into reveal_events (scope, at)
              select scope_keys[pair_scopes[r]], item_nows[request] from generate_series(p, q - 1) r order by r
            returning id
          )
          select array_agg(recorded.id order by recorded.id) into events from recorded;
          for r in p .. q - 1 loop
            counts[pair_scopes[r]] := counts[pair_scopes[r]] + 1;
            oldest[pair_scopes[r]] := least(oldest[pair_scopes[r]], item_nows[request]);
          end loop;
        end if;
        p := q;
        return next;
      end loop;
      insert into reveal_counts (scope, count)
        select s.scope_key, counts[s.ord] from unnest(scope_keys) with ordinality s(scope_key, ord)
          where counts[s.ord] <> stored[s.ord]
        on conflict (scope) do update set count = excluded.count;
    end
    $$`

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
  }),
  "2_reveal_budget_counts": Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    // How many of `reveal_events` a scope holds, so a reserve need not count its whole window.
    yield* sql`create table reveal_counts (scope text primary key, count integer not null)`
    yield* sql`insert into reveal_counts (scope, count) select scope, count(*) from reveal_events group by scope`
    yield* sql.onDialectOrElse({ pg: () => revealBudgetFunctions(sql), orElse: () => Effect.void })
  }),
  "3_reveal_budget_batches": Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql.onDialectOrElse({ pg: () => revealBatchFunction(sql), orElse: () => Effect.void })
  })
})

/** Runs what the database has not run yet; replicas starting together wait on PostgreSQL's lock. */
export const migrate = Migrator.make({})({ loader: migrations, table: "cardkit_migrations" })
