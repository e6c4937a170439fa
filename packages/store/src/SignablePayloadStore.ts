import type { StoreUnavailable } from "@cardkit/domain"
import * as SqlClient from "@effect/sql/SqlClient"
import { randomUUID } from "node:crypto"
import { Clock, Config, Context, Duration, Effect, Layer, Schema } from "effect"
import { readCommitted } from "./internal/readCommitted.js"
import { orUnavailable } from "./Store.js"

/*
 * A device-signed operation in two calls: the backend builds the exact bytes the cardholder's device
 * signs, keeps them for the caller and hands out `{ payloadId, payload }`; the signature comes back
 * with the `payloadId`, which is used once, by that caller, within the time to live. The bytes may hold
 * an encrypted PIN or CVV: they are cleared as soon as they are consumed or expire.
 */

/** No payload of that id for the caller (another caller's is not found either: it is never revealed). */
export class PayloadNotFound extends Schema.TaggedError<PayloadNotFound>()("PayloadNotFound", {
  payloadId: Schema.String
}) {
  static readonly code = "PAYLOAD_NOT_FOUND"
  get code(): typeof PayloadNotFound.code {
    return PayloadNotFound.code
  }
  override get message() {
    return `no signable payload ${this.payloadId}`
  }
}

/** The payload was consumed before: a signature is accepted once. */
export class PayloadAlreadyConsumed extends Schema.TaggedError<PayloadAlreadyConsumed>()("PayloadAlreadyConsumed", {
  payloadId: Schema.String
}) {
  static readonly code = "PAYLOAD_ALREADY_CONSUMED"
  get code(): typeof PayloadAlreadyConsumed.code {
    return PayloadAlreadyConsumed.code
  }
  override get message() {
    return `the signable payload ${this.payloadId} was used already`
  }
}

/** The payload is older than the time to live: build a new one. */
export class PayloadExpired extends Schema.TaggedError<PayloadExpired>()("PayloadExpired", {
  payloadId: Schema.String
}) {
  static readonly code = "PAYLOAD_EXPIRED"
  get code(): typeof PayloadExpired.code {
    return PayloadExpired.code
  }
  override get message() {
    return `the signable payload ${this.payloadId} expired`
  }
}

export type SignablePayloadError = PayloadNotFound | PayloadAlreadyConsumed | PayloadExpired

/** What is kept of a payload to sign, for one caller. */
export interface SignablePayload {
  /** The operation the payload is for (its name, as the provider spells it). */
  readonly operation: string
  readonly cardId: string
  readonly customerId: string
  /** The exact bytes the device signs (text, e.g. serialized JSON). */
  readonly payload: string
}

export interface SignablePayloadOptions {
  /** How long a payload may be consumed after it was saved; 3 minutes by default. */
  readonly ttl?: Duration.DurationInput | undefined
}

/** `CARDKIT_SIGNABLE_PAYLOAD_TTL`: a duration (`3 minutes`, the default). */
export const SignablePayloadConfig: Config.Config<SignablePayloadOptions> = Config.all({
  ttl: Config.withDefault(Config.duration("CARDKIT_SIGNABLE_PAYLOAD_TTL"), Duration.minutes(3))
})

/** Payloads to sign, kept between building them and accepting their signature. */
export class SignablePayloadStore extends Context.Tag("@cardkit/store/SignablePayloadStore")<
  SignablePayloadStore,
  {
    /** Keeps a payload for `caller`; its id is random (a UUID). */
    readonly save: (
      request: SignablePayload & { readonly caller: string }
    ) => Effect.Effect<{ readonly payloadId: string }, StoreUnavailable>
    /** The caller's payload, once: unknown or another caller's, used, or too old fail. */
    readonly consume: (request: {
      readonly caller: string
      readonly payloadId: string
    }) => Effect.Effect<SignablePayload, SignablePayloadError | StoreUnavailable>
  }
>() {}

/**
 * Consumed or expired rows stay this long without their bytes, so a late retry is told "used" or
 * "expired" rather than "not found", then go.
 */
const tombstone = Duration.toMillis(Duration.days(1))

interface Consumed {
  readonly operation: string
  readonly card_id: string
  readonly customer_id: string
  readonly payload: string | null
}

const make = (
  options: SignablePayloadOptions = {}
): Effect.Effect<SignablePayloadStore["Type"], never, SqlClient.SqlClient> =>
  Effect.map(SqlClient.SqlClient, (sql) => {
    const ttl = Duration.toMillis(Duration.decode(options.ttl ?? Duration.minutes(3)))
    /** Expired bytes cleared, old tombstones gone; on every save, which is what adds rows. */
    const prune = (now: number) =>
      Effect.zipRight(
        sql`update signable_payloads set payload = null where created_at < ${now - ttl} and payload is not null`,
        sql`delete from signable_payloads where created_at < ${now - ttl - tombstone}`
      )
    const save: SignablePayloadStore["Type"]["save"] = ({ caller, cardId, customerId, operation, payload }) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const payloadId = randomUUID()
        yield* prune(now)
        yield* sql`insert into signable_payloads (id, caller, operation, card_id, customer_id, payload, created_at)
          values (${payloadId}, ${caller}, ${operation}, ${cardId}, ${customerId}, ${payload}, ${now})`
        return { payloadId }
      }).pipe((effect) => orUnavailable(effect, "saving a signable payload"))

    /** Marks the payload used if it is the caller's, unused and fresh; its bytes, read and cleared. */
    const take = (caller: string, payloadId: string, now: number) =>
      readCommitted(
        sql,
        Effect.gen(function* () {
          // One statement decides: of two concurrent consumes (on any replicas) one updates the row,
          // the other finds `consumed_at` set.
          const won = yield* sql`update signable_payloads set consumed_at = ${now}
            where id = ${payloadId} and caller = ${caller} and consumed_at is null and created_at >= ${now - ttl}
            returning id`
          if (won.length === 0) return undefined
          const [row] = yield* sql<Consumed>`select operation, card_id, customer_id, payload
            from signable_payloads where id = ${payloadId}`
          yield* sql`update signable_payloads set payload = null where id = ${payloadId}`
          return row
        })
      )

    /** Why the caller's payload could not be consumed. */
    const refusal = (caller: string, payloadId: string) =>
      Effect.map(
        sql<{ caller: string; consumed_at: number | string | null }>`select caller, consumed_at
          from signable_payloads where id = ${payloadId}`,
        ([row]): SignablePayloadError =>
          row === undefined || row.caller !== caller
            ? new PayloadNotFound({ payloadId })
            : row.consumed_at !== null
              ? new PayloadAlreadyConsumed({ payloadId })
              : new PayloadExpired({ payloadId })
      )

    const consume: SignablePayloadStore["Type"]["consume"] = ({ caller, payloadId }) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const row = yield* orUnavailable(take(caller, payloadId, now), "consuming a signable payload")
        if (row?.payload == null) {
          return yield* Effect.flatMap(
            orUnavailable(refusal(caller, payloadId), "reading a signable payload"),
            Effect.fail
          )
        }
        return { operation: row.operation, cardId: row.card_id, customerId: row.customer_id, payload: row.payload }
      })

    return SignablePayloadStore.of({ save, consume })
  })

/** The signable payloads in the store's database (`Store.layer`'s `SqlClient`), shared by every replica. */
export class SqlSignablePayloadStore extends Context.Tag("@cardkit/store/SqlSignablePayloadStore")<
  SqlSignablePayloadStore,
  SignablePayloadStore["Type"]
>() {
  static readonly make = make
  static readonly layer = (
    options: SignablePayloadOptions = {}
  ): Layer.Layer<SqlSignablePayloadStore | SignablePayloadStore, never, SqlClient.SqlClient> =>
    Layer.effect(SignablePayloadStore, SqlSignablePayloadStore).pipe(
      Layer.provideMerge(Layer.effect(SqlSignablePayloadStore, make(options)))
    )
  static readonly layerConfig = (config: Config.Config<SignablePayloadOptions> = SignablePayloadConfig) =>
    Layer.unwrapEffect(Effect.map(config, SqlSignablePayloadStore.layer))
}
