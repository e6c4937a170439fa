import { CardLifecycle, type CardRef, type CustomerAccount, InvalidRequest, ReplacedCard } from "@cardkit/domain"
import type { HttpClient } from "@effect/platform"
import { Clock, type Config, type ConfigError, Context, Effect, Layer } from "effect"
import { toCard, toCycleType, toLimits, toLimitType } from "./LedgerCards.js"
import {
  type CallInput,
  LedgerClient,
  type LedgerClientOptions,
  type LedgerError,
  type Signer
} from "./LedgerClient.js"
import { LedgerConfig } from "./LedgerConfig.js"
import type { LedgerOperations, ResultOf } from "./LedgerOperations.js"
import type { StatusAction, WireCardDetails } from "./LedgerWire.js"

/** The operations the production client has the cardholder's device sign (reference §2.3). */
export type CardholderOperation = "updateStatus" | "validateCvv" | "pinChange" | "replaceCard" | "getCardLimit"

/**
 * How a cardholder's own request reaches the ledger, acting as them (LEGALREP): in production the
 * payload goes to their device to sign and comes back to `LedgerCall.presigned`, as the production
 * client's build-and-sign routes do (§2.4). `customerId` says whose device signs.
 */
export interface CardholderChannel {
  readonly send: <K extends CardholderOperation>(
    customerId: string,
    name: K,
    input: CallInput<LedgerOperations[K]>
  ) => Effect.Effect<ResultOf<LedgerOperations[K]>, LedgerError>
}

export interface LedgerCardLifecycleOptions {
  /**
   * Where the cardholder's operations go (ACTIVATE, VALIDATE_CVV, PIN_CHANGE, REPLACE_CARD,
   * GET_CARD_LIMIT). Without one the service signs them too, which a ledger following the
   * documented transition table refuses for ACTIVATE: that row is the cardholder's only.
   */
  readonly cardholder?: CardholderChannel | undefined
  /**
   * Without a channel, the key the cardholder's operations are signed with instead of the service's:
   * one device the backend acts for (the development device `cardkit fake serve` registers).
   */
  readonly cardholderSigner?: Signer | undefined
}

/** A page of GET_CARD_LIST: the most the payload's schema allows. */
const pageSize = 100

const make = (options: LedgerCardLifecycleOptions = {}): Effect.Effect<CardLifecycle["Type"], never, LedgerClient> =>
  Effect.gen(function* () {
    const ledger = yield* LedgerClient

    /** The cardholder's operation: through their channel, else signed by the cardholder's signer or the service. */
    const asCardholder = <K extends CardholderOperation>(
      customerId: string,
      name: K,
      input: CallInput<LedgerOperations[K]>
    ): Effect.Effect<ResultOf<LedgerOperations[K]>, LedgerError> =>
      options.cardholder === undefined
        ? // One signature for the five operations: TypeScript cannot index the client by a generic key.
          (
            ledger[name].call as unknown as (
              input: CallInput<LedgerOperations[K]>,
              signer?: Signer
            ) => Effect.Effect<ResultOf<LedgerOperations[K]>, LedgerError>
          )(input, options.cardholderSigner)
        : options.cardholder.send(customerId, name, input)

    /** What every card request carries; the caller's reference goes on the one write it names. */
    const account = (request: CustomerAccount) => ({
      product: request.product,
      program: request.program,
      channel: request.channel,
      customerId: request.customerId,
      accountNumber: request.accountNumber
    })
    const referenced = (request: CustomerAccount) =>
      request.reference === undefined ? {} : { reference: request.reference }

    /** GET_CARD_DETAILS, service-signed: the card as it is, and the ownership check every call starts with. */
    const details = (ref: CardRef): Effect.Effect<WireCardDetails, LedgerError> =>
      Effect.map(ledger.getCardDetails.call({ ...account(ref), cardId: ref.cardId }), (result) => result.cardDetails)

    /** The card after a status change: UPDATE_STATUS answers its status, not its mask or expiry. */
    const withStatus = (card: WireCardDetails, cardStatus: string) => toCard({ ...card, cardStatus })

    const serviceStatus = (ref: CardRef, action: StatusAction, reference: boolean) =>
      Effect.map(
        ledger.updateStatus.call({
          ...(reference ? referenced(ref) : {}),
          ...account(ref),
          cardId: ref.cardId,
          statusAction: action
        }),
        (result) => result.card.cardStatus
      )

    const status = (action: StatusAction) => (ref: CardRef) =>
      Effect.flatMap(details(ref), (card) =>
        Effect.flatMap(serviceStatus(ref, action, true), (cardStatus) => withStatus(card, cardStatus))
      )

    const lifecycle = CardLifecycle.of({
      getCard: (ref) => Effect.flatMap(details(ref), toCard),
      listCards: (request) =>
        Effect.gen(function* () {
          const cards: Array<WireCardDetails> = []
          for (;;) {
            const page = yield* ledger.getCardList.call({
              ...account(request),
              pagination: { offset: cards.length, max: pageSize }
            })
            cards.push(...page.cards)
            if (page.cards.length < pageSize) break
          }
          return yield* Effect.forEach(cards, toCard)
        }),
      issueCard: (request) =>
        Effect.gen(function* () {
          const { cardHolderId } = yield* ledger.addCardHolderWithPrimaryAddress.call(account(request))
          const card =
            request.type === "physical"
              ? { cardHolderId, cardType: "PHYSICAL" as const }
              : {
                  cardHolderId,
                  cardType: "VIRTUAL" as const,
                  ...expiryOf(request.expiry ?? (yield* defaultExpiry))
                }
          const added = yield* ledger.addCard.call({ ...referenced(request), ...account(request), card })
          return yield* toCard(added.card)
        }),
      activate: (request) =>
        Effect.flatMap(details(request), (card) =>
          Effect.flatMap(
            asCardholder(request.customerId, "updateStatus", {
              ...referenced(request),
              ...account(request),
              cardId: request.cardId,
              statusAction: "ACTIVATE",
              cardCvv: request.cvv
            }),
            (result) => withStatus(card, result.card.cardStatus)
          )
        ),
      lock: status("LOCK"),
      unlock: status("UNLOCK"),
      reportLostStolen: status("REPORT_LOST_STOLEN"),
      replace: (request) =>
        Effect.gen(function* () {
          const card = yield* details(request)
          // A new PAN is for a card reported lost: the service reports it first, as the production client does.
          if (request.reason === "lost_stolen" && card.cardStatus !== "LOST_STOLEN") {
            yield* serviceStatus(request, "REPORT_LOST_STOLEN", false)
          }
          const replaced = yield* asCardholder(request.customerId, "replaceCard", {
            ...referenced(request),
            ...account(request),
            cardId: request.cardId,
            statusAction: request.reason === "lost_stolen" ? "REPLACE_CARD" : "REISSUE"
          })
          return new ReplacedCard({
            replaced: yield* toCard(replaced.card),
            replacement: yield* toCard(replaced.newCard)
          })
        }),
      close: (ref) =>
        Effect.gen(function* () {
          const card = yield* details(ref)
          // A frozen or blocked card is released before it is closed, as the production client does (§9).
          if (card.cardStatus === "TEMPRORY_BLOCKED_BY_CLIENT") yield* serviceStatus(ref, "UNLOCK", false)
          if (card.cardStatus === "TEMPRORY_BLOCKED_BY_ADMIN") yield* serviceStatus(ref, "UNBLOCK", false)
          return yield* withStatus(card, yield* serviceStatus(ref, "CLOSE", true))
        }),
      changePin: (request) =>
        Effect.flatMap(details(request), () =>
          Effect.asVoid(
            asCardholder(request.customerId, "pinChange", {
              ...referenced(request),
              ...account(request),
              cardId: request.cardId,
              newPIN: request.pin
            })
          )
        ),
      validateCvv: (request) =>
        // VALIDATE_CVV names no customer or account: GET_CARD_DETAILS checks the card is theirs first.
        Effect.flatMap(details(request), () =>
          Effect.asVoid(
            asCardholder(request.customerId, "validateCvv", {
              product: request.product,
              channel: request.channel,
              program: request.program,
              cardId: request.cardId,
              cardCvv: request.cvv
            })
          )
        ),
      getLimits: (ref) =>
        Effect.flatMap(
          asCardholder(ref.customerId, "getCardLimit", { ...account(ref), cardId: ref.cardId }),
          (result) => toLimits(result.card.limits)
        ),
      setLimit: (request) =>
        Effect.flatMap(
          ledger.setLimit.call({
            ...referenced(request),
            ...account(request),
            cardLimit: {
              cardId: request.cardId,
              type: toLimitType(request.kind),
              cycleType: toCycleType(request.cycle),
              value: request.value
            }
          }),
          (result) => toLimits(result.card.limits)
        )
    })
    // Every method's errors in the caller's terms: a field the ledger names by its wire path is named
    // as the request names it.
    return Object.fromEntries(
      Object.entries(lifecycle).map(([name, method]) => [
        name,
        (request: never) =>
          Effect.mapError((method as (request: never) => Effect.Effect<unknown, unknown>)(request), inDomainTerms)
      ])
    ) as unknown as CardLifecycle["Type"]
  })

/** Wire fields under `params.payload` by the names of the domain's requests. */
const domainFields: ReadonlyMap<string, string> = new Map([
  ["cardCvv", "cvv"],
  ["newPIN", "pin"],
  ["cardLimit.cardId", "cardId"],
  ["cardLimit.type", "kind"],
  ["cardLimit.cycleType", "cycle"],
  ["cardLimit.value", "value"],
  ["card.expiryYear", "expiry"],
  ["card.expiryMonth", "expiry"],
  ["card.cardType", "type"]
])

const inDomainTerms = (error: unknown) => {
  if (!(error instanceof InvalidRequest) || !error.field.startsWith("params.payload.")) return error
  const field = error.field.slice("params.payload.".length)
  return new InvalidRequest({ field: domainFields.get(field) ?? field, reason: error.reason })
}

/** A virtual card's expiry as ADD_CARD takes it: `2031-07` is year `2031`, month `07`. */
const expiryOf = (expiry: string) => ({ expiryYear: expiry.slice(0, 4), expiryMonth: expiry.slice(5, 7) })

/** The expiry a virtual card gets when the caller names none: December, four years on, as the fake issuer's default. */
const defaultExpiry = Effect.map(Clock.currentTimeMillis, (now) => `${new Date(now).getUTCFullYear() + 4}-12`)

/**
 * The domain's `CardLifecycle` over the ledger: each call a short sequence of the ledger's card
 * operations, as the production client sends them (the package README lists them per method).
 * The service signs its own calls; the cardholder's go through `options.cardholder` when given.
 * Its layers provide it as `CardLifecycle` too, and the `LedgerClient` beneath.
 */
export class LedgerCardLifecycle extends Context.Tag("@cardkit/ledger/LedgerCardLifecycle")<
  LedgerCardLifecycle,
  CardLifecycle["Type"]
>() {
  /** Over the `LedgerClient` in context. */
  static readonly make = make

  static readonly layer = (
    options: LedgerClientOptions & LedgerCardLifecycleOptions
  ): Layer.Layer<LedgerCardLifecycle | CardLifecycle | LedgerClient, never, HttpClient.HttpClient> =>
    provided(LedgerClient.layer(options), options)

  /** As `layer`, the client's options read from `config` (by default `CARDKIT_LEDGER_*`); the service signs every call. */
  static readonly layerConfig = (
    config: Config.Config<LedgerClientOptions> = LedgerConfig
  ): Layer.Layer<LedgerCardLifecycle | CardLifecycle | LedgerClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
    provided(LedgerClient.layerConfig(config), {})

  /** Over the `LedgerClient` in context: to share one client (and its HTTP pool) with `LedgerCardSecrets`. */
  static readonly layerOverClient = (
    options: LedgerCardLifecycleOptions = {}
  ): Layer.Layer<LedgerCardLifecycle | CardLifecycle, never, LedgerClient> =>
    Layer.effect(CardLifecycle, LedgerCardLifecycle).pipe(
      Layer.provideMerge(Layer.effect(LedgerCardLifecycle, make(options)))
    )
}

const provided = <E, R>(client: Layer.Layer<LedgerClient, E, R>, options: LedgerCardLifecycleOptions) =>
  LedgerCardLifecycle.layerOverClient(options).pipe(Layer.provideMerge(client))
