import {
  ActivateCardRequest,
  Card,
  CardCvv,
  CardId,
  CardLifecycle,
  CardLimit,
  CardNotFound,
  CardRef,
  CardSecrets,
  ChangePinRequest,
  CustomerAccount,
  cardFlagNames,
  GetCvvRequest,
  IncorrectCvv,
  IssueCardRequest,
  makeCvv,
  ReplaceCardRequest,
  ReplacedCard,
  SetLimitRequest,
  StoreUnavailable,
  ValidateCvvRequest
} from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { Cause, DateTime, Deferred, Effect, Exit, Fiber, Layer, Redacted, Ref, Schema } from "effect"
import { withActor } from "../src/Actor.js"
import { AuditedCardLifecycle } from "../src/AuditedCardLifecycle.js"
import { AuditedCardSecrets } from "../src/AuditedCardSecrets.js"
import { AuditQuery, type AuditRecord, AuditTrail, SqlAuditTrail } from "../src/AuditTrail.js"
import { databases } from "./databases.js"

/*
 * The decorators over stub ports (the store does not depend on the fakes): one card whose CVV is
 * `cvv`, a card id `missing` that does not exist.
 */

// Digits no id, time or reference in these tests contains, so a scan for them finds only a leak.
const cvv = "9731"
const pin = "86420531"

const account = { customerId: "cust-1", accountNumber: "ACC1" } as const
const actor = { apiKeyId: "key_ops", requestId: "req-abc", clientAddress: "10.0.0.7" } as const

const cardOf = (cardId: string, status: Card["status"] = "active") =>
  new Card({
    cardId: CardId.make(cardId),
    type: "virtual",
    status,
    rawStatus: status.toUpperCase(),
    last4: "4242",
    expiry: Schema.decodeSync(Card.fields.expiry)("2030-01")
  })

const found = (cardId: string): Effect.Effect<Card, CardNotFound> =>
  cardId === "missing" ? Effect.fail(new CardNotFound({ cardId })) : Effect.succeed(cardOf(cardId))

const checked = (request: {
  cardId: string
  cvv: Redacted.Redacted<string>
}): Effect.Effect<Card, CardNotFound | IncorrectCvv> =>
  Redacted.value(request.cvv) === cvv
    ? found(request.cardId)
    : Effect.fail(new IncorrectCvv({ cardId: request.cardId }))

const stubSecrets = Layer.succeed(
  CardSecrets,
  CardSecrets.of({
    getCvv: (request) =>
      Effect.map(found(request.cardId), () =>
        CardCvv.fromDecoded({
          cardId: request.cardId,
          cvv: makeCvv(cvv),
          flags: Object.fromEntries(cardFlagNames.map((name) => [name, false])) as CardCvv["flags"],
          postedDate: DateTime.unsafeMake(0),
          updatedDate: DateTime.unsafeMake(0),
          ack: { type: "GET_CVV_ACK", reference: "REFreveal", originalReference: "reveal", dateCreated: 0 }
        })
      )
  })
)

const limits = [new CardLimit({ kind: "amount", cycle: "day", value: "100" })]

const stubLifecycle = Layer.succeed(
  CardLifecycle,
  CardLifecycle.of({
    getCard: (card) => found(card.cardId),
    listCards: () => Effect.succeed([cardOf("card-1")]),
    issueCard: () => Effect.succeed(cardOf("card-new")),
    activate: checked,
    lock: (card) => Effect.as(found(card.cardId), cardOf(card.cardId, "frozen")),
    unlock: (card) => found(card.cardId),
    reportLostStolen: (card) => Effect.as(found(card.cardId), cardOf(card.cardId, "lost_stolen")),
    replace: (request) =>
      Effect.as(
        found(request.cardId),
        new ReplacedCard({ replaced: cardOf(request.cardId, "not_in_use"), replacement: cardOf("card-2") })
      ),
    close: (card) => Effect.as(found(card.cardId), cardOf(card.cardId, "closed")),
    changePin: (request) => Effect.asVoid(found(request.cardId)),
    validateCvv: (request) => Effect.asVoid(checked(request)),
    getLimits: (card) => Effect.as(found(card.cardId), limits),
    setLimit: (request) => Effect.as(found(request.cardId), limits)
  })
)

const ref = (cardId = "card-1") => new CardRef({ cardId: CardId.make(cardId), ...account } as never)
const request = <A>(make: new (fields: never) => A, fields: object = {}, cardId = "card-1"): A =>
  Schema.decodeUnknownSync(make as never)({ cardId, ...account, ...fields }) as A

const decorated = Layer.mergeAll(AuditedCardSecrets.layer, AuditedCardLifecycle.layer).pipe(
  Layer.provide(Layer.merge(stubSecrets, stubLifecycle))
)

/** Every record, oldest first. */
const records = Effect.flatMap(AuditTrail, (trail) =>
  Effect.map(trail.list(new AuditQuery({ limit: 500 })), (page) => [...page.records].reverse())
)

const fields = (record: AuditRecord | undefined) =>
  record === undefined ? undefined : { ...record, id: undefined, at: undefined }

describe.each(databases)("Audited ports on %s", (_, layer) => {
  const provided = <A, E>(
    effect: Effect.Effect<A, E, CardSecrets | CardLifecycle | AuditTrail | SqlClient.SqlClient>
  ) => Effect.provide(effect, decorated.pipe(Layer.provideMerge(SqlAuditTrail.layer), Layer.provideMerge(layer())))

  it.effect("a reveal answers the CVV and leaves one record of who, what and the provider's reference", () =>
    provided(
      Effect.gen(function* () {
        const secrets = yield* CardSecrets
        const revealed = yield* withActor(secrets.getCvv(request(GetCvvRequest)), actor)
        expect(Redacted.value(revealed.cvv)).toBe(cvv)
        const all = yield* records
        expect(all.map(fields)).toEqual([
          {
            id: undefined,
            at: undefined,
            ...actor,
            customerId: "cust-1",
            cardId: "card-1",
            operation: "getCvv",
            outcome: "ok",
            providerReference: "REFreveal"
          }
        ])
      })
    )
  )

  it.effect("each write leaves exactly one record with its operation, card and actor; reads leave none", () =>
    provided(
      Effect.gen(function* () {
        const lifecycle = yield* CardLifecycle
        const writes: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>, string]> = [
          ["issueCard", lifecycle.issueCard(request(IssueCardRequest, { type: "virtual" })), "card-new"],
          ["activate", lifecycle.activate(request(ActivateCardRequest, { cvv })), "card-1"],
          ["lock", lifecycle.lock(ref()), "card-1"],
          ["unlock", lifecycle.unlock(ref()), "card-1"],
          ["reportLostStolen", lifecycle.reportLostStolen(ref()), "card-1"],
          ["replace", lifecycle.replace(request(ReplaceCardRequest, { reason: "damaged" })), "card-1"],
          ["close", lifecycle.close(ref()), "card-1"],
          ["changePin", lifecycle.changePin(request(ChangePinRequest, { pin })), "card-1"],
          ["validateCvv", lifecycle.validateCvv(request(ValidateCvvRequest, { cvv })), "card-1"],
          [
            "setLimit",
            lifecycle.setLimit(request(SetLimitRequest, { kind: "amount", cycle: "day", value: "100" })),
            "card-1"
          ]
        ]
        for (const [operation, write, cardId] of writes) {
          const before = (yield* records).length
          yield* withActor(write, { ...actor, requestId: `req-${operation}` })
          const after = yield* records
          expect(after.length).toBe(before + 1)
          expect(fields(after[after.length - 1])).toEqual({
            id: undefined,
            at: undefined,
            ...actor,
            requestId: `req-${operation}`,
            customerId: "cust-1",
            cardId,
            operation,
            outcome: "ok",
            providerReference: null
          })
        }
        const count = (yield* records).length
        yield* withActor(
          Effect.all([
            lifecycle.getCard(ref()),
            lifecycle.listCards(Schema.decodeUnknownSync(CustomerAccount)(account)),
            lifecycle.getLimits(ref())
          ]),
          actor
        )
        expect((yield* records).length).toBe(count)
      })
    )
  )

  it.effect("a refusal is returned as it was and recorded under its tag", () =>
    provided(
      Effect.gen(function* () {
        const secrets = yield* CardSecrets
        const lifecycle = yield* CardLifecycle
        const notFound = yield* Effect.flip(secrets.getCvv(request(GetCvvRequest, {}, "missing")))
        expect(notFound).toEqual(new CardNotFound({ cardId: "missing" }))
        const incorrect = yield* Effect.flip(lifecycle.validateCvv(request(ValidateCvvRequest, { cvv: "1234" })))
        expect(incorrect).toEqual(new IncorrectCvv({ cardId: "card-1" }))
        const locked = yield* Effect.flip(lifecycle.lock(ref("missing")))
        expect(locked._tag).toBe("CardNotFound")
        expect(
          (yield* records).map((r) => [r.operation, r.cardId, r.outcome, r.providerReference, r.apiKeyId])
        ).toEqual([
          ["getCvv", "missing", "CardNotFound", null, null],
          ["validateCvv", "card-1", "IncorrectCvv", null, null],
          ["lock", "missing", "CardNotFound", null, null]
        ])
      })
    )
  )

  it.effect("no stored column of any record holds the CVV or the PIN", () =>
    provided(
      Effect.gen(function* () {
        const secrets = yield* CardSecrets
        const lifecycle = yield* CardLifecycle
        const sql = yield* SqlClient.SqlClient
        yield* withActor(
          Effect.all([
            secrets.getCvv(request(GetCvvRequest)),
            lifecycle.changePin(request(ChangePinRequest, { pin })),
            lifecycle.activate(request(ActivateCardRequest, { cvv })),
            lifecycle.validateCvv(request(ValidateCvvRequest, { cvv })),
            Effect.flip(lifecycle.activate(request(ActivateCardRequest, { cvv: "9732" })))
          ]),
          actor
        )
        const rows = yield* sql<Record<string, unknown>>`select * from audit_records`
        expect(rows.length).toBe(5)
        for (const row of rows) {
          for (const value of Object.values(row)) {
            expect(String(value)).not.toContain(cvv)
            expect(String(value)).not.toContain("9732")
            expect(String(value)).not.toContain(pin)
          }
        }
      })
    )
  )

  it.effect("an interrupted call is not recorded", () =>
    provided(
      Effect.gen(function* () {
        const trail = yield* AuditTrail
        const started = yield* Deferred.make<void>()
        const hanging = yield* AuditedCardSecrets.make.pipe(
          Effect.provideService(
            CardSecrets,
            CardSecrets.of({ getCvv: () => Effect.zipRight(Deferred.succeed(started, undefined), Effect.never) })
          ),
          Effect.provideService(AuditTrail, trail)
        )
        const fiber = yield* Effect.fork(hanging.getCvv(request(GetCvvRequest)))
        yield* Deferred.await(started)
        yield* Fiber.interrupt(fiber)
        expect(yield* records).toEqual([])
      })
    )
  )
})

describe("Audited ports, failing closed", () => {
  const failing = (written: Ref.Ref<number>) =>
    Layer.succeed(
      AuditTrail,
      AuditTrail.of({
        record: () =>
          Effect.zipRight(
            Ref.update(written, (n) => n + 1),
            new StoreUnavailable({ reason: "down" })
          ),
        list: () => new StoreUnavailable({ reason: "down" })
      })
    )

  it.effect("when the record cannot be written no CVV is returned, though the provider answered", () =>
    Effect.gen(function* () {
      const attempts = yield* Ref.make(0)
      const exit = yield* Effect.gen(function* () {
        const secrets = yield* CardSecrets
        return yield* secrets.getCvv(request(GetCvvRequest))
      }).pipe(Effect.provide(decorated.pipe(Layer.provide(failing(attempts)))), Effect.exit)
      expect(yield* Ref.get(attempts)).toBe(1)
      expect(exit).toEqual(Exit.fail(new StoreUnavailable({ reason: "down" })))
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).not.toContain(cvv)
    })
  )

  it.effect("a write and a refusal fail with StoreUnavailable too when their record cannot be written", () =>
    Effect.gen(function* () {
      const attempts = yield* Ref.make(0)
      const [lock, refused] = yield* Effect.gen(function* () {
        const lifecycle = yield* CardLifecycle
        return yield* Effect.all([
          Effect.flip(lifecycle.lock(ref())),
          Effect.flip(lifecycle.validateCvv(request(ValidateCvvRequest, { cvv: "1234" })))
        ])
      }).pipe(Effect.provide(decorated.pipe(Layer.provide(failing(attempts)))))
      expect([lock._tag, refused._tag, yield* Ref.get(attempts)]).toEqual(["StoreUnavailable", "StoreUnavailable", 2])
    })
  )

  it.effect("once the provider answered, the record is written even if the caller is interrupted meanwhile", () =>
    Effect.gen(function* () {
      const recording = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const written = yield* Ref.make(0)
      const slow = Layer.succeed(
        AuditTrail,
        AuditTrail.of({
          record: () =>
            Deferred.succeed(recording, undefined).pipe(
              Effect.zipRight(Deferred.await(gate)),
              Effect.zipRight(Ref.update(written, (n) => n + 1))
            ),
          list: () => new StoreUnavailable({ reason: "unused" })
        })
      )
      yield* Effect.gen(function* () {
        const secrets = yield* CardSecrets
        const fiber = yield* Effect.fork(secrets.getCvv(request(GetCvvRequest)))
        yield* Deferred.await(recording)
        const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
        yield* Deferred.succeed(gate, undefined)
        const exit = yield* Fiber.join(interrupting)
        expect(yield* Ref.get(written)).toBe(1)
        expect(Exit.isInterrupted(exit)).toBe(true)
      }).pipe(Effect.provide(decorated.pipe(Layer.provide(slow))))
    })
  )
})
