import { createRequire } from "node:module"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type * as Terminal from "@effect/platform/Terminal"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import { Providers } from "@cardkit/demo"
import { reportFailures } from "./Failure.js"
import { withLogsOnStderr } from "./Output.js"
import { ledgerSettings, type SettingFlag, storeSettings, visaSettings } from "./Settings.js"

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

/**
 * The flags that address a customer's account, the ledger settings for `--provider live`, and where
 * the store is (the reveals and writes are audited there).
 */
const accountFlags = {
  customerId: Options.text("customer-id").pipe(describe("The customer who holds the card")),
  accountNumber: Options.text("account-number").pipe(describe("The account the card is linked to")),
  product: optionalText("product", "Product name (default DEFAULT)"),
  program: optionalText("program", "Program name (default DEFAULT)"),
  channel: optionalText("channel", "PULSE or VISA_DPS (default VISA_DPS)"),
  reference: optionalText("reference", "Your unique reference for this request"),
  settings: settingOptions([...ledgerSettings, ...storeSettings])
}

const cvvOptions = {
  provider,
  json,
  cardId: Options.text("card-id").pipe(describe("The issuer's id of the card")),
  ...accountFlags
}
export type CvvArgs = Command.Command.ParseConfig<typeof cvvOptions>

const validateOptions = {
  provider,
  json,
  pan: optionalText(
    "pan",
    "Card number (13 to 19 digits), shown only masked: '-' reads it from standard input; left out, it is " +
      "asked for (hidden) on a terminal"
  ),
  expiry: optionalText("expiry", "Expiry month, YYYY-MM"),
  cvv2: optionalText("cvv2", "CVV2 to verify: '-' reads it from standard input (the line after the PAN's)"),
  tavv: optionalText("tavv", "Token authentication verification value, 40 hex digits"),
  street: optionalText("street", "Billing street and number, for AVS"),
  postalCode: optionalText("postal-code", "Billing postal code, for AVS"),
  firstName: optionalText("first-name", "Cardholder's given name"),
  middleName: optionalText("middle-name", "Cardholder's middle name"),
  lastName: optionalText("last-name", "Cardholder's family name (needed for a name check)"),
  settings: settingOptions(visaSettings)
}
export type ValidateArgs = Command.Command.ParseConfig<typeof validateOptions>

/*
 * `cardkit card …`: the `CardLifecycle` port, one subcommand per operation. The literals below are the
 * domain's (`CardType`, `ReplaceReason`, `LimitKind`, `LimitCycle`): spelled here so that `--help`
 * does not load the domain; the domain's schemas still decode every value.
 */

const accountOptions = { provider, json, ...accountFlags }
export type CardAccountArgs = Command.Command.ParseConfig<typeof accountOptions>

/** A card command names one card as `cvv` does. */
const cardOptions = cvvOptions
export type CardArgs = Command.Command.ParseConfig<typeof cardOptions>

/** A secret's flag: never its value on the command line, which the process list shows. */
const secretText = (name: string, what: string) =>
  optionalText(
    name,
    `${what}: '-' reads it from standard input; left out, it is asked for (hidden) on a terminal. ` +
      "A value typed after the flag is refused: the process list would show it"
  )

const issueOptions = {
  ...accountOptions,
  type: Options.choice("type", ["virtual", "physical"]).pipe(
    describe("virtual: usable at once; physical: ordered, activated later with its printed CVV")
  ),
  expiry: optionalText("expiry", "A virtual card's expiry month, YYYY-MM (the provider's default otherwise)")
}
export type IssueArgs = Command.Command.ParseConfig<typeof issueOptions>

const cvvCheckOptions = { ...cardOptions, cvv: secretText("cvv", "The CVV printed on the card") }
export type CvvCheckArgs = Command.Command.ParseConfig<typeof cvvCheckOptions>

const changePinOptions = { ...cardOptions, pin: secretText("pin", "The new PIN, 4 to 12 digits") }
export type ChangePinArgs = Command.Command.ParseConfig<typeof changePinOptions>

const replaceOptions = {
  ...cardOptions,
  reason: Options.choice("reason", ["lost_stolen", "damaged"]).pipe(
    describe("lost_stolen: a new card with a new PAN; damaged: a reissue with the same PAN")
  )
}
export type ReplaceArgs = Command.Command.ParseConfig<typeof replaceOptions>

const setLimitOptions = {
  ...cardOptions,
  kind: Options.choice("kind", ["amount", "count"]).pipe(describe("amount: money; count: transactions")),
  cycle: Options.choice("cycle", ["per_transaction", "day", "month", "year", "lifetime"]).pipe(
    describe("The period the limit counts over")
  ),
  value: Options.text("value").pipe(describe("An amount (at most two decimals) or a count"))
}
export type SetLimitArgs = Command.Command.ParseConfig<typeof setLimitOptions>

type CardModule = typeof import("./internal/card.js")

/** A `card` subcommand whose handler runs `run` from `internal/card.ts`, imported when it runs. */
const cardCommand = <Name extends string, const Config extends Command.Command.Config & typeof accountOptions>(
  name: Name,
  options: Config,
  description: string,
  run: (
    module: CardModule,
    args: Command.Command.ParseConfig<Config>
  ) => Effect.Effect<void, unknown, Terminal.Terminal>
) =>
  Command.make(name, options, (args) =>
    Effect.promise(() => import("./internal/card.js")).pipe(
      Effect.flatMap((module) => run(module, args as Command.Command.ParseConfig<Config>)),
      reportFailures((args as { readonly json: boolean }).json),
      withLogsOnStderr
    )
  ).pipe(Command.withDescription(description))

const card = Command.make("card").pipe(
  Command.withDescription("A card's life after it is issued: show, list, issue, activate, lock, … (CardLifecycle)"),
  Command.withSubcommands([
    cardCommand("show", cardOptions, "Show a card: status, type, last four digits, expiry", (m, args) => m.show(args)),
    cardCommand("list", accountOptions, "List the cards of a customer's account, one line each", (m, args) =>
      m.list(args)
    ),
    cardCommand("issue", issueOptions, "Issue a virtual or a physical card", (m, args) => m.issue(args)),
    cardCommand(
      "activate",
      cvvCheckOptions,
      "Activate a physical card with the CVV printed on it (--cvv - or a hidden prompt)",
      (m, args) => m.activate(args)
    ),
    cardCommand("lock", cardOptions, "Lock (freeze) a card; unlock undoes it", (m, args) => m.lock(args)),
    cardCommand("unlock", cardOptions, "Unlock a locked card", (m, args) => m.unlock(args)),
    cardCommand("report-lost", cardOptions, "Report a card lost or stolen (then replace it)", (m, args) =>
      m.reportLost(args)
    ),
    cardCommand("replace", replaceOptions, "Replace a card: prints the replaced card and its replacement", (m, args) =>
      m.replace(args)
    ),
    cardCommand("close", cardOptions, "Close a card for good", (m, args) => m.close(args)),
    cardCommand("limits", cardOptions, "A card's limits, one line each", (m, args) => m.limits(args)),
    cardCommand("set-limit", setLimitOptions, "Set one limit of a card; prints its limits", (m, args) =>
      m.setLimit(args)
    ),
    cardCommand("change-pin", changePinOptions, "Set a card's PIN (--pin - or a hidden prompt)", (m, args) =>
      m.changePin(args)
    ),
    cardCommand(
      "validate-cvv",
      cvvCheckOptions,
      "Check a CVV against the card's (--cvv - or a hidden prompt); exit 1 if it is incorrect",
      (m, args) => m.validateCvv(args)
    )
  ])
)

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
  settings: settingOptions([...ledgerSettings, ...visaSettings, ...storeSettings])
}
export type DemoArgs = Command.Command.ParseConfig<typeof demoOptions>

const doctorOptions = {
  provider,
  json,
  settings: settingOptions([...ledgerSettings, ...visaSettings, ...storeSettings])
}
export type DoctorArgs = Command.Command.ParseConfig<typeof doctorOptions>

// The page size's default and largest value are the store's `auditPageSize`, spelled here as above.
const auditListOptions = {
  json,
  cardId: optionalText("card-id", "Only the records of this card"),
  customerId: optionalText("customer-id", "Only the records of this customer"),
  since: optionalText("since", "Only records at or after this time, ISO 8601 (2026-12-01T00:00:00Z)"),
  until: optionalText("until", "Only records before this time, ISO 8601"),
  limit: optionalText("limit", "At most this many records, 1 to 500 (default 50)"),
  cursor: optionalText("cursor", "The next page: the cursor the previous page gave"),
  settings: settingOptions(storeSettings)
}
export type AuditListArgs = Command.Command.ParseConfig<typeof auditListOptions>

const auditList = Command.make("list", auditListOptions, (args) =>
  Effect.promise(() => import("./internal/audit.js")).pipe(
    Effect.flatMap((module) => module.listAudit(args)),
    reportFailures(args.json),
    withLogsOnStderr
  )
).pipe(
  Command.withDescription(
    "List the audit trail, newest first: who revealed a CVV or changed a card, when, and how it ended"
  )
)

const audit = Command.make("audit").pipe(
  Command.withDescription("The store's audit trail of every CVV reveal, card write and CVV check"),
  Command.withSubcommands([auditList])
)

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

// Reports its own failures: a failing check is printed as a report, then exits 1.
const doctor = Command.make("doctor", doctorOptions, (args) =>
  Effect.promise(() => import("./internal/doctor.js")).pipe(
    Effect.flatMap((module) => module.doctor(args)),
    withLogsOnStderr
  )
).pipe(
  Command.withDescription(
    "Check a configuration as the demo's /health/ready does: the store, each provider endpoint, the " +
      "credentials' expiry; exit 1 if something fails (an expiry within 30 days only warns)"
  )
)

export const cardkit = Command.make("cardkit").pipe(
  Command.withDescription(
    "Reveal CVVs, validate payment accounts and manage cards through cardkit, on the fake or the live providers"
  ),
  Command.withSubcommands([cvv, validate, card, audit, fake, demo, doctor])
)

const { version } = createRequire(import.meta.url)("../package.json") as { version: string }

/** Parse `argv` (as `process.argv`) and run the command it names. */
export const run = Command.run(cardkit, { name: "cardkit", version })
