import { AccountValidation, CardSecrets } from "@cardkit/domain"
import { type Config, type ConfigError, Context, Effect, Layer } from "effect"
import { FakeIssuer, FakeIssuerConfig, type FakeIssuerOptions } from "./FakeIssuer.js"
import { withFault } from "./Faults.js"

const make: Effect.Effect<FakeProvider["Type"], never, FakeIssuer> = Effect.map(FakeIssuer, (issuer) => ({
  getCvv: (request) => withFault(issuer.nextFault, "getCvv", issuer.getCvv(request)),
  validate: (request) => withFault(issuer.nextFault, "validateAccount", issuer.validateAccount(request))
}))

/**
 * The in-memory provider: `CardSecrets` and `AccountValidation` answered by one fake issuer. Its
 * layers provide it as both ports, plus that issuer as `FakeIssuer` so a test can issue cards,
 * change their status and inject faults. Injected faults for `getCvv` and `validateAccount` apply
 * here; in memory every fault but `Latency` fails as `ProviderUnavailable`.
 */
export class FakeProvider extends Context.Tag("@cardkit/fake/FakeProvider")<
  FakeProvider,
  CardSecrets["Type"] & AccountValidation["Type"]
>() {
  /** Over the `FakeIssuer` in context. */
  static readonly make = make

  /** A fresh issuer (seeded with the source documents' records, so their examples work verbatim). */
  static readonly layer = (
    options: FakeIssuerOptions = {}
  ): Layer.Layer<FakeProvider | CardSecrets | AccountValidation | FakeIssuer> => provided(FakeIssuer.layer(options))

  /** As `layer`, the issuer's options read from `config`: by default `FakeIssuerConfig`. */
  static readonly layerConfig = (
    config: Config.Config<FakeIssuerOptions> = FakeIssuerConfig
  ): Layer.Layer<FakeProvider | CardSecrets | AccountValidation | FakeIssuer, ConfigError.ConfigError> =>
    provided(FakeIssuer.layerConfig(config))
}

const provided = <E>(issuer: Layer.Layer<FakeIssuer, E>) =>
  Layer.mergeAll(Layer.effect(CardSecrets, FakeProvider), Layer.effect(AccountValidation, FakeProvider)).pipe(
    Layer.provideMerge(Layer.effect(FakeProvider, make)),
    Layer.provideMerge(issuer)
  )
