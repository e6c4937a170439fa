import { ApiKeys, DemoServer, namedProvider, servedOn } from "@cardkit/demo"
import { StoreServices } from "@cardkit/store"
import { Telemetry } from "@cardkit/telemetry"
import { Effect, Layer } from "effect"
import type { DemoArgs } from "../Cli.js"
import { settingsProvider } from "../Settings.js"

/**
 * `cardkit demo`: the demo app as `apps/demo` runs it, with the provider `--provider` names, and its
 * telemetry from the `OTEL_*` variables and `CARDKIT_METRICS_PORT`.
 */
export const runDemo = (args: DemoArgs) =>
  Layer.launch(
    DemoServer.layerConfig().pipe(
      Layer.provide([ApiKeys.layerConfig(), servedOn(namedProvider(args.provider), StoreServices.layerConfig)]),
      Layer.provide(Telemetry.layerConfig())
    )
  ).pipe(Effect.withConfigProvider(settingsProvider({ ...args.settings, HOST: args.host, PORT: args.port })))
