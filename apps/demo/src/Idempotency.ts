import { Schema } from "effect"

/**
 * Idempotent writes, as payment APIs do them: a write sent with an `Idempotency-Key` is answered once
 * (`IdempotencyStore` in `@cardkit/store` keeps the answers; `internal/idempotent.ts` runs a write
 * through it). This is the header's schema.
 */

/** An `Idempotency-Key`: 1 to 255 printable ASCII characters, as the client chooses. */
export const IdempotencyKey = Schema.String.pipe(
  Schema.pattern(/^[\x21-\x7e]{1,255}$/, { message: () => "must be 1 to 255 printable ASCII characters" })
).annotations({
  identifier: "IdempotencyKey",
  description: "Send the same key to retry a write safely: its first answer is given again, for 24 hours"
})
