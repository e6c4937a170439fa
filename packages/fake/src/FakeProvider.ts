import { AccountValidation, CardLifecycle, CardSecrets } from "@cardkit/domain"
import { type Config, type ConfigError, Context, Effect, Layer } from "effect"
import { FakeIssuer, FakeIssuerConfig, type FakeIssuerOptions } from "./FakeIssuer.js"
import { withFault } from "./Faults.js"
import { makeLifecycle } from "./internal/lifecycle.js"

const make: Effect.Effect<FakeProvider["Type"], never, FakeIssuer> = Effect.map(FakeIssuer, (issuer) => ({
  getCvv: (request) => withFault(issuer.nextFault, "getCvv", issuer.getCvv(request)),
  validate: (request) => withFault(issuer.nextFault, "validateAccount", issuer.validateAccount(request)),
  ...makeLifecycle(issuer)
}))

/**
 * The in-memory provider: `CardSecrets`, `AccountValidation` and `CardLifecycle` answered by one
 * fake issuer. Its layers provide it as the three ports, plus that issuer as `FakeIssuer` so a test
 * can issue cards, change their status and inject faults. Injected faults apply here per operation:
 * `getCvv`, `validateAccount`, and for each lifecycle call the ledger operation it stands for
 * (`lock` → `updateStatus`, `replace` → `replaceCard`, `getLimits` → `getCardLimit`, …); in memory
 * every fault but `Latency` fails as `ProviderUnavailable`.
 *
 * The lifecycle acts as the production client signs: the service (ADMIN) issues, reads, locks,
 * unlocks, reports lost and closes; the cardholder (LEGALREP) activates, sets the PIN, checks the
 * CVV and asks for a replacement — so the ledger's transition table decides for that role.
 */
export class FakeProvider extends Context.Tag("@cardkit/fake/FakeProvider")<
  FakeProvider,
  CardSecrets["Type"] & AccountValidation["Type"] & CardLifecycle["Type"]
>() {
  /** Over the `FakeIssuer` in context. */
  static readonly make = make

  /** A fresh issuer (seeded with the source documents' records, so their examples work verbatim). */
  static readonly layer = (
    options: FakeIssuerOptions = {}
  ): Layer.Layer<FakeProvider | CardSecrets | AccountValidation | CardLifecycle | FakeIssuer> =>
    provided(FakeIssuer.layer(options))

  /** As `layer`, the issuer's options read from `config`: by default `FakeIssuerConfig`. */
  static readonly layerConfig = (
    config: Config.Config<FakeIssuerOptions> = FakeIssuerConfig
  ): Layer.Layer<
    FakeProvider | CardSecrets | AccountValidation | CardLifecycle | FakeIssuer,
    ConfigError.ConfigError
  > => provided(FakeIssuer.layerConfig(config))
}

const provided = <E>(issuer: Layer.Layer<FakeIssuer, E>) =>
  Layer.mergeAll(
    Layer.effect(CardSecrets, FakeProvider),
    Layer.effect(AccountValidation, FakeProvider),
    Layer.effect(CardLifecycle, FakeProvider)
  ).pipe(Layer.provideMerge(Layer.effect(FakeProvider, make)), Layer.provideMerge(issuer))
