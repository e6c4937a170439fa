import type { StoreUnavailable } from "@cardkit/domain"
import * as SqlClient from "@effect/sql/SqlClient"
import { randomBytes, randomUUID } from "node:crypto"
import { Clock, Config, Context, Deferred, Duration, Effect, Exit, FiberId, Layer, Option, Redacted } from "effect"
import {
  type Claim,
  type Claimant,
  defaultIdempotencyTtl,
  IdempotencyStore,
  type IdempotencyStoreOptions
} from "./IdempotencyStore.js"
import { keyedClaimant } from "./internal/keyedHash.js"
import { readCommitted } from "./internal/readCommitted.js"
import { orUnavailable } from "./Store.js"

export interface SqlIdempotencyStoreOptions extends IdempotencyStoreOptions {
  /**
   * The key of the keyed hashes, the same on every replica. Unset, the store's database keeps one
   * (`cardkit_settings`), made by the first replica that starts.
   */
  readonly secret?: Redacted.Redacted<string> | undefined
  /**
   * How long a key may stay claimed without an answer before its claim counts as abandoned (its
   * replica died) and another request takes it over; 1 minute by default. Longer than any write takes.
   */
  readonly lease?: Duration.DurationInput | undefined
  /** How often a request waiting on another replica's claim looks again; 50 milliseconds by default. */
  readonly pollInterval?: Duration.DurationInput | undefined
}

/** `CARDKIT_IDEMPOTENCY_SECRET` (redacted) and `CARDKIT_IDEMPOTENCY_LEASE` (a duration), both optional. */
export const SqlIdempotencyConfig: Config.Config<SqlIdempotencyStoreOptions> = Config.all({
  secret: Config.option(Config.redacted(Config.nonEmptyString("SECRET"))),
  lease: Config.option(Config.duration("LEASE"))
}).pipe(
  Config.map(({ lease, secret }) => ({ secret: Option.getOrUndefined(secret), lease: Option.getOrUndefined(lease) })),
  Config.nested("IDEMPOTENCY"),
  Config.nested("CARDKIT")
)

const secretSetting = "idempotency_secret"

/*
 * Replicas must hash alike for a retry landing on another replica to be recognised, so the secret cannot
 * be a per-process random one. Kept in the database, it needs no configuration, but sits beside the
 * hashes it protects: whoever reads a dump of the database can try every 4-digit PIN against a body's
 * fingerprint. Configured (`CARDKIT_IDEMPOTENCY_SECRET`), a dump alone reveals nothing.
 */
const secretOf = (sql: SqlClient.SqlClient, configured: Redacted.Redacted<string> | undefined) =>
  configured !== undefined
    ? Effect.succeed(Redacted.value(configured))
    : orUnavailable(
        Effect.gen(function* () {
          // Every replica offers a secret, the first one kept wins, and all read that one.
          yield* sql`insert into cardkit_settings (name, value)
            values (${secretSetting}, ${randomBytes(32).toString("base64url")}) on conflict do nothing`
          const rows = yield* sql<{ value: string }>`select value from cardkit_settings where name = ${secretSetting}`
          const value = rows[0]?.value
          if (value === undefined) return yield* Effect.fail("no secret")
          return value
        }),
        "reading the idempotency secret"
      )

interface Row {
  readonly fingerprint: string
  readonly claim_id: string
  readonly status: number | string | null
  readonly body: string | null
  readonly claimed_at: number | string
  readonly expires_at: number | string | null
}

/** A claim this process made (or is making): requests of this process wait on `done`, not on the database. */
interface Held {
  readonly fingerprint: string
  readonly claimId: string
  readonly done: Deferred.Deferred<void>
  claimed: boolean
}

const claimed: Claim = { _tag: "Claimed" }

const make = (
  options: SqlIdempotencyStoreOptions = {}
): Effect.Effect<IdempotencyStore["Type"], StoreUnavailable, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const secret = yield* secretOf(sql, options.secret)
    const ttl = Duration.toMillis(Duration.decode(options.ttl ?? defaultIdempotencyTtl))
    const lease = Duration.toMillis(Duration.decode(options.lease ?? Duration.minutes(1)))
    const pollInterval = options.pollInterval ?? Duration.millis(50)
    const held = new Map<string, Held>()

    /** One look at the key's row, in one transaction: a claim, or `again` to look again (after a sleep if `wait`). */
    const attempt = ({ fingerprint, scope }: Claimant, claimId: string) =>
      readCommitted(
        sql,
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const inserted = yield* sql`insert into idempotency_keys (scope, fingerprint, claim_id, claimed_at)
          values (${scope}, ${fingerprint}, ${claimId}, ${now}) on conflict do nothing returning scope`
          if (inserted.length > 0) return claimed
          const [row] = yield* sql<Row>`select fingerprint, claim_id, status, body, claimed_at, expires_at
          from idempotency_keys where scope = ${scope}`
          if (row === undefined) return "again" as const // released meanwhile
          const answered = row.status !== null
          const stale = answered ? Number(row.expires_at) <= now : Number(row.claimed_at) <= now - lease
          if (stale) {
            // An expired answer, or a claim whose replica died: take the row over, unless another request
            // did first (its claim id changed) or, for a claim, its answer came in meanwhile.
            const taken = yield* sql`update idempotency_keys
            set fingerprint = ${fingerprint}, claim_id = ${claimId}, claimed_at = ${now},
              status = null, body = null, expires_at = null
            where scope = ${scope} and claim_id = ${row.claim_id}
              and ${sql.unsafe(answered ? "status is not null" : "status is null")}
            returning scope`
            return taken.length > 0 ? claimed : ("again" as const)
          }
          if (row.fingerprint !== fingerprint) return { _tag: "Mismatch" } as const
          if (!answered) return "wait" as const
          return {
            _tag: "Replay",
            answer: { status: Number(row.status), body: row.body === null ? undefined : JSON.parse(row.body) }
          } as const
        })
      )

    const settle = (claimant: Claimant, claimId: string): Effect.Effect<Claim, unknown> =>
      Effect.flatMap(attempt(claimant, claimId), (result) =>
        result === "again"
          ? settle(claimant, claimId)
          : result === "wait"
            ? Effect.zipRight(Effect.sleep(pollInterval), settle(claimant, claimId))
            : Effect.succeed(result)
      )

    /** This process's claim is over: requests of this process waiting on it look again. */
    const letGo = (scope: string, mine: Held) =>
      Effect.suspend(() => {
        if (held.get(scope) === mine) held.delete(scope)
        return Deferred.succeed(mine.done, undefined)
      })

    const claim = (claimant: Claimant): Effect.Effect<Claim, StoreUnavailable> =>
      Effect.suspend(() => {
        const { fingerprint, scope } = claimant
        const other = held.get(scope)
        if (other !== undefined) {
          if (other.fingerprint !== fingerprint) return Effect.succeed({ _tag: "Mismatch" } as const)
          return Effect.zipRight(Deferred.await(other.done), claim(claimant))
        }
        const mine: Held = {
          fingerprint,
          claimId: randomUUID(),
          done: Deferred.unsafeMake<void>(FiberId.none),
          claimed: false
        }
        held.set(scope, mine)
        return orUnavailable(settle(claimant, mine.claimId), "claiming an idempotency key").pipe(
          Effect.onExit((exit) => {
            if (Exit.isSuccess(exit) && exit.value._tag === "Claimed") {
              mine.claimed = true
              return Effect.void
            }
            return letGo(scope, mine)
          })
        )
      })

    /** This process's claim of the key, once it holds it. */
    const claimOf = ({ scope }: Claimant) => {
      const mine = held.get(scope)
      return mine?.claimed === true ? mine : undefined
    }

    return IdempotencyStore.of({
      claimant: keyedClaimant(secret),
      claim,
      complete: (claimant, answer) =>
        Effect.suspend(() => {
          const mine = claimOf(claimant)
          if (mine === undefined) return Effect.void
          // Failed, the claim stays this process's, so `release` can still let a retry run.
          return Effect.flatMap(Clock.currentTimeMillis, (now) =>
            orUnavailable(
              sql`update idempotency_keys
                set status = ${answer.status},
                  body = ${answer.body === undefined ? null : JSON.stringify(answer.body)},
                  expires_at = ${now + ttl}
                where scope = ${claimant.scope} and claim_id = ${mine.claimId} and status is null`,
              "keeping an idempotent answer"
            )
          ).pipe(Effect.zipRight(letGo(claimant.scope, mine)))
        }),
      release: (claimant) =>
        Effect.suspend(() => {
          const mine = claimOf(claimant)
          if (mine === undefined) return Effect.void
          return orUnavailable(
            sql`delete from idempotency_keys
              where scope = ${claimant.scope} and claim_id = ${mine.claimId} and status is null`,
            "releasing an idempotency key"
          ).pipe(Effect.asVoid, Effect.ensuring(letGo(claimant.scope, mine)))
        })
    })
  })

/**
 * The idempotency store in the store's database (`Store.layer`'s `SqlClient`), shared by every replica
 * on it: a retry is recognised whichever replica it lands on. A request whose key another replica
 * holds looks again every `pollInterval` until that one answers or lets go, or its lease runs out.
 */
export class SqlIdempotencyStore extends Context.Tag("@cardkit/store/SqlIdempotencyStore")<
  SqlIdempotencyStore,
  IdempotencyStore["Type"]
>() {
  static readonly make = make
  static readonly layer = (
    options: SqlIdempotencyStoreOptions = {}
  ): Layer.Layer<SqlIdempotencyStore | IdempotencyStore, StoreUnavailable, SqlClient.SqlClient> =>
    Layer.effect(IdempotencyStore, SqlIdempotencyStore).pipe(
      Layer.provideMerge(Layer.effect(SqlIdempotencyStore, make(options)))
    )
  static readonly layerConfig = (config: Config.Config<SqlIdempotencyStoreOptions> = SqlIdempotencyConfig) =>
    Layer.unwrapEffect(Effect.map(config, SqlIdempotencyStore.layer))
}
