import * as Cause from "effect/Cause"
import * as ConfigError from "effect/ConfigError"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { maskingPans } from "./Output.js"
import { ledgerSettings, storeSettings, visaSettings } from "./Settings.js"

/**
 * 0 success (a decline included); 1 the provider refused or was unavailable — a card not found or not
 * active, a transition the card's status does not allow (`StatusActionNotAllowed`), an incorrect CVV
 * (`IncorrectCvv`), wrong credentials, a spent reveal budget (`BudgetExceeded`), the store unavailable, … —;
 * 2 bad usage or input (a secret typed on the command line included).
 */
export const ExitCode = { success: 0, refused: 1, usage: 2 } as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** A failure already reported to the user; only its exit code is left to give. */
export class Reported extends Data.TaggedError("Reported")<{ readonly code: ExitCode }> {}

/**
 * Domain request fields as the flags that set them, so a message names what the user typed. A `Map`:
 * the field is whatever a provider's error named.
 */
const flagOfField: ReadonlyMap<string, string> = new Map([
  ["cardId", "--card-id"],
  ["customerId", "--customer-id"],
  ["accountNumber", "--account-number"],
  ["product", "--product"],
  ["program", "--program"],
  ["channel", "--channel"],
  ["reference", "--reference"],
  ["type", "--type"],
  ["reason", "--reason"],
  ["kind", "--kind"],
  ["cycle", "--cycle"],
  ["value", "--value"],
  ["pin", "--pin"],
  ["cvv", "--cvv"],
  ["pan", "--pan"],
  ["expiry", "--expiry"],
  ["cvv2", "--cvv2"],
  ["tavv", "--tavv"],
  ["billingAddress", "--postal-code"],
  ["billingAddress.street", "--street"],
  ["billingAddress.postalCode", "--postal-code"],
  ["cardholderName", "--last-name"],
  ["cardholderName.first", "--first-name"],
  ["cardholderName.middle", "--middle-name"],
  ["cardholderName.last", "--last-name"],
  ["since", "--since"],
  ["until", "--until"],
  ["limit", "--limit"],
  ["cursor", "--cursor"]
])

interface Problem {
  readonly code: ExitCode
  readonly error: string
  readonly message: string
  readonly field?: string
}

const providerErrors = new Set([
  "CardNotFound",
  "CardNotActive",
  "IncorrectCvv",
  "StatusActionNotAllowed",
  "BudgetExceeded",
  "StoreUnavailable",
  "AuthenticationFailed",
  "ProviderRejected",
  "ProviderUnavailable",
  "ProviderTimeout",
  "ProtocolViolation"
])

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim()

const tagOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : undefined

const flagOfSetting = new Map([...ledgerSettings, ...visaSettings, ...storeSettings].map((s) => [s.env, `--${s.flag}`]))

/** A setting by its variable name, with the flag that can give it instead. */
const settingName = (path: ReadonlyArray<string>) => {
  const name = path.join("_")
  const flag = flagOfSetting.get(name)
  return flag === undefined ? name : `${name} (${flag})`
}

/**
 * A config failure's leaves, deduplicated: the flags and the environment are tried in turn, so each
 * missing setting appears once per source.
 */
const settingsProblems = (error: ConfigError.ConfigError): string => {
  const missing = new Set<string>()
  const invalid = new Map<string, string>()
  const visit = (e: ConfigError.ConfigError): void => {
    switch (e._op) {
      case "And":
      case "Or":
        visit(e.left)
        visit(e.right)
        return
      case "MissingData":
        missing.add(settingName(e.path))
        return
      default:
        invalid.set(settingName(e.path), e.message)
    }
  }
  visit(error)
  // A setting absent from the flags but malformed in the environment is malformed, not missing.
  const absent = [...missing].filter((name) => !invalid.has(name))
  return [
    ...(absent.length === 0 ? [] : [`missing setting ${absent.join(", ")}`]),
    ...[...invalid].map(([name, message]) => `${name}: ${message}`)
  ].join("; ")
}

/** What the user is told about a typed failure: never a stack (and `print` masks any card number). */
const problemOf = (error: unknown): Problem => {
  const tag = tagOf(error)
  const message = error instanceof Error ? error.message : String(error)
  if (tag === "InvalidRequest") {
    const { field, reason } = error as { field: string; reason: string }
    const flag = flagOfField.get(field)
    return {
      code: ExitCode.usage,
      error: tag,
      field,
      message: oneLine(flag === undefined ? `${field}: ${reason}` : `${flag}: ${reason}`)
    }
  }
  if (tag !== undefined && providerErrors.has(tag))
    return { code: ExitCode.refused, error: tag, message: oneLine(message) }
  if (ConfigError.isConfigError(error)) {
    return { code: ExitCode.usage, error: "InvalidSettings", message: oneLine(settingsProblems(error)) }
  }
  if (tag === "ServeError") return { code: ExitCode.refused, error: tag, message: oneLine(`cannot listen: ${message}`) }
  return { code: ExitCode.refused, error: tag ?? "Error", message: oneLine(message) }
}

/** The problem on stderr, its message masked: a provider's or a parser's message may quote a card number. */
const print = (problem: Problem, json: boolean) =>
  Effect.flatMap(maskingPans, (maskPans) => {
    const message = maskPans(problem.message)
    return Console.error(
      json
        ? JSON.stringify({
            error: {
              code: problem.error,
              message,
              ...(problem.field === undefined ? {} : { field: problem.field })
            }
          })
        : `cardkit: ${message}`
    )
  })

/**
 * Report a command's failure as one line on stderr (JSON with `--json`) and fail with `Reported`,
 * carrying the exit code. Defects are reported too: a bug still must not print a stack or card data.
 */
export const reportFailures =
  (json: boolean) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, Reported, R> =>
    Effect.catchAllCause(effect, (cause) => {
      if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
      const failure = Cause.failureOption(cause)
      const problem = Option.isSome(failure)
        ? problemOf(failure.value)
        : problemOf(Option.getOrElse(Cause.dieOption(cause), () => "unexpected failure"))
      return Effect.logDebug(`failed with ${problem.error}`, cause).pipe(
        Effect.zipRight(print(problem, json)),
        Effect.zipRight(Effect.fail(new Reported({ code: problem.code })))
      )
    })
