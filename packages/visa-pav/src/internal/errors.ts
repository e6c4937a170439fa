import {
  type AccountValidationError,
  AuthenticationFailed,
  InvalidRequest,
  ProviderRejected,
  ProviderTimeout,
  ProviderUnavailable,
  maskPans,
  scrubCardData
} from "@cardkit/domain"
import { TransportErrors } from "@cardkit/http"
import { Option, Schema } from "effect"
import { VisaErrorBody } from "../VisaErrorBody.js"
import { fieldNamedIn } from "./fields.js"

export const provider = "visa"

/** A failure that cannot have reached Visa, or that Visa asked to retry (503): safe to send again. */
export class Retryable {
  readonly _tag = "Retryable"
  constructor(readonly error: ProviderUnavailable) {}
}

const decodeErrorBody = Schema.decodeUnknownOption(VisaErrorBody)

// Visa's codes whose meaning is sharper than their HTTP status.
const expiryInvalid = "3001"
const credentialMissing = "9125"

/** The typed error for a non-200 answer, from Visa's error body where there is one. */
export const fromHttpStatus = (status: number, body: unknown): AccountValidationError | Retryable => {
  const visa = Option.getOrUndefined(decodeErrorBody(body))?.responseStatus
  // Visa's code and message are shown to callers and traced: a card number echoed in the code is
  // masked, anything in the message that could be card data is cut out.
  const code = maskPans(visa?.code ?? String(status))
  const said = visa === undefined ? `HTTP ${status}` : `Visa ${code}: ${scrubCardData(visa.message)}`
  if (status === 400 && code !== credentialMissing) {
    const field =
      (visa === undefined ? undefined : fieldNamedIn(`${visa.message} ${visa.info}`)) ??
      (code === expiryInvalid ? "cardExpiryDate" : "request")
    return new InvalidRequest({ field, reason: said })
  }
  if (status === 400 || status === 401 || status === 403) return new AuthenticationFailed({ provider, reason: said })
  if (status === 503) return new Retryable(new ProviderUnavailable({ provider, reason: said }))
  if (status >= 500) return new ProviderUnavailable({ provider, reason: said })
  return new ProviderRejected({ provider, code, message: said })
}

// No connection was made, so no request can have reached Visa.
const connectFailures = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT"
])

/** The typed error for a request that got no HTTP answer. */
export const fromTransport = (cause: unknown): AccountValidationError | Retryable => {
  if (TransportErrors.isTimeout(cause)) {
    return new ProviderTimeout({ provider, timeoutMillis: TransportErrors.timeoutMillisOf(cause) })
  }
  const codes = TransportErrors.codesOf(cause)
  const code = codes[0] ?? "unknown"
  if (codes.some((c) => connectFailures.has(c))) {
    return new Retryable(new ProviderUnavailable({ provider, reason: `cannot connect (${code})` }))
  }
  if (codes.some((c) => /ALERT_(CERTIFICATE|BAD_CERTIFICATE|UNKNOWN_CA|ACCESS_DENIED)/.test(c))) {
    return new AuthenticationFailed({ provider, reason: `the TLS client certificate was refused (${code})` })
  }
  return new ProviderUnavailable({ provider, reason: `no answer (${code})` })
}
