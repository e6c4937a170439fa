import type { AccountValidation, CardSecrets } from "@cardkit/domain"
import { DemoServer, type ProviderInfo, providerLayer } from "@cardkit/demo"
import { Effect, Layer } from "effect"
import type { DemoArgs } from "../Cli.js"
import { settingsProvider } from "../Settings.js"

const provider = (
  name: DemoArgs["provider"]
): Effect.Effect<Layer.Layer<CardSecrets | AccountValidation | ProviderInfo, unknown>> =>
  name === "fake"
    ? Effect.promise(() => import("@cardkit/fake")).pipe(
        Effect.map((fake) => providerLayer("fake", fake.FakeProvider.layer))
      )
    : Effect.promise(() => Promise.all([import("@cardkit/ledger"), import("@cardkit/visa-pav")])).pipe(
        Effect.map(([ledger, visa]) =>
          providerLayer(
            "live",
            Layer.merge(ledger.LedgerCardSecrets.layerConfig(), visa.VisaAccountValidation.layerConfig())
          )
        )
      )

/** `cardkit demo`: the demo app as `apps/demo` runs it, with the provider `--provider` names. */
export const runDemo = (args: DemoArgs) =>
  Effect.flatMap(provider(args.provider), (services) =>
    Layer.launch(DemoServer.layer.pipe(Layer.provide(services))).pipe(
      Effect.withConfigProvider(settingsProvider({ ...args.settings, HOST: args.host, PORT: args.port }))
    )
  )
