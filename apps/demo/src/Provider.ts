import type { AccountValidation, CardSecrets } from "@cardkit/domain"
import { FakeProvider } from "@cardkit/fake"
import { Config, type ConfigError, Context, Effect, Layer } from "effect"
import { liveProvider } from "./internal/live.js"

export type ProviderName = "fake" | "live"

/** Which provider answers, for `/health` and the start-up line. */
export class ProviderInfo extends Context.Tag("@cardkit/demo/ProviderInfo")<
  ProviderInfo,
  { readonly name: ProviderName }
>() {}

/** A provider's services (and whatever else the layer gives, such as `FakeIssuer`) plus its name. */
export const providerLayer = <E, R, ROut = never>(
  name: ProviderName,
  services: Layer.Layer<CardSecrets | AccountValidation | ROut, E, R>
): Layer.Layer<CardSecrets | AccountValidation | ROut | ProviderInfo, E, R> =>
  Layer.merge(services, Layer.succeed(ProviderInfo, { name }))

/**
 * The provider `CARDKIT_PROVIDER` names: `fake` (the default: the in-memory issuer seeded with the
 * documents' cards) or `live` (the ledger and Visa PAV transports, each from its own config).
 */
export const ProviderLayer: Layer.Layer<CardSecrets | AccountValidation | ProviderInfo, ConfigError.ConfigError> =
  Layer.unwrapEffect(
    Effect.map(Config.withDefault(Config.literal("fake", "live")("CARDKIT_PROVIDER"), "fake" as const), (name) =>
      name === "fake" ? providerLayer("fake", FakeProvider.layer) : providerLayer("live", liveProvider)
    )
  )
