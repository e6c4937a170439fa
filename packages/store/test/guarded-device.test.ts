import {
  AccountNumber,
  CardCvv,
  CardId,
  CustomerId,
  cardFlagNames,
  DeviceSignature,
  DeviceSignedOperations,
  type DeviceSignedResult,
  makeCvv,
  SignablePayload,
  type SignableOperation
} from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Layer, Redacted, Ref } from "effect"
import { withActor } from "../src/Actor.js"
import { AuditQuery, AuditTrail, SqlAuditTrail } from "../src/AuditTrail.js"
import { GuardedDeviceSignedOperations } from "../src/GuardedDeviceSignedOperations.js"
import { SqlRevealBudget } from "../src/RevealBudget.js"
import { databases } from "./databases.js"

// Digits no id or reference here contains, so a scan for them finds only a leak.
const cvv = "9731"

const payloadOf = (operation: SignableOperation, cardId = "card-1") =>
  new SignablePayload({
    operation,
    payload: Redacted.make(`{"bytes":"${operation}"}`),
    cardId: CardId.make(cardId),
    customerId: CustomerId.make("cust-1"),
    accountNumber: AccountNumber.make("ACC1")
  })

const signature = new DeviceSignature({ signature: "c2lnbmVk", keyId: "device-1" })

/** A device-signed port that answers every operation and counts what it performed. */
const stub = (performed: Ref.Ref<number>) =>
  Layer.succeed(
    DeviceSignedOperations,
    DeviceSignedOperations.of({
      prepare: () => Effect.die("not prepared in these tests"),
      perform: (payload) =>
        Effect.as(
          Ref.update(performed, (n) => n + 1),
          (payload.operation === "revealCvv"
            ? CardCvv.fromDecoded({
                cardId: payload.cardId,
                cvv: makeCvv(cvv),
                flags: Object.fromEntries(cardFlagNames.map((name) => [name, false])) as CardCvv["flags"],
                postedDate: DateTime.unsafeMake(0),
                updatedDate: DateTime.unsafeMake(0),
                ack: { type: "GET_CVV_ACK", reference: "REFsigned", originalReference: "signed", dateCreated: 0 }
              })
            : undefined) as DeviceSignedResult[typeof payload.operation]
        )
    })
  )

describe.each(databases)("GuardedDeviceSignedOperations on %s", (_, database) => {
  it.effect("records each device-signed call and keeps device-signed reveals within the card's budget", () =>
    Effect.gen(function* () {
      const performed = yield* Ref.make(0)
      const guarded = GuardedDeviceSignedOperations.layer.pipe(
        Layer.provide(stub(performed)),
        Layer.provideMerge(SqlAuditTrail.layer),
        Layer.provide(SqlRevealBudget.layer({ card: { limit: 2, window: Duration.hours(1) } })),
        Layer.provide(database())
      )
      yield* Effect.gen(function* () {
        const operations = yield* DeviceSignedOperations
        const actor = { apiKeyId: "key_ops", requestId: "req-signed", clientAddress: "10.0.0.7" }
        for (let i = 0; i < 2; i++) yield* withActor(operations.perform(payloadOf("revealCvv"), signature), actor)
        const refused = yield* Effect.flip(operations.perform(payloadOf("revealCvv"), signature))
        expect(refused._tag).toBe("BudgetExceeded")
        // A check is no reveal: the spent budget does not hold it back.
        yield* operations.perform(payloadOf("validateCvv"), signature)
        expect(yield* Ref.get(performed)).toBe(3)

        const { records } = yield* (yield* AuditTrail).list(new AuditQuery({ cardId: CardId.make("card-1") }))
        expect(records.map((r) => [r.operation, r.outcome])).toEqual([
          ["device:validateCvv", "ok"],
          ["device:revealCvv", "BudgetExceeded"],
          ["device:revealCvv", "ok"],
          ["device:revealCvv", "ok"]
        ])
        expect(records[3]).toMatchObject({ ...actor, customerId: "cust-1", providerReference: "REFsigned" })
        expect(JSON.stringify(records)).not.toContain(cvv)
      }).pipe(Effect.provide(guarded))
    })
  )
})
