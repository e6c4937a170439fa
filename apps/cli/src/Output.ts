import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Logger from "effect/Logger"

// Every run of 13 to 19 digits is treated as a possible PAN: a false positive only masks an id in an
// error message, a false negative would print a card number.
const panLike = /\d{13,19}/g

/** `text` with every PAN-length digit run shown as first 6 / last 4 (the domain's `maskPan` form). */
export const maskPans = (text: string): string =>
  text.replace(panLike, (digits) => `${digits.slice(0, 6)}${"*".repeat(digits.length - 10)}${digits.slice(-4)}`)

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
const ansiStyle = /\u001b\[[0-9;]*m/g

const plain = (stream: NodeJS.WriteStream) => !stream.isTTY || process.env.NO_COLOR !== undefined

const mapStrings = (transform: (text: string) => string) => (args: ReadonlyArray<unknown>) =>
  args.map((value) => (typeof value === "string" ? transform(value) : value))

/**
 * Runs `effect` with the console the CLI prints through. Errors are masked: @effect/cli echoes what it
 * could not parse (`Received unknown argument: '…'`), and a card number typed in the wrong place must
 * not come back in full. @effect/cli styles help and errors with ANSI codes; they are dropped when the
 * output is not a terminal (a pipe, a file, a test) or `NO_COLOR` is set.
 */
export const withCliConsole = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Console.consoleWith((console) => {
    const out = mapStrings((text) => (plain(process.stdout) ? text.replace(ansiStyle, "") : text))
    const err = mapStrings((text) => maskPans(plain(process.stderr) ? text.replace(ansiStyle, "") : text))
    return Console.withConsole(effect, {
      ...console,
      log: (...args) => console.log(...out(args)),
      error: (...args) => console.error(...err(args))
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
