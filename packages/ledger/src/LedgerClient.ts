import { randomBytes, randomUUID } from "node:crypto"
import { constants, type KeyObject, publicEncrypt } from "node:crypto"
import {
  AuthenticationFailed,
  CardNotActive,
  CardNotFound,
  IncorrectCvv,
  InvalidRequest,
  maskPans,
  ProtocolViolation,
  ProviderRejected,
  ProviderTimeout,
  ProviderUnavailable
} from "@cardkit/domain"
import { type RetryOptions, retry, TransportErrors } from "@cardkit/http"
import { HttpBody, HttpClient, HttpClientRequest } from "@effect/platform"
import { type Config, type ConfigError, Context, Duration, Effect, Either, Layer, Redacted, Schema } from "effect"
import {
  AckResult,
  cardMethod,
  GetCardPayload,
  GetCardResult,
  GetCvvPayload,
  GetCvvResult,
  LedgerErrorCodes,
  ResponseEnvelope,
  type TransactionType,
  UpdateStatusPayload,
  ValidateCvvPayload,
  type WireAck,
  type WireError
} from "./LedgerWire.js"
import { LedgerConfig } from "./LedgerConfig.js"
import { loadPrivateKey, loadPublicKey, signatureHeader, signPayload } from "./Signing.js"

const provider = "ledger"

export type LedgerError =
  | InvalidRequest
  | CardNotFound
  | CardNotActive
  | IncorrectCvv
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
  /** SPKI PEM of the ledger's RSA key, to encrypt CVVs for VALIDATE_CVV. */
  readonly rsaPublicKey?: string | undefined
  /** Retries of reads (GET_CVV, GET_CARD) after `ProviderUnavailable`; writes are never retried. 2 by default. */
  readonly retries?: number | undefined
  /** First backoff delay, doubled per retry, with jitter; 100 ms by default. */
  readonly retryBaseDelay?: Duration.DurationInput | undefined
  /**
   * Trace each call as a client span `ledger <TRANSACTION_TYPE>`, retries included (off by
   * default: a span costs a noticeable share of a call; spans never carry payloads either way).
   */
  readonly tracing?: boolean | undefined
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
}

export interface LedgerCall<P, R> {
  /** Serialize `payload` once, sign those bytes, send them. */
  readonly call: (payload: P) => Effect.Effect<R, LedgerError>
  /** Forward a pre-signed payload verbatim, after checking it decodes to this operation. */
  readonly presigned: (presigned: PresignedPayload) => Effect.Effect<R, LedgerError>
}

type Payload = { readonly reference?: string | undefined; readonly transactionType: string; readonly cardId: string }
type Acked = { readonly api: WireAck }

const reads: ReadonlySet<TransactionType> = new Set(["GET_CVV", "GET_CARD", "GET_CARD_LIMIT"])

const newReference = () => `ck${randomBytes(8).toString("hex")}`

/** However many retries are configured, no single backoff waits longer than this. */
const maxRetryDelay = Duration.seconds(5)

const decodeEnvelope = Schema.decodeUnknownEither(ResponseEnvelope)

/**
 * The JSON-RPC request around the payload's exact bytes: the signature covers those bytes, so they
 * are placed as they are rather than serialized again; everything else is `JSON.stringify`'s.
 */
const requestBody = (id: string, payloadBytes: string, api: object): string =>
  `{"method":"${cardMethod}","id":${JSON.stringify(id)},"params":{"payload":${payloadBytes},"api":${JSON.stringify(api)}}}`

const make = (options: LedgerClientOptions): Effect.Effect<LedgerClient["Type"], never, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const tracing = options.tracing ?? false
    const client = yield* HttpClient.HttpClient
    const http = options.transformClient === undefined ? client : options.transformClient(client)
    // Built once: per call only the body and the signature change.
    const endpoint = HttpClientRequest.post(`${options.url.replace(/\/+$/, "")}/cardv2`, {
      headers: { "content-type": "application/json" }
    })
    const placement = options.keyIdPlacement ?? "both"
    const codes = { ...LedgerErrorCodes, ...options.errorCodes }
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

    const wireError = ({ code, message: raw }: WireError, cardId: string): LedgerError => {
      // The message goes into cardkit's errors, which are logged and shown: a ledger that echoes the
      // request could put a PAN there.
      const message = maskPans(raw)
      switch (code) {
        case codes.cardNotFound:
          return new CardNotFound({ cardId })
        case codes.cardNotActive:
          return new CardNotActive({ cardId, status: message })
        case codes.incorrectCvv:
          return new IncorrectCvv({ cardId })
        case codes.authentication:
          return new AuthenticationFailed({ provider, reason: message })
        case codes.invalidRequest: {
          const [field, ...reason] = message.split(": ")
          return reason.length > 0
            ? new InvalidRequest({ field: field!, reason: reason.join(": ") })
            : new InvalidRequest({ field: "payload", reason: message })
        }
        default:
          return new ProviderRejected({ provider, code, message })
      }
    }

    /** One HTTP exchange of the payload's exact bytes. */
    const send = <R extends Acked>(
      transactionType: TransactionType,
      payloadBytes: string,
      payload: Payload,
      signature: string,
      keyId: string,
      credential: Redacted.Redacted<string>,
      decodeResult: (u: unknown) => Either.Either<R, unknown>
    ): Effect.Effect<R, LedgerError> => {
      const id = randomUUID()
      const api = {
        credential: Redacted.value(credential),
        signature,
        apiKey,
        ...(placement === "header" ? {} : { keyId })
      }
      let request = HttpClientRequest.setBody(endpoint, HttpBody.raw(requestBody(id, payloadBytes, api)))
      if (placement !== "api") {
        request = HttpClientRequest.setHeader(request, "signature", signatureHeader(keyId, signature))
      }
      const attempt = Effect.matchEffect(
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
      const call = reads.has(transactionType) ? retry(attempt, readRetries) : attempt
      return tracing
        ? Effect.withSpan(call, `ledger ${transactionType}`, {
            kind: "client",
            captureStackTrace: false,
            attributes: { "rpc.system": "jsonrpc", "rpc.method": cardMethod, "rpc.jsonrpc.request_id": id }
          })
        : call
    }

    const interpret = <R extends Acked>(
      status: number,
      text: string,
      id: string,
      transactionType: TransactionType,
      payload: Payload,
      decodeResult: (u: unknown) => Either.Either<R, unknown>
    ): Effect.Effect<R, LedgerError> => {
      if (status >= 500) return Effect.fail(new ProviderUnavailable({ provider, reason: `HTTP ${status}` }))
      if (status === 401 || status === 403) {
        return Effect.fail(new AuthenticationFailed({ provider, reason: `HTTP ${status}` }))
      }
      if (status !== 200) {
        return Effect.fail(new ProviderRejected({ provider, code: `HTTP_${status}`, message: `HTTP ${status}` }))
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
      if ("error" in envelope) return Effect.fail(wireError(envelope.error, payload.cardId))
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
      if (payload.reference !== undefined && ack.originalReference !== payload.reference) {
        return Effect.fail(new ProtocolViolation({ provider, reason: "the acknowledgement is for another reference" }))
      }
      return Effect.succeed(decoded.right)
    }

    /** A typed operation for any `ledger.CARD.request` transaction type. */
    const request = <P extends Payload, R extends Acked, PI, RI>(
      transactionType: TransactionType,
      payloadSchema: Schema.Schema<P, PI>,
      resultSchema: Schema.Schema<R, RI>
    ): LedgerCall<P, R> => {
      const encodePayload = Schema.encodeSync(payloadSchema)
      const decodePayload = Schema.decodeUnknownEither(payloadSchema)
      const decodeResult = Schema.decodeUnknownEither(resultSchema)
      return {
        call: (payload) =>
          Effect.suspend(() => {
            if (signingKey === undefined) {
              return Effect.fail(
                new AuthenticationFailed({ provider, reason: "no signing key configured; use pre-signed calls" })
              )
            }
            const withReference = { ...payload, reference: payload.reference ?? newReference() }
            const bytes = JSON.stringify(encodePayload(withReference))
            return send(
              transactionType,
              bytes,
              withReference,
              signPayload(signingKey, bytes),
              options.keyId,
              options.credential,
              decodeResult
            )
          }),
        presigned: (presigned) =>
          Effect.suspend(() => {
            let parsed: unknown
            try {
              parsed = JSON.parse(presigned.payload)
            } catch {
              return Effect.fail(new InvalidRequest({ field: "payload", reason: "is not JSON" }))
            }
            const decoded = decodePayload(parsed)
            if (Either.isLeft(decoded)) {
              return Effect.fail(
                new InvalidRequest({ field: "payload", reason: `is not a ${transactionType} payload` })
              )
            }
            return send(
              transactionType,
              presigned.payload,
              decoded.right,
              presigned.signature,
              presigned.keyId,
              presigned.credential ?? options.credential,
              decodeResult
            )
          })
      }
    }

    const validateCvv = request("VALIDATE_CVV", ValidateCvvPayload, AckResult)

    return LedgerClient.of({
      request,
      getCvv: request("GET_CVV", GetCvvPayload, GetCvvResult),
      getCard: request("GET_CARD", GetCardPayload, GetCardResult),
      updateStatus: request("UPDATE_STATUS", UpdateStatusPayload, AckResult),
      validateCvv: {
        presigned: validateCvv.presigned,
        call: ({ cvv, ...payload }) =>
          Effect.suspend(() =>
            rsaKey === undefined
              ? Effect.fail(new InvalidRequest({ field: "cvv", reason: "no ledger RSA public key is configured" }))
              : validateCvv.call({
                  ...payload,
                  cvv: publicEncrypt(
                    { key: rsaKey, padding: constants.RSA_PKCS1_PADDING },
                    Buffer.from(Redacted.value(cvv))
                  ).toString("base64"),
                  isEncrypt: true
                })
          )
      }
    })
  })

type CardFields = Omit<GetCvvPayload, "transactionType">

/** The ledger's card API: a generic typed `request` and first-class operations. */
export class LedgerClient extends Context.Tag("@cardkit/ledger/LedgerClient")<
  LedgerClient,
  {
    readonly request: <P extends Payload, R extends Acked, PI, RI>(
      transactionType: TransactionType,
      payloadSchema: Schema.Schema<P, PI>,
      resultSchema: Schema.Schema<R, RI>
    ) => LedgerCall<P, R>
    readonly getCvv: LedgerCall<GetCvvPayload, GetCvvResult>
    readonly getCard: LedgerCall<GetCardPayload, GetCardResult>
    readonly updateStatus: LedgerCall<UpdateStatusPayload, AckResult>
    /** The CVV is encrypted to the ledger's RSA key here; a wrong one fails with `IncorrectCvv`. */
    readonly validateCvv: {
      readonly call: (
        payload: CardFields & { readonly transactionType: "VALIDATE_CVV"; readonly cvv: Redacted.Redacted<string> }
      ) => Effect.Effect<AckResult, LedgerError>
      readonly presigned: (presigned: PresignedPayload) => Effect.Effect<AckResult, LedgerError>
    }
  }
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
