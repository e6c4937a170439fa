import type { AccountValidation, CardLifecycle, CardSecrets, DeviceSignedOperations } from "@cardkit/domain"
import { Config, type ConfigError, Context, Effect, Layer } from "effect"
import * as Providers from "./Providers.js"

/** Which provider answers, for `/health` and the start-up line. */
export class ProviderInfo extends Context.Tag("@cardkit/demo/ProviderInfo")<
  ProviderInfo,
  { readonly name: Providers.Name }
>() {}

/** Every port the demo serves, and the provider's name. */
export type ProviderServices = CardSecrets | AccountValidation | CardLifecycle | DeviceSignedOperations | ProviderInfo

/** A provider's services (and whatever else the layer gives, such as `FakeIssuer`) plus its name. */
export const providerLayer = <E, R, ROut = never>(
  name: Providers.Name,
  services: Layer.Layer<CardSecrets | AccountValidation | ROut, E, R>
): Layer.Layer<CardSecrets | AccountValidation | ROut | ProviderInfo, E, R> =>
  Layer.merge(services, Layer.succeed(ProviderInfo, { name }))

/** Every service of the provider `name` from `Providers`, with its name. */
export const namedProvider = (name: Providers.Name): Layer.Layer<ProviderServices, ConfigError.ConfigError> =>
  Layer.unwrapEffect(
    Effect.map(
      Effect.promise(() => Providers.load(name, ["cardSecrets", "accountValidation", "cardLifecycle", "deviceSigned"])),
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
