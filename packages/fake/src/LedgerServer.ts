import { generateKeyPairSync, type KeyObject, randomBytes, timingSafeEqual } from "node:crypto"
import {
  type CardNotActive,
  CardNotFound,
  GetCvvRequest,
  type IncorrectCvv,
  type InvalidRequest,
  invalidRequestFromParseError,
  JsonBody,
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
import { Clock, Config, type ConfigError, Context, Effect, Either, Layer, Option, Redacted, Schema } from "effect"
import jsonc from "jsonc-parser"
import forge from "node-forge"
import { type CardRecord, type CardStatus, FakeIssuer } from "./FakeIssuer.js"
import type { FakeOperation } from "./Faults.js"
import { closingConnection, readBody, serveWire } from "./internal/wireHttp.js"
import { serveAs, type WireServer, WireServerConfig, type WireServerOptions } from "./WireServer.js"

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

const httpError = (status: number, code: string, message: string) =>
  HttpServerResponse.unsafeJson({ id: null, error: { code, message } }, { status })

/** Garbage that is not JSON-RPC at all gets a 4xx, still in the ledger's error shape. */
const rejectHttp = (status: number, message: string) => httpError(status, LedgerErrorCodes.invalidRequest, message)

/** The fake's own bug, whatever the request was: the ledger's internal error, with nothing of the request. */
const internalError = () => httpError(500, LedgerErrorCodes.internal, "internal error")

const statusForAction: ReadonlyMap<StatusAction, CardStatus> = new Map([
  ["ACTIVATE", "ACTIVATED"],
  ["UNLOCK", "ACTIVATED"],
  ["UNBLOCK", "ACTIVATED"],
  ["REISSUE", "ACTIVATED"],
  ["LOCK", "TEMPRORY_BLOCKED_BY_CLIENT"],
  ["BLOCK", "TEMPRORY_BLOCKED_BY_ADMIN"],
  ["REPORT MISSING CARD", "LOST_STOLEN"],
  ["DEACTIVATE", "CLOSED"],
  ["CLOSE", "CLOSED"]
])

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

type Payload = GetCvvPayload | GetCardPayload | ValidateCvvPayload | UpdateStatusPayload

interface Transaction {
  readonly operation: FakeOperation
  readonly decode: (input: unknown) => Either.Either<Payload, LedgerFailure>
}

/**
 * The transaction types the fake serves: the issuer operation each is, and its payload's decoder.
 * A Map, keyed by what the client sent: an object literal would also answer to the names of
 * Object.prototype's members (`valueOf`, `constructor`, `__proto__`).
 */
const transactions: ReadonlyMap<string, Transaction> = new Map<TransactionType, Transaction>([
  ["GET_CVV", { operation: "getCvv", decode: decodeWith(GetCvvPayload, "params.payload") }],
  ["GET_CARD", { operation: "getCard", decode: decodeWith(GetCardPayload, "params.payload") }],
  ["VALIDATE_CVV", { operation: "validateCvv", decode: decodeWith(ValidateCvvPayload, "params.payload") }],
  ["UPDATE_STATUS", { operation: "updateStatus", decode: decodeWith(UpdateStatusPayload, "params.payload") }]
])

/** The member `name` of a JSON object, only if the object has it itself. */
const own = (value: object, name: string): unknown =>
  Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined

/**
 * `params.payload` exactly as it arrived, for the signature check. Only for a body `JsonBody.parse`
 * accepted: jsonc's tree builder recurses, and that parse has bounded the depth.
 */
const payloadBytesOf = (body: Uint8Array): string => {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8")
  const tree = jsonc.parseTree(text)
  const node = tree === undefined ? undefined : jsonc.findNodeAtLocation(tree, ["params", "payload"])
  return node === undefined ? "" : text.slice(node.offset, node.offset + node.length)
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
const makeLedgerApp = (options: FakeLedgerOptions = {}) =>
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
      body: Uint8Array
    ): LedgerFailure | undefined => {
      if (options.open === true) return undefined
      const client = clients.find((c) => sameSecret(c.apiKey, api.apiKey))
      if (client === undefined) return denied
      if (client.credential !== undefined && !sameSecret(client.credential, api.credential)) return denied
      const header = signatureHeader === undefined ? undefined : parseSignatureHeader(signatureHeader)
      const keyId = api.keyId ?? header?.keyId
      const key = keyId === undefined ? undefined : client.publicKeys.get(keyId)
      if (key === undefined) return denied
      const signature = api.signature || header?.signature || ""
      return verifyPayloadSignature(key, payloadBytesOf(body), signature) ? undefined : denied
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

    /** What the operation of a decoded payload answers, before its ack. */
    const perform = (p: Payload) =>
      Effect.gen(function* () {
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
            return { card: wireCard(yield* issuer.setStatus(p.cardId, statusForAction.get(p.action)!)) }
          }
        }
      }).pipe(Effect.mapError((error) => (error instanceof LedgerFailure ? error : issuerFailure(error))))

    const handle: HttpApp.Default = Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (request.method !== "POST" && request.method !== "GET") {
        return rejectHttp(405, "method: use POST")
      }
      if (!JsonBody.isJsonContentType(request.headers["content-type"])) {
        return rejectHttp(415, "content-type: use application/json")
      }
      const body = yield* Effect.either(readBody(request, maxBodyBytes))
      if (Either.isLeft(body)) {
        return body.left._tag === "BodyTooLarge"
          ? closingConnection(rejectHttp(413, `body: larger than ${maxBodyBytes} bytes`))
          : rejectHttp(400, "body: could not be read")
      }
      const parsed = JsonBody.parse(body.right)
      if (Either.isLeft(parsed)) return rejectHttp(400, `body: ${parsed.left.reason}`)
      const json = parsed.right
      if (typeof json !== "object" || json === null || Array.isArray(json)) {
        return rejectHttp(400, "body: is not a JSON-RPC request object")
      }
      const rawId = own(json, "id")
      const id: RequestId = typeof rawId === "string" || typeof rawId === "number" ? rawId : null
      const envelope = decodeEnvelope(json)
      if (Either.isLeft(envelope)) return jsonRpc(id, "error", envelope.left)
      const { method, params } = envelope.right
      if (method !== cardMethod) return jsonRpc(id, "error", invalid("method", "is not a known method"))
      const transactionType = params.payload.transactionType
      const transaction = transactions.get(transactionType)
      if (transaction === undefined) {
        return jsonRpc(id, "error", invalid("params.payload.transactionType", "is not supported"))
      }
      const refused = authenticate(params.api, request.headers.signature, body.right)
      if (refused !== undefined) return jsonRpc(id, "error", refused)

      const fault = yield* issuer.nextFault(transaction.operation)
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

      // The envelope decoded, so `params` is an object of the body's own.
      const payload = transaction.decode(own(own(json, "params") as object, "payload"))
      if (Either.isLeft(payload)) return jsonRpc(id, "error", payload.left)
      const outcome = yield* Effect.either(perform(payload.right))
      if (Either.isLeft(outcome)) return jsonRpc(id, "error", outcome.left)
      const reference = payload.right.reference
      const now = yield* Clock.currentTimeMillis
      const ack = {
        type: `${transactionType}_ACK`,
        reference: `REF${reference ?? now}`,
        dateCreated: Math.floor(now / 1000),
        ...(reference === undefined ? {} : { originalReference: reference })
      }
      return jsonRpc(id, "result", { ...outcome.right, api: ack })
    })

    return serveWire(internalError)(handle)
  })

export interface FakeLedgerServerOptions extends FakeLedgerOptions, WireServerOptions {}

/** The fake ledger's `/cardv2` over the `FakeIssuer` in context, served: where it listens. */
export class FakeLedgerServer extends Context.Tag("@cardkit/fake/FakeLedgerServer")<
  FakeLedgerServer,
  WireServer["Type"]
>() {
  static readonly path = "/cardv2" as const

  /** The handler of `/cardv2`, to mount beside other apps (`WireServer.combine`). */
  static readonly make = makeLedgerApp

  /** Serve it on its own port (ephemeral unless `port` is given); the address is also `WireServer`. */
  static readonly layer = (
    options: FakeLedgerServerOptions = {}
  ): Layer.Layer<FakeLedgerServer | WireServer, never, FakeIssuer> =>
    serveAs(FakeLedgerServer, makeLedgerApp(options), options).pipe(Layer.orDie)

  /** As `layer`, the options read from `config`: by default where `WireServerConfig` says, open. */
  static readonly layerConfig = (
    config: Config.Config<FakeLedgerServerOptions> = Config.map(WireServerConfig, (where) => ({ ...where, open: true }))
  ): Layer.Layer<FakeLedgerServer | WireServer, ConfigError.ConfigError, FakeIssuer> =>
    Layer.unwrapEffect(Effect.map(config, FakeLedgerServer.layer))
}
