import type { WireCardHolderDetails } from "@cardkit/ledger"
import { DateTime } from "effect"

/** A customer as the ledger knows them from onboarding: the details a primary-address card holder gets. */
export interface CustomerOnFile extends WireCardHolderDetails {
  readonly customerId: string
  /** `US` when absent. */
  readonly country?: string
}

/** A card holder of a customer's account, as GET_CARD and the card-holder operations show it. */
export interface CardHolderRecord {
  /** `CH` and 14 digits. */
  readonly cardHolderId: string
  readonly customerId: string
  readonly accountNumber: string
  readonly details: WireCardHolderDetails
  readonly country: string
  readonly createdDate: DateTime.Utc
  readonly updatedDate: DateTime.Utc
}

/** What UPDATE_CARD_HOLDER may change: any of the details, each left as it is when absent. */
export type CardHolderChanges = { readonly [K in keyof WireCardHolderDetails]?: string | undefined }

interface StoredHolder {
  readonly cardHolderId: string
  readonly customerId: string
  readonly accountNumber: string
  details: WireCardHolderDetails
  readonly country: string
  readonly createdMillis: number
  updatedMillis: number
}

/** Where a customer with no details on file is said to live, and the address their email is at. */
const defaultEmailDomain = "customers.cardkit.test"
const defaultEmail = new RegExp(`^(\\d{1,32})@${defaultEmailDomain.replaceAll(".", "\\.")}$`)

const defaultCustomer = (customerId: string): CustomerOnFile => ({
  customerId,
  firstName: "Card",
  lastName: "Holder",
  phoneNumber: "5550100000",
  emailId: `${customerId}@${defaultEmailDomain}`,
  addressLine1: "1 Main Street",
  addressLine2: "",
  city: "Springfield",
  state: "IL",
  zipCode: "62701"
})

const view = (holder: StoredHolder): CardHolderRecord => ({
  cardHolderId: holder.cardHolderId,
  customerId: holder.customerId,
  accountNumber: holder.accountNumber,
  details: holder.details,
  country: holder.country,
  createdDate: DateTime.unsafeMake(holder.createdMillis),
  updatedDate: DateTime.unsafeMake(holder.updatedMillis)
})

const accountKey = (customerId: string, accountNumber: string) => `${customerId}/${accountNumber}`

/**
 * The card holders of every account, and the customers on file. Ids count up from the reference's
 * sample range, so a run that adds the same holders names them alike.
 */
export const makeCardHolders = (customers: Iterable<CustomerOnFile>) => {
  const onFile = new Map<string, CustomerOnFile>()
  const byEmail = new Map<string, string>()
  for (const customer of customers) {
    onFile.set(customer.customerId, customer)
    byEmail.set(customer.emailId.toLowerCase(), customer.customerId)
  }
  const byId = new Map<string, StoredHolder>()
  const byAccount = new Map<string, Array<StoredHolder>>()
  const primaries = new Map<string, StoredHolder>()
  let next = 20_001

  const customerOf = (customerId: string) => onFile.get(customerId) ?? defaultCustomer(customerId)

  const add = (customerId: string, accountNumber: string, details: WireCardHolderDetails, now: number) => {
    const holder: StoredHolder = {
      cardHolderId: `CH${String(next++).padStart(14, "0")}`,
      customerId,
      accountNumber,
      details,
      country: onFile.get(customerId)?.country ?? "US",
      createdMillis: now,
      updatedMillis: now
    }
    byId.set(holder.cardHolderId, holder)
    const key = accountKey(customerId, accountNumber)
    const held = byAccount.get(key)
    if (held === undefined) byAccount.set(key, [holder])
    else held.push(holder)
    return holder
  }

  /** The holder of this id, if it is one of this customer's account's. */
  const owned = (cardHolderId: string, customerId: string, accountNumber: string) => {
    const holder = byId.get(cardHolderId)
    return holder !== undefined && holder.customerId === customerId && holder.accountNumber === accountNumber
      ? holder
      : undefined
  }

  return {
    /** The account's holder at the customer's address on file: one per account, made when first asked for. */
    primary: (customerId: string, accountNumber: string, now: number): CardHolderRecord => {
      const key = accountKey(customerId, accountNumber)
      const held = primaries.get(key)
      if (held !== undefined) return view(held)
      const { customerId: _, country: __, ...details } = customerOf(customerId)
      const holder = add(customerId, accountNumber, details, now)
      primaries.set(key, holder)
      return view(holder)
    },
    add: (customerId: string, accountNumber: string, details: WireCardHolderDetails, now: number) =>
      view(add(customerId, accountNumber, details, now)),
    /** The holder with `changes` applied, or `undefined` when it is not this account's. */
    update: (
      cardHolderId: string,
      customerId: string,
      accountNumber: string,
      changes: CardHolderChanges,
      now: number
    ): CardHolderRecord | undefined => {
      const holder = owned(cardHolderId, customerId, accountNumber)
      if (holder === undefined) return undefined
      const given = Object.entries(changes).filter(([, value]) => value !== undefined)
      holder.details = { ...holder.details, ...Object.fromEntries(given) }
      holder.updatedMillis = now
      return view(holder)
    },
    get: (cardHolderId: string): CardHolderRecord | undefined => {
      const holder = byId.get(cardHolderId)
      return holder === undefined ? undefined : view(holder)
    },
    owned: (cardHolderId: string, customerId: string, accountNumber: string): CardHolderRecord | undefined => {
      const holder = owned(cardHolderId, customerId, accountNumber)
      return holder === undefined ? undefined : view(holder)
    },
    /** The account's holders in the order they were added. */
    list: (customerId: string, accountNumber: string): ReadonlyArray<CardHolderRecord> =>
      (byAccount.get(accountKey(customerId, accountNumber)) ?? []).map(view),
    /**
     * The customer whose email on file is `email`: one given in `customers`, or the default address
     * every other customer has (`<customerId>@customers.cardkit.test`).
     */
    customerByEmail: (email: string): string | undefined => {
      const known = byEmail.get(email.toLowerCase())
      if (known !== undefined) return known
      const byDefault = defaultEmail.exec(email)?.[1]
      return byDefault === undefined || onFile.has(byDefault) ? undefined : byDefault
    }
  }
}

export type CardHolders = ReturnType<typeof makeCardHolders>
