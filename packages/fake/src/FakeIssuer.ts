import {
  type AccountValidationRequest,
  AccountValidationResult,
  Ack,
  type CardCvv,
  type CardExpiry,
  type CardFlags,
  CardNotActive,
  CardNotFound,
  type CardSecretsError,
  type Cvv,
  expiryToYYMM,
  type GetCvvRequest,
  IncorrectCvv,
  luhnCheckDigit,
  makeCvv,
  makePan,
  type Pan,
  ProviderUnavailable
} from "@cardkit/domain"
import { CardExpiry as CardExpirySchema } from "@cardkit/domain"
import { Clock, Context, DateTime, Effect, Layer, Option, Random, Redacted } from "effect"
import { type Decision, decide, type IssuerView, type Lookup } from "./Decision.js"
import { type FakeOperation, type Fault, type FaultSpec, makeFaults } from "./Faults.js"
import { documentCards } from "./internal/documents.js"
import { type CvkPair, type ExpiryOrder, makeCvvCalculator, testCvk } from "./VisaCvv.js"

/** Card statuses, spelled as the ledger spells them (sic). */
export type CardStatus =
  | "ACTIVATED"
  | "CARD_IS_NOT_ACTIVATED"
  | "TEMPRORY_BLOCKED_BY_CLIENT"
  | "TEMPRORY_BLOCKED_BY_ADMIN"
  | "LOST_STOLEN"
  | "CLOSED"

export const cardStatuses: ReadonlyArray<CardStatus> = [
  "ACTIVATED",
  "CARD_IS_NOT_ACTIVATED",
  "TEMPRORY_BLOCKED_BY_CLIENT",
  "TEMPRORY_BLOCKED_BY_ADMIN",
  "LOST_STOLEN",
  "CLOSED"
]

export const allFlagsOff: CardFlags = {
  allowAtm: false,
  allowEcommerce: false,
  allowMoto: false,
  allowPos: false,
  allowTips: false,
  allowPurchase: false,
  allowRefund: false,
  allowCashback: false,
  allowWithdraw: false,
  allowAuthAndCompletion: false,
  smart: false,
  checkAvsZip: false,
  checkAvsAddr: false,
  transactionMade: false,
  isReIssue: false,
  isReplace: false
}

export interface CardholderNameOnFile {
  readonly first?: string
  readonly last: string
}

export interface AddressOnFile {
  readonly street?: string
  readonly postalCode: string
}

/** A card as the issuer holds it. Secrets stay `Redacted` in this public view. */
export interface CardRecord {
  readonly cardId: string
  readonly customerId: string
  readonly accountNumber: string
  readonly pan: Pan
  readonly expiry: CardExpiry
  readonly status: CardStatus
  readonly flags: CardFlags
  readonly postedDate: DateTime.Utc
  readonly updatedDate: DateTime.Utc
  readonly cvv: Cvv
  readonly cvv2: Cvv
  readonly name?: CardholderNameOnFile
  readonly billingAddress?: AddressOnFile
  readonly tavv?: Redacted.Redacted<string>
}

export interface IssueCardOptions {
  readonly cardId?: string
  readonly customerId?: string
  readonly accountNumber?: string
  /** Digits; a Luhn-valid PAN in the test BIN is made when absent. */
  readonly pan?: string
  readonly expiry?: string
  readonly status?: CardStatus
  readonly flags?: Partial<CardFlags>
  readonly name?: CardholderNameOnFile
  readonly billingAddress?: AddressOnFile
  /** Imported records keep the CVV printed for them; otherwise the Visa algorithm derives it. */
  readonly cvv?: string
  readonly cvv2?: string
  readonly tavv?: string
  /** ISO-8601; now when absent. */
  readonly postedDate?: string
  readonly updatedDate?: string
}

/** What `issueCard` hands back: everything a test needs to address the card. */
export type IssuedCard = CardRecord

export interface FakeIssuerOptions {
  /** Load the two source documents' records (default true). */
  readonly seedDocuments?: boolean
  /** More cards to issue at start. */
  readonly cards?: ReadonlyArray<IssueCardOptions>
  /** The CVK pair the CVVs of issued cards are derived from; `testCvk` by default. */
  readonly cvk?: CvkPair
  readonly expiryOrder?: ExpiryOrder
  /** The 6-digit BIN of issued cards' PANs (default `400000`, a test range). */
  readonly bin?: string
  /** Faults in force from the start, per operation. */
  readonly faults?: Partial<Record<FakeOperation, FaultSpec>>
  /** Seed of the ids and PANs the fake makes up, for reproducible runs. */
  readonly seed?: number
}

/** Mutable on purpose (a million cards must fit in well under 400 MB): each update is one synchronous step. */
interface StoredCard {
  cardId: string
  customerId: string
  accountNumber: string
  pan: string
  expiry: CardExpiry
  status: CardStatus
  flags: CardFlags
  postedMillis: number
  updatedMillis: number
  cvv: string
  cvv2: string
  name: CardholderNameOnFile | undefined
  billingAddress: AddressOnFile | undefined
  tavv: string | undefined
}

/** Visa's PAV sandbox account that exists but cannot be located: answered `25`, AVS `I`, CVV2 `P`. */
export const unlocatablePan = "4957040000000001"

const provider = "fake"

const view = (card: StoredCard): CardRecord => ({
  cardId: card.cardId,
  customerId: card.customerId,
  accountNumber: card.accountNumber,
  pan: makePan(card.pan),
  expiry: card.expiry,
  status: card.status,
  flags: card.flags,
  postedDate: DateTime.unsafeMake(card.postedMillis),
  updatedDate: DateTime.unsafeMake(card.updatedMillis),
  cvv: makeCvv(card.cvv),
  cvv2: makeCvv(card.cvv2),
  ...(card.name === undefined ? {} : { name: card.name }),
  ...(card.billingAddress === undefined ? {} : { billingAddress: card.billingAddress }),
  ...(card.tavv === undefined ? {} : { tavv: Redacted.make(card.tavv) })
})

const issuerView = (card: StoredCard): IssuerView => ({
  expiry: card.expiry,
  cvv2: card.cvv2,
  active: card.status === "ACTIVATED",
  inactiveCode: card.status === "LOST_STOLEN" ? "41" : "05",
  street: card.billingAddress?.street,
  postalCode: card.billingAddress?.postalCode,
  firstName: card.name?.first,
  lastName: card.name?.last,
  tavv: card.tavv
})

const digits = (random: Random.Random, count: number) =>
  Effect.map(Effect.all(Array.from({ length: count }, () => random.nextIntBetween(0, 10))), (ds) => ds.join(""))

const hex = (random: Random.Random, count: number) =>
  Effect.map(Effect.all(Array.from({ length: count }, () => random.nextIntBetween(0, 16))), (ds) =>
    ds.map((d) => d.toString(16)).join("")
  )

const failFor = (fault: Fault) =>
  fault._tag === "Latency"
    ? Effect.sleep(fault.millis)
    : Effect.fail(new ProviderUnavailable({ provider, reason: `injected fault: ${fault._tag}` }))

export const make = (options: FakeIssuerOptions = {}) =>
  Effect.gen(function* () {
    const byId = new Map<string, StoredCard>()
    const byPan = new Map<string, StoredCard>()
    const calculator = makeCvvCalculator(options.cvk ?? testCvk, { expiryOrder: options.expiryOrder ?? "YYMM" })
    const random = Random.make(options.seed ?? 20241120)
    const bin = options.bin ?? "400000"
    const faults = makeFaults()
    for (const [operation, spec] of Object.entries(options.faults ?? {})) {
      yield* faults.inject(operation as FakeOperation, spec)
    }

    const find = (cardId: string) =>
      Effect.suspend(() => {
        const card = byId.get(cardId)
        return card === undefined ? Effect.fail(new CardNotFound({ cardId })) : Effect.succeed(card)
      })

    /** Apply the operation's next injected fault: latency delays, anything else fails. */
    const faulted = <A, E, R>(operation: FakeOperation, effect: Effect.Effect<A, E, R>) =>
      Effect.flatMap(faults.next(operation), (fault) =>
        Option.isNone(fault) ? effect : Effect.zipRight(failFor(fault.value), effect)
      )

    const issueCard = (card: IssueCardOptions = {}): Effect.Effect<IssuedCard> =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const pan = card.pan ?? (yield* Effect.map(digits(random, 9), (d) => bin + d + luhnCheckDigit(bin + d)))
        const expiry = CardExpirySchema.make(card.expiry ?? `${new Date(now).getUTCFullYear() + 4}-12`)
        const yymm = expiryToYYMM(expiry)
        const stored: StoredCard = {
          cardId: card.cardId ?? (yield* hex(random, 32)),
          customerId: card.customerId ?? (yield* digits(random, 15)),
          accountNumber: card.accountNumber ?? (yield* digits(random, 15)),
          pan,
          expiry,
          status: card.status ?? "ACTIVATED",
          flags: { ...allFlagsOff, ...card.flags },
          postedMillis: card.postedDate === undefined ? now : Date.parse(card.postedDate),
          updatedMillis: card.updatedDate === undefined ? now : Date.parse(card.updatedDate),
          cvv: card.cvv ?? calculator.compute({ pan, yymm, serviceCode: "101" }),
          cvv2: card.cvv2 ?? calculator.compute({ pan, yymm, serviceCode: "000" }),
          name: card.name,
          billingAddress: card.billingAddress,
          tavv: card.tavv
        }
        byId.set(stored.cardId, stored)
        byPan.set(stored.pan, stored)
        return view(stored)
      })

    const getCvv = (request: GetCvvRequest): Effect.Effect<CardCvv, CardSecretsError> =>
      faulted(
        "getCvv",
        Effect.gen(function* () {
          const card = byId.get(request.cardId)
          // A customer or account that does not own the card learns nothing more than "not found".
          if (
            card === undefined ||
            card.customerId !== request.customerId ||
            card.accountNumber !== request.accountNumber
          ) {
            return yield* new CardNotFound({ cardId: request.cardId })
          }
          if (card.status !== "ACTIVATED") {
            return yield* new CardNotActive({ cardId: card.cardId, status: card.status })
          }
          const now = yield* Clock.currentTimeMillis
          const reference = request.reference ?? `fake${now}`
          return {
            cardId: request.cardId,
            cvv: makeCvv(card.cvv),
            flags: card.flags,
            postedDate: DateTime.unsafeMake(card.postedMillis),
            updatedDate: DateTime.unsafeMake(card.updatedMillis),
            ack: new Ack({
              type: "GET_CVV_ACK",
              reference: `REF${reference}`,
              originalReference: reference,
              dateCreated: Math.floor(now / 1000)
            })
          } as CardCvv
        })
      )

    const decideFor = (request: AccountValidationRequest): Effect.Effect<Decision> =>
      Effect.gen(function* () {
        const pan = Redacted.value(request.pan)
        const card = byPan.get(pan)
        const lookup: Lookup =
          card !== undefined
            ? { _tag: "Card", card: issuerView(card) }
            : pan === unlocatablePan
              ? { _tag: "Unlocatable" }
              : { _tag: "Unknown" }
        const now = yield* Clock.currentTimeMillis
        const approvalCode = (yield* hex(random, 6)).toUpperCase()
        return decide(request, lookup, now, approvalCode)
      })

    return FakeIssuer.of({
      issueCard,
      issueCards: (cards) => Effect.forEach(cards, (card) => issueCard(card), { discard: true }),
      getCard: (cardId) => faulted("getCard", Effect.map(find(cardId), view)),
      findByPan: (pan) => Effect.sync(() => Option.map(Option.fromNullable(byPan.get(pan)), view)),
      setStatus: (cardId, status) =>
        faulted(
          "updateStatus",
          Effect.flatMap(find(cardId), (card) =>
            Effect.map(Clock.currentTimeMillis, (now) => {
              card.status = status
              card.updatedMillis = now
              return view(card)
            })
          )
        ),
      getCvv,
      validateCvv: (cardId, cvv) =>
        faulted(
          "validateCvv",
          Effect.flatMap(
            find(cardId),
            (card): Effect.Effect<void, CardNotActive | IncorrectCvv> =>
              card.status !== "ACTIVATED"
                ? Effect.fail(new CardNotActive({ cardId, status: card.status }))
                : card.cvv === cvv
                  ? Effect.void
                  : Effect.fail(new IncorrectCvv({ cardId }))
          )
        ),
      validateAccount: (request) =>
        faulted(
          "validateAccount",
          Effect.gen(function* () {
            const decision = yield* decideFor(request)
            const transactionId = yield* digits(random, 15)
            return new AccountValidationResult({
              approved: decision.approved,
              actionCode: decision.raw.actionCode,
              cvv2: decision.cvv2,
              address: decision.address,
              ...(decision.name === undefined ? {} : { name: decision.name }),
              ...(decision.tavv === undefined ? {} : { tavv: decision.tavv }),
              transactionId,
              raw: decision.raw
            })
          })
        ),
      nextFault: faults.next,
      injectFaults: faults.inject,
      clearFaults: faults.clear,
      size: Effect.sync(() => byId.size)
    })
  }).pipe(
    Effect.tap((issuer) => (options.seedDocuments === false ? Effect.void : issuer.issueCards(documentCards))),
    Effect.tap((issuer) => issuer.issueCards(options.cards ?? []))
  )

/**
 * The in-memory issuer behind `FakeProvider` and the wire fakes: a card store, the Visa CVV
 * algorithm, an account-validation decision engine, and controls for tests.
 */
export class FakeIssuer extends Context.Tag("@cardkit/fake/FakeIssuer")<
  FakeIssuer,
  {
    readonly issueCard: (options?: IssueCardOptions) => Effect.Effect<IssuedCard>
    readonly issueCards: (cards: Iterable<IssueCardOptions>) => Effect.Effect<void>
    readonly getCard: (cardId: string) => Effect.Effect<CardRecord, CardNotFound | ProviderUnavailable>
    readonly findByPan: (pan: string) => Effect.Effect<Option.Option<CardRecord>>
    readonly setStatus: (
      cardId: string,
      status: CardStatus
    ) => Effect.Effect<CardRecord, CardNotFound | ProviderUnavailable>
    readonly getCvv: (request: GetCvvRequest) => Effect.Effect<CardCvv, CardSecretsError>
    readonly validateCvv: (
      cardId: string,
      cvv: string
    ) => Effect.Effect<void, CardNotFound | CardNotActive | IncorrectCvv | ProviderUnavailable>
    readonly validateAccount: (
      request: AccountValidationRequest
    ) => Effect.Effect<AccountValidationResult, ProviderUnavailable>
    /** Consume the operation's next injected fault; the wire fakes turn it into a wire failure. */
    readonly nextFault: (operation: FakeOperation) => Effect.Effect<Option.Option<Fault>>
    readonly injectFaults: (operation: FakeOperation, spec: FaultSpec) => Effect.Effect<void>
    readonly clearFaults: Effect.Effect<void>
    readonly size: Effect.Effect<number>
  }
>() {
  static readonly layer = Layer.effect(FakeIssuer, make())
  static readonly layerWith = (options: FakeIssuerOptions) => Layer.effect(FakeIssuer, make(options))
}
