import { AccountValidation, CardLifecycle, CardSecrets, DeviceSignedOperations } from "@cardkit/domain"
import { LedgerClient, LedgerDeviceSignedOperations } from "@cardkit/ledger"
import { type Config, type ConfigError, Context, Effect, Layer, Option } from "effect"
import { FakeIssuer, FakeIssuerConfig, type FakeIssuerOptions } from "./FakeIssuer.js"
import { FakeLedgerClient } from "./FakeLedgerClient.js"
import { withFault } from "./Faults.js"
import { makeLifecycle } from "./internal/lifecycle.js"

const make: Effect.Effect<FakeProvider["Type"], never, FakeIssuer> = Effect.map(FakeIssuer, (issuer) => ({
  getCvv: (request) => withFault(issuer.nextFault, "getCvv", issuer.getCvv(request)),
  validate: (request) => withFault(issuer.nextFault, "validateAccount", issuer.validateAccount(request)),
  ...makeLifecycle(issuer)
}))

/**
 * Device-signed operations in memory: the ledger's own implementation over the in-memory ledger
 * client of the same issuer, so the payload a device signs is the one the ledger transport builds,
 * and the issuer's registered devices (their keys and API keys) decide who may perform it.
 */
const deviceSigned = Layer.effect(
  DeviceSignedOperations,
  Effect.gen(function* () {
    const issuer = yield* FakeIssuer
    const ledger = yield* FakeLedgerClient.make()
    return yield* LedgerDeviceSignedOperations.make({
      deviceCredentials: (keyId) =>
        Effect.map(
          issuer.deviceKey(keyId),
          Option.map((device) => ({ apiKey: device.apiKey }))
        )
    }).pipe(Effect.provideService(LedgerClient, ledger))
  })
)

/**
 * The in-memory provider: `CardSecrets`, `AccountValidation` and `CardLifecycle` answered by one
 * fake issuer. Its layers provide it as the three ports, `DeviceSignedOperations` over the same
 * issuer (a device registered with `addUserKey` signs), plus that issuer as `FakeIssuer` so a test
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
  ): Layer.Layer<
    FakeProvider | CardSecrets | AccountValidation | CardLifecycle | DeviceSignedOperations | FakeIssuer
  > => provided(FakeIssuer.layer(options))

  /** As `layer`, the issuer's options read from `config`: by default `FakeIssuerConfig`. */
  static readonly layerConfig = (
    config: Config.Config<FakeIssuerOptions> = FakeIssuerConfig
  ): Layer.Layer<
    FakeProvider | CardSecrets | AccountValidation | CardLifecycle | DeviceSignedOperations | FakeIssuer,
    ConfigError.ConfigError
  > => provided(FakeIssuer.layerConfig(config))
}

const provided = <E>(issuer: Layer.Layer<FakeIssuer, E>) =>
  Layer.mergeAll(
    Layer.effect(CardSecrets, FakeProvider),
    Layer.effect(AccountValidation, FakeProvider),
    Layer.effect(CardLifecycle, FakeProvider),
    deviceSigned
  ).pipe(Layer.provideMerge(Layer.effect(FakeProvider, make)), Layer.provideMerge(issuer))
