import { generateKeyPairSync, type KeyObject, randomBytes, timingSafeEqual } from "node:crypto"
import {
  type CardNotActive,
  CardNotFound,
  GetCvvRequest,
  type IncorrectCvv,
  type InvalidRequest,
  invalidRequestFromParseError,
  type ProviderUnavailable
} from "@cardkit/domain"
import {
  cardMethod,
  GetCardPayload,
  GetCvvPayload,
  type LedgerClientOptions,
  LedgerErrorCodes,
  loadPublicKey,
  parseSignatureHeader,
  RequestEnvelope,
  type StatusAction,
  type TransactionType,
  UpdateStatusPayload,
  ValidateCvvPayload,
  verifyPayloadSignature
} from "@cardkit/ledger"
import { type HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import { Clock, Effect, Either, Layer, Option, Redacted, Schema } from "effect"
import jsonc from "jsonc-parser"
import forge from "node-forge"
import { type CardRecord, type CardStatus, FakeIssuer } from "./FakeIssuer.js"
import type { FakeOperation } from "./Faults.js"
import { layerServe, type WireServer, type WireServerOptions } from "./WireServer.js"

/** A client the fake ledger knows: its API key, optionally its credential, and its signing keys. */
export interface LedgerClientRegistration {
  readonly apiKey: string
  /** When set, the envelope's `credential` must equal it. */
  readonly credential?: string
  /** Key id → SPKI PEM of a P-256 public key: the service's key and each registered device's. */
  readonly keys: Readonly<Record<string, string>>
}

export interface FakeLedgerOptions {
  /** Accept any credentials and signatures, so the document's `{{cred}}` example works verbatim. */
  readonly open?: boolean
  readonly clients?: ReadonlyArray<LedgerClientRegistration>
  /** PKCS#8 PEM of the ledger's RSA key, to decrypt VALIDATE_CVV's CVV (see `makeLedgerRsaKeys`). */
  readonly rsaPrivateKey?: string
  /** Larger bodies are refused with HTTP 413; 64 KiB by default. */
  readonly maxBodyBytes?: number
}

/** Credentials for a development client, and its registration: what `cardkit fake serve` prints. */
export interface DevLedgerClient {
  readonly registration: LedgerClientRegistration
  readonly apiKey: string
  readonly username: string
  readonly credential: string
  readonly keyId: string
  readonly privateKeyPem: string
  /** What `LedgerCardSecrets.layer` needs to sign as this client against a fake ledger at `url`. */
  readonly clientOptions: (url: string) => LedgerClientOptions
}

/** A fresh development client: a random API key and a new P-256 key pair registered under `keyId`. */
export const makeDevLedgerClient = (username = "dev", keyId = "dev-key-1"): DevLedgerClient => {
  const apiKey = randomBytes(16).toString("hex")
  const credential = `Basic ${Buffer.from(`${username}:${apiKey}`).toString("base64")}`
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" })
  const privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString()
  return {
    registration: {
      apiKey,
      credential,
      keys: { [keyId]: publicKey.export({ type: "spki", format: "pem" }).toString() }
    },
    apiKey,
    username,
    credential,
    keyId,
    privateKeyPem,
    clientOptions: (url) => ({
      url,
      apiKey: Redacted.make(apiKey),
      credential: Redacted.make(credential),
      keyId,
      privateKey: Redacted.make(privateKeyPem)
    })
  }
}

/** The ledger's RSA pair for VALIDATE_CVV: clients encrypt to the public half. */
export const makeLedgerRsaKeys = () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
  return {
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString()
  }
}

type RequestId = string | number | null

/** A JSON-RPC failure: HTTP 200 with `error { code, message }`, as the ledger answers. */
class LedgerFailure {
  constructor(
    readonly code: string,
    readonly message: string
  ) {}
}

const invalid = (field: string, reason: string) =>
  new LedgerFailure(LedgerErrorCodes.invalidRequest, `${field}: ${reason}`)
const denied = new LedgerFailure(LedgerErrorCodes.authentication, "authentication failed")

const jsonRpc = (id: RequestId, member: "result" | "error", value: unknown) =>
  HttpServerResponse.text(`{"id":${JSON.stringify(id)},"${member}":${JSON.stringify(value)}}`, {
    contentType: "application/json"
  })

/** Garbage that is not JSON-RPC at all gets a 4xx, still in the ledger's error shape. */
const rejectHttp = (status: number, message: string) =>
  HttpServerResponse.unsafeJson({ id: null, error: { code: LedgerErrorCodes.invalidRequest, message } }, { status })

const statusForAction: Record<StatusAction, CardStatus> = {
  ACTIVATE: "ACTIVATED",
  UNLOCK: "ACTIVATED",
  UNBLOCK: "ACTIVATED",
  REISSUE: "ACTIVATED",
  LOCK: "TEMPRORY_BLOCKED_BY_CLIENT",
  BLOCK: "TEMPRORY_BLOCKED_BY_ADMIN",
  "REPORT MISSING CARD": "LOST_STOLEN",
  DEACTIVATE: "CLOSED",
  CLOSE: "CLOSED"
}

const operations: Partial<Record<TransactionType, FakeOperation>> = {
  GET_CVV: "getCvv",
  GET_CARD: "getCard",
  VALIDATE_CVV: "validateCvv",
  UPDATE_STATUS: "updateStatus"
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The card as the document prints it, field for field and in its order. */
const wireCard = (card: CardRecord, cvv?: string) => ({
  cardId: card.cardId,
  postedDate: new Date(card.postedDate.epochMillis).toISOString(),
  updatedDate: new Date(card.updatedDate.epochMillis).toISOString(),
  allowAtm: card.flags.allowAtm,
  allowEcommerce: card.flags.allowEcommerce,
  allowMoto: card.flags.allowMoto,
  allowPos: card.flags.allowPos,
  allowTips: card.flags.allowTips,
  allowPurchase: card.flags.allowPurchase,
  allowRefund: card.flags.allowRefund,
  allowCashback: card.flags.allowCashback,
  allowWithdraw: card.flags.allowWithdraw,
  allowAuthAndCompletion: card.flags.allowAuthAndCompletion,
  smart: card.flags.smart,
  checkAvsZip: card.flags.checkAvsZip,
  checkAvsAddr: card.flags.checkAvsAddr,
  ...(cvv === undefined ? {} : { cvv }),
  transactionMade: card.flags.transactionMade,
  isReIssue: card.flags.isReIssue,
  isReplace: card.flags.isReplace,
  ...(cvv === undefined ? { status: card.status } : {})
})

/** Decode, naming a bad field by its full path in the envelope (`params.payload.cardId`). */
const decodeWith =
  <A, I>(schema: Schema.Schema<A, I>, prefix?: string) =>
  (input: unknown): Either.Either<A, LedgerFailure> =>
    Either.mapLeft(Schema.decodeUnknownEither(schema, { errors: "first" })(input), (error) => {
      const problem = invalidRequestFromParseError(error, prefix ?? "request")
      return invalid(
        prefix === undefined || problem.field === prefix ? problem.field : `${prefix}.${problem.field}`,
        problem.reason
      )
    })

const decodeEnvelope = decodeWith(RequestEnvelope)
const payloadDecoders = {
  GET_CVV: decodeWith(GetCvvPayload, "params.payload"),
  GET_CARD: decodeWith(GetCardPayload, "params.payload"),
  VALIDATE_CVV: decodeWith(ValidateCvvPayload, "params.payload"),
  UPDATE_STATUS: decodeWith(UpdateStatusPayload, "params.payload")
}

const issuerFailure = (error: CardNotFound | CardNotActive | IncorrectCvv | InvalidRequest | ProviderUnavailable) => {
  switch (error._tag) {
    case "CardNotFound":
      return new LedgerFailure(LedgerErrorCodes.cardNotFound, "card not found")
    case "CardNotActive":
      return new LedgerFailure(LedgerErrorCodes.cardNotActive, error.status)
    case "IncorrectCvv":
      return new LedgerFailure(LedgerErrorCodes.incorrectCvv, "incorrect card CVV")
    case "InvalidRequest":
      return invalid(`params.payload.${error.field}`, error.reason)
    case "ProviderUnavailable":
      return new LedgerFailure(LedgerErrorCodes.internal, "internal error")
  }
}

/**
 * The ledger's `/cardv2` over the in-memory issuer: GET_CVV, GET_CARD, VALIDATE_CVV and
 * UPDATE_STATUS, acknowledged as the document shows, behind the ledger's authentication (API key,
 * credential, ECDSA signature over the payload bytes exactly as they arrived) unless `open`.
 */
export const makeLedgerApp = (options: FakeLedgerOptions = {}) =>
  Effect.gen(function* () {
    const issuer = yield* FakeIssuer
    const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024
    const clients = (options.clients ?? []).map((client) => ({
      ...client,
      publicKeys: new Map<string, KeyObject>(Object.entries(client.keys).map(([id, pem]) => [id, loadPublicKey(pem)]))
    }))
    const rsa = options.rsaPrivateKey === undefined ? undefined : forge.pki.privateKeyFromPem(options.rsaPrivateKey)

    const authenticate = (
      api: RequestEnvelope["params"]["api"],
      signatureHeader: string | undefined,
      payloadBytes: string
    ): LedgerFailure | undefined => {
      if (options.open === true) return undefined
      const client = clients.find((c) => sameSecret(c.apiKey, api.apiKey))
      if (client === undefined) return denied
      if (client.credential !== undefined && !sameSecret(client.credential, api.credential)) return denied
      const header = signatureHeader === undefined ? undefined : parseSignatureHeader(signatureHeader)
      const keyId = api.keyId ?? header?.keyId
      const key = keyId === undefined ? undefined : client.publicKeys.get(keyId)
      if (key === undefined) return denied
      return verifyPayloadSignature(key, payloadBytes, api.signature || header?.signature || "") ? undefined : denied
    }

    const decryptCvv = (cvv: string, isEncrypt: boolean): Either.Either<string, LedgerFailure> => {
      if (!isEncrypt) return Either.right(cvv)
      if (rsa === undefined) return Either.left(invalid("params.payload.cvv", "cannot be decrypted by this ledger"))
      try {
        // node:crypto refuses PKCS#1 v1.5 private decryption since the Marvin fix; forge still does it.
        return Either.right(rsa.decrypt(forge.util.decode64(cvv), "RSAES-PKCS1-V1_5"))
      } catch {
        return Either.left(invalid("params.payload.cvv", "cannot be decrypted"))
      }
    }

    const perform = (transactionType: keyof typeof payloadDecoders, payload: unknown) =>
      Effect.gen(function* () {
        const decode = payloadDecoders[transactionType] as (
          input: unknown
        ) => Either.Either<GetCvvPayload | GetCardPayload | ValidateCvvPayload | UpdateStatusPayload, LedgerFailure>
        const decoded = decode(payload)
        if (Either.isLeft(decoded)) return yield* Effect.fail(decoded.left)
        const p = decoded.right
        const owned = Effect.filterOrFail(
          issuer.getCard(p.cardId),
          (card) => card.customerId === p.customerId && card.accountNumber === p.accountNumber,
          () => new CardNotFound({ cardId: p.cardId })
        )
        switch (p.transactionType) {
          case "GET_CVV": {
            const request = yield* Schema.decodeUnknown(GetCvvRequest)(p).pipe(
              Effect.mapError((error) => invalidRequestFromParseError(error))
            )
            const revealed = yield* issuer.getCvv(request)
            const card = yield* owned
            return { card: wireCard(card, Redacted.value(revealed.cvv)) }
          }
          case "GET_CARD":
            return { card: wireCard(yield* owned) }
          case "VALIDATE_CVV": {
            const cvv = decryptCvv(p.cvv, p.isEncrypt)
            if (Either.isLeft(cvv)) return yield* Effect.fail(cvv.left)
            yield* owned
            yield* issuer.validateCvv(p.cardId, cvv.right)
            return {}
          }
          case "UPDATE_STATUS": {
            yield* owned
            return { card: wireCard(yield* issuer.setStatus(p.cardId, statusForAction[p.action])) }
          }
        }
      }).pipe(Effect.mapError((error) => (error instanceof LedgerFailure ? error : issuerFailure(error))))

    const handle: HttpApp.Default = Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (request.method !== "POST" && request.method !== "GET") {
        return rejectHttp(405, "method: use POST")
      }
      const declared = Number(request.headers["content-length"] ?? 0)
      if (declared > maxBodyBytes) return rejectHttp(413, `body: larger than ${maxBodyBytes} bytes`)
      const body = yield* Effect.orElseSucceed(request.text, () => "")
      if (Buffer.byteLength(body) > maxBodyBytes) return rejectHttp(413, `body: larger than ${maxBodyBytes} bytes`)
      let json: unknown
      try {
        json = JSON.parse(body)
      } catch {
        return rejectHttp(400, "body: is not valid JSON")
      }
      if (typeof json !== "object" || json === null || Array.isArray(json)) {
        return rejectHttp(400, "body: is not a JSON-RPC request object")
      }
      const rawId = (json as { id?: unknown }).id
      const id: RequestId = typeof rawId === "string" || typeof rawId === "number" ? rawId : null
      const envelope = decodeEnvelope(json)
      if (Either.isLeft(envelope)) return yield* jsonRpc(id, "error", envelope.left)
      const { method, params } = envelope.right
      if (method !== cardMethod) return yield* jsonRpc(id, "error", invalid("method", "is not a known method"))
      const transactionType = params.payload.transactionType
      if (!(transactionType in payloadDecoders)) {
        return yield* jsonRpc(id, "error", invalid("params.payload.transactionType", "is not supported"))
      }
      const tree = jsonc.parseTree(body)
      const node = tree === undefined ? undefined : jsonc.findNodeAtLocation(tree, ["params", "payload"])
      const payloadBytes = node === undefined ? "" : body.slice(node.offset, node.offset + node.length)
      const refused = authenticate(params.api, request.headers.signature, payloadBytes)
      if (refused !== undefined) return yield* jsonRpc(id, "error", refused)

      const type = transactionType as keyof typeof payloadDecoders
      const fault = yield* issuer.nextFault(operations[type]!)
      if (Option.isSome(fault)) {
        switch (fault.value._tag) {
          case "Latency":
            yield* Effect.sleep(fault.value.millis)
            break
          case "Unavailable":
            return HttpServerResponse.text("Service Unavailable", { status: 503 })
          case "Reset":
            NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
            return yield* Effect.interrupt
          case "Garbage":
            return HttpServerResponse.html("<html><body><h1>502 Bad Gateway</h1></body></html>")
          case "Truncated":
            return HttpServerResponse.text(`{"id":${JSON.stringify(id)},"result":{"card":{"cardId":"`, {
              contentType: "application/json"
            })
        }
      }

      const payload: unknown = JSON.parse(payloadBytes)
      const outcome = yield* Effect.either(perform(type, payload))
      if (Either.isLeft(outcome)) return yield* jsonRpc(id, "error", outcome.left)
      const reference = (payload as { reference?: unknown }).reference
      const now = yield* Clock.currentTimeMillis
      const ack = {
        type: `${transactionType}_ACK`,
        reference: `REF${typeof reference === "string" ? reference : now}`,
        dateCreated: Math.floor(now / 1000),
        ...(typeof reference === "string" ? { originalReference: reference } : {})
      }
      return yield* jsonRpc(id, "result", { ...outcome.right, api: ack })
    })

    return handle
  })

/** The fake ledger: `FakeLedgerServer.app` to mount, `FakeLedgerServer.layer` to serve it alone. */
export const FakeLedgerServer = {
  /** The handler of `/cardv2`, over the `FakeIssuer` in context. */
  app: makeLedgerApp,
  path: "/cardv2" as const,
  layer: (options: FakeLedgerOptions & WireServerOptions = {}): Layer.Layer<WireServer, never, FakeIssuer> =>
    Layer.unwrapEffect(Effect.map(makeLedgerApp(options), (app) => layerServe(app, options).pipe(Layer.orDie)))
} as const
