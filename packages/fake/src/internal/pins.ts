import { createHash, randomBytes, timingSafeEqual } from "node:crypto"

/*
 * A card's PIN as the fake holds it: salted SHA-256, never the digits. A four-digit PIN is no harder
 * to guess hashed, so a slow hash would buy nothing here; what matters is that no dump of the store,
 * no log line and no error can show the PIN itself.
 */

export interface PinHash {
  readonly salt: Buffer
  readonly digest: Buffer
}

const digestOf = (salt: Buffer, pin: string) => createHash("sha256").update(salt).update(pin, "utf8").digest()

export const hashPin = (pin: string): PinHash => {
  const salt = randomBytes(16)
  return { salt, digest: digestOf(salt, pin) }
}

export const pinMatches = (held: PinHash, pin: string): boolean =>
  timingSafeEqual(held.digest, digestOf(held.salt, pin))
