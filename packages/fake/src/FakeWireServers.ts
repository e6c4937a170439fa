import type { ServeError } from "@effect/platform/HttpServerError"
import type { MleError } from "@cardkit/visa-pav"
import { Effect, Layer } from "effect"
import type { FakeIssuer } from "./FakeIssuer.js"
import { FakeLedgerServer, type FakeLedgerOptions } from "./LedgerServer.js"
import { FakeVisaServer, type FakeVisaOptions } from "./VisaServer.js"
import { combine, layerServe, type WireServer, type WireServerOptions } from "./WireServer.js"

export interface FakeWireServersOptions extends WireServerOptions {
  readonly ledger?: FakeLedgerOptions
  readonly visa?: FakeVisaOptions
}

const app = (options: FakeWireServersOptions = {}) =>
  Effect.map(Effect.all([FakeLedgerServer.app(options.ledger), FakeVisaServer.app(options.visa)]), ([ledger, visa]) =>
    combine([
      [FakeLedgerServer.path, ledger],
      [FakeVisaServer.path, visa]
    ])
  )

/**
 * Both wire fakes on one port over one `FakeIssuer`: the ledger's `/cardv2` and Visa's
 * `/pav/v1/cardvalidation`, as `cardkit fake serve` runs them.
 */
export const FakeWireServers = {
  app,
  layer: (options: FakeWireServersOptions = {}): Layer.Layer<WireServer, ServeError | MleError, FakeIssuer> =>
    Layer.unwrapEffect(Effect.map(app(options), (both) => layerServe(both, options)))
} as const
