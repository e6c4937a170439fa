import { createHash } from "node:crypto"

const base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

/**
 * The ledger's other ids of a card, made from its id rather than drawn: a card the issuer keeps in
 * columns until it is looked up must show the same ids as the same card issued as an object, and
 * nothing has to be stored for them.
 */
export const derivedIds = (cardId: string) => {
  const digest = createHash("sha256").update(`cardkit-fake:${cardId}`).digest()
  const hex = digest.toString("hex")
  return {
    /** 15 characters of the ledger's order-id look (`4UPHU2HB4YU3000`). */
    orderId: Array.from(digest.subarray(0, 15), (byte) => base32[byte & 31]).join(""),
    /** `v-40x-` and a version-4-shaped UUID. */
    externalCardId: `v-40x-${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
    /** The PAN's token, 32 hex digits. */
    token: hex.slice(32, 64)
  }
}
