import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Config, Effect, Layer, Logger, LogLevel } from "effect"
import { DemoLive } from "./DemoServer.js"

// NodeRuntime.runMain interrupts the server on SIGINT/SIGTERM: open requests finish, then it closes.
Config.withDefault(Config.logLevel("CARDKIT_DEMO_LOG_LEVEL"), LogLevel.Info).pipe(
  Effect.flatMap((level) => Layer.launch(DemoLive).pipe(Logger.withMinimumLogLevel(level))),
  NodeRuntime.runMain
)
