import type { AccountValidation, CardLifecycle, CardSecrets, DeviceSignedOperations, Health } from "@cardkit/domain"
import type { LedgerClient } from "@cardkit/ledger"
import { Config, type ConfigError, Effect, Layer, Option } from "effect"

/**
 * The providers the demo and the CLI can run on, one entry each: adding a provider is adding an
 * entry. Each entry imports its modules only when it is loaded, and only those of the services
 * asked for, so `cardkit cvv --provider live` never loads Visa's transport nor reads its settings.
 */

/** The domain's ports a provider answers, by the name a caller asks for them. */
interface Ports {
  readonly cardSecrets: CardSecrets
  readonly accountValidation: AccountValidation
  readonly cardLifecycle: CardLifecycle
  readonly deviceSigned: DeviceSignedOperations
  /** The provider's readiness checks and the credentials it holds (not a port: what `/health` and `doctor` report). */
  readonly health: Health.HealthChecks
}

export type Service = keyof Ports

export interface Provider {
  /** What it is, for `--help` and the start-up line. */
  readonly description: string
  /**
   * One layer of the services asked for. Services loaded together share whatever the provider
   * holds (the fake's one issuer); each load is a fresh provider.
   */
  readonly load: <S extends Service>(
    services: readonly [S, ...Array<S>]
  ) => Promise<Layer.Layer<Ports[S], ConfigError.ConfigError>>
}

/** The ledger's client, over the undici client `CARDKIT_LEDGER_TIMEOUT` configures. */
type LedgerClientLayer = Layer.Layer<LedgerClient, ConfigError.ConfigError>

/**
 * The live transports, each over the undici client its own `CARDKIT_*_TIMEOUT` (and Visa's TLS)
 * configures. The ledger's services are given one client layer per load: a layer is built once
 * however often a build uses it, so they share one client and one HTTP pool.
 */
type Loaders = {
  readonly [S in Service]: (
    ledgerClient: () => Promise<LedgerClientLayer>
  ) => Promise<Layer.Layer<Ports[S], ConfigError.ConfigError>>
}

const live: Loaders = {
  cardSecrets: async (ledgerClient) => {
    const [{ LedgerCardSecrets }, client] = await Promise.all([import("@cardkit/ledger"), ledgerClient()])
    return LedgerCardSecrets.layerOverClient().pipe(Layer.provide(client))
  },
  cardLifecycle: async (ledgerClient) => {
    const [{ LedgerCardholderConfig, LedgerCardLifecycle }, client] = await Promise.all([
      import("@cardkit/ledger"),
      ledgerClient()
    ])
    // The cardholder's operations signed by the configured development device, when there is one.
    return Layer.unwrapEffect(
      Effect.map(LedgerCardholderConfig, (signer) =>
        LedgerCardLifecycle.layerOverClient({ cardholderSigner: Option.getOrUndefined(signer) })
      )
    ).pipe(Layer.provide(client))
  },
  deviceSigned: async (ledgerClient) => {
    const [{ LedgerDeviceSignedOperations }, client] = await Promise.all([import("@cardkit/ledger"), ledgerClient()])
    return LedgerDeviceSignedOperations.layerOverClient().pipe(Layer.provide(client))
  },
  accountValidation: async () => {
    const [{ VisaAccountValidation, VisaHttpConfig }, { UndiciHttpClient }] = await Promise.all([
      import("@cardkit/visa-pav"),
      import("@cardkit/http")
    ])
    return VisaAccountValidation.layerConfig().pipe(Layer.provide(UndiciHttpClient.layerConfig(VisaHttpConfig)))
  },
  // Each check on a client of its own, configured as its transport's: the same TLS, so the handshake is checked too.
  health: async () => {
    const [
      { Health },
      { LedgerHealth, LedgerHealthConfig, LedgerHttpConfig },
      { VisaHealth, VisaHealthConfig, VisaHttpConfig },
      { UndiciHttpClient }
    ] = await Promise.all([
      import("@cardkit/domain"),
      import("@cardkit/ledger"),
      import("@cardkit/visa-pav"),
      import("@cardkit/http")
    ])
    // Every setting read at once first: the two layers, built side by side, would stop at the first
    // provider's missing settings, and a configuration is told what it lacks for both.
    const settings = Layer.effectDiscard(
      Config.all([LedgerHealthConfig, LedgerHttpConfig, VisaHealthConfig, VisaHttpConfig])
    )
    return Layer.effect(
      Health.HealthChecks,
      Effect.flatMap(Effect.all([LedgerHealth, VisaHealth]), (parts) => Health.HealthChecks.make(...parts))
    ).pipe(
      Layer.provide(
        Layer.merge(
          LedgerHealth.layerConfig().pipe(Layer.provide(UndiciHttpClient.layerConfig(LedgerHttpConfig))),
          VisaHealth.layerConfig().pipe(Layer.provide(UndiciHttpClient.layerConfig(VisaHttpConfig)))
        )
      ),
      Layer.provide(settings)
    )
  }
}

/** One ledger client layer, made when a ledger service first asks for it. */
const sharedLedgerClient = (): (() => Promise<LedgerClientLayer>) => {
  let made: Promise<LedgerClientLayer> | undefined
  return () =>
    (made ??= Promise.all([import("@cardkit/ledger"), import("@cardkit/http")]).then(
      ([{ LedgerClient, LedgerHttpConfig }, { UndiciHttpClient }]) =>
        LedgerClient.layerConfig().pipe(Layer.provide(UndiciHttpClient.layerConfig(LedgerHttpConfig)))
    ))
}

const loadLive = <S extends Service>(
  service: S,
  ledgerClient: () => Promise<LedgerClientLayer>
): Promise<Layer.Layer<Ports[S], ConfigError.ConfigError>> => {
  const loader: Loaders[S] = live[service]
  return loader(ledgerClient)
}

export const providers = {
  fake: {
    description: "the in-memory issuer seeded with the documents' cards",
    load: async () => {
      const [{ FakeProvider }, { Health }] = await Promise.all([import("@cardkit/fake"), import("@cardkit/domain")])
      // In memory: nothing to reach and no credential to expire.
      const health = Health.HealthChecks.layer({
        checks: [{ name: "fake", run: Effect.succeed(Health.ok("in memory")) }],
        credentials: []
      })
      return Layer.merge(FakeProvider.layer(), health)
    }
  },
  live: {
    description:
      "the ledger and Visa PAV transports, configured by the flags below or CARDKIT_LEDGER_* / CARDKIT_VISA_*",
    load: async <S extends Service>(services: readonly [S, ...Array<S>]) => {
      const ledgerClient = sharedLedgerClient()
      return (await Promise.all(services.map((service) => loadLive(service, ledgerClient)))).reduce((all, layer) =>
        Layer.merge(all, layer)
      )
    }
  }
} as const satisfies Record<string, Provider>

export type Name = keyof typeof providers

/** The providers' names, the default (`fake`: a fresh clone runs with no credentials) first. */
export const names = Object.keys(providers) as [Name, ...Array<Name>]

/** The services of provider `name`, importing only what they need. */
export const load = <S extends Service>(
  name: Name,
  services: readonly [S, ...Array<S>]
): Promise<Layer.Layer<Ports[S], ConfigError.ConfigError>> => providers[name].load(services)
