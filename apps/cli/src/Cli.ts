import { createRequire } from "node:module"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import { Providers } from "@cardkit/demo"
import { reportFailures } from "./Failure.js"
import { withLogsOnStderr } from "./Output.js"
import { ledgerSettings, type SettingFlag, visaSettings } from "./Settings.js"

/*
 * Only the command tree lives here: what `--help` and completions need. Each handler imports its
 * implementation (the providers, the transports, the wire fakes, the demo) when it runs, so that
 * `cardkit --help` loads @effect/cli and nothing of cardkit's own weight.
 */

const describe = (description: string) => Options.withDescription(description)

const provider = Options.choice("provider", Providers.names).pipe(
  Options.withDefault(Providers.names[0]),
  describe(Providers.names.map((name) => `${name}: ${Providers.providers[name].description}`).join("; "))
)

const json = Options.boolean("json").pipe(describe("Print the result (and any error) as JSON"))

const optionalText = (name: string, description: string) =>
  Options.text(name).pipe(Options.optional, describe(description))

/** One optional flag per setting, keyed by the setting's environment variable name. */
const settingOptions = (settings: ReadonlyArray<SettingFlag>) =>
  Options.all(
    Object.fromEntries(
      settings.map((s) => [s.env, optionalText(s.flag, `${s.description}; env ${s.env}`)] as const)
    ) as Record<string, Options.Options<Option.Option<string>>>
  )

const cvvOptions = {
  provider,
  json,
  cardId: Options.text("card-id").pipe(describe("The issuer's id of the card")),
  customerId: Options.text("customer-id").pipe(describe("The customer who holds the card")),
  accountNumber: Options.text("account-number").pipe(describe("The account the card is linked to")),
  product: optionalText("product", "Product name (default DEFAULT)"),
  program: optionalText("program", "Program name (default DEFAULT)"),
  channel: optionalText("channel", "PULSE or VISA_DPS (default VISA_DPS)"),
  reference: optionalText("reference", "Your unique reference for this request"),
  settings: settingOptions(ledgerSettings)
}
export type CvvArgs = Command.Command.ParseConfig<typeof cvvOptions>

const validateOptions = {
  provider,
  json,
  pan: Options.text("pan").pipe(describe("Card number (13 to 19 digits); shown only masked")),
  expiry: optionalText("expiry", "Expiry month, YYYY-MM"),
  cvv2: optionalText("cvv2", "CVV2 to verify"),
  tavv: optionalText("tavv", "Token authentication verification value, 40 hex digits"),
  street: optionalText("street", "Billing street and number, for AVS"),
  postalCode: optionalText("postal-code", "Billing postal code, for AVS"),
  firstName: optionalText("first-name", "Cardholder's given name"),
  middleName: optionalText("middle-name", "Cardholder's middle name"),
  lastName: optionalText("last-name", "Cardholder's family name (needed for a name check)"),
  settings: settingOptions(visaSettings)
}
export type ValidateArgs = Command.Command.ParseConfig<typeof validateOptions>

const serveOptions = {
  json,
  host: Options.text("host").pipe(Options.withDefault("127.0.0.1"), describe("Address to listen on")),
  port: Options.integer("port").pipe(Options.withDefault(4010), describe("Port to listen on; 0 picks a free one")),
  open: Options.boolean("open").pipe(
    describe("Accept any credentials and signatures, so the documents' examples work as printed")
  ),
  tlsCert: Options.file("tls-cert", { exists: "yes" }).pipe(Options.optional, describe("Serve HTTPS: certificate PEM")),
  tlsKey: Options.file("tls-key", { exists: "yes" }).pipe(Options.optional, describe("Serve HTTPS: private key PEM")),
  clientCa: Options.file("client-ca", { exists: "yes" }).pipe(
    Options.optional,
    describe("Require client certificates issued by these CAs (two-way TLS, as Visa runs it)")
  )
}
export type ServeArgs = Command.Command.ParseConfig<typeof serveOptions>

const demoOptions = {
  provider,
  host: optionalText("host", "Address to listen on (default 127.0.0.1); env HOST"),
  port: optionalText("port", "Port to listen on (default 3000, 0 picks a free one); env PORT"),
  settings: settingOptions([...ledgerSettings, ...visaSettings])
}
export type DemoArgs = Command.Command.ParseConfig<typeof demoOptions>

const cvv = Command.make("cvv", cvvOptions, (args) =>
  Effect.promise(() => import("./internal/cvv.js")).pipe(
    Effect.flatMap((module) => module.revealCvv(args)),
    reportFailures(args.json),
    withLogsOnStderr
  )
).pipe(Command.withDescription("Reveal a card's CVV (the ledger's GET_CVV); prints the CVV alone"))

const validate = Command.make("validate", validateOptions, (args) =>
  Effect.promise(() => import("./internal/validate.js")).pipe(
    Effect.flatMap((module) => module.validateAccount(args)),
    reportFailures(args.json),
    withLogsOnStderr
  )
).pipe(
  Command.withDescription(
    "Validate a payment account (Visa PAV): approved or declined, the action code and each check's answer"
  )
)

const serve = Command.make("serve", serveOptions, (args) =>
  Effect.promise(() => import("./internal/fakeServe.js")).pipe(
    Effect.flatMap((module) => module.serveFakes(args)),
    reportFailures(args.json),
    withLogsOnStderr
  )
).pipe(
  Command.withDescription(
    "Serve the wire fakes of the ledger (/cardv2) and Visa PAV (/pav/v1/cardvalidation) on one port until " +
      "SIGINT or SIGTERM, and print the credentials of a development client"
  )
)

const fake = Command.make("fake").pipe(
  Command.withDescription("The fake issuer's servers"),
  Command.withSubcommands([serve])
)

const demo = Command.make("demo", demoOptions, (args) =>
  Effect.promise(() => import("./internal/demo.js")).pipe(
    Effect.flatMap((module) => module.runDemo(args)),
    reportFailures(false)
  )
).pipe(Command.withDescription("Start the demo HTTP app (same configuration as apps/demo)"))

export const cardkit = Command.make("cardkit").pipe(
  Command.withDescription(
    "Reveal CVVs and validate payment accounts through cardkit, on the fake or the live providers"
  ),
  Command.withSubcommands([cvv, validate, fake, demo])
)

const { version } = createRequire(import.meta.url)("../package.json") as { version: string }

/** Parse `argv` (as `process.argv`) and run the command it names. */
export const run = Command.run(cardkit, { name: "cardkit", version })
