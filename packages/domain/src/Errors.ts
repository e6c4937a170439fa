import { Schema } from "effect"

/*
 * Every error cardkit returns. None carries card data: fields hold ids, field names, provider
 * codes and reasons written by cardkit — never a PAN, CVV or TAVV, so an error can be logged,
 * traced or sent to a client as it is.
 */

/** The request was refused before it reached a provider; `field` names the offending input. */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  field: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.field}: ${this.reason}`
  }
}

export class CardNotFound extends Schema.TaggedError<CardNotFound>()("CardNotFound", {
  cardId: Schema.String
}) {
  override get message() {
    return `card ${this.cardId} was not found`
  }
}

/** The card exists but its status (locked, lost, closed, …) forbids the operation. */
export class CardNotActive extends Schema.TaggedError<CardNotActive>()("CardNotActive", {
  cardId: Schema.String,
  status: Schema.String
}) {
  override get message() {
    return `card ${this.cardId} is not active (${this.status})`
  }
}

/** A CVV given for validation did not match the card's. */
export class IncorrectCvv extends Schema.TaggedError<IncorrectCvv>()("IncorrectCvv", {
  cardId: Schema.String
}) {
  override get message() {
    return `the CVV given for card ${this.cardId} is incorrect`
  }
}

/** The card's status does not allow the action asked for (the ledger's `1018`): e.g. LOCK on a closed card. */
export class StatusActionNotAllowed extends Schema.TaggedError<StatusActionNotAllowed>()("StatusActionNotAllowed", {
  cardId: Schema.String,
  /** The card's status, as the provider spells it; `unknown` when its answer did not say. */
  status: Schema.String,
  /** The action by its one name (`REPORT_LOST_STOLEN`), whichever spelling was sent. */
  action: Schema.String
}) {
  override get message() {
    return `card ${this.cardId} in status ${this.status} does not allow ${this.action}`
  }
}

export class AuthenticationFailed extends Schema.TaggedError<AuthenticationFailed>()("AuthenticationFailed", {
  provider: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.provider} refused the credentials: ${this.reason}`
  }
}

/** The provider answered with an error cardkit has no more specific type for; `code` is its own. */
export class ProviderRejected extends Schema.TaggedError<ProviderRejected>()("ProviderRejected", {
  provider: Schema.String,
  code: Schema.String,
  message: Schema.String
}) {}

/** The provider could not be reached or answered with something that is not its protocol. */
export class ProviderUnavailable extends Schema.TaggedError<ProviderUnavailable>()("ProviderUnavailable", {
  provider: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.provider} is unavailable: ${this.reason}`
  }
}

export class ProviderTimeout extends Schema.TaggedError<ProviderTimeout>()("ProviderTimeout", {
  provider: Schema.String,
  /** The bound that ran out, when the HTTP client said (cardkit's `UndiciHttpClient` does). */
  timeoutMillis: Schema.optional(Schema.Number)
}) {
  override get message() {
    return this.timeoutMillis === undefined
      ? `${this.provider} did not answer in time`
      : `${this.provider} did not answer within ${this.timeoutMillis} ms`
  }
}

/** The provider answered in its protocol, but the answer breaks it (wrong id, ack or shape). */
export class ProtocolViolation extends Schema.TaggedError<ProtocolViolation>()("ProtocolViolation", {
  provider: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.provider} broke its protocol: ${this.reason}`
  }
}

/**
 * A reveal budget is spent: `scope` says whose (the card's or the customer's), `limit` reveals per
 * `window`; the next one is allowed after `retryAfterMillis`.
 */
export class BudgetExceeded extends Schema.TaggedError<BudgetExceeded>()("BudgetExceeded", {
  scope: Schema.Literal("card", "customer"),
  limit: Schema.Number,
  /** The sliding window, as configured (`1 hour`). */
  window: Schema.String,
  retryAfterMillis: Schema.Number
}) {
  override get message() {
    return `the ${this.scope}'s reveal budget of ${this.limit} per ${this.window} is spent: retry in ${Math.ceil(this.retryAfterMillis / 1000)} s`
  }
}

/**
 * The store cardkit keeps its records in (audit trail, budgets, idempotency keys, signable payloads)
 * could not be used; an audited operation fails closed with it rather than answer unrecorded.
 */
export class StoreUnavailable extends Schema.TaggedError<StoreUnavailable>()("StoreUnavailable", {
  reason: Schema.String
}) {
  override get message() {
    return `the store is unavailable: ${this.reason}`
  }
}

/** What any provider call can fail with, whatever the operation. */
export type ProviderError =
  | AuthenticationFailed
  | ProviderRejected
  | ProviderUnavailable
  | ProviderTimeout
  | ProtocolViolation

export const CardSecretsError = Schema.Union(
  InvalidRequest,
  CardNotFound,
  CardNotActive,
  BudgetExceeded,
  StoreUnavailable,
  AuthenticationFailed,
  ProviderRejected,
  ProviderUnavailable,
  ProviderTimeout,
  ProtocolViolation
)
export type CardSecretsError = typeof CardSecretsError.Type

export const AccountValidationError = Schema.Union(
  InvalidRequest,
  AuthenticationFailed,
  ProviderRejected,
  ProviderUnavailable,
  ProviderTimeout,
  ProtocolViolation
)
export type AccountValidationError = typeof AccountValidationError.Type
