import { FakeProvider } from "@cardkit/fake"
import { ApiKeys, DemoServer, providerLayer, servedOn } from "@cardkit/demo"
import { StoreServices } from "@cardkit/store"
import { Effect, Layer, Logger, LogLevel, Redacted } from "effect"

/** The demo app on the seeded fake, in its own process, as `pnpm demo` runs it (request log off). */
const server = DemoServer.layer({ port: 0 }).pipe(
  Layer.provide(ApiKeys.layer({ keys: [Redacted.make("bench-key")] })),
  Layer.provide(servedOn(providerLayer("fake", FakeProvider.layer()), StoreServices.layerMemory)),
  Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
)

Effect.runFork(
  Effect.flatMap(DemoServer, ({ port }) =>
    Effect.zipRight(
      Effect.sync(() => process.send?.({ port })),
      Effect.never
    )
  ).pipe(Effect.provide(server), Effect.scoped)
)
process.on("disconnect", () => process.exit(0))
