import {
  AccountValidation,
  AccountValidationRequest,
  AccountValidationResult,
  decodeInput,
  maskPan,
  type Pan
} from "@cardkit/domain"
import { VisaCodes } from "@cardkit/visa-pav"
import { Providers } from "@cardkit/demo"
import { Console, Effect, Option, Redacted, Schema } from "effect"
import type { ValidateArgs } from "../Cli.js"
import { settingsProvider } from "../Settings.js"
import { given, groupIfAny } from "./input.js"
import { readSecret } from "./secret.js"

const words = (value: string) => value.replace(/_/g, " ")

/**
 * The verdict as a person reads it: the masked PAN, approved or declined with the code (and what
 * Visa's table says it means; the fake answers in Visa's codes too), each check.
 */
export const formatVerdict = (pan: Pan, result: AccountValidationResult): string => {
  const meaning = VisaCodes.meaning(result.actionCode)
  const checks: Array<readonly [string, string]> = [
    ["CVV2", words(result.cvv2)],
    ["address", words(result.address)],
    ["name", words(result.name ?? "not_checked")],
    ["TAVV", words(result.tavv ?? "not_checked")],
    ["transaction", result.transactionId]
  ]
  return [
    `${maskPan(pan)}: ${result.approved ? "approved" : "declined"}, action code ${result.actionCode}` +
      (meaning === undefined ? "" : ` (${meaning})`),
    ...checks.map(([name, value]) => `  ${name.padEnd(12)}${value}`)
  ].join("\n")
}

/** `cardkit validate`: a readable verdict, or the `AccountValidationResult` with `--json`. A decline succeeds. */
export const validateAccount = (args: ValidateArgs) =>
  Effect.gen(function* () {
    // Read in this order: with `--pan - --cvv2 -`, the PAN is standard input's first line, the CVV2 its next.
    const pan = yield* readSecret({ field: "pan", flag: "--pan", prompt: "Card number" }, args.pan)
    const cvv2 = Option.isNone(args.cvv2)
      ? Option.none()
      : Option.some(Redacted.value(yield* readSecret({ field: "cvv2", flag: "--cvv2", prompt: "CVV2" }, args.cvv2)))
    const billingAddress = groupIfAny({ street: args.street, postalCode: args.postalCode })
    const cardholderName = groupIfAny({ first: args.firstName, middle: args.middleName, last: args.lastName })
    const request = yield* decodeInput(AccountValidationRequest)({
      pan: Redacted.value(pan),
      ...given({ expiry: args.expiry, cvv2, tavv: args.tavv }),
      ...(billingAddress === undefined ? {} : { billingAddress }),
      ...(cardholderName === undefined ? {} : { cardholderName })
    })
    yield* Effect.logDebug(`validating account ${maskPan(request.pan)} (provider: ${args.provider})`)
    const services = yield* Effect.promise(() => Providers.load(args.provider, ["accountValidation"]))
    const result = yield* Effect.flatMap(AccountValidation, (validation) => validation.validate(request)).pipe(
      Effect.provide(services),
      Effect.withConfigProvider(settingsProvider(args.settings))
    )
    yield* Effect.logDebug(
      `account ${maskPan(request.pan)}: ${result.approved ? "approved" : "declined"}, action code ${result.actionCode}`
    )
    yield* Console.log(
      args.json
        ? JSON.stringify(Schema.encodeSync(AccountValidationResult)(result), null, 2)
        : formatVerdict(request.pan, result)
    )
  })
