import { randomBytes } from "node:crypto"
import type { EncryptedField, Operation } from "@cardkit/ledger"
import { Redacted } from "effect"

/**
 * An operation's payload from what a caller gives its method (`CallInput`): the table's transaction
 * type, a fresh reference where the payload has one and none was given, each encrypted member as
 * `secret` writes its plaintext (`""` when absent), and `isEncrypt` beside them.
 */
export const payloadOf = (
  definition: Operation,
  input: object,
  secret: (field: EncryptedField, plaintext: string) => string
): Record<string, unknown> => {
  const payload: Record<string, unknown> = { ...input, transactionType: definition.transactionType }
  if (definition.referenced && payload.reference === undefined)
    payload.reference = `ck${randomBytes(8).toString("hex")}`
  for (const field of definition.encrypted) {
    const value = payload[field.field]
    payload[field.field] =
      value === undefined
        ? ""
        : secret(field, Redacted.isRedacted(value) ? String(Redacted.value(value)) : String(value))
  }
  if (definition.encrypted.length > 0) payload.isEncrypt = true
  return payload
}
