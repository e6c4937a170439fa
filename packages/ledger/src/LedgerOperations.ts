import { randomBytes } from "node:crypto"
import { type InvalidRequest, invalidRequestFromParseError } from "@cardkit/domain"
import { Either, Redacted, Schema, SchemaAST } from "effect"
import * as Wire from "./LedgerWire.js"

/*
 * Every ledger card operation, defined once. A definition drives the client's typed method
 * (`LedgerClient.<name>`), what it retries, what it encrypts, the ack it expects, and the fake
 * ledger's dispatch and decoding. Adding an operation is an entry here and a handler in the fake.
 */

/** A field the client RSA-encrypts to the ledger's key, unless the caller's value already is. */
export interface EncryptedField<F extends string = string> {
  readonly field: F
  /** What a plaintext value looks like; anything else was encrypted on a device and passes through. */
  readonly plaintext: RegExp
}

// biome-ignore lint/suspicious/noExplicitAny: the defaults let any operation stand where one is expected.
export interface Operation<T extends string = string, P = any, PI = any, R = any, RI = any, E extends string = string> {
  readonly transactionType: T
  readonly payload: Schema.Schema<P, PI>
  readonly result: Schema.Schema<R, RI>
  /** Reads are retried after the ledger was unavailable; writes never are. */
  readonly kind: "read" | "write"
  /** Fields RSA-encrypted to the ledger's key; an operation with any also sends `isEncrypt`. */
  readonly encrypted: ReadonlyArray<EncryptedField<E>>
  /** Whether its payload has a `reference`, which the ack then echoes (VALIDATE_CVV's has none). */
  readonly referenced: boolean
}

const cvv: EncryptedField<"cardCvv"> = { field: "cardCvv", plaintext: /^\d{3,4}$/ }
const pin: EncryptedField<"newPIN"> = { field: "newPIN", plaintext: /^\d{4,12}$/ }

const operation = <T extends string, P extends { readonly transactionType: T }, PI, R, RI, E extends string = never>(
  transactionType: T,
  payload: Schema.Schema<P, PI>,
  result: Schema.Schema<R, RI>,
  kind: "read" | "write",
  encrypted: ReadonlyArray<EncryptedField<E>> = []
): Operation<T, P, PI, R, RI, E> => ({
  transactionType,
  payload,
  result,
  kind,
  encrypted,
  referenced: SchemaAST.getPropertySignatures(payload.ast).some((member) => member.name === "reference")
})

/** The operations of the reference's §5, by the client's method name. */
export const LedgerOperations = {
  addCardHolderWithPrimaryAddress: operation(
    "ADD_CARD_HOLDER_WITH_PRIMARY_ADDRESS",
    Wire.AddCardHolderWithPrimaryAddressPayload,
    Wire.CardHolderResult,
    "write"
  ),
  addCardHolderWithNonPrimaryAddress: operation(
    "ADD_CARD_HOLDER_WITH_NON_PRIMARY_ADDRESS",
    Wire.AddCardHolderWithNonPrimaryAddressPayload,
    Wire.CardHolderResult,
    "write"
  ),
  updateCardHolder: operation("UPDATE_CARD_HOLDER", Wire.UpdateCardHolderPayload, Wire.UpdateCardHolderResult, "write"),
  getCardHolderList: operation(
    "GET_CARDHOLDER_LIST",
    Wire.GetCardHolderListPayload,
    Wire.GetCardHolderListResult,
    "read"
  ),
  addCard: operation("ADD_CARD", Wire.AddCardPayload, Wire.AddCardResult, "write"),
  getCard: operation("GET_CARD", Wire.GetCardPayload, Wire.GetCardResult, "read"),
  getCardDetails: operation("GET_CARD_DETAILS", Wire.GetCardDetailsPayload, Wire.GetCardDetailsResult, "read"),
  getCardList: operation("GET_CARD_LIST", Wire.GetCardListPayload, Wire.GetCardListResult, "read"),
  getCvv: operation("GET_CVV", Wire.GetCvvPayload, Wire.GetCvvResult, "read"),
  /** A write: a ledger may count wrong CVVs, so a check is never sent twice. */
  validateCvv: operation("VALIDATE_CVV", Wire.ValidateCvvPayload, Wire.ValidateCvvResult, "write", [cvv]),
  pinChange: operation("PIN_CHANGE", Wire.PinChangePayload, Wire.AckResult, "write", [pin]),
  updateStatus: operation("UPDATE_STATUS", Wire.UpdateStatusPayload, Wire.UpdateStatusResult, "write", [cvv]),
  replaceCard: operation("REPLACE_CARD", Wire.ReplaceCardPayload, Wire.ReplaceCardResult, "write"),
  getCardLimit: operation("GET_CARD_LIMIT", Wire.GetCardLimitPayload, Wire.GetCardLimitResult, "read"),
  setLimit: operation("SET_LIMIT", Wire.SetLimitPayload, Wire.SetLimitResult, "write")
} as const

export type LedgerOperations = typeof LedgerOperations
export type OperationName = keyof LedgerOperations
export type TransactionType = LedgerOperations[OperationName]["transactionType"]

// biome-ignore lint/suspicious/noExplicitAny: only the payload's type is read.
export type PayloadOf<O> = O extends Operation<string, infer P, any, any, any, any> ? P : never
// biome-ignore lint/suspicious/noExplicitAny: only the result's type is read.
export type ResultOf<O> = O extends Operation<string, any, any, infer R, any, any> ? R : never
// biome-ignore lint/suspicious/noExplicitAny: only the encrypted fields' names are read.
export type EncryptedOf<O> = O extends Operation<string, any, any, any, any, infer E> ? E : never

/** Each operation by the `transactionType` a request names: a Map, so `__proto__` names nothing. */
export const operationByType: ReadonlyMap<string, readonly [OperationName, Operation]> = new Map(
  (Object.entries(LedgerOperations) as Array<[OperationName, Operation]>).map(
    ([name, definition]) => [definition.transactionType, [name, definition]] as const
  )
)

/**
 * An operation's payload from what a caller gives its method (`CallInput`): the table's transaction
 * type, a fresh reference where the payload has one and none was given, each encrypted member as
 * `secret` writes its plaintext (`""` when absent), and `isEncrypt` beside them. The client and the
 * fake's in-memory client and test devices build payloads with it alike.
 */
export const payloadOf = <E>(
  definition: Operation,
  input: object,
  secret: (field: EncryptedField, plaintext: string) => Either.Either<string, E>,
  isEncrypt: Wire.IsEncrypt = true
): Either.Either<Record<string, unknown>, E> => {
  const payload: Record<string, unknown> = { ...input, transactionType: definition.transactionType }
  if (definition.referenced && payload.reference === undefined) {
    payload.reference = `ck${randomBytes(8).toString("hex")}`
  }
  for (const field of definition.encrypted) {
    const value = payload[field.field]
    if (value === undefined) {
      payload[field.field] = ""
      continue
    }
    const written = secret(field, Redacted.isRedacted(value) ? String(Redacted.value(value)) : String(value))
    if (Either.isLeft(written)) return Either.left(written.left)
    payload[field.field] = written.right
  }
  if (definition.encrypted.length > 0) payload.isEncrypt = isEncrypt
  return Either.right(payload)
}

/**
 * The bytes of an operation's payload as `payloadOf` built it: encoded by the operation's schema
 * (its members in the schema's order) and serialized once. Those bytes are what is signed and sent,
 * by the client and by the fake's in-memory client alike.
 */
export const payloadBytes = (
  definition: Operation
): ((payload: Record<string, unknown>) => Either.Either<string, InvalidRequest>) => {
  const encode = Schema.encodeEither(definition.payload)
  return (payload) =>
    Either.match(encode(payload), {
      onLeft: (error) => Either.left(invalidRequestFromParseError(error)),
      onRight: (encoded) => Either.right(JSON.stringify(encoded))
    })
}
