import type { Reference, StoreUnavailable } from "@cardkit/domain"
import { createHash, randomBytes } from "node:crypto"
import { Clock, Context, Deferred, Duration, Effect, FiberId, Layer } from "effect"
import { keyedClaimant } from "./internal/keyedHash.js"

/**
 * Idempotent writes, as payment APIs do them: a write sent with an idempotency key is answered once.
 * The same key with the same body (per caller, for 24 hours) gets the first answer again without the
 * provider being called; the same key with another body is refused; a request whose key is in flight
 * waits for the first one's answer. Keys and bodies are kept only as keyed hashes (bodies hold PINs and
 * CVVs), answers as the status and JSON body sent.
 */

/** The answer a write gave, kept to be given again. */
export interface StoredAnswer {
  readonly status: number
  /** The JSON body sent; `undefined` for none (a 204). */
  readonly body: unknown
}

/** What a request holding a key may do. */
export type Claim =
  /** The key is new (or its answer expired): run the write, then `complete` or `release`. */
  | { readonly _tag: "Claimed" }
  /** The key answered this body before: give that answer again. */
  | { readonly _tag: "Replay"; readonly answer: StoredAnswer }
  /** The key was used with another body. */
  | { readonly _tag: "Mismatch" }

/** One key of one caller, as a keyed hash (`scope`); the route and body as another (`fingerprint`). */
export interface Claimant {
  readonly scope: string
  readonly fingerprint: string
}

export interface IdempotencyStoreOptions {
  /** How long an answer is given again; 24 hours by default. */
  readonly ttl?: Duration.DurationInput | undefined
}

/** How long an answer is given again unless configured. */
export const defaultIdempotencyTtl = Duration.hours(24)

interface Pending {
  readonly _tag: "Pending"
  readonly fingerprint: string
  readonly done: Deferred.Deferred<void>
}
interface Done {
  readonly _tag: "Done"
  readonly fingerprint: string
  readonly answer: StoredAnswer
  readonly expiresAt: number
}

/** Past this many entries, a claim first drops the expired ones. */
const sweepAbove = 10_000

/** The in-memory store's secret: one process's hashes need agree with no other's. */
const processSecret = randomBytes(32)

const make = (options: IdempotencyStoreOptions = {}): Effect.Effect<IdempotencyStore["Type"]> =>
  Effect.sync(() => {
    const ttl = Duration.toMillis(Duration.decode(options.ttl ?? defaultIdempotencyTtl))
    const entries = new Map<string, Pending | Done>()
    const sweep = (now: number) => {
      for (const [scope, entry] of entries) if (entry._tag === "Done" && entry.expiresAt <= now) entries.delete(scope)
    }
    const claim = ({ fingerprint, scope }: Claimant): Effect.Effect<Claim> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        if (entries.size > sweepAbove) sweep(now)
        const entry = entries.get(scope)
        if (entry === undefined || (entry._tag === "Done" && entry.expiresAt <= now)) {
          entries.set(scope, { _tag: "Pending", fingerprint, done: Deferred.unsafeMake<void>(FiberId.none) })
          return Effect.succeed({ _tag: "Claimed" } as const)
        }
        if (entry.fingerprint !== fingerprint) return Effect.succeed({ _tag: "Mismatch" } as const)
        if (entry._tag === "Done") return Effect.succeed({ _tag: "Replay", answer: entry.answer } as const)
        // In flight: wait for it, then look again (it may have been released for a retry).
        return Effect.zipRight(Deferred.await(entry.done), claim({ fingerprint, scope }))
      })
    const settle = (scope: string, next: Done | undefined) =>
      Effect.flatMap(
        Effect.sync(() => {
          const entry = entries.get(scope)
          if (entry?._tag !== "Pending") return undefined
          if (next === undefined) entries.delete(scope)
          else entries.set(scope, next)
          return entry.done
        }),
        (done) => (done === undefined ? Effect.void : Deferred.succeed(done, undefined))
      )
    return IdempotencyStore.of({
      claimant: keyedClaimant(processSecret),
      claim,
      complete: ({ fingerprint, scope }, answer) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          settle(scope, { _tag: "Done", fingerprint, answer, expiresAt: now + ttl })
        ),
      release: ({ scope }) => settle(scope, undefined)
    })
  })

/**
 * Where the answers of idempotent writes are kept. `layer` is in memory (one process, lost on
 * restart); `SqlIdempotencyStore` keeps the same operations in the store's database, shared by replicas.
 */
export class IdempotencyStore extends Context.Tag("@cardkit/store/IdempotencyStore")<
  IdempotencyStore,
  {
    /**
     * A key of one caller (`caller`, e.g. the API key's digest) for one route, and the body it came with
     * (`body`: the decoded request's encoded JSON, path parameters included), hashed with this store's
     * secret: every replica of one store computes the same.
     */
    readonly claimant: (caller: string, idempotencyKey: string, route: string, body: unknown) => Claimant
    /** Claim a key for a body; waits while another request holds the same key. */
    readonly claim: (claimant: Claimant) => Effect.Effect<Claim, StoreUnavailable>
    /** The claimed write answered: keep the answer for the time to live. */
    readonly complete: (claimant: Claimant, answer: StoredAnswer) => Effect.Effect<void, StoreUnavailable>
    /** The claimed write did not answer (the provider failed, the client went away): let a retry run it. */
    readonly release: (claimant: Claimant) => Effect.Effect<void, StoreUnavailable>
  }
>() {
  static readonly make = make
  static readonly layer = (options: IdempotencyStoreOptions = {}): Layer.Layer<IdempotencyStore> =>
    Layer.effect(IdempotencyStore, make(options))
}

/**
 * The ledger reference of a write, derived from the caller and the idempotency key: the same on a
 * retry (on any replica), so the ledger can recognise it too, and 48 characters of `Reference`'s alphabet.
 */
export const referenceOf = (caller: string, idempotencyKey: string): Reference =>
  `idem-${createHash("sha256").update(`${caller.length}:${caller}${idempotencyKey}`).digest("base64url")}` as Reference
