import {
  AccountValidation,
  AccountValidationRequest,
  AccountValidationResult,
  decodeInput,
  maskPan,
  type Pan
} from "@cardkit/domain"
import { Console, Effect, type Layer, Schema } from "effect"
import type { ValidateArgs } from "../Cli.js"
import { settingsProvider } from "../Settings.js"
import { given, groupIfAny } from "./input.js"

const accountValidation = (
  provider: ValidateArgs["provider"]
): Effect.Effect<Layer.Layer<AccountValidation, unknown>> =>
  provider === "fake"
    ? Effect.promise(() => import("@cardkit/fake")).pipe(Effect.map((fake) => fake.FakeProvider.layer))
    : Effect.promise(() => import("@cardkit/visa-pav")).pipe(
        Effect.map((visa) => visa.VisaAccountValidation.layerConfig)
      )

/** What VisaNet's action codes mean, for the verdict line; the code itself is always printed. */
const actionCodeMeaning: Readonly<Record<string, string>> = {
  "00": "approved",
  "85": "no reason to decline",
  "05": "do not honor",
  "14": "invalid account number",
  "25": "unable to locate the account",
  "41": "lost card",
  "43": "stolen card",
  "54": "expired card",
  N7: "CVV2 mismatch",
  "91": "issuer unavailable"
}

const words = (value: string) => value.replace(/_/g, " ")

/** The verdict as a person reads it: the masked PAN, approved or declined with the code, each check. */
export const formatVerdict = (pan: Pan, result: AccountValidationResult): string => {
  const meaning = actionCodeMeaning[result.actionCode]
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
    const billingAddress = groupIfAny({ street: args.street, postalCode: args.postalCode })
    const cardholderName = groupIfAny({ first: args.firstName, middle: args.middleName, last: args.lastName })
    const request = yield* decodeInput(AccountValidationRequest)({
      pan: args.pan,
      ...given({ expiry: args.expiry, cvv2: args.cvv2, tavv: args.tavv }),
      ...(billingAddress === undefined ? {} : { billingAddress }),
      ...(cardholderName === undefined ? {} : { cardholderName })
    })
    yield* Effect.logDebug(`validating account ${maskPan(request.pan)} (provider: ${args.provider})`)
    const services = yield* accountValidation(args.provider)
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
