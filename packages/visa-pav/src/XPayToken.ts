import * as Crypto from "node:crypto"
import { Redacted } from "effect"

/*
 * Visa's X-Pay-Token (optional for PAV, never the default):
 * `xv2:<unix seconds>:<lowercase hex HMAC-SHA256(shared secret, timestamp + resourcePath + queryString + body)>`,
 * where resourcePath drops the leading slash and the first path segment and queryString is the
 * query without its `?` (it carries `apikey=<key>`).
 */

/** `/pav/v1/cardvalidation` → `v1/cardvalidation`. */
export const xPayResourcePath = (path: string): string => path.replace(/^\/?[^/]*\/?/, "")

export interface XPayTokenInput {
  readonly sharedSecret: Redacted.Redacted<string>
  /** The request path as sent, e.g. `/pav/v1/cardvalidation`. */
  readonly path: string
  /** The query as sent, without `?`, e.g. `apikey=ABC`. */
  readonly queryString: string
  /** The exact body bytes sent. */
  readonly body: string
  readonly timestampSeconds: number
}

export const xPayToken = (input: XPayTokenInput): string => {
  const timestamp = String(input.timestampSeconds)
  const hmac = Crypto.createHmac("sha256", Redacted.value(input.sharedSecret))
    .update(timestamp + xPayResourcePath(input.path) + input.queryString + input.body)
    .digest("hex")
  return `xv2:${timestamp}:${hmac}`
}
