import { FakeProvider } from "@cardkit/fake"
import { ApiKeys, DemoServer, providerLayer, servedOn } from "@cardkit/demo"
import { InstrumentedCardSecrets } from "@cardkit/domain"
import { Store, StoreServices } from "@cardkit/store"
import { Telemetry } from "@cardkit/telemetry"
import { Cause, Effect, Layer, Logger, LogLevel, Redacted } from "effect"

/*
 * The demo app on the seeded fake, in its own process, as `pnpm demo` runs it (request log off).
 * `BENCH_DEMO_STORE` says what serves its ports. Unset: the provider's own, the plain demo, with an
 * in-memory store only because the server needs the store's services in context. A postgres:// URL
 * or a SQLite file name: the ports guarded as `servedOn` serves them on that database, every reveal
 * audited, and budgeted when `CARDKIT_REVEAL_BUDGET_*` are set. `BENCH_DEMO_TELEMETRY=1` (plain demo
 * only): the reveal traced and counted as the demo serves it (`InstrumentedCardSecrets`) and
 * `Telemetry.layerConfig()` provided as `DemoLive` provides it, so the `OTEL_*` variables the bench
 * passes decide whether spans and metrics are exported; without an endpoint the same app exports nothing.
 */
const provider = providerLayer("fake", FakeProvider.layer())
const database = process.env.BENCH_DEMO_STORE ?? ""
const telemetry = process.env.BENCH_DEMO_TELEMETRY === "1"
const services =
  database === ""
    ? telemetry
      ? // Merged last, the traced port stands in for the provider's own, as in `servedOn`.
        Layer.mergeAll(provider, StoreServices.layerMemory, InstrumentedCardSecrets.layer.pipe(Layer.provide(provider)))
      : Layer.merge(provider, StoreServices.layerMemory)
    : servedOn(
        provider,
        StoreServices.layerOn(
          Store.layer({
            database: database.startsWith("postgres")
              ? { _tag: "Postgres", url: Redacted.make(database) }
              : { _tag: "Sqlite", filename: database }
          })
        )
      )

const server = DemoServer.layer({ port: 0 }).pipe(
  Layer.provide(ApiKeys.layer({ keys: [Redacted.make("bench-key")] })),
  Layer.provide(services),
  // Last, as in `DemoLive`: built first, so the app finds it in context and its tracer is installed.
  Layer.provide(telemetry ? Telemetry.layerConfig() : Layer.empty),
  Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
)

Effect.runFork(
  Effect.flatMap(DemoServer, ({ port }) =>
    Effect.zipRight(
      Effect.sync(() => process.send?.({ port })),
      Effect.never
    )
  ).pipe(
    Effect.provide(server),
    Effect.scoped,
    // A store that cannot be opened ends the process, so the bench fails instead of waiting for a port.
    Effect.catchAllCause((cause) =>
      Effect.sync(() => {
        process.stderr.write(`${Cause.pretty(cause)}\n`)
        process.exit(1)
      })
    )
  )
)
process.on("disconnect", () => process.exit(0))
