import * as Prompt from "@effect/cli/Prompt"
import * as Terminal from "@effect/platform/Terminal"
import { InvalidRequest } from "@cardkit/domain"
import { Effect, Option, Redacted } from "effect"

/*
 * Secrets (a PIN, a CVV, a PAN) never come from a flag's value: the process list shows every
 * process's arguments to every user of the machine. `--pin -` reads the value from standard input;
 * left out, it is asked for with hidden input when standard input is a terminal.
 */

let stdinLines: Promise<Array<string>> | undefined
let nextLine = 0

/** Standard input read once, as lines: each `-` takes the next one, in the order the command reads them. */
const readStdinLines = (): Promise<Array<string>> => {
  stdinLines ??= new Promise((resolve, reject) => {
    let data = ""
    process.stdin.setEncoding("utf8")
    process.stdin.on("data", (chunk: string) => {
      data += chunk
    })
    process.stdin.on("end", () => resolve(data.split(/\r?\n/)))
    process.stdin.on("error", reject)
  })
  return stdinLines
}

const fromStdin = (field: string, flag: string): Effect.Effect<Redacted.Redacted<string>, InvalidRequest> =>
  Effect.flatMap(
    Effect.tryPromise({
      try: readStdinLines,
      catch: () => new InvalidRequest({ field, reason: "standard input could not be read" })
    }),
    (lines) => {
      const line = lines[nextLine++]
      return line === undefined || line === ""
        ? Effect.fail(new InvalidRequest({ field, reason: `${flag} - found no value on standard input` }))
        : Effect.succeed(Redacted.make(line.trim()))
    }
  )

/** The prompt drawn on stderr, as a password prompt is: stdout stays the answer (`--json | jq` works). */
const onStderr = <A, E>(prompt: Effect.Effect<A, E, Terminal.Terminal>) =>
  Effect.flatMap(Terminal.Terminal, (terminal) =>
    Effect.provideService(prompt, Terminal.Terminal, {
      ...terminal,
      columns: Effect.sync(() => process.stderr.columns ?? 0),
      display: (text) =>
        Effect.async<void>((resume) => {
          process.stderr.write(text, () => resume(Effect.void))
        })
    })
  )

export interface SecretFlag {
  /** The request field it fills (`pin`), which `Failure.ts` names by its flag. */
  readonly field: string
  /** The flag, `--pin`. */
  readonly flag: string
  /** What the prompt asks for: `New PIN`. */
  readonly prompt: string
}

/**
 * The secret `value` stands for: `-` reads standard input, absent asks on a terminal (and fails
 * off one), anything else is refused: a value typed after the flag is already in the process list.
 */
export const readSecret = (
  secret: SecretFlag,
  value: Option.Option<string>
): Effect.Effect<Redacted.Redacted<string>, InvalidRequest, Terminal.Terminal> => {
  const { field, flag } = secret
  if (Option.isNone(value)) {
    if (!process.stdin.isTTY) {
      return Effect.fail(
        new InvalidRequest({
          field,
          reason: `is required: pass ${flag} - and write it to standard input, or run on a terminal to be asked for it`
        })
      )
    }
    return Prompt.hidden({ message: secret.prompt }).pipe(
      Effect.mapError(() => new InvalidRequest({ field, reason: "was not given (the prompt was cancelled)" })),
      onStderr
    )
  }
  if (value.value === "-") return fromStdin(field, flag)
  return Effect.fail(
    new InvalidRequest({
      field,
      reason: `is not taken from the command line, where the process list shows it: pass ${flag} - and write it to standard input, or leave ${flag} out to be asked for it`
    })
  )
}
