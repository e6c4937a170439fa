import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Logger from "effect/Logger"

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
const ansiStyle = /\u001b\[[0-9;]*m/g

const plain = (stream: NodeJS.WriteStream) => !stream.isTTY || process.env.NO_COLOR !== undefined

const mapStrings = (transform: (text: string) => string) => (args: ReadonlyArray<unknown>) =>
  args.map((value) => (typeof value === "string" ? transform(value) : value))

/**
 * The domain's `maskPans`, imported when first needed rather than with the CLI: through the domain's
 * index it would bring the domain's schemas and parsers into every start, `cardkit --help`'s included,
 * which writes nothing that needs masking.
 */
export const maskingPans: Effect.Effect<(text: string) => string> = Effect.map(
  Effect.promise(() => import("@cardkit/domain")),
  (domain) => domain.maskPans
)

/**
 * Runs `effect` with the console the CLI prints through. Errors are masked: @effect/cli echoes what it
 * could not parse (`Received unknown argument: '…'`), and a card number typed in the wrong place must
 * not come back in full. @effect/cli styles help and errors with ANSI codes; they are dropped when the
 * output is not a terminal (a pipe, a file, a test) or `NO_COLOR` is set.
 */
export const withCliConsole = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Console.consoleWith((console) => {
    const out = mapStrings((text) => (plain(process.stdout) ? text.replace(ansiStyle, "") : text))
    const err = (maskPans: (text: string) => string) =>
      mapStrings((text) => maskPans(plain(process.stderr) ? text.replace(ansiStyle, "") : text))
    return Console.withConsole(effect, {
      ...console,
      log: (...args) => console.log(...out(args)),
      error: (...args) => Effect.flatMap(maskingPans, (maskPans) => console.error(...err(maskPans)(args)))
    })
  })

const stderrLogger = Logger.prettyLogger({ stderr: true })

/**
 * Runs `effect` with its logs (shown from `--log-level`'s level on) on stderr: for the commands whose
 * stdout is their answer (`cvv`, `validate`, `fake serve --json`), so that
 * `cardkit --log-level debug cvv … | …` still pipes the CVV alone.
 */
export const withLogsOnStderr = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.locallyWith(effect, FiberRef.currentLoggers, (loggers) =>
    loggers.pipe(
      // NodeRuntime.runMain's pretty logger, or effect's default one: both print on stdout.
      HashSet.remove(Logger.prettyLoggerDefault),
      HashSet.remove(Logger.defaultLogger),
      HashSet.add(stderrLogger)
    )
  )
