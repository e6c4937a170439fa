import { describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { Context, Effect, Either, Layer, TestClock } from "effect"
import {
  PayloadAlreadyConsumed,
  PayloadExpired,
  PayloadNotFound,
  SignablePayloadStore,
  SqlSignablePayloadStore
} from "../src/SignablePayloadStore.js"
import { databases, postgresDatabase, repeatableReadByDefault, replicaOn } from "./databases.js"

const saved = {
  operation: "SET_PIN",
  cardId: "card-1",
  customerId: "customer-1",
  payload: '{"cardId":"card-1","encryptedPin":"RSA-OAEP:c2VjcmV0"}'
}

describe.each(databases)("SqlSignablePayloadStore on %s", (_name, layer) => {
  const provided = <A, E>(effect: Effect.Effect<A, E, SignablePayloadStore | SqlClient.SqlClient>) =>
    effect.pipe(Effect.provide(SqlSignablePayloadStore.layer().pipe(Layer.provideMerge(layer()))))

  const failure = <A, E>(effect: Effect.Effect<A, E>) => Effect.flip(effect)

  it.effect("gives a saved payload back once to its caller, then 'already consumed'", () =>
    provided(
      Effect.gen(function* () {
        const store = yield* SignablePayloadStore
        const { payloadId } = yield* store.save({ caller: "caller-a", ...saved })
        expect(payloadId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/)
        expect(yield* store.consume({ caller: "caller-a", payloadId })).toEqual(saved)
        const again = yield* failure(store.consume({ caller: "caller-a", payloadId }))
        expect(again).toEqual(new PayloadAlreadyConsumed({ payloadId }))
        expect("code" in again && again.code).toBe("PAYLOAD_ALREADY_CONSUMED")
      })
    )
  )

  it.effect("clears the stored bytes once consumed", () =>
    provided(
      Effect.gen(function* () {
        const store = yield* SignablePayloadStore
        const sql = yield* SqlClient.SqlClient
        const { payloadId } = yield* store.save({ caller: "caller-a", ...saved })
        const before = yield* sql<{ payload: string | null }>`select payload from signable_payloads`
        expect(before).toEqual([{ payload: saved.payload }])
        yield* store.consume({ caller: "caller-a", payloadId })
        const after = yield* sql<{ payload: string | null }>`select payload from signable_payloads`
        expect(after).toEqual([{ payload: null }])
      })
    )
  )

  it.effect("another caller's payload, or an unknown id, is not found, and stays the owner's", () =>
    provided(
      Effect.gen(function* () {
        const store = yield* SignablePayloadStore
        const { payloadId } = yield* store.save({ caller: "caller-a", ...saved })
        const stranger = yield* failure(store.consume({ caller: "caller-b", payloadId }))
        expect(stranger).toEqual(new PayloadNotFound({ payloadId }))
        expect("code" in stranger && stranger.code).toBe("PAYLOAD_NOT_FOUND")
        const unknown = "00000000-0000-4000-8000-000000000000"
        expect(yield* failure(store.consume({ caller: "caller-a", payloadId: unknown }))).toEqual(
          new PayloadNotFound({ payloadId: unknown })
        )
        expect(yield* store.consume({ caller: "caller-a", payloadId })).toEqual(saved)
      })
    )
  )

  it.effect("a payload may be consumed for 3 minutes (TestClock), then it expired and its bytes go", () =>
    provided(
      Effect.gen(function* () {
        const store = yield* SignablePayloadStore
        const sql = yield* SqlClient.SqlClient
        const first = yield* store.save({ caller: "caller-a", ...saved })
        const second = yield* store.save({ caller: "caller-a", ...saved })
        yield* TestClock.adjust("3 minutes")
        expect(yield* store.consume({ caller: "caller-a", ...first })).toEqual(saved)
        yield* TestClock.adjust("1 millis")
        const expired = yield* failure(store.consume({ caller: "caller-a", ...second }))
        expect(expired).toEqual(new PayloadExpired(second))
        expect("code" in expired && expired.code).toBe("PAYLOAD_EXPIRED")
        // The next save prunes: the expired row keeps no bytes, and a late retry is still told why.
        yield* store.save({ caller: "caller-a", ...saved })
        const [row] = yield* sql<{ payload: string | null }>`select payload from signable_payloads
          where id = ${second.payloadId}`
        expect(row).toEqual({ payload: null })
        expect(yield* failure(store.consume({ caller: "caller-a", ...second }))).toEqual(new PayloadExpired(second))
        // A day past their expiry, old rows are gone altogether.
        yield* TestClock.adjust("1 day")
        yield* TestClock.adjust("3 minutes")
        yield* TestClock.adjust("1 millis")
        yield* store.save({ caller: "caller-a", ...saved })
        const ids = yield* sql<{ id: string }>`select id from signable_payloads`
        expect(ids.length).toBe(1)
        expect(ids.map((row) => row.id)).not.toContain(second.payloadId)
      })
    )
  )

  it.effect("a configured time to live is kept, and errors never quote the payload", () =>
    Effect.gen(function* () {
      const store = yield* SignablePayloadStore
      const { payloadId } = yield* store.save({ caller: "caller-a", ...saved })
      yield* TestClock.adjust("11 seconds")
      const expired = yield* failure(store.consume({ caller: "caller-a", payloadId }))
      expect(expired._tag).toBe("PayloadExpired")
      expect(`${expired.message}${String(expired)}${JSON.stringify(expired)}`).not.toMatch(/c2VjcmV0|encryptedPin/)
    }).pipe(Effect.provide(SqlSignablePayloadStore.layer({ ttl: "10 seconds" }).pipe(Layer.provide(layer()))))
  )

  it.effect("of concurrent consumes of one payload exactly one wins", () =>
    provided(
      Effect.gen(function* () {
        const store = yield* SignablePayloadStore
        const { payloadId } = yield* store.save({ caller: "caller-a", ...saved })
        const outcomes = yield* Effect.all(
          Array.from({ length: 4 }, () => Effect.either(store.consume({ caller: "caller-a", payloadId }))),
          { concurrency: "unbounded" }
        )
        expect(outcomes.filter(Either.isRight).map((o) => o.right)).toEqual([saved])
        expect(outcomes.filter(Either.isLeft).map((o) => o.left._tag)).toEqual(Array(3).fill("PayloadAlreadyConsumed"))
      })
    )
  )
})

describe.each([
  ["its default isolation", false],
  ["REPEATABLE READ by default", true]
])("SqlSignablePayloadStore, two replicas on one PostgreSQL database at %s", (_name, repeatableRead) => {
  it.scoped("of concurrent consumes on both, exactly one wins", () =>
    Effect.gen(function* () {
      const url = yield* postgresDatabase
      if (repeatableRead) yield* Effect.orDie(repeatableReadByDefault(url))
      const replica = Effect.map(replicaOn(url, SqlSignablePayloadStore.layer()), Context.get(SignablePayloadStore))
      const a = yield* replica
      const b = yield* replica
      for (let round = 0; round < 20; round++) {
        const { payloadId } = yield* (round % 2 === 0 ? a : b).save({ caller: "caller-a", ...saved })
        const outcomes = yield* Effect.all(
          [a, b, a, b].map((store) => Effect.either(store.consume({ caller: "caller-a", payloadId }))),
          { concurrency: "unbounded" }
        )
        expect(outcomes.filter(Either.isRight).map((o) => o.right)).toEqual([saved])
        expect(outcomes.filter(Either.isLeft).map((o) => o.left._tag)).toEqual(Array(3).fill("PayloadAlreadyConsumed"))
      }
    })
  )
})
