import { randomUUID } from "node:crypto"
import { constants, type KeyObject, publicEncrypt } from "node:crypto"
import {
  AuthenticationFailed,
  CardkitMetrics,
  CardNotActive,
  CardNotFound,
  IncorrectCvv,
  InvalidRequest,
  maskPans,
  ProtocolViolation,
  ProviderRejected,
  ProviderTimeout,
  ProviderUnavailable,
  StatusActionNotAllowed
} from "@cardkit/domain"
import { type RetryOptions, retry, TransportErrors } from "@cardkit/http"
import { HttpBody, HttpClient, HttpClientRequest } from "@effect/platform"
import { type Config, type ConfigError, Context, Duration, Effect, Either, Layer, Redacted, Schema } from "effect"
import {
  cardMethod,
  type IsEncrypt,
  LedgerErrorCodes,
  ResponseEnvelope,
  StatusActionSpelling,
  statusActionOf,
  type StatusAction,
  statusActionSpellings,
  type WireAck,
  type WireError
} from "./LedgerWire.js"
import {
  type EncryptedField,
  type EncryptedOf,
  LedgerOperations,
  type Operation,
  type OperationName,
  type PayloadOf,
  payloadBytes,
  payloadOf,
  type ResultOf
} from "./LedgerOperations.js"
import { LedgerConfig } from "./LedgerConfig.js"
import { loadPrivateKey, loadPublicKey, signatureHeader, signPayload } from "./Signing.js"

const provider = "ledger"

export type LedgerError =
  | InvalidRequest
  | CardNotFound
  | CardNotActive
  | IncorrectCvv
  | StatusActionNotAllowed
  | AuthenticationFailed
  | ProviderRejected
  | ProviderUnavailable
  | ProviderTimeout
  | ProtocolViolation

/** Where the signing key id travels: `api.keyId`, the `Signature` header, or both (the default). */
export type KeyIdPlacement = "api" | "header" | "both"

export interface LedgerClientOptions {
  /** Base URL; requests go to `{url}/cardv2`. */
  readonly url: string
  readonly apiKey: Redacted.Redacted<string>
  /** The envelope's `credential`, built with `makeCredential`. */
  readonly credential: Redacted.Redacted<string>
  /** Id under which the signing key's public half is registered with the ledger. */
  readonly keyId: string
  /** PKCS#8 PEM of the service's P-256 key; without it only pre-signed calls can be made. */
  readonly privateKey?: Redacted.Redacted<string> | undefined
  readonly keyIdPlacement?: KeyIdPlacement | undefined
  /** SPKI PEM of the ledger's RSA key, to encrypt CVVs and PINs (`cardCvv`, `newPIN`). */
  readonly rsaPublicKey?: string | undefined
  /** `isEncrypt` as JSON `true` (the production client's, the default) or the string `"true"` (the pages'). */
  readonly isEncrypt?: "boolean" | "string" | undefined
  /**
   * Status actions with underscores (`REPORT_LOST_STOLEN`, the production client's, the default) or
   * as the status page writes them (`REPORT MISSING CARD`, `REPLACE CARD`, `MARK UNDELIVERED`).
   */
  readonly statusActions?: "client" | "documented" | undefined
  /** More error codes that mean a wrong CVV besides `1019` (some deployments answer `9999`). */
  readonly incorrectCvvCodes?: ReadonlyArray<string> | undefined
  /** Retries of reads (the table's `kind: "read"`) after `ProviderUnavailable`; writes are never retried. 2 by default. */
  readonly retries?: number | undefined
  /** First backoff delay, doubled per retry, with jitter; 100 ms by default. */
  readonly retryBaseDelay?: Duration.DurationInput | undefined
  /** The deployment's error codes, where they differ from `LedgerErrorCodes`. */
  readonly errorCodes?: Partial<Record<keyof typeof LedgerErrorCodes, string>> | undefined
  /** Applied once to the `HttpClient` from context: a proxy, request logging, tracing of a team's own. */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/** A payload signed elsewhere — typically on the cardholder's device — forwarded byte for byte. */
export interface PresignedPayload {
  /** The exact payload bytes that were signed. */
  readonly payload: string
  /** base64 DER ECDSA-SHA256 signature over `payload`. */
  readonly signature: string
  /** The device's registered key id. */
  readonly keyId: string
  /** The cardholder's credential, when it differs from the service's. */
  readonly credential?: Redacted.Redacted<string> | undefined
  /** The device's API key, when it differs from the service's (`CustomerService.AddUserKey` issues one). */
  readonly apiKey?: Redacted.Redacted<string> | undefined
}

/**
 * What a caller gives an operation: its payload without `transactionType` (the operation's) and
 * `isEncrypt` (the client's), the encrypted fields as `Redacted` plaintext — or a value a device
 * already encrypted, which is sent as it is.
 */
export type CallInput<O> = Omit<PayloadOf<O>, "transactionType" | "isEncrypt" | Encrypted<O>> & {
  readonly [K in Encrypted<O>]?: Redacted.Redacted<string>
}

/** The encrypted fields' names; none for a definition that does not name them. */
type Encrypted<O> = string extends EncryptedOf<O> ? never : EncryptedOf<O>

/**
 * A key other than the service's that signs a call: a cardholder's device the backend acts for
 * (a development device `cardkit fake serve` registers, or a kiosk's). A cardholder's own phone signs
 * on the phone instead, and its payload is sent `presigned`.
 */
export interface Signer {
  /** The `keyID` AddUserKey answered for the key. */
  readonly keyId: string
  /** PKCS#8 PEM of its P-256 key. */
  readonly privateKey: Redacted.Redacted<string>
  /** The API key AddUserKey answered with it. */
  readonly apiKey: Redacted.Redacted<string>
  /** The cardholder's credential, when it differs from the service's. */
  readonly credential?: Redacted.Redacted<string> | undefined
}

export interface LedgerCall<I, R> {
  /** Serialize the payload once, sign those bytes (with the service's key, or `signer`'s), send them. */
  readonly call: (input: I, signer?: Signer) => Effect.Effect<R, LedgerError>
  /**
   * The bytes `call` would sign for `input` — a fresh reference where it has one and none is given,
   * the CVV or PIN encrypted to the ledger's key — for a device to sign and `presigned` to send.
   */
  readonly payload: (input: I) => Effect.Effect<string, InvalidRequest>
  /** Forward a pre-signed payload verbatim, after checking it decodes to this operation. */
  readonly presigned: (presigned: PresignedPayload) => Effect.Effect<R, LedgerError>
}

/** The call for operation `O` of the table. */
export type OperationCall<O> = LedgerCall<CallInput<O>, ResultOf<O>>

type Operations = { readonly [K in OperationName]: OperationCall<LedgerOperations[K]> }

type Sent = { readonly [field: string]: unknown }

/** However many retries are configured, no single backoff waits longer than this. */
const maxRetryDelay = Duration.seconds(5)

const decodeEnvelope = Schema.decodeUnknownEither(ResponseEnvelope)

/** A failure of the current attempt, its span told the provider's code for it (a code, never a payload). */
const failedWith = (code: string, error: LedgerError): Effect.Effect<never, LedgerError> =>
  Effect.zipRight(Effect.annotateCurrentSpan("cardkit.provider_code", code), Effect.fail(error))

/**
 * The JSON-RPC request around the payload's exact bytes: the signature covers those bytes, so they
 * are placed as they are rather than serialized again; everything else is `JSON.stringify`'s.
 */
const requestBody = (id: string, payloadBytes: string, api: object): string =>
  `{"method":"${cardMethod}","id":${JSON.stringify(id)},"params":{"payload":${payloadBytes},"api":${JSON.stringify(api)}}}`

/** The card an error is about: the payload's card, or the card of its limit. */
const cardIdOf = (payload: Sent): string => {
  const { cardId, cardLimit } = payload as { cardId?: unknown; cardLimit?: { cardId?: unknown } }
  const id = cardId ?? cardLimit?.cardId
  return typeof id === "string" ? id : ""
}

const isSpelling = Schema.is(StatusActionSpelling)

/** The action a payload asked for, by its one name whichever spelling was sent. */
const actionOf = ({ statusAction }: Sent): string =>
  isSpelling(statusAction) ? statusActionOf(statusAction) : String(statusAction ?? "unknown")

/** The status a `1018` message names (the fake's "… in status CLOSED"), if it names one. */
const statusNamedIn = (message: string): string => /in status ([A-Z_ ]+?)\s*$/.exec(message)?.[1] ?? "unknown"

const make = (options: LedgerClientOptions): Effect.Effect<LedgerClient["Type"], never, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const http = options.transformClient === undefined ? client : options.transformClient(client)
    // Built once: per call only the body and the signature change.
    const endpoint = HttpClientRequest.post(`${options.url.replace(/\/+$/, "")}/cardv2`, {
      headers: { "content-type": "application/json" }
    })
    const placement = options.keyIdPlacement ?? "both"
    const codes = { ...LedgerErrorCodes, ...options.errorCodes }
    const incorrectCvvCodes = new Set([codes.incorrectCvv, ...(options.incorrectCvvCodes ?? [])])
    const isEncrypt: IsEncrypt = options.isEncrypt === "string" ? "true" : true
    const documentedActions = options.statusActions === "documented"
    const signingKey: KeyObject | undefined =
      options.privateKey === undefined ? undefined : loadPrivateKey(Redacted.value(options.privateKey))
    const rsaKey = options.rsaPublicKey === undefined ? undefined : loadPublicKey(options.rsaPublicKey)
    const readRetries: RetryOptions<LedgerError> = {
      times: options.retries ?? 2,
      baseDelay: Duration.decode(options.retryBaseDelay ?? "100 millis"),
      maxDelay: maxRetryDelay,
      while: (error) => error._tag === "ProviderUnavailable"
    }
    const apiKey = Redacted.value(options.apiKey)
    // A signer's key parsed once, not per call.
    const signerKeys = new WeakMap<Signer, KeyObject>()
    const keyOf = (signer: Signer): KeyObject | undefined => {
      const known = signerKeys.get(signer)
      if (known !== undefined) return known
      try {
        const key = loadPrivateKey(Redacted.value(signer.privateKey))
        signerKeys.set(signer, key)
        return key
      } catch {
        return undefined
      }
    }

    const wireError = ({ code, message: raw }: WireError, payload: Sent): LedgerError => {
      // The message and code go into cardkit's errors, which are logged, traced and shown: a ledger
      // that echoes the request could put a PAN in either.
      const message = maskPans(raw)
      const cardId = cardIdOf(payload)
      if (incorrectCvvCodes.has(code) && typeof payload.cardCvv === "string" && payload.cardCvv !== "") {
        return new IncorrectCvv({ cardId })
      }
      switch (code) {
        case codes.cardNotFound:
          return new CardNotFound({ cardId })
        case codes.cardNotActive:
          return new CardNotActive({ cardId, status: message })
        case codes.incorrectCvv:
          return new IncorrectCvv({ cardId })
        case codes.statusActionNotAllowed:
          return new StatusActionNotAllowed({ cardId, status: statusNamedIn(message), action: actionOf(payload) })
        case codes.authentication:
          return new AuthenticationFailed({ provider, reason: message })
        case codes.invalidRequest: {
          const [field, ...reason] = message.split(": ")
          return reason.length > 0
            ? new InvalidRequest({ field: field!, reason: reason.join(": ") })
            : new InvalidRequest({ field: "payload", reason: message })
        }
        default:
          return new ProviderRejected({ provider, code: maskPans(code), message })
      }
    }

    const interpret = <R extends { readonly api: WireAck }>(
      status: number,
      text: string,
      id: string,
      transactionType: string,
      payload: Sent,
      decodeResult: (u: unknown) => Either.Either<R, unknown>
    ): Effect.Effect<R, LedgerError> => {
      if (status >= 500)
        return failedWith(`HTTP_${status}`, new ProviderUnavailable({ provider, reason: `HTTP ${status}` }))
      if (status === 401 || status === 403) {
        return failedWith(`HTTP_${status}`, new AuthenticationFailed({ provider, reason: `HTTP ${status}` }))
      }
      if (status !== 200) {
        return failedWith(
          `HTTP_${status}`,
          new ProviderRejected({ provider, code: `HTTP_${status}`, message: `HTTP ${status}` })
        )
      }
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        return Effect.fail(new ProviderUnavailable({ provider, reason: "the answer is not JSON" }))
      }
      const decodedEnvelope = decodeEnvelope(json)
      if (Either.isLeft(decodedEnvelope)) {
        return Effect.fail(new ProtocolViolation({ provider, reason: "the answer is not a JSON-RPC response" }))
      }
      const envelope = decodedEnvelope.right
      if ("error" in envelope) return failedWith(maskPans(envelope.error.code), wireError(envelope.error, payload))
      if (String(envelope.id) !== id) {
        return Effect.fail(new ProtocolViolation({ provider, reason: "the response id does not match the request's" }))
      }
      const decoded = decodeResult(envelope.result)
      if (Either.isLeft(decoded)) {
        return Effect.fail(new ProtocolViolation({ provider, reason: `the ${transactionType} result is malformed` }))
      }
      const ack = decoded.right.api
      if (ack.type !== `${transactionType}_ACK`) {
        return Effect.fail(new ProtocolViolation({ provider, reason: `acknowledged as ${ack.type}` }))
      }
      const reference = payload.reference
      if (typeof reference === "string" && ack.originalReference !== reference) {
        return Effect.fail(new ProtocolViolation({ provider, reason: "the acknowledgement is for another reference" }))
      }
      return Effect.succeed(decoded.right)
    }

    /** One HTTP exchange of the payload's exact bytes. */
    const send = <R extends { readonly api: WireAck }>(
      definition: Operation,
      payloadBytes: string,
      payload: Sent,
      signature: string,
      keys: { readonly keyId: string; readonly apiKey: string; readonly credential: Redacted.Redacted<string> },
      decodeResult: (u: unknown) => Either.Either<R, unknown>
    ): Effect.Effect<R, LedgerError> => {
      const { transactionType } = definition
      const id = randomUUID()
      const api = {
        credential: Redacted.value(keys.credential),
        signature,
        apiKey: keys.apiKey,
        ...(placement === "header" ? {} : { keyId: keys.keyId })
      }
      let request = HttpClientRequest.setBody(endpoint, HttpBody.raw(requestBody(id, payloadBytes, api)))
      if (placement !== "api") {
        request = HttpClientRequest.setHeader(request, "signature", signatureHeader(keys.keyId, signature))
      }
      const exchange = Effect.matchEffect(
        Effect.flatMap(http.execute(request), (response) =>
          Effect.map(response.text, (text) => ({ status: response.status, text }))
        ),
        {
          onFailure: (error) =>
            Effect.fail(
              TransportErrors.isTimeout(error.cause)
                ? new ProviderTimeout({ provider, timeoutMillis: TransportErrors.timeoutMillisOf(error.cause) })
                : new ProviderUnavailable({ provider, reason: `transport: ${error.reason}` })
            ),
          onSuccess: ({ status, text }) => interpret<R>(status, text, id, transactionType, payload, decodeResult)
        }
      )
      // Each attempt is its own provider call (span, duration), numbered; the second on is a retry.
      let attempts = 0
      const attempt = Effect.suspend(() => {
        const number = ++attempts
        const observed = CardkitMetrics.observeProviderCall(
          { span: `ledger.${transactionType}`, provider, operation: transactionType, attempt: number },
          exchange
        )
        return number === 1 ? observed : Effect.zipRight(CardkitMetrics.countRetry(provider, transactionType), observed)
      })
      return definition.kind === "read" ? retry(attempt, readRetries) : attempt
    }

    /** A caller's plaintext encrypted to the ledger's key (PKCS#1 v1.5, base64); a device's ciphertext as it is. */
    const encrypt = (field: EncryptedField, text: string): Either.Either<string, InvalidRequest> => {
      if (!field.plaintext.test(text)) return Either.right(text)
      if (rsaKey === undefined) {
        return Either.left(new InvalidRequest({ field: field.field, reason: "no ledger RSA public key is configured" }))
      }
      return Either.right(
        publicEncrypt({ key: rsaKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(text)).toString("base64")
      )
    }

    /** The payload as sent: the operation's type, a fresh reference where it has one, secrets encrypted. */
    const toPayload = (definition: Operation, input: Sent): Either.Either<Sent, InvalidRequest> =>
      Either.map(payloadOf(definition, input, encrypt, isEncrypt), (payload) =>
        documentedActions && typeof payload.statusAction === "string"
          ? { ...payload, statusAction: documentedSpelling(payload.statusAction) }
          : payload
      )

    /** The typed call of any operation, from its definition. */
    const operationCall = <O extends Operation>(definition: O): OperationCall<O> => {
      const decodePayload = Schema.decodeUnknownEither(definition.payload)
      const decodeResult = Schema.decodeUnknownEither(definition.result)
      const bad = (reason: string) => new InvalidRequest({ field: "payload", reason })
      const bytesOf = payloadBytes(definition)
      /** The payload as sent and its exact bytes, which are what gets signed. */
      const serialize = (
        input: Sent
      ): Either.Either<{ readonly payload: Sent; readonly bytes: string }, InvalidRequest> =>
        Either.flatMap(toPayload(definition, input), (payload) =>
          Either.map(bytesOf(payload), (bytes) => ({ payload, bytes }))
        )
      return {
        payload: (input) =>
          Effect.suspend(() =>
            Either.match(serialize(input as Sent), {
              onLeft: Effect.fail,
              onRight: ({ bytes }) => Effect.succeed(bytes)
            })
          ),
        call: (input, signer) =>
          Effect.suspend(() => {
            const key = signer === undefined ? signingKey : keyOf(signer)
            if (key === undefined) {
              return Effect.fail(
                new AuthenticationFailed({
                  provider,
                  reason:
                    signer === undefined
                      ? "no signing key configured; use pre-signed calls"
                      : "the signer's key is not a P-256 private key"
                })
              )
            }
            const serialized = serialize(input as Sent)
            if (Either.isLeft(serialized)) return Effect.fail(serialized.left)
            const { payload, bytes } = serialized.right
            return send(
              definition,
              bytes,
              payload,
              signPayload(key, bytes),
              signer === undefined
                ? { keyId: options.keyId, apiKey, credential: options.credential }
                : {
                    keyId: signer.keyId,
                    apiKey: Redacted.value(signer.apiKey),
                    credential: signer.credential ?? options.credential
                  },
              decodeResult
            )
          }),
        presigned: (presigned) =>
          Effect.suspend(() => {
            let parsed: unknown
            try {
              parsed = JSON.parse(presigned.payload)
            } catch {
              return Effect.fail(bad("is not JSON"))
            }
            const decoded = decodePayload(parsed)
            if (Either.isLeft(decoded)) return Effect.fail(bad(`is not a ${definition.transactionType} payload`))
            return send(
              definition,
              presigned.payload,
              decoded.right as Sent,
              presigned.signature,
              {
                keyId: presigned.keyId,
                apiKey: presigned.apiKey === undefined ? apiKey : Redacted.value(presigned.apiKey),
                credential: presigned.credential ?? options.credential
              },
              decodeResult
            )
          })
      }
    }

    const operations = Object.fromEntries(
      Object.entries(LedgerOperations).map(([name, definition]) => [name, operationCall(definition)])
    ) as unknown as Operations

    return LedgerClient.of({ ...operations, operation: operationCall })
  })

/** The documented spelling of a status action (its last one: `REPORT MISSING CARD`). */
const documentedSpelling = (action: string): string =>
  Object.hasOwn(statusActionSpellings, action) ? statusActionSpellings[action as StatusAction].at(-1)! : action

/**
 * The ledger's card API: a typed method per operation of `LedgerOperations` (each with `call` and
 * `presigned`), and `operation(definition)` for one the table does not have yet.
 */
export class LedgerClient extends Context.Tag("@cardkit/ledger/LedgerClient")<
  LedgerClient,
  Operations & { readonly operation: <O extends Operation>(definition: O) => OperationCall<O> }
>() {
  /** The client over the `HttpClient` in context (`UndiciHttpClient.layer` in production). */
  static readonly make = make

  static readonly layer = (options: LedgerClientOptions): Layer.Layer<LedgerClient, never, HttpClient.HttpClient> =>
    Layer.effect(LedgerClient, make(options))

  /** As `layer`, the options read from `config`: by default the documented `CARDKIT_LEDGER_*` names. */
  static readonly layerConfig = (
    config: Config.Config<LedgerClientOptions> = LedgerConfig
  ): Layer.Layer<LedgerClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
    Layer.effect(LedgerClient, Effect.flatMap(config, make))
}
