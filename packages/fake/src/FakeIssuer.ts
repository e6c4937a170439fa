import {
  type AccountValidationRequest,
  type AccountValidationResult,
  CardCvv,
  type CardExpiry,
  type CardFlags,
  CardNotActive,
  CardNotFound,
  type Cvv,
  expiryToYYMM,
  type GetCvvRequest,
  IncorrectCvv,
  isCardExpiry,
  luhnCheckDigit,
  luhnValid,
  makeCvv,
  makePan,
  type Pan
} from "@cardkit/domain"
import { Clock, Config, type ConfigError, Context, DateTime, Effect, Layer, Option, Redacted } from "effect"
import { xoroshiro128plus } from "pure-rand"
import { decide, type IssuerView, type Lookup, toResult } from "./Decision.js"
import { type FakeOperation, type Fault, type FaultSpec, makeFaults } from "./Faults.js"
import { documentCards } from "./internal/documents.js"
import { type GeneratedCard, makeGeneratedCards } from "./internal/generatedCards.js"
import { type CvkPair, type ExpiryOrder, makeCvvCalculator, serviceCodes, testCvk } from "./VisaCvv.js"

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
  /** Reusing a card id replaces that card. */
  readonly cardId?: string
  readonly customerId?: string
  readonly accountNumber?: string
  /** 13 to 19 digits passing Luhn (anything else is a defect); a fresh PAN in the test BIN when absent. */
  readonly pan?: string
  /** `YYYY-MM`; December four years from now when absent. */
  readonly expiry?: string
  readonly status?: CardStatus
  readonly flags?: Partial<CardFlags>
  readonly name?: CardholderNameOnFile
  readonly billingAddress?: AddressOnFile
  /** Imported records keep the CVV printed for them; otherwise the Visa algorithm derives it. */
  readonly cvv?: string
  readonly cvv2?: string
  readonly tavv?: string
  /** The approval code validations of this card answer with; a fresh one per validation when absent. */
  readonly approvalCode?: string
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
  readonly cards?: Iterable<IssueCardOptions>
  /** The CVK pair the CVVs of issued cards are derived from; `testCvk` by default. */
  readonly cvk?: CvkPair
  /** The expiry order the CVV algorithm is fed (`YYMM` by default, as Visa issuers mostly do). */
  readonly expiryOrder?: ExpiryOrder
  /** The 6-digit BIN of issued cards' PANs (default `400000`, a test range). */
  readonly bin?: string
  /** Faults in force from the start, per operation. */
  readonly faults?: Partial<Record<FakeOperation, FaultSpec>>
  /** Seed of the ids, PANs, references and codes the fake makes up, for reproducible runs. */
  readonly seed?: number
}

/** A card as the store holds it, mutable (each update is one synchronous step); generated cards become one when first looked up. */
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
  /** Imported CVVs; derived ones are computed on first use, so seeding a million cards stays cheap. */
  cvv: string | undefined
  cvv2: string | undefined
  name: CardholderNameOnFile | undefined
  billingAddress: AddressOnFile | undefined
  tavv: string | undefined
  approvalCode: string | undefined
}

/** Visa's PAV sandbox account that exists but cannot be located: answered `25`, AVS `I`, CVV2 `P`. */
export const unlocatablePan = "4957040000000001"

/**
 * Seeded, synchronous draws: ids for a million cards must not cost a million effects each. Ids
 * need to be unique and reproducible, not uniform, so a draw's 32 bits are used as they come.
 */
const makeDraws = (seed: number) => {
  const rng = xoroshiro128plus(seed)
  const next = () => rng.unsafeNext() >>> 0
  const nineDigits = () => next() % 1_000_000_000
  const fifteenDigits = () => nineDigits() * 1_000_000 + (next() % 1_000_000)
  const scratch = Buffer.alloc(16)
  return {
    word: next,
    nineDigits,
    fifteenDigits,
    /** 9 or 15 digits. */
    digits: (count: 9 | 15): string =>
      count === 9 ? String(nineDigits()).padStart(9, "0") : String(fifteenDigits()).padStart(15, "0"),
    /** 6, 20 or 32 hex digits, through a Buffer: several times cheaper than number-to-hex strings. */
    hex: (count: 6 | 20 | 32): string => {
      const bytes = Math.ceil(count / 2)
      for (let at = 0; at < bytes; at += 4) scratch.writeUInt32BE(next(), at)
      return scratch.toString("hex", 0, bytes).slice(0, count)
    }
  }
}

/** A given PAN checked without the schema (a microsecond per card); the message never repeats it. */
const toPan = (pan: string): string => {
  if (!/^\d{13,19}$/.test(pan) || !luhnValid(pan))
    throw new Error("an issued card's PAN must be 13 to 19 digits and pass Luhn")
  return pan
}

/** A `YYYY-MM` checked once by pattern: the schema's `make` costs a microsecond per card. */
const toExpiry = (expiry: string): CardExpiry => {
  if (!isCardExpiry(expiry)) throw new Error("an issued card's expiry must be YYYY-MM")
  return expiry
}

/** The expiry the fake gives a card (by default, or generated): December, so the columns hold only the year. */
const decemberOf = (year: number): CardExpiry => toExpiry(`${year}-12`)

const make = (options: FakeIssuerOptions = {}) =>
  Effect.gen(function* () {
    const byId = new Map<string, StoredCard>()
    const byPan = new Map<string, StoredCard>()
    const calculator = makeCvvCalculator(options.cvk ?? testCvk, { expiryOrder: options.expiryOrder ?? "YYMM" })
    const draws = makeDraws(options.seed ?? 20241120)
    const bin = options.bin ?? "400000"
    // Cards `issueCards` makes up from nothing stay in columns until someone looks them up.
    const generated = makeGeneratedCards(bin)
    const faults = makeFaults()
    for (const [operation, spec] of Object.entries(options.faults ?? {})) {
      yield* faults.inject(operation as FakeOperation, spec)
    }

    const derive = (card: StoredCard, serviceCode: string) =>
      calculator.compute({ pan: card.pan, yymm: expiryToYYMM(card.expiry), serviceCode })
    const cvvOf = (card: StoredCard) => (card.cvv ??= derive(card, serviceCodes.magneticStripe))
    const cvv2Of = (card: StoredCard) => (card.cvv2 ??= derive(card, serviceCodes.cvv2))

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
      cvv: makeCvv(cvvOf(card)),
      cvv2: makeCvv(cvv2Of(card)),
      ...(card.name === undefined ? {} : { name: card.name }),
      ...(card.billingAddress === undefined ? {} : { billingAddress: card.billingAddress }),
      ...(card.tavv === undefined ? {} : { tavv: Redacted.make(card.tavv) })
    })

    const issuerView = (card: StoredCard): IssuerView => ({
      expiry: card.expiry,
      cvv2: cvv2Of(card),
      active: card.status === "ACTIVATED",
      inactiveCode: card.status === "LOST_STOLEN" ? "41" : "05",
      street: card.billingAddress?.street,
      postalCode: card.billingAddress?.postalCode,
      firstName: card.name?.first,
      lastName: card.name?.last,
      tavv: card.tavv
    })

    const panOf = (digits: number) => {
      const partial = `${bin}${String(digits).padStart(9, "0")}`
      return partial + luhnCheckDigit(partial)
    }

    /** The 9 digits after the BIN of a PAN that no card holds yet. */
    const freshPanDigits = (): number => {
      for (;;) {
        const digits = draws.nineDigits()
        if (!generated.hasPanDigits(digits) && !byPan.has(panOf(digits))) return digits
      }
    }

    const hold = (stored: StoredCard, replaced: { readonly pan: string } | undefined): StoredCard => {
      if (replaced !== undefined && byPan.get(replaced.pan) === replaced) byPan.delete(replaced.pan)
      byId.set(stored.cardId, stored)
      byPan.set(stored.pan, stored)
      return stored
    }

    const store = (card: IssueCardOptions, now: number, defaultExpiry: CardExpiry): StoredCard => {
      const cardId = card.cardId ?? draws.hex(32)
      return hold(
        {
          cardId,
          customerId: card.customerId ?? draws.digits(15),
          accountNumber: card.accountNumber ?? draws.digits(15),
          pan: card.pan === undefined ? panOf(freshPanDigits()) : toPan(card.pan),
          expiry: card.expiry === undefined ? defaultExpiry : toExpiry(card.expiry),
          status: card.status ?? "ACTIVATED",
          flags: card.flags === undefined ? allFlagsOff : { ...allFlagsOff, ...card.flags },
          postedMillis: card.postedDate === undefined ? now : Date.parse(card.postedDate),
          updatedMillis: card.updatedDate === undefined ? now : Date.parse(card.updatedDate),
          cvv: card.cvv,
          cvv2: card.cvv2,
          name: card.name,
          billingAddress: card.billingAddress,
          tavv: card.tavv,
          approvalCode: card.approvalCode
        },
        byId.get(cardId) ?? generated.takeById(cardId)
      )
    }

    /** A generated card, taken out of the columns, as an ordinary one. */
    const adopt = (card: GeneratedCard): StoredCard => {
      const stored: StoredCard = {
        cardId: card.cardId,
        customerId: card.customerId,
        accountNumber: card.accountNumber,
        pan: card.pan,
        expiry: decemberOf(card.expiryYear),
        status: "ACTIVATED",
        flags: allFlagsOff,
        postedMillis: card.postedMillis,
        updatedMillis: card.postedMillis,
        cvv: undefined,
        cvv2: undefined,
        name: undefined,
        billingAddress: undefined,
        tavv: undefined,
        approvalCode: undefined
      }
      byId.set(stored.cardId, stored)
      // A card issued later with the same PAN keeps it, as it would have had both been ordinary.
      if (!byPan.has(stored.pan)) byPan.set(stored.pan, stored)
      return stored
    }

    const cardById = (cardId: string): StoredCard | undefined => {
      const held = byId.get(cardId)
      if (held !== undefined) return held
      const made = generated.takeById(cardId)
      return made === undefined ? undefined : adopt(made)
    }

    const cardByPan = (pan: string): StoredCard | undefined => {
      const held = byPan.get(pan)
      if (held !== undefined) return held
      const made = generated.takeByPan(pan)
      return made === undefined ? undefined : adopt(made)
    }

    /** Options that set nothing: a card made up entirely from the seed, which the columns hold. */
    const isBlank = (card: IssueCardOptions): boolean => {
      for (const key in card) if (card[key as keyof IssueCardOptions] !== undefined) return false
      return true
    }

    const id: [number, number, number, number] = [0, 0, 0, 0]
    const generate = (now: number, expiryYear: number) => {
      for (let w = 0; w < 4; w++) id[w] = draws.word()
      generated.add(id, draws.fifteenDigits(), draws.fifteenDigits(), freshPanDigits(), now, expiryYear)
    }

    const defaultExpiryYear = (now: number) => new Date(now).getUTCFullYear() + 4
    const defaultExpiryAt = (now: number) => decemberOf(defaultExpiryYear(now))

    const issueCards = (cards: Iterable<IssueCardOptions>): Effect.Effect<void> =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const defaultExpiry = defaultExpiryAt(now)
        const expiryYear = defaultExpiryYear(now)
        for (const card of cards) {
          if (isBlank(card)) generate(now, expiryYear)
          else store(card, now, defaultExpiry)
        }
      })

    const find = (cardId: string): Effect.Effect<StoredCard, CardNotFound> =>
      Effect.suspend(() => {
        const card = cardById(cardId)
        return card === undefined ? Effect.fail(new CardNotFound({ cardId })) : Effect.succeed(card)
      })

    const getCvv = (request: GetCvvRequest): Effect.Effect<CardCvv, CardNotFound | CardNotActive> =>
      Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<CardCvv, CardNotFound | CardNotActive> => {
        const card = cardById(request.cardId)
        // A customer or account that does not own the card learns no more than that it was not
        // found, as the ledger answers: confirming the card exists would leak it to the wrong owner.
        if (
          card === undefined ||
          card.customerId !== request.customerId ||
          card.accountNumber !== request.accountNumber
        ) {
          return Effect.fail(new CardNotFound({ cardId: request.cardId }))
        }
        if (card.status !== "ACTIVATED") {
          return Effect.fail(new CardNotActive({ cardId: card.cardId, status: card.status }))
        }
        const reference = request.reference ?? `fake-${draws.hex(20)}`
        return Effect.succeed(
          // The store holds only cards whose fields were checked when they were issued.
          CardCvv.fromDecoded({
            cardId: request.cardId,
            cvv: makeCvv(cvvOf(card)),
            flags: card.flags,
            postedDate: DateTime.unsafeMake(card.postedMillis),
            updatedDate: DateTime.unsafeMake(card.updatedMillis),
            ack: {
              type: "GET_CVV_ACK",
              reference: `REF${reference}`,
              originalReference: reference,
              dateCreated: Math.floor(now / 1000)
            }
          })
        )
      })

    const validateAccount = (request: AccountValidationRequest): Effect.Effect<AccountValidationResult> =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const pan = Redacted.value(request.pan)
        const card = cardByPan(pan)
        const lookup: Lookup =
          card !== undefined
            ? { _tag: "Card", card: issuerView(card) }
            : pan === unlocatablePan
              ? { _tag: "Unlocatable" }
              : { _tag: "Unknown" }
        const decision = decide(request, lookup, now, card?.approvalCode ?? draws.hex(6).toUpperCase())
        return toResult(decision, draws.digits(15))
      })

    const issuer = FakeIssuer.of({
      issueCard: (card = {}) =>
        Effect.map(Clock.currentTimeMillis, (now) => view(store(card, now, defaultExpiryAt(now)))),
      issueCards,
      getCard: (cardId) => Effect.map(find(cardId), view),
      findByPan: (pan) => Effect.sync(() => Option.map(Option.fromNullable(cardByPan(pan)), view)),
      setStatus: (cardId, status) =>
        Effect.flatMap(find(cardId), (card) =>
          Effect.map(Clock.currentTimeMillis, (now) => {
            card.status = status
            card.updatedMillis = now
            return view(card)
          })
        ),
      getCvv,
      validateCvv: (cardId, cvv) =>
        Effect.flatMap(
          find(cardId),
          (card): Effect.Effect<void, CardNotActive | IncorrectCvv> =>
            card.status !== "ACTIVATED"
              ? Effect.fail(new CardNotActive({ cardId, status: card.status }))
              : cvvOf(card) === cvv
                ? Effect.void
                : Effect.fail(new IncorrectCvv({ cardId }))
        ),
      validateAccount,
      nextFault: faults.next,
      injectFaults: faults.inject,
      clearFaults: () => faults.clear,
      size: Effect.sync(() => byId.size + generated.size())
    })
    if (options.seedDocuments !== false) yield* issueCards(documentCards)
    yield* issueCards(options.cards ?? [])
    return issuer
  })

/**
 * The in-memory issuer behind `FakeProvider` and the wire fakes: a card store, the Visa CVV
 * algorithm, an account-validation decision engine, and controls for tests.
 *
 * Its operations never fault by themselves: whoever serves them (the in-memory `FakeProvider`,
 * or a wire fake) asks `nextFault(operation)` first and shows the fault its own way, so one
 * injected fault is consumed exactly once.
 */
export class FakeIssuer extends Context.Tag("@cardkit/fake/FakeIssuer")<
  FakeIssuer,
  {
    /** Issue (or, with an existing `cardId`, replace) a card; ACTIVATED unless told otherwise. */
    readonly issueCard: (options?: IssueCardOptions) => Effect.Effect<IssuedCard>
    /**
     * Issue many cards at once, deriving their CVVs lazily: the way to seed a large store. Cards
     * with blank options (`{}`) cost a few dozen bytes each until they are first looked up.
     */
    readonly issueCards: (cards: Iterable<IssueCardOptions>) => Effect.Effect<void>
    readonly getCard: (cardId: string) => Effect.Effect<CardRecord, CardNotFound>
    readonly findByPan: (pan: string) => Effect.Effect<Option.Option<CardRecord>>
    readonly setStatus: (cardId: string, status: CardStatus) => Effect.Effect<CardRecord, CardNotFound>
    /** The ledger's GET_CVV: the card must belong to the customer and account, and be ACTIVATED. */
    readonly getCvv: (request: GetCvvRequest) => Effect.Effect<CardCvv, CardNotFound | CardNotActive>
    readonly validateCvv: (
      cardId: string,
      cvv: string
    ) => Effect.Effect<void, CardNotFound | CardNotActive | IncorrectCvv>
    /** The issuer's decision; `raw` holds the VisaNet codes the wire Visa fake answers with verbatim. */
    readonly validateAccount: (request: AccountValidationRequest) => Effect.Effect<AccountValidationResult>
    /** Consume the operation's next injected fault, if any. */
    readonly nextFault: (operation: FakeOperation) => Effect.Effect<Option.Option<Fault>>
    /** Replace the operation's fault schedule. */
    readonly injectFaults: (operation: FakeOperation, spec: FaultSpec) => Effect.Effect<void>
    readonly clearFaults: () => Effect.Effect<void>
    /** How many cards the issuer holds. */
    readonly size: Effect.Effect<number>
  }
>() {
  /** A fresh issuer, seeded with the source documents' records unless `seedDocuments: false`. */
  static readonly make = make

  static readonly layer = (options: FakeIssuerOptions = {}): Layer.Layer<FakeIssuer> =>
    Layer.effect(FakeIssuer, make(options))

  /** As `layer`, the options read from `config`: by default `FakeIssuerConfig`'s `CARDKIT_FAKE_*` names. */
  static readonly layerConfig = (
    config: Config.Config<FakeIssuerOptions> = FakeIssuerConfig
  ): Layer.Layer<FakeIssuer, ConfigError.ConfigError> => Layer.effect(FakeIssuer, Effect.flatMap(config, make))
}

/**
 * The fake issuer's settings a run can vary without code: `CARDKIT_FAKE_SEED` (the made-up ids,
 * PANs and codes, for a reproducible run), `CARDKIT_FAKE_BIN` (issued PANs' 6-digit BIN) and
 * `CARDKIT_FAKE_SEED_DOCUMENTS` (`false` starts with no cards).
 */
export const FakeIssuerConfig: Config.Config<FakeIssuerOptions> = Config.all({
  seed: Config.option(Config.integer("SEED")),
  bin: Config.option(
    Config.validate(Config.string("BIN"), { message: "must be 6 digits", validation: (bin) => /^\d{6}$/.test(bin) })
  ),
  seedDocuments: Config.withDefault(Config.boolean("SEED_DOCUMENTS"), true)
}).pipe(
  Config.map(({ bin, seed, seedDocuments }) => ({
    seedDocuments,
    ...Option.match(seed, { onNone: () => ({}), onSome: (seed) => ({ seed }) }),
    ...Option.match(bin, { onNone: () => ({}), onSome: (bin) => ({ bin }) })
  })),
  Config.nested("FAKE"),
  Config.nested("CARDKIT")
)
