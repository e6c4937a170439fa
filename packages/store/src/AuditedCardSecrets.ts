import { CardSecrets } from "@cardkit/domain"
import { Context, Effect, Layer } from "effect"
import { audited } from "./Audited.js"
import { AuditTrail } from "./AuditTrail.js"

const make: Effect.Effect<CardSecrets["Type"], never, CardSecrets | AuditTrail> = Effect.gen(function* () {
  const secrets = yield* CardSecrets
  const trail = yield* AuditTrail
  return CardSecrets.of({
    getCvv: (request) =>
      audited(
        trail,
        {
          operation: "getCvv",
          customerId: request.customerId,
          cardId: request.cardId,
          providerReference: (revealed) => revealed.ack.reference
        },
        secrets.getCvv(request)
      )
  })
})

/**
 * The `CardSecrets` in context with every reveal recorded in the `AuditTrail` (see `audited`): a CVV
 * is returned only once its record is written. Its layer provides the decorated port in place of the
 * one it is given: `AuditedCardSecrets.layer.pipe(Layer.provide(providerLayer), Layer.provide(auditLayer))`.
 */
export class AuditedCardSecrets extends Context.Tag("@cardkit/store/AuditedCardSecrets")<
  AuditedCardSecrets,
  CardSecrets["Type"]
>() {
  static readonly make = make
  static readonly layer: Layer.Layer<AuditedCardSecrets | CardSecrets, never, CardSecrets | AuditTrail> = Layer.effect(
    CardSecrets,
    AuditedCardSecrets
  ).pipe(Layer.provideMerge(Layer.effect(AuditedCardSecrets, make)))
}
