import {
  type AccountValidation,
  type CardLifecycle,
  type CardSecrets,
  type DeviceSignedOperations,
  Health
} from "@cardkit/domain"
import { Config, type ConfigError, Context, Effect, Layer } from "effect"
import * as Providers from "./Providers.js"

/** Which provider answers, for `/health` and the start-up line. */
export class ProviderInfo extends Context.Tag("@cardkit/demo/ProviderInfo")<
  ProviderInfo,
  { readonly name: Providers.Name }
>() {}

/**
 * Every port the demo serves, the provider's name, its health (`Health.HealthChecks`) and how health is
 * judged (`Health.HealthSettings`, from `CARDKIT_HEALTH_TIMEOUT` and `CARDKIT_CREDENTIAL_EXPIRY_WARNING`).
 */
export type ProviderServices =
  | CardSecrets
  | AccountValidation
  | CardLifecycle
  | DeviceSignedOperations
  | ProviderInfo
  | Health.HealthChecks
  | Health.HealthSettings

/** What a provider reports when its layer has no health of its own: no check and no credential. */
const noHealth = Health.HealthChecks.layer({ checks: [], credentials: [] })

/**
 * A provider's services (and whatever else the layer gives, such as `FakeIssuer`) plus its name, its
 * health (none unless `services` gives `Health.HealthChecks`) and the health settings.
 */
export const providerLayer = <E, R, ROut = never>(
  name: Providers.Name,
  services: Layer.Layer<CardSecrets | AccountValidation | ROut, E, R>
): Layer.Layer<
  CardSecrets | AccountValidation | ROut | ProviderInfo | Health.HealthChecks | Health.HealthSettings,
  E | ConfigError.ConfigError,
  R
> =>
  // Merged after `noHealth`, the provider's own health stands in for it.
  Layer.mergeAll(noHealth, services, Layer.succeed(ProviderInfo, { name }), Health.HealthSettings.layerConfig())

/** Every service of the provider `name` from `Providers`, with its name. */
export const namedProvider = (name: Providers.Name): Layer.Layer<ProviderServices, ConfigError.ConfigError> =>
  Layer.unwrapEffect(
    Effect.map(
      Effect.promise(() =>
        Providers.load(name, ["cardSecrets", "accountValidation", "cardLifecycle", "deviceSigned", "health"])
      ),
      (services) => providerLayer(name, services)
    )
  )

/** The provider `CARDKIT_PROVIDER` names among `Providers.names`: `fake` by default. */
export const ProviderLayer: Layer.Layer<ProviderServices, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(
    Config.withDefault(Config.literal(...Providers.names)("CARDKIT_PROVIDER"), Providers.names[0]),
    namedProvider
  )
)
