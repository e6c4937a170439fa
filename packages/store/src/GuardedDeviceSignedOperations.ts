import { type CardCvv, DeviceSignedOperations } from "@cardkit/domain"
import { Context, Effect, Layer } from "effect"
import { audited } from "./Audited.js"
import { AuditTrail } from "./AuditTrail.js"
import { withinBudget } from "./BudgetedCardSecrets.js"
import { RevealBudget } from "./RevealBudget.js"

/*
 * A device-signed operation is the same reveal or write as the plain port's, so it is held to the
 * same rules: recorded in the audit trail (as `device:<operation>`, so a review tells the two apart)
 * before its answer leaves, and a device-signed reveal counts against the reveal budgets. Preparing a
 * payload changes nothing and reveals nothing: only `perform` is guarded.
 */

const make: Effect.Effect<DeviceSignedOperations["Type"], never, DeviceSignedOperations | AuditTrail | RevealBudget> =
  Effect.gen(function* () {
    const operations = yield* DeviceSignedOperations
    const trail = yield* AuditTrail
    const budget = yield* RevealBudget
    return DeviceSignedOperations.of({
      prepare: operations.prepare,
      perform: (payload, signature) => {
        const performed = operations.perform(payload, signature)
        const call = {
          operation: `device:${payload.operation}`,
          customerId: payload.customerId,
          cardId: payload.cardId
        }
        return payload.operation === "revealCvv"
          ? audited(
              trail,
              { ...call, providerReference: (revealed) => (revealed as CardCvv).ack.reference },
              withinBudget(budget, { cardId: payload.cardId, customerId: payload.customerId }, performed)
            )
          : audited(trail, call, performed)
      }
    })
  })

/**
 * The `DeviceSignedOperations` in context, audited and within the reveal budgets; its layer provides
 * the guarded port in place of the one it is given.
 */
export class GuardedDeviceSignedOperations extends Context.Tag("@cardkit/store/GuardedDeviceSignedOperations")<
  GuardedDeviceSignedOperations,
  DeviceSignedOperations["Type"]
>() {
  static readonly make = make
  static readonly layer: Layer.Layer<
    GuardedDeviceSignedOperations | DeviceSignedOperations,
    never,
    DeviceSignedOperations | AuditTrail | RevealBudget
  > = Layer.effect(DeviceSignedOperations, GuardedDeviceSignedOperations).pipe(
    Layer.provideMerge(Layer.effect(GuardedDeviceSignedOperations, make))
  )
}
