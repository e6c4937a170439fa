import { AccountValidation, CardSecrets } from "@cardkit/domain"
import { Effect, Layer, Option } from "effect"
import { FakeIssuer, type FakeIssuerOptions } from "./FakeIssuer.js"
import { type FakeOperation, faultEffect } from "./Faults.js"

/** Run `effect` after the operation's next injected fault, if any: latency delays, others fail. */
const withFault = <A, E>(issuer: FakeIssuer["Type"], operation: FakeOperation, effect: Effect.Effect<A, E>) =>
  Effect.flatMap(issuer.nextFault(operation), (fault) =>
    Option.isNone(fault) ? effect : Effect.zipRight(faultEffect(fault.value), effect)
  )

const services = Layer.mergeAll(
  Layer.effect(
    CardSecrets,
    Effect.map(FakeIssuer, (issuer) =>
      CardSecrets.of({ getCvv: (request) => withFault(issuer, "getCvv", issuer.getCvv(request)) })
    )
  ),
  Layer.effect(
    AccountValidation,
    Effect.map(FakeIssuer, (issuer) =>
      AccountValidation.of({
        validate: (request) => withFault(issuer, "validateAccount", issuer.validateAccount(request))
      })
    )
  )
)

/**
 * The in-memory provider: `CardSecrets` and `AccountValidation` answered by one fake issuer,
 * plus that issuer as `FakeIssuer` so a test can issue cards, change their status and inject faults.
 * Injected faults for `getCvv` and `validateAccount` apply here; in memory every fault but
 * `Latency` fails as `ProviderUnavailable`.
 */
export const FakeProvider = {
  /** Seeded with the source documents' records, so their examples work verbatim. */
  layer: Layer.provideMerge(services, FakeIssuer.layer) as Layer.Layer<CardSecrets | AccountValidation | FakeIssuer>,
  layerWith: (options: FakeIssuerOptions): Layer.Layer<CardSecrets | AccountValidation | FakeIssuer> =>
    Layer.provideMerge(services, FakeIssuer.layerWith(options))
} as const
