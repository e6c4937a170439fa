import { luhnCheckDigit, luhnValid } from "@cardkit/domain"

/**
 * The cards `issueCards` makes up from nothing but the issuer's seed, held column by column in
 * typed arrays: a million of them cost tens of megabytes and next to no garbage collection, where
 * a million card objects, their id strings and two `Map`s over them cost seconds and half a
 * gigabyte. The issuer turns a card into an ordinary object the first time anyone looks it up
 * (`take`), so everything but the bulk of an untouched seed lives in its `Map`s as before.
 *
 * Lookups go through two open-addressing tables of indexes (+1; 0 is empty): card ids by their
 * first 32-bit word, PANs by their 9 drawn digits. Both keys are uniformly random draws, so they
 * hash as they are; a card that was taken stays in the tables and is skipped.
 */

const initialCapacity = 1024

const hexId = /^[0-9a-f]{32}$/

const grow = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(array: T, length: number): T => {
  const bigger = new (array.constructor as new (length: number) => T)(length)
  bigger.set(array)
  return bigger
}

/** `minimumCapacity` rounded up to a power of two, so a probe wraps with a mask. */
const tableFor = (minimumCapacity: number): Int32Array => {
  let capacity = initialCapacity
  while (capacity < minimumCapacity) capacity *= 2
  return new Int32Array(capacity)
}

/** Knuth's multiplicative hash spreads the 9-digit numbers, which are below 2^30, over 32 bits. */
const spread = (n: number): number => Math.imul(n, 0x9e3779b1) >>> 0

export interface GeneratedCard {
  readonly cardId: string
  readonly customerId: string
  readonly accountNumber: string
  readonly pan: string
  readonly postedMillis: number
  readonly expiryYear: number
}

export const makeGeneratedCards = (bin: string) => {
  let count = 0
  let live = 0
  let capacity = initialCapacity
  let idWords = new Uint32Array(4 * capacity)
  let customers = new Float64Array(capacity)
  let accounts = new Float64Array(capacity)
  let panDigits = new Uint32Array(capacity)
  let posted = new Float64Array(capacity)
  let expiryYears = new Uint16Array(capacity)
  let taken = new Uint8Array(capacity)
  let byId = tableFor(2 * capacity)
  let byPan = tableFor(2 * capacity)

  const insert = (table: Int32Array, hash: number, index: number) => {
    const mask = table.length - 1
    let slot = hash & mask
    while (table[slot] !== 0) slot = (slot + 1) & mask
    table[slot] = index + 1
  }

  const reserve = () => {
    if (count < capacity) return
    capacity *= 2
    idWords = grow(idWords, 4 * capacity)
    customers = grow(customers, capacity)
    accounts = grow(accounts, capacity)
    panDigits = grow(panDigits, capacity)
    posted = grow(posted, capacity)
    expiryYears = grow(expiryYears, capacity)
    taken = grow(taken, capacity)
    // Tables stay at most half full: probes stay short.
    byId = tableFor(2 * capacity)
    byPan = tableFor(2 * capacity)
    for (let i = 0; i < count; i++) {
      insert(byId, idWords[4 * i]!, i)
      insert(byPan, spread(panDigits[i]!), i)
    }
  }

  /** The index of the live card whose `matches` holds, probing `table` from `hash`; -1 if none. */
  const find = (table: Int32Array, hash: number, matches: (index: number) => boolean): number => {
    const mask = table.length - 1
    for (let slot = hash & mask; table[slot] !== 0; slot = (slot + 1) & mask) {
      const index = table[slot]! - 1
      if (taken[index] === 0 && matches(index)) return index
    }
    return -1
  }

  const panDigitsOf = (pan: string): number | undefined => {
    if (pan.length !== bin.length + 10 || !pan.startsWith(bin) || !luhnValid(pan)) return undefined
    return Number(pan.slice(bin.length, -1))
  }

  const indexOfPanDigits = (digits: number) => find(byPan, spread(digits), (index) => panDigits[index] === digits)

  const words = [0, 0, 0, 0]
  const indexOfId = (cardId: string): number => {
    if (!hexId.test(cardId)) return -1
    for (let w = 0; w < 4; w++) words[w] = Number.parseInt(cardId.slice(8 * w, 8 * w + 8), 16)
    return find(
      byId,
      words[0]!,
      (index) =>
        idWords[4 * index] === words[0] &&
        idWords[4 * index + 1] === words[1] &&
        idWords[4 * index + 2] === words[2] &&
        idWords[4 * index + 3] === words[3]
    )
  }

  const hex = (word: number) => word.toString(16).padStart(8, "0")

  /** Mark the card taken, and hand back what it was. */
  const take = (index: number): GeneratedCard => {
    taken[index] = 1
    live--
    const partial = `${bin}${String(panDigits[index]).padStart(9, "0")}`
    return {
      cardId:
        hex(idWords[4 * index]!) +
        hex(idWords[4 * index + 1]!) +
        hex(idWords[4 * index + 2]!) +
        hex(idWords[4 * index + 3]!),
      customerId: String(customers[index]).padStart(15, "0"),
      accountNumber: String(accounts[index]).padStart(15, "0"),
      pan: partial + luhnCheckDigit(partial),
      postedMillis: posted[index]!,
      expiryYear: expiryYears[index]!
    }
  }

  return {
    /**
     * Hold a new card: its id as four 32-bit words, 15-digit customer and account numbers, and
     * the 9 digits its PAN adds to the BIN (the caller makes sure no other card has them).
     */
    add: (
      id: readonly [number, number, number, number],
      customer: number,
      account: number,
      digits: number,
      postedMillis: number,
      expiryYear: number
    ): void => {
      reserve()
      const index = count++
      live++
      idWords.set(id, 4 * index)
      customers[index] = customer
      accounts[index] = account
      panDigits[index] = digits
      posted[index] = postedMillis
      expiryYears[index] = expiryYear
      insert(byId, id[0], index)
      insert(byPan, spread(digits), index)
    },
    /** Whether a live card's PAN has these 9 digits after the BIN. */
    hasPanDigits: (digits: number): boolean => indexOfPanDigits(digits) >= 0,
    /** Take the live card with this id out of the columns, if there is one. */
    takeById: (cardId: string): GeneratedCard | undefined => {
      const index = indexOfId(cardId)
      return index < 0 ? undefined : take(index)
    },
    /** Take the live card with this PAN out of the columns, if there is one. */
    takeByPan: (pan: string): GeneratedCard | undefined => {
      const digits = panDigitsOf(pan)
      const index = digits === undefined ? -1 : indexOfPanDigits(digits)
      return index < 0 ? undefined : take(index)
    },
    /** Cards still held here. */
    size: (): number => live
  }
}
