import { createHmac } from "node:crypto"
import type { Claimant } from "../IdempotencyStore.js"

/**
 * The claimant function of a store whose keyed hashes use `secret`: keyed, so a stored digest of a body
 * holding a 4-digit PIN cannot be reversed by trying them all. Parts are length-prefixed so no two
 * different inputs concatenate alike.
 */
export const keyedClaimant = (secret: string | Uint8Array) => {
  const keyedHash = (...parts: ReadonlyArray<string>): string => {
    const hmac = createHmac("sha256", secret)
    for (const part of parts) hmac.update(`${part.length}:${part}`)
    return hmac.digest("base64url")
  }
  return (caller: string, idempotencyKey: string, route: string, body: unknown): Claimant => ({
    scope: keyedHash("scope", caller, idempotencyKey),
    fingerprint: keyedHash("body", route, JSON.stringify(body))
  })
}
