#!/usr/bin/env node
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { run } from "./Cli.js"
import { ExitCode } from "./Failure.js"
import { withCliConsole } from "./Output.js"

// What @effect/cli needs, without NodeContext's command executor and worker manager.
const environment = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)

const main: Effect.Effect<ExitCode> = run(process.argv).pipe(
  Effect.as(ExitCode.success),
  // `Reported` was printed by the command; a ValidationError by @effect/cli (bad usage).
  Effect.catchAll((error) => Effect.succeed(error._tag === "Reported" ? error.code : ExitCode.usage)),
  Effect.catchAllDefect(() => Effect.as(Console.error("cardkit: unexpected failure"), ExitCode.refused)),
  withCliConsole,
  Effect.provide(environment)
)

NodeRuntime.runMain(main, {
  disableErrorReporting: true,
  // SIGINT and SIGTERM are how `fake serve` and `demo` are meant to stop: that is a success.
  teardown: (exit, onExit) =>
    onExit(Exit.isSuccess(exit) ? (exit.value as ExitCode) : Cause.isInterruptedOnly(exit.cause) ? 0 : ExitCode.refused)
})
