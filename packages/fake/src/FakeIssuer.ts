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
  InvalidRequest,
  isCardExpiry,
  luhnCheckDigit,
  luhnValid,
  makeCvv,
  makePan,
  type Pan,
  StatusActionNotAllowed
} from "@cardkit/domain"
import type { StatusAction, WireCardHolderDetails, WireCardType } from "@cardkit/ledger"
import { Clock, Config, type ConfigError, Context, DateTime, Effect, Layer, Option, Redacted } from "effect"
import { xoroshiro128plus } from "pure-rand"
import { decide, type IssuerView, type Lookup, toResult } from "./Decision.js"
import { type FakeOperation, type Fault, type FaultSpec, makeFaults } from "./Faults.js"
import {
  type CardHolderChanges,
  type CardHolderRecord,
  type CustomerOnFile,
  makeCardHolders
} from "./internal/cardHolders.js"
import { derivedIds } from "./internal/derivedIds.js"
import { type DeviceKey, makeDevices } from "./internal/devices.js"
import { documentCards } from "./internal/documents.js"
import { type GeneratedCard, makeGeneratedCards } from "./internal/generatedCards.js"
import { type CardLimit, withLimit } from "./internal/limits.js"
import { hashPin, type PinHash, pinMatches } from "./internal/pins.js"
import { nextStatus, type Role } from "./internal/transitions.js"
import { type CvkPair, type ExpiryOrder, makeCvvCalculator, serviceCodes, testCvk } from "./VisaCvv.js"

/** Card statuses, spelled as the ledger spells them (sic); `NOT_IN_USE` is a replaced card's. */
export type CardStatus =
  | "ACTIVATED"
  | "CARD_IS_NOT_ACTIVATED"
  | "TEMPRORY_BLOCKED_BY_CLIENT"
  | "TEMPRORY_BLOCKED_BY_ADMIN"
  | "LOST_STOLEN"
  | "CLOSED"
  | "RETURNED_UNDELIVERED"
  | "DEACTIVATED"
  | "NOT_IN_USE"
  | "CARD_REQUEST_NOT_PROCESSED"

export const cardStatuses: ReadonlyArray<CardStatus> = [
  "ACTIVATED",
  "CARD_IS_NOT_ACTIVATED",
  "TEMPRORY_BLOCKED_BY_CLIENT",
  "TEMPRORY_BLOCKED_BY_ADMIN",
  "LOST_STOLEN",
  "CLOSED",
  "RETURNED_UNDELIVERED",
  "DEACTIVATED",
  "NOT_IN_USE",
  "CARD_REQUEST_NOT_PROCESSED"
]

export type { CardHolderChanges, CardHolderRecord, CustomerOnFile } from "./internal/cardHolders.js"
export type { DeviceKey } from "./internal/devices.js"
export type { CardLimit } from "./internal/limits.js"
export { type Role, roles, transitionTable } from "./internal/transitions.js"

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

/** A card as the issuer holds it. Secrets stay `Redacted` in this public view; the PIN is not in it. */
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
  readonly cardType: WireCardType
  /** Absent for a card issued without one: its account's primary card holder holds it. */
  readonly cardHolderId?: string
  readonly product: string
  readonly program: string
  readonly cardName?: string
  readonly orderStatus: string
  readonly orderSubStatus: string
  /** Made from the card id, as the ledger's look (`4UPHU2HB4YU3000`). */
  readonly orderId: string
  /** `v-40x-<uuid>`, made from the card id. */
  readonly externalCardId: string
  /** The ledger's token for the PAN (32 hex digits): a reissued card keeps its card's. */
  readonly cardNumber: string
  readonly limits: ReadonlyArray<CardLimit>
  /** Whether a PIN was set (it is held hashed; `pinMatches` checks one). */
  readonly hasPin: boolean
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
  /** `VIRTUAL` by default (the Get CVV page reveals "the CVV for virtual card"). */
  readonly cardType?: WireCardType
  /** One of the account's card holders; absent, the account's primary card holder holds it. */
  readonly cardHolderId?: string
  /** `DEFAULT` when absent, as the documents' examples send. */
  readonly product?: string
  readonly program?: string
  readonly cardName?: string
  readonly limits?: ReadonlyArray<CardLimit>
}

/** The account a card or card holder belongs to. */
export interface LedgerAccount {
  readonly customerId: string
  readonly accountNumber: string
}

/** `ADD_CARD`'s card: a physical one is ordered not activated, a virtual one is usable at once. */
export interface AddCardOptions extends LedgerAccount {
  readonly cardHolderId: string
  readonly cardType: WireCardType
  readonly product?: string
  readonly program?: string
  /** A virtual card's expiry, `YYYY-MM`; four years from now, in December, when absent. */
  readonly expiry?: string
  readonly cardName?: string
  /** A virtual card's limit: its life-time amount. */
  readonly cardLimit?: string
  /** A virtual card for one transaction within `cardLimit`. */
  readonly singleUse?: boolean
}

/** `CustomerService.AddUserKey`'s registration of a device key. */
export interface AddUserKeyOptions {
  /** The customer's email: whose key it is, unless `customerId` says. */
  readonly userName: string
  /** SPKI PEM of the device's P-256 key. */
  readonly publicKey: string
  readonly status: string
  /** The customer, named directly (a fake-only shortcut for tests that set up no email on file). */
  readonly customerId?: string | undefined
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
  /**
   * Customers' details on file, which a card holder added with their primary address gets; a
   * customer not listed is "Card Holder" at a made-up address, email `<customerId>@customers.cardkit.test`.
   */
  readonly customers?: Iterable<CustomerOnFile>
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
  cardType: WireCardType
  cardHolderId: string | undefined
  product: string
  program: string
  cardName: string | undefined
  orderStatus: string
  orderSubStatus: string
  /** Set when the card took over another's PAN token (a reissue); otherwise made from the card id. */
  token: string | undefined
  limits: ReadonlyArray<CardLimit>
  pin: PinHash | undefined
}

const orderPlaced = { orderStatus: "ORDER_PLACED", orderSubStatus: "ORDER_PENDING" } as const

const notAHolder = "is not a card holder of this customer's account"

/**
 * The ledger's card model (reference §5, §6): card holders, physical and virtual cards, the status
 * transition table per role, replacement, PINs, limits and device keys. The fake ledger's handlers
 * are these operations on the wire; a test can call them directly to set up what it needs.
 */
export interface LedgerModel {
  /** A card holder at `details`, or, without them, the account's one at the customer's address on file. */
  readonly addCardHolder: (account: LedgerAccount, details?: WireCardHolderDetails) => Effect.Effect<CardHolderRecord>
  readonly updateCardHolder: (
    account: LedgerAccount,
    cardHolderId: string,
    changes: CardHolderChanges
  ) => Effect.Effect<CardHolderRecord, InvalidRequest>
  /** The account's card holders, in the order they were added. */
  readonly cardHolders: (account: LedgerAccount) => Effect.Effect<ReadonlyArray<CardHolderRecord>>
  /** The card's holder; a card issued without one is its account's primary card holder's from then on. */
  readonly cardHolderOf: (cardId: string) => Effect.Effect<CardHolderRecord, CardNotFound>
  readonly addCard: (options: AddCardOptions) => Effect.Effect<CardRecord, InvalidRequest>
  /** The account's cards, in the order they were issued. */
  readonly cards: (account: LedgerAccount) => Effect.Effect<ReadonlyArray<CardRecord>>
  /**
   * The Update Status transition table for `role`: anything else is `StatusActionNotAllowed`.
   * ACTIVATE checks `cvv` (the card's CVV, decrypted); REISSUE and REPLACE_CARD replace the card.
   */
  readonly updateStatus: (
    cardId: string,
    action: StatusAction,
    options: { readonly role: Role; readonly cvv?: string | undefined }
  ) => Effect.Effect<CardRecord, CardNotFound | StatusActionNotAllowed | IncorrectCvv | InvalidRequest>
  /** A new card for the card, the same PAN (`REISSUE`) or a new one (`REPLACE_CARD`), as the table allows. */
  readonly replaceCard: (
    cardId: string,
    action: "REISSUE" | "REPLACE_CARD",
    role: Role
  ) => Effect.Effect<{ readonly card: CardRecord; readonly newCard: CardRecord }, CardNotFound | StatusActionNotAllowed>
  /** Set a physical card's PIN (held salted and hashed), before or after it is activated. */
  readonly changePin: (
    cardId: string,
    pin: string
  ) => Effect.Effect<void, CardNotFound | CardNotActive | InvalidRequest>
  readonly pinMatches: (cardId: string, pin: string) => Effect.Effect<boolean, CardNotFound>
  /** Set a limit as the Set Limit page's table allows for the card's type. */
  readonly setLimit: (cardId: string, limit: CardLimit) => Effect.Effect<CardRecord, CardNotFound | InvalidRequest>
  /** `CustomerService.AddUserKey`: the device's key, registered for the customer, signs as LEGALREP. */
  readonly addUserKey: (registration: AddUserKeyOptions) => Effect.Effect<DeviceKey, InvalidRequest>
  readonly deviceKey: (keyId: string) => Effect.Effect<Option.Option<DeviceKey>>
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
    const holders = makeCardHolders(options.customers ?? [])
    const devices = makeDevices(() => draws.hex(32))

    const derive = (card: StoredCard, serviceCode: string) =>
      calculator.compute({ pan: card.pan, yymm: expiryToYYMM(card.expiry), serviceCode })
    const cvvOf = (card: StoredCard) => (card.cvv ??= derive(card, serviceCodes.magneticStripe))
    const cvv2Of = (card: StoredCard) => (card.cvv2 ??= derive(card, serviceCodes.cvv2))

    const view = (card: StoredCard): CardRecord => {
      const ids = derivedIds(card.cardId)
      return {
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
        ...(card.tavv === undefined ? {} : { tavv: Redacted.make(card.tavv) }),
        cardType: card.cardType,
        ...(card.cardHolderId === undefined ? {} : { cardHolderId: card.cardHolderId }),
        product: card.product,
        program: card.program,
        ...(card.cardName === undefined ? {} : { cardName: card.cardName }),
        orderStatus: card.orderStatus,
        orderSubStatus: card.orderSubStatus,
        orderId: ids.orderId,
        externalCardId: ids.externalCardId,
        cardNumber: card.token ?? ids.token,
        limits: card.limits,
        hasPin: card.pin !== undefined
      }
    }

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
          approvalCode: card.approvalCode,
          cardType: card.cardType ?? "VIRTUAL",
          cardHolderId: card.cardHolderId,
          product: card.product ?? "DEFAULT",
          program: card.program ?? "DEFAULT",
          cardName: card.cardName,
          ...orderPlaced,
          token: undefined,
          limits: card.limits ?? [],
          pin: undefined
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
        approvalCode: undefined,
        cardType: "VIRTUAL",
        cardHolderId: undefined,
        product: "DEFAULT",
        program: "DEFAULT",
        cardName: undefined,
        ...orderPlaced,
        token: undefined,
        limits: [],
        pin: undefined
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

    /** Activated, or not yet: the production client validates the CVV and sets the PIN before it activates. */
    const beforeOrInUse = (card: StoredCard) => card.status === "ACTIVATED" || card.status === "CARD_IS_NOT_ACTIVATED"

    const touched = (card: StoredCard, now: number) => {
      card.updatedMillis = now
      return card
    }

    /** The card `action` replaces: a new card, the same PAN (REISSUE) or a new one; the old one is NOT_IN_USE. */
    const replace = (card: StoredCard, action: "REISSUE" | "REPLACE_CARD", next: CardStatus, now: number) => {
      const reissue = action === "REISSUE"
      const fresh = hold(
        {
          ...card,
          cardId: draws.hex(32),
          pan: reissue ? card.pan : panOf(freshPanDigits()),
          expiry: defaultExpiryAt(now),
          status: card.cardType === "PHYSICAL" ? "CARD_IS_NOT_ACTIVATED" : "ACTIVATED",
          flags: { ...card.flags, isReIssue: false, isReplace: false },
          postedMillis: now,
          updatedMillis: now,
          cvv: undefined,
          cvv2: undefined,
          tavv: undefined,
          approvalCode: undefined,
          ...orderPlaced,
          token: reissue ? (card.token ?? derivedIds(card.cardId).token) : undefined,
          pin: reissue ? card.pin : undefined
        },
        undefined
      )
      card.flags = { ...card.flags, ...(reissue ? { isReIssue: true } : { isReplace: true }) }
      card.status = next
      touched(card, now)
      return { card: view(card), newCard: view(fresh) }
    }

    const notAllowed = (card: StoredCard, action: StatusAction) =>
      Effect.fail(new StatusActionNotAllowed({ cardId: card.cardId, status: card.status, action }))

    const now = Clock.currentTimeMillis

    const ledgerOperations: LedgerModel = {
      addCardHolder: (account, details) =>
        Effect.map(now, (at) =>
          details === undefined
            ? holders.primary(account.customerId, account.accountNumber, at)
            : holders.add(account.customerId, account.accountNumber, details, at)
        ),
      updateCardHolder: (account, cardHolderId, changes) =>
        Effect.flatMap(now, (at) => {
          const updated = holders.update(cardHolderId, account.customerId, account.accountNumber, changes, at)
          return updated === undefined
            ? Effect.fail(new InvalidRequest({ field: "cardHolder.cardHolderId", reason: notAHolder }))
            : Effect.succeed(updated)
        }),
      cardHolders: (account) => Effect.sync(() => holders.list(account.customerId, account.accountNumber)),
      cardHolderOf: (cardId) =>
        Effect.flatMap(find(cardId), (card) =>
          Effect.map(now, (at) => {
            const held = card.cardHolderId === undefined ? undefined : holders.get(card.cardHolderId)
            if (held !== undefined) return held
            const primary = holders.primary(card.customerId, card.accountNumber, at)
            card.cardHolderId = primary.cardHolderId
            return primary
          })
        ),
      addCard: (request) =>
        Effect.flatMap(now, (at) => {
          if (holders.owned(request.cardHolderId, request.customerId, request.accountNumber) === undefined) {
            return Effect.fail(new InvalidRequest({ field: "card.cardHolderId", reason: notAHolder }))
          }
          const physical = request.cardType === "PHYSICAL"
          if (request.singleUse === true && request.cardLimit === undefined) {
            return Effect.fail(
              new InvalidRequest({ field: "card.cardLimit", reason: "is required for a single-use card" })
            )
          }
          const limits: Array<CardLimit> = []
          if (request.cardLimit !== undefined) {
            limits.push({ type: "VOLUME", cycleType: "LIFE_TIME", value: request.cardLimit })
          }
          if (request.singleUse === true) limits.push({ type: "COUNT", cycleType: "LIFE_TIME", value: "1" })
          const card = store(
            {
              customerId: request.customerId,
              accountNumber: request.accountNumber,
              cardHolderId: request.cardHolderId,
              cardType: request.cardType,
              status: physical ? "CARD_IS_NOT_ACTIVATED" : "ACTIVATED",
              ...(request.expiry === undefined ? {} : { expiry: request.expiry }),
              ...(request.product === undefined ? {} : { product: request.product }),
              ...(request.program === undefined ? {} : { program: request.program }),
              ...(request.cardName === undefined ? {} : { cardName: request.cardName }),
              limits
            },
            at,
            defaultExpiryAt(at)
          )
          return Effect.succeed(view(card))
        }),
      cards: (account) =>
        Effect.sync(() => {
          const found: Array<CardRecord> = []
          for (const card of byId.values()) {
            if (card.customerId === account.customerId && card.accountNumber === account.accountNumber) {
              found.push(view(card))
            }
          }
          return found
        }),
      updateStatus: (cardId, action, { role, cvv }) =>
        Effect.flatMap(find(cardId), (card) =>
          Effect.flatMap(
            now,
            (at): Effect.Effect<CardRecord, StatusActionNotAllowed | IncorrectCvv | InvalidRequest> => {
              const next = nextStatus(role, card.cardType, card.status, action)
              if (next === undefined) return notAllowed(card, action)
              if (action === "REISSUE" || action === "REPLACE_CARD") {
                return Effect.succeed(replace(card, action, next, at).card)
              }
              if (action === "ACTIVATE") {
                if (cvv === undefined || cvv === "") {
                  return Effect.fail(new InvalidRequest({ field: "cardCvv", reason: "is required to ACTIVATE a card" }))
                }
                if (cvvOf(card) !== cvv) return Effect.fail(new IncorrectCvv({ cardId }))
              }
              card.status = next
              return Effect.succeed(view(touched(card, at)))
            }
          )
        ),
      replaceCard: (cardId, action, role) =>
        Effect.flatMap(find(cardId), (card) =>
          Effect.flatMap(now, (at) => {
            const next = nextStatus(role, card.cardType, card.status, action)
            return next === undefined ? notAllowed(card, action) : Effect.succeed(replace(card, action, next, at))
          })
        ),
      changePin: (cardId, pin) =>
        Effect.flatMap(find(cardId), (card) =>
          Effect.flatMap(now, (at): Effect.Effect<void, CardNotActive | InvalidRequest> => {
            if (card.cardType !== "PHYSICAL") {
              return Effect.fail(new InvalidRequest({ field: "cardId", reason: "is a virtual card, which has no PIN" }))
            }
            if (!beforeOrInUse(card)) return Effect.fail(new CardNotActive({ cardId, status: card.status }))
            if (!/^\d{4,12}$/.test(pin)) {
              return Effect.fail(new InvalidRequest({ field: "newPIN", reason: "is not 4 to 12 digits" }))
            }
            card.pin = hashPin(pin)
            touched(card, at)
            return Effect.void
          })
        ),
      pinMatches: (cardId, pin) =>
        Effect.map(find(cardId), (card) => card.pin !== undefined && pinMatches(card.pin, pin)),
      setLimit: (cardId, limit) =>
        Effect.flatMap(find(cardId), (card) =>
          Effect.flatMap(now, (at) => {
            const limits = withLimit(card.cardType, card.limits, limit)
            if (limits instanceof InvalidRequest) return Effect.fail(limits)
            card.limits = limits
            return Effect.succeed(view(touched(card, at)))
          })
        ),
      addUserKey: (registration) =>
        Effect.suspend(() => {
          const customerId = registration.customerId ?? holders.customerByEmail(registration.userName)
          if (customerId === undefined) {
            return Effect.fail(
              new InvalidRequest({ field: "userName", reason: "is not the email of a customer on file" })
            )
          }
          const device = devices.register(
            customerId,
            registration.userName,
            registration.publicKey,
            registration.status
          )
          return device instanceof InvalidRequest ? Effect.fail(device) : Effect.succeed(device)
        }),
      deviceKey: (keyId) => Effect.sync(() => Option.fromNullable(devices.get(keyId)))
    }

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
            !beforeOrInUse(card)
              ? Effect.fail(new CardNotActive({ cardId, status: card.status }))
              : cvvOf(card) === cvv
                ? Effect.void
                : Effect.fail(new IncorrectCvv({ cardId }))
        ),
      ...ledgerOperations,
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
  } & LedgerModel
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
