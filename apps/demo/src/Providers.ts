import type { AccountValidation, CardSecrets } from "@cardkit/domain"
import { type ConfigError, Layer } from "effect"

/**
 * The providers the demo and the CLI can run on, one entry each: adding a provider is adding an
 * entry. Each entry imports its modules only when it is loaded, and only those of the services
 * asked for, so `cardkit cvv --provider live` never loads Visa's transport nor reads its settings.
 */

/** The domain's ports a provider answers, by the name a caller asks for them. */
interface Ports {
  readonly cardSecrets: CardSecrets
  readonly accountValidation: AccountValidation
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

/** The live transports, each over the undici client its own `CARDKIT_*_TIMEOUT` (and Visa's TLS) configures. */
type Loaders = { readonly [S in Service]: () => Promise<Layer.Layer<Ports[S], ConfigError.ConfigError>> }

const live: Loaders = {
  cardSecrets: async () => {
    const [{ LedgerCardSecrets, LedgerHttpConfig }, { UndiciHttpClient }] = await Promise.all([
      import("@cardkit/ledger"),
      import("@cardkit/http")
    ])
    return LedgerCardSecrets.layerConfig().pipe(Layer.provide(UndiciHttpClient.layerConfig(LedgerHttpConfig)))
  },
  accountValidation: async () => {
    const [{ VisaAccountValidation, VisaHttpConfig }, { UndiciHttpClient }] = await Promise.all([
      import("@cardkit/visa-pav"),
      import("@cardkit/http")
    ])
    return VisaAccountValidation.layerConfig().pipe(Layer.provide(UndiciHttpClient.layerConfig(VisaHttpConfig)))
  }
}

const loadLive = <S extends Service>(service: S): Promise<Layer.Layer<Ports[S], ConfigError.ConfigError>> => {
  const loader: Loaders[S] = live[service]
  return loader()
}

export const providers = {
  fake: {
    description: "the in-memory issuer seeded with the documents' cards",
    load: async () => (await import("@cardkit/fake")).FakeProvider.layer()
  },
  live: {
    description:
      "the ledger and Visa PAV transports, configured by the flags below or CARDKIT_LEDGER_* / CARDKIT_VISA_*",
    load: async <S extends Service>(services: readonly [S, ...Array<S>]) =>
      (await Promise.all(services.map((service) => loadLive(service)))).reduce((all, layer) => Layer.merge(all, layer))
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
