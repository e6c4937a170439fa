import {
  ActivateCardRequest,
  Card,
  CardLifecycle,
  CardLimit,
  CardRef,
  ChangePinRequest,
  CustomerAccount,
  decodeInput,
  IssueCardRequest,
  ReplaceCardRequest,
  ReplacedCard,
  SetLimitRequest,
  type StoreUnavailable,
  ValidateCvvRequest
} from "@cardkit/domain"
import { Providers } from "@cardkit/demo"
import type * as Terminal from "@effect/platform/Terminal"
import { type ConfigError, Console, Effect, Redacted, Schema } from "effect"
import type {
  CardAccountArgs,
  CardArgs,
  ChangePinArgs,
  CvvCheckArgs,
  IssueArgs,
  ReplaceArgs,
  SetLimitArgs
} from "../Cli.js"
import { settingsProvider } from "../Settings.js"
import { given } from "./input.js"
import { readSecret } from "./secret.js"

const words = (value: string) => value.replace(/_/g, " ")

/** One line per card, nothing secret: `card 0259…: active, physical, ****6621, expires 2029-11`. */
export const formatCard = (card: Card): string =>
  `card ${card.cardId}: ${card.status === "unknown" ? `unknown (${card.rawStatus})` : words(card.status)}, ` +
  `${card.type}, ****${card.last4}, expires ${card.expiry}`

/** One line per limit: `amount per day: 500.00 (remaining 120.00)`. */
export const formatLimit = (limit: CardLimit): string =>
  `${limit.kind} ${limit.cycle === "per_transaction" ? "per transaction" : `per ${words(limit.cycle)}`}: ${limit.value}` +
  (limit.remaining === undefined ? "" : ` (remaining ${limit.remaining})`)

const accountInput = (args: CardAccountArgs) => ({
  customerId: args.customerId,
  accountNumber: args.accountNumber,
  ...given({ product: args.product, program: args.program, channel: args.channel, reference: args.reference })
})

const cardInput = (args: CardArgs) => ({ cardId: args.cardId, ...accountInput(args) })

/**
 * `CardLifecycle` of the provider `--provider` names, with the settings flags in front of the
 * environment. A write (and a CVV check) goes through the store, audited as the demo's are; a read
 * (`show`, `list`, `limits`) changes and reveals nothing the trail records, so it leaves the store
 * unopened.
 */
const withLifecycle = <A, E>(
  args: CardAccountArgs,
  access: "read" | "write",
  use: (lifecycle: CardLifecycle["Type"]) => Effect.Effect<A, E>
): Effect.Effect<A, E | ConfigError.ConfigError | StoreUnavailable> => {
  const call = Effect.flatMap(CardLifecycle, use)
  return (
    access === "read"
      ? Effect.flatMap(
          Effect.promise(() => Providers.load(args.provider, ["cardLifecycle"])),
          (services) => Effect.provide(call, services)
        )
      : Effect.flatMap(
          Effect.promise(() => import("./store.js")),
          (store) => store.guarded(args.provider, call)
        )
  ).pipe(Effect.withConfigProvider(settingsProvider(args.settings)))
}

const printJson = <A, I>(schema: Schema.Schema<A, I>, value: A) =>
  Console.log(JSON.stringify(Schema.encodeSync(schema)(value), null, 2))

const printCard = (json: boolean, card: Card) => (json ? printJson(Card, card) : Console.log(formatCard(card)))

const printLimits = (json: boolean, cardId: string, limits: ReadonlyArray<CardLimit>) =>
  json
    ? printJson(Schema.Array(CardLimit), limits)
    : Console.log(
        limits.length === 0
          ? `card ${cardId}: no limits`
          : limits.map((limit) => `card ${cardId}: ${formatLimit(limit)}`).join("\n")
      )

/** A command on one card whose answer is the card as it now is. */
const onCard =
  (
    name: string,
    access: "read" | "write",
    operation: (lifecycle: CardLifecycle["Type"], card: CardRef) => Effect.Effect<Card, unknown>
  ) =>
  (args: CardArgs) =>
    Effect.gen(function* () {
      const ref = yield* decodeInput(CardRef)(cardInput(args))
      yield* Effect.logDebug(`card ${name} ${ref.cardId} (provider: ${args.provider})`)
      const card = yield* withLifecycle(args, access, (lifecycle) => operation(lifecycle, ref))
      yield* Effect.logDebug(`card ${card.cardId}: ${card.status} (${card.rawStatus})`)
      yield* printCard(args.json, card)
    })

export const show = onCard("show", "read", (lifecycle, card) => lifecycle.getCard(card))
export const lock = onCard("lock", "write", (lifecycle, card) => lifecycle.lock(card))
export const unlock = onCard("unlock", "write", (lifecycle, card) => lifecycle.unlock(card))
export const reportLost = onCard("report-lost", "write", (lifecycle, card) => lifecycle.reportLostStolen(card))
export const close = onCard("close", "write", (lifecycle, card) => lifecycle.close(card))

export const list = (args: CardAccountArgs) =>
  Effect.gen(function* () {
    const account = yield* decodeInput(CustomerAccount)(accountInput(args))
    yield* Effect.logDebug(`card list of customer ${account.customerId} (provider: ${args.provider})`)
    const cards = yield* withLifecycle(args, "read", (lifecycle) => lifecycle.listCards(account))
    yield* Effect.logDebug(`${cards.length} cards`)
    if (args.json) yield* printJson(Schema.Array(Card), cards)
    else yield* Console.log(cards.length === 0 ? "no cards" : cards.map(formatCard).join("\n"))
  })

export const issue = (args: IssueArgs) =>
  Effect.gen(function* () {
    const request = yield* decodeInput(IssueCardRequest)({
      ...accountInput(args),
      type: args.type,
      ...given({ expiry: args.expiry })
    })
    yield* Effect.logDebug(
      `card issue (${request.type}) for customer ${request.customerId} (provider: ${args.provider})`
    )
    const card = yield* withLifecycle(args, "write", (lifecycle) => lifecycle.issueCard(request))
    yield* Effect.logDebug(`issued card ${card.cardId}`)
    yield* printCard(args.json, card)
  })

const cvvFlag = { field: "cvv", flag: "--cvv", prompt: "CVV printed on the card" } as const

export const activate = (args: CvvCheckArgs): Effect.Effect<void, unknown, Terminal.Terminal> =>
  Effect.gen(function* () {
    const ref = yield* decodeInput(CardRef)(cardInput(args))
    const cvv = yield* readSecret(cvvFlag, args.cvv)
    const request = yield* decodeInput(ActivateCardRequest)({ ...cardInput(args), cvv: Redacted.value(cvv) })
    yield* Effect.logDebug(`card activate ${ref.cardId} (provider: ${args.provider})`)
    const card = yield* withLifecycle(args, "write", (lifecycle) => lifecycle.activate(request))
    yield* Effect.logDebug(`card ${card.cardId}: ${card.status} (${card.rawStatus})`)
    yield* printCard(args.json, card)
  })

export const validateCvv = (args: CvvCheckArgs): Effect.Effect<void, unknown, Terminal.Terminal> =>
  Effect.gen(function* () {
    const ref = yield* decodeInput(CardRef)(cardInput(args))
    const cvv = yield* readSecret(cvvFlag, args.cvv)
    const request = yield* decodeInput(ValidateCvvRequest)({ ...cardInput(args), cvv: Redacted.value(cvv) })
    yield* Effect.logDebug(`card validate-cvv ${ref.cardId} (provider: ${args.provider})`)
    yield* withLifecycle(args, "write", (lifecycle) => lifecycle.validateCvv(request))
    yield* Effect.logDebug(`card ${ref.cardId}: the CVV is correct`)
    yield* args.json
      ? Console.log(JSON.stringify({ cardId: ref.cardId, valid: true }, null, 2))
      : Console.log(`card ${ref.cardId}: the CVV is correct`)
  })

export const changePin = (args: ChangePinArgs): Effect.Effect<void, unknown, Terminal.Terminal> =>
  Effect.gen(function* () {
    const ref = yield* decodeInput(CardRef)(cardInput(args))
    const pin = yield* readSecret({ field: "pin", flag: "--pin", prompt: "New PIN" }, args.pin)
    const request = yield* decodeInput(ChangePinRequest)({ ...cardInput(args), pin: Redacted.value(pin) })
    yield* Effect.logDebug(`card change-pin ${ref.cardId} (provider: ${args.provider})`)
    yield* withLifecycle(args, "write", (lifecycle) => lifecycle.changePin(request))
    yield* Effect.logDebug(`card ${ref.cardId}: PIN changed`)
    yield* args.json
      ? Console.log(JSON.stringify({ cardId: ref.cardId, pinChanged: true }, null, 2))
      : Console.log(`card ${ref.cardId}: PIN changed`)
  })

export const replace = (args: ReplaceArgs) =>
  Effect.gen(function* () {
    const request = yield* decodeInput(ReplaceCardRequest)({ ...cardInput(args), reason: args.reason })
    yield* Effect.logDebug(`card replace ${request.cardId} (${request.reason}, provider: ${args.provider})`)
    const replaced = yield* withLifecycle(args, "write", (lifecycle) => lifecycle.replace(request))
    yield* Effect.logDebug(`card ${replaced.replaced.cardId} replaced by ${replaced.replacement.cardId}`)
    yield* args.json
      ? printJson(ReplacedCard, replaced)
      : Console.log(`${formatCard(replaced.replaced)}\n${formatCard(replaced.replacement)} (the replacement)`)
  })

export const limits = (args: CardArgs) =>
  Effect.gen(function* () {
    const ref = yield* decodeInput(CardRef)(cardInput(args))
    yield* Effect.logDebug(`card limits ${ref.cardId} (provider: ${args.provider})`)
    const limits = yield* withLifecycle(args, "read", (lifecycle) => lifecycle.getLimits(ref))
    yield* Effect.logDebug(`card ${ref.cardId}: ${limits.length} limits`)
    yield* printLimits(args.json, ref.cardId, limits)
  })

export const setLimit = (args: SetLimitArgs) =>
  Effect.gen(function* () {
    const request = yield* decodeInput(SetLimitRequest)({
      ...cardInput(args),
      kind: args.kind,
      cycle: args.cycle,
      value: args.value
    })
    yield* Effect.logDebug(
      `card set-limit ${request.cardId} ${request.kind} ${request.cycle} (provider: ${args.provider})`
    )
    const limits = yield* withLifecycle(args, "write", (lifecycle) => lifecycle.setLimit(request))
    yield* Effect.logDebug(`card ${request.cardId}: ${limits.length} limits`)
    yield* printLimits(args.json, request.cardId, limits)
  })
