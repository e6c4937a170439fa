import {
  type ActivateCardRequest,
  CardLifecycle,
  type CardRef,
  type ChangePinRequest,
  type Channel,
  InvalidRequest,
  type ReplaceCardRequest,
  type ReplaceReason,
  type ValidateCvvRequest
} from "@cardkit/domain"
import type { HttpClient } from "@effect/platform"
import { Clock, type Config, type ConfigError, Context, Effect, Layer } from "effect"
import { toCard, toCycleType, toLimits, toLimitType, toReplacedCard } from "./LedgerCards.js"
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

/** What every card request carries: the customer's account, its product, program and channel. */
interface Where {
  readonly customerId: string
  readonly accountNumber: string
  readonly product: string
  readonly program: string
  readonly channel: Channel
  readonly reference?: string | undefined
}

/** One card of an account, as a request or a payload names it. */
export type CardAt = Where & { readonly cardId: string }

/** The cardholder's one step of a sequence: their operation, however it is signed and sent. */
export type CardholderStep<K extends CardholderOperation> = Effect.Effect<ResultOf<LedgerOperations[K]>, LedgerError>

/**
 * The lifecycle's sequences around the cardholder's step, written once: `LedgerCardLifecycle` runs
 * them with the step sent through its channel, `LedgerDeviceSignedOperations` with the bytes the
 * cardholder's device signed. `input` is the cardholder step's payload for a request.
 */
export const cardholderFlows = (ledger: LedgerClient["Type"]) => {
  const account = (request: Where) => ({
    product: request.product,
    program: request.program,
    channel: request.channel,
    customerId: request.customerId,
    accountNumber: request.accountNumber
  })
  /** The caller's reference goes on the one write it names. */
  const referenced = (request: Where) => (request.reference === undefined ? {} : { reference: request.reference })

  /** GET_CARD_DETAILS, service-signed: the card as it is, and the ownership check every call starts with. */
  const details = (ref: CardAt): Effect.Effect<WireCardDetails, LedgerError> =>
    Effect.map(ledger.getCardDetails.call({ ...account(ref), cardId: ref.cardId }), (result) => result.cardDetails)

  /** The card after a status change: UPDATE_STATUS answers its status, not its mask or expiry. */
  const withStatus = (card: WireCardDetails, cardStatus: string) => toCard({ ...card, cardStatus })

  const serviceStatus = (ref: CardAt, action: StatusAction, reference: boolean) =>
    Effect.map(
      ledger.updateStatus.call({
        ...(reference ? referenced(ref) : {}),
        ...account(ref),
        cardId: ref.cardId,
        statusAction: action
      }),
      (result) => result.card.cardStatus
    )

  return {
    account,
    referenced,
    details,
    withStatus,
    serviceStatus,
    activate: {
      input: (request: ActivateCardRequest): CallInput<LedgerOperations["updateStatus"]> => ({
        ...referenced(request),
        ...account(request),
        cardId: request.cardId,
        statusAction: "ACTIVATE",
        cardCvv: request.cvv
      }),
      run: (ref: CardAt, step: CardholderStep<"updateStatus">) =>
        Effect.flatMap(details(ref), (card) =>
          Effect.flatMap(step, (result) => withStatus(card, result.card.cardStatus))
        )
    },
    changePin: {
      input: (request: ChangePinRequest): CallInput<LedgerOperations["pinChange"]> => ({
        ...referenced(request),
        ...account(request),
        cardId: request.cardId,
        newPIN: request.pin
      }),
      run: (ref: CardAt, step: CardholderStep<"pinChange">) => Effect.flatMap(details(ref), () => Effect.asVoid(step))
    },
    validateCvv: {
      input: (request: ValidateCvvRequest): CallInput<LedgerOperations["validateCvv"]> => ({
        product: request.product,
        channel: request.channel,
        program: request.program,
        cardId: request.cardId,
        cardCvv: request.cvv
      }),
      // VALIDATE_CVV names no customer or account: GET_CARD_DETAILS checks the card is theirs first.
      run: (ref: CardAt, step: CardholderStep<"validateCvv">) => Effect.flatMap(details(ref), () => Effect.asVoid(step))
    },
    replace: {
      input: (request: ReplaceCardRequest): CallInput<LedgerOperations["replaceCard"]> => ({
        ...referenced(request),
        ...account(request),
        cardId: request.cardId,
        statusAction: request.reason === "lost_stolen" ? "REPLACE_CARD" : "REISSUE"
      }),
      run: (ref: CardAt, reason: ReplaceReason, step: CardholderStep<"replaceCard">) =>
        Effect.gen(function* () {
          const card = yield* details(ref)
          // A new PAN is for a card reported lost: the service reports it first, as the production client does.
          if (reason === "lost_stolen" && card.cardStatus !== "LOST_STOLEN") {
            yield* serviceStatus(ref, "REPORT_LOST_STOLEN", false)
          }
          return yield* toReplacedCard(yield* step)
        })
    }
  }
}

const make = (options: LedgerCardLifecycleOptions = {}): Effect.Effect<CardLifecycle["Type"], never, LedgerClient> =>
  Effect.gen(function* () {
    const ledger = yield* LedgerClient
    const flows = cardholderFlows(ledger)
    const { account, referenced, details, withStatus, serviceStatus } = flows

    /** The cardholder's operation: through their channel, else signed by the cardholder's signer or the service. */
    const asCardholder = <K extends CardholderOperation>(
      customerId: string,
      name: K,
      input: CallInput<LedgerOperations[K]>
    ): CardholderStep<K> =>
      options.cardholder === undefined
        ? // One signature for the five operations: TypeScript cannot index the client by a generic key.
          (
            ledger[name].call as unknown as (
              input: CallInput<LedgerOperations[K]>,
              signer?: Signer
            ) => CardholderStep<K>
          )(input, options.cardholderSigner)
        : options.cardholder.send(customerId, name, input)

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
        flows.activate.run(request, asCardholder(request.customerId, "updateStatus", flows.activate.input(request))),
      lock: status("LOCK"),
      unlock: status("UNLOCK"),
      reportLostStolen: status("REPORT_LOST_STOLEN"),
      replace: (request) =>
        flows.replace.run(
          request,
          request.reason,
          asCardholder(request.customerId, "replaceCard", flows.replace.input(request))
        ),
      close: (ref) =>
        Effect.gen(function* () {
          const card = yield* details(ref)
          // A frozen or blocked card is released before it is closed, as the production client does (§9).
          if (card.cardStatus === "TEMPRORY_BLOCKED_BY_CLIENT") yield* serviceStatus(ref, "UNLOCK", false)
          if (card.cardStatus === "TEMPRORY_BLOCKED_BY_ADMIN") yield* serviceStatus(ref, "UNBLOCK", false)
          return yield* withStatus(card, yield* serviceStatus(ref, "CLOSE", true))
        }),
      changePin: (request) =>
        flows.changePin.run(request, asCardholder(request.customerId, "pinChange", flows.changePin.input(request))),
      validateCvv: (request) =>
        flows.validateCvv.run(
          request,
          asCardholder(request.customerId, "validateCvv", flows.validateCvv.input(request))
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

/** A failure in the caller's terms: a field the ledger names by its wire path is named as the request names it. */
export const inDomainTerms = <E>(error: E): E => {
  if (!(error instanceof InvalidRequest) || !error.field.startsWith("params.payload.")) return error
  const field = error.field.slice("params.payload.".length)
  return new InvalidRequest({ field: domainFields.get(field) ?? field, reason: error.reason }) as E
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
