import type { ServeError } from "@effect/platform/HttpServerError"
import type { MleError } from "@cardkit/visa-pav"
import { type Config, type ConfigError, Context, Effect, Layer } from "effect"
import type { FakeIssuer } from "./FakeIssuer.js"
import { FakeLedgerServer, type FakeLedgerOptions } from "./LedgerServer.js"
import { FakeVisaServer, type FakeVisaOptions } from "./VisaServer.js"
import { serveAs, WireServer, WireServerConfig, type WireServerOptions } from "./WireServer.js"

export interface FakeWireServersOptions extends WireServerOptions {
  readonly ledger?: FakeLedgerOptions
  readonly visa?: FakeVisaOptions
}

const make = (options: FakeWireServersOptions = {}) =>
  Effect.map(Effect.all([FakeLedgerServer.make(options.ledger), FakeVisaServer.make(options.visa)]), ([ledger, visa]) =>
    WireServer.combine([
      [FakeLedgerServer.path, ledger],
      [FakeLedgerServer.customerPath, ledger],
      [FakeVisaServer.path, visa]
    ])
  )

/**
 * Both wire fakes on one port over one `FakeIssuer`: the ledger's `/cardv2` and `/jsonrpc` and Visa's
 * `/pav/v1/cardvalidation`, as `cardkit fake serve` runs them.
 */
export class FakeWireServers extends Context.Tag("@cardkit/fake/FakeWireServers")<
  FakeWireServers,
  WireServer["Type"]
>() {
  /** Both handlers as one app, to serve as it is or mount further. */
  static readonly make = make

  /** Serve them on one port (ephemeral unless `port` is given); the address is also `WireServer`. */
  static readonly layer = (
    options: FakeWireServersOptions = {}
  ): Layer.Layer<FakeWireServers | WireServer, ServeError | MleError, FakeIssuer> =>
    serveAs(FakeWireServers, make(options), options)

  /** As `layer`, the options read from `config`: by default where `WireServerConfig` says, both open. */
  static readonly layerConfig = (
    config: Config.Config<FakeWireServersOptions> = WireServerConfig
  ): Layer.Layer<FakeWireServers | WireServer, ServeError | MleError | ConfigError.ConfigError, FakeIssuer> =>
    Layer.unwrapEffect(Effect.map(config, FakeWireServers.layer))
}
