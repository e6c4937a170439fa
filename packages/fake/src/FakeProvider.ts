import { AccountValidation, CardSecrets } from "@cardkit/domain"
import { Effect, Layer } from "effect"
import { FakeIssuer, type FakeIssuerOptions } from "./FakeIssuer.js"

const services = Layer.mergeAll(
  Layer.effect(
    CardSecrets,
    Effect.map(FakeIssuer, (issuer) => CardSecrets.of({ getCvv: issuer.getCvv }))
  ),
  Layer.effect(
    AccountValidation,
    Effect.map(FakeIssuer, (issuer) => AccountValidation.of({ validate: issuer.validateAccount }))
  )
)

/**
 * The in-memory provider: `CardSecrets` and `AccountValidation` answered by one fake issuer,
 * plus that issuer as `FakeIssuer` so a test can issue cards, change their status and inject faults.
 */
export const FakeProvider = {
  /** Seeded with the source documents' records, so their examples work verbatim. */
  layer: Layer.provideMerge(services, FakeIssuer.layer),
  layerWith: (options: FakeIssuerOptions) => Layer.provideMerge(services, FakeIssuer.layerWith(options))
} as const
