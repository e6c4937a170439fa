import { generateKeyPairSync, type KeyObject, randomBytes, timingSafeEqual } from "node:crypto"
import { CardNotFound, GetCvvRequest, invalidRequestFromParseError, JsonBody } from "@cardkit/domain"
import {
  cardMethod,
  type LedgerClientOptions,
  LedgerErrorCodes,
  LedgerOperations,
  loadPublicKey,
  type Operation,
  type OperationName,
  operationByType,
  type PayloadOf,
  parseSignatureHeader,
  RequestEnvelope,
  type ResultOf,
  statusActionOf,
  verifyPayloadSignature
} from "@cardkit/ledger"
import { type HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import { Clock, Config, type ConfigError, Context, Effect, Either, Layer, Option, Redacted, Schema } from "effect"
import jsonc from "jsonc-parser"
import forge from "node-forge"
import { type CardRecord, FakeIssuer, type LedgerAccount } from "./FakeIssuer.js"
import { CustomerEnvelope, customerMethods } from "./internal/customerService.js"
import { cvvCard, page, replacedCard, wireCard, wireHolder } from "./internal/ledgerCards.js"
import { decodeOrRefuse, LedgerFailure } from "./internal/ledgerFailure.js"
import type { Role } from "./internal/transitions.js"
import { closingConnection, readBody, serveWire } from "./internal/wireHttp.js"
import { serveAs, type WireServer, WireServerConfig, type WireServerOptions } from "./WireServer.js"

/** A client the fake ledger knows: its API key, optionally its credential, and its signing keys. */
export interface LedgerClientRegistration {
  readonly apiKey: string
  /** When set, the envelope's `credential` must equal it. */
  readonly credential?: string
  /** Key id → SPKI PEM of a P-256 public key of the service: a request it signs acts as ADMIN. */
  readonly keys: Readonly<Record<string, string>>
}

export interface FakeLedgerOptions {
  /** Accept any credentials and signatures, so the document's `{{cred}}` example works verbatim. */
  readonly open?: boolean
  /**
   * The role every request acts in when `open` (no signature says whose it is): `ADMIN` by default,
   * as the service's own requests; `LEGALREP` to walk the cardholder's rows (ACTIVATE is only theirs).
   */
  readonly openRole?: Role
  readonly clients?: ReadonlyArray<LedgerClientRegistration>
  /** PKCS#8 PEM of the ledger's RSA key, to decrypt `cardCvv` and `newPIN` (see `makeLedgerRsaKeys`). */
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

/** The ledger's RSA pair for CVVs and PINs: clients encrypt to the public half. */
export const makeLedgerRsaKeys = () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
  return {
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString()
  }
}

/** Whom a request acts for: the service (ADMIN) or a cardholder's device (LEGALREP, for its customer). */
export interface CallContext {
  readonly role: Role
  /** The customer whose device key signed: such a request acts for that customer only. */
  readonly customerId: string | undefined
  /** The plaintext of an encrypted member (`cardCvv`, `newPIN`), or the refusal naming it. */
  readonly reveal: (field: string, value: string) => Either.Either<string, LedgerFailure>
}

/**
 * The fake ledger's answer to each operation of `LedgerOperations`: its result without the ack,
 * which `runOperation` adds for every operation alike. Typed by the table, so a new entry there does
 * not compile until it has its handler here.
 */
export type LedgerHandlers = {
  readonly [K in OperationName]: (
    payload: PayloadOf<LedgerOperations[K]>,
    context: CallContext
  ) => Effect.Effect<Omit<ResultOf<LedgerOperations[K]>, "api">, LedgerFailure>
}

const refuse = Effect.mapError(LedgerFailure.ofPayload)

/** The handlers over `issuer`: the wire's names and shapes in, the issuer's operations, the wire's shapes out. */
export const ledgerHandlers = (issuer: FakeIssuer["Type"]): LedgerHandlers => {
  const account = (payload: LedgerAccount): LedgerAccount => ({
    customerId: payload.customerId,
    accountNumber: payload.accountNumber
  })
  /** The card, if it is this account's: to anyone else it does not exist. */
  const owned = (cardId: string, owner: LedgerAccount): Effect.Effect<CardRecord, LedgerFailure> =>
    refuse(
      Effect.filterOrFail(
        issuer.getCard(cardId),
        (card) => card.customerId === owner.customerId && card.accountNumber === owner.accountNumber,
        () => new CardNotFound({ cardId })
      )
    )
  return {
    addCardHolderWithPrimaryAddress: (p) =>
      Effect.map(issuer.addCardHolder(account(p)), (holder) => ({ cardHolderId: holder.cardHolderId })),
    addCardHolderWithNonPrimaryAddress: (p) =>
      Effect.map(issuer.addCardHolder(account(p), p.cardHolder), (holder) => ({ cardHolderId: holder.cardHolderId })),
    updateCardHolder: (p) => {
      const { cardHolderId, ...changes } = p.cardHolder
      return Effect.map(refuse(issuer.updateCardHolder(account(p), cardHolderId, changes)), (holder) => ({
        cardHolder: wireHolder(holder)
      }))
    },
    getCardHolderList: (p) =>
      Effect.map(issuer.cardHolders(account(p)), (holders) => ({
        cardHolders: page(holders, p.pagination).map(wireHolder)
      })),
    addCard: (p) => {
      const { card } = p
      const virtual =
        card.cardType === "VIRTUAL"
          ? {
              expiry: `${card.expiryYear}-${card.expiryMonth.padStart(2, "0")}`,
              ...(card.cardName === undefined ? {} : { cardName: card.cardName }),
              ...(card.cardLimit === undefined ? {} : { cardLimit: card.cardLimit }),
              singleUse: card.singleUseCard === "YES"
            }
          : {}
      return Effect.map(
        refuse(
          issuer.addCard({
            ...account(p),
            cardHolderId: card.cardHolderId,
            cardType: card.cardType,
            product: p.product,
            program: p.program,
            ...virtual
          })
        ),
        (added) => ({ card: wireCard(added) })
      )
    },
    getCard: (p) =>
      Effect.flatMap(owned(p.cardId, p), (card) =>
        Effect.map(refuse(issuer.cardHolderOf(card.cardId)), (holder) => ({
          cardHolder: wireHolder(holder),
          card: wireCard(card)
        }))
      ),
    getCardDetails: (p) => Effect.map(owned(p.cardId, p), (card) => ({ cardDetails: wireCard(card) })),
    getCardList: (p) =>
      Effect.map(issuer.cards(account(p)), (cards) => ({ cards: page(cards, p.pagination).map(wireCard) })),
    getCvv: (p) =>
      Effect.flatMap(
        Effect.mapError(Schema.decodeUnknown(GetCvvRequest)(p), (error) =>
          LedgerFailure.ofPayload(invalidRequestFromParseError(error))
        ),
        (request) => Effect.map(refuse(issuer.getCvv(request)), (cvv) => ({ card: cvvCard(cvv) }))
      ),
    validateCvv: (p, context) =>
      Effect.gen(function* () {
        const cvv = yield* context.reveal("cardCvv", p.cardCvv)
        const card = yield* refuse(issuer.getCard(p.cardId))
        // A device acts for its own customer's cards only; VALIDATE_CVV names no customer to check.
        if (context.customerId !== undefined && card.customerId !== context.customerId) {
          return yield* Effect.fail(LedgerFailure.of(new CardNotFound({ cardId: p.cardId })))
        }
        yield* refuse(issuer.validateCvv(p.cardId, cvv))
        return { cardId: p.cardId, message: "CVV has been validated successfully" }
      }),
    pinChange: (p, context) =>
      Effect.gen(function* () {
        yield* owned(p.cardId, p)
        const pin = yield* context.reveal("newPIN", p.newPIN)
        yield* refuse(issuer.changePin(p.cardId, pin))
        return {}
      }),
    updateStatus: (p, context) =>
      Effect.gen(function* () {
        yield* owned(p.cardId, p)
        const action = statusActionOf(p.statusAction)
        const cvv = action === "ACTIVATE" && p.cardCvv !== "" ? yield* context.reveal("cardCvv", p.cardCvv) : undefined
        const card = yield* refuse(issuer.updateStatus(p.cardId, action, { role: context.role, cvv }))
        return { card: wireCard(card) }
      }),
    replaceCard: (p, context) =>
      Effect.gen(function* () {
        yield* owned(p.cardId, p)
        // The replacement has the same holder, so the old card's is settled first.
        const holder = yield* refuse(issuer.cardHolderOf(p.cardId))
        const action = statusActionOf(p.statusAction) as "REISSUE" | "REPLACE_CARD"
        const { card, newCard } = yield* refuse(issuer.replaceCard(p.cardId, action, context.role))
        return { card: replacedCard(card, holder), newCard: replacedCard(newCard, holder) }
      }),
    getCardLimit: (p) => Effect.map(owned(p.cardId, p), (card) => ({ card: wireCard(card) })),
    setLimit: (p) =>
      Effect.flatMap(owned(p.cardLimit.cardId, p), (card) => {
        const { cycleType, type, value } = p.cardLimit
        return Effect.map(refuse(issuer.setLimit(card.cardId, { type, cycleType, value })), (updated) => ({
          card: wireCard(updated)
        }))
      })
  }
}

/** Each operation's payload decoder and result encoder, made once. */
const codecs = new Map(
  (Object.entries(LedgerOperations) as Array<[OperationName, Operation]>).map(([name, definition]) => [
    name,
    {
      decode: decodeOrRefuse(definition.payload, "params.payload"),
      encode: Schema.encodeEither(definition.result)
    }
  ])
)

/**
 * One operation, whoever asked: decode the payload with the table's schema, check a device acts for
 * its own customer, answer with the handler, acknowledge it (`<TYPE>_ACK`, `REF` + the reference, unix
 * seconds, the reference as `originalReference` when the payload has one) and put the result in the
 * result schema's shape, which keeps that result's members in its order.
 */
export const runOperation = (
  handlers: LedgerHandlers,
  name: OperationName,
  payload: unknown,
  context: CallContext
): Effect.Effect<unknown, LedgerFailure> =>
  Effect.gen(function* () {
    const definition: Operation = LedgerOperations[name]
    const codec = codecs.get(name)!
    const decoded = (yield* codec.decode(payload)) as { readonly customerId?: unknown; readonly reference?: unknown }
    if (
      context.customerId !== undefined &&
      decoded.customerId !== undefined &&
      decoded.customerId !== context.customerId
    ) {
      return yield* Effect.fail(LedgerFailure.denied)
    }
    const handler = handlers[name] as (payload: unknown, context: CallContext) => Effect.Effect<object, LedgerFailure>
    const answer = yield* handler(decoded, context)
    const now = yield* Clock.currentTimeMillis
    const reference = definition.referenced && typeof decoded.reference === "string" ? decoded.reference : undefined
    const api = {
      type: `${definition.transactionType}_ACK`,
      reference: `REF${reference ?? ""}`,
      dateCreated: Math.floor(now / 1000),
      ...(reference === undefined ? {} : { originalReference: reference })
    }
    const encoded = codec.encode({ ...answer, api })
    // Not the parse error itself: it would print the answer, card data and all.
    if (Either.isLeft(encoded)) return yield* Effect.die(new Error(`the ${name} answer does not fit its result`))
    return encoded.right
  })

/**
 * The plaintext of an encrypted member: RSA PKCS#1 v1.5 with the ledger's key. node:crypto refuses
 * PKCS#1 v1.5 private decryption since the Marvin fix; forge still does it.
 */
export const rsaReveal = (rsaPrivateKey: string | undefined): CallContext["reveal"] => {
  const key = rsaPrivateKey === undefined ? undefined : forge.pki.privateKeyFromPem(rsaPrivateKey)
  return (field, value) => {
    if (key === undefined) {
      return Either.left(LedgerFailure.invalid(`params.payload.${field}`, "cannot be decrypted by this ledger"))
    }
    try {
      return Either.right(key.decrypt(forge.util.decode64(value), "RSAES-PKCS1-V1_5"))
    } catch {
      return Either.left(LedgerFailure.invalid(`params.payload.${field}`, "cannot be decrypted"))
    }
  }
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** Whom a request acts for, once its signature is checked. */
export type Identity = Pick<CallContext, "role" | "customerId">

/**
 * A request signed by a cardholder's device: its key id and API key are a device's AddUserKey
 * registered, and the signature over the payload's bytes verifies with that device's key.
 */
export const deviceIdentity = (
  issuer: FakeIssuer["Type"],
  keyId: string | undefined,
  apiKey: string,
  payloadBytes: string,
  signature: string
): Effect.Effect<Option.Option<Identity>> =>
  keyId === undefined
    ? Effect.succeedNone
    : Effect.map(issuer.deviceKey(keyId), (found) =>
        Option.flatMap(found, (device) =>
          device.status === "ACTIVE" &&
          sameSecret(Redacted.value(device.apiKey), apiKey) &&
          verifyPayloadSignature(device.publicKey, payloadBytes, signature)
            ? Option.some({ role: "LEGALREP" as const, customerId: device.customerId })
            : Option.none()
        )
      )

type RequestId = string | number | null

const answer = (id: RequestId, outcome: Either.Either<unknown, LedgerFailure>, extra: object = {}) =>
  HttpServerResponse.unsafeJson(
    Either.match(outcome, {
      onLeft: ({ code, message }) => ({ ...extra, id, error: { code, message } }),
      onRight: (result) => ({ ...extra, id, result })
    })
  )

const httpError = (status: number, code: string, message: string) =>
  HttpServerResponse.unsafeJson({ id: null, error: { code, message } }, { status })

/** Garbage that is not JSON-RPC at all gets a 4xx, still in the ledger's error shape. */
const rejectHttp = (status: number, message: string) => httpError(status, LedgerErrorCodes.invalidRequest, message)

/** The fake's own bug, whatever the request was: the ledger's internal error, with nothing of the request. */
const internalError = () => httpError(500, LedgerErrorCodes.internal, "internal error")

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

/** A JSON-RPC request as it arrived: its body, the body as JSON, its id, and its `params`. */
interface Arrived {
  readonly request: HttpServerRequest.HttpServerRequest
  readonly body: Uint8Array
  readonly id: RequestId
  /** The body's own `params.payload` member (once the envelope decoded, `params` is an object). */
  readonly payload: () => unknown
}

/**
 * What both paths do before their methods: POST (or GET with a body, as the document's curl
 * sends), JSON, bounded, strict, an object; the refusal in the ledger's shape otherwise.
 */
const arrive = (maxBodyBytes: number) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (request.method !== "POST" && request.method !== "GET") {
      return Either.left(rejectHttp(405, "method: use POST"))
    }
    if (!JsonBody.isJsonContentType(request.headers["content-type"])) {
      return Either.left(rejectHttp(415, "content-type: use application/json"))
    }
    const body = yield* Effect.either(readBody(request, maxBodyBytes))
    if (Either.isLeft(body)) {
      return Either.left(
        body.left._tag === "BodyTooLarge"
          ? closingConnection(rejectHttp(413, `body: larger than ${maxBodyBytes} bytes`))
          : rejectHttp(400, "body: could not be read")
      )
    }
    const parsed = JsonBody.parse(body.right)
    if (Either.isLeft(parsed)) return Either.left(rejectHttp(400, `body: ${parsed.left.reason}`))
    const json = parsed.right
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      return Either.left(rejectHttp(400, "body: is not a JSON-RPC request object"))
    }
    const rawId = own(json, "id")
    const arrived: Arrived = {
      request,
      body: body.right,
      id: typeof rawId === "string" || typeof rawId === "number" ? rawId : null,
      payload: () => own(own(json, "params") as object, "payload")
    }
    return Either.right({ arrived, json })
  })

const decodeCardEnvelope = decodeOrRefuse(RequestEnvelope)
const decodeCustomerEnvelope = decodeOrRefuse(CustomerEnvelope)

/**
 * The ledger's `/cardv2` (every operation of `LedgerOperations`, dispatched by `transactionType`
 * through `operationByType`) and `/jsonrpc` (`CustomerService.AddUserKey`) over the in-memory
 * issuer, behind the ledger's authentication (API key, credential, ECDSA signature over the payload
 * bytes exactly as they arrived) unless `open`. The service's keys act as ADMIN, a device's as
 * LEGALREP for its customer.
 */
const makeLedgerApp = (options: FakeLedgerOptions = {}) =>
  Effect.gen(function* () {
    const issuer = yield* FakeIssuer
    const handlers = ledgerHandlers(issuer)
    const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024
    const clients = (options.clients ?? []).map((client) => ({
      ...client,
      publicKeys: new Map<string, KeyObject>(Object.entries(client.keys).map(([id, pem]) => [id, loadPublicKey(pem)]))
    }))
    const reveal = rsaReveal(options.rsaPrivateKey)
    const openIdentity: Identity = { role: options.openRole ?? "ADMIN", customerId: undefined }

    const authenticate = (
      arrived: Arrived,
      api: RequestEnvelope["params"]["api"]
    ): Effect.Effect<Either.Either<Identity, LedgerFailure>> => {
      if (options.open === true) return Effect.succeed(Either.right(openIdentity))
      const header = arrived.request.headers.signature
      const parsedHeader = header === undefined ? undefined : parseSignatureHeader(header)
      const keyId = api.keyId ?? parsedHeader?.keyId
      const signature = api.signature || parsedHeader?.signature || ""
      const bytes = payloadBytesOf(arrived.body)
      return Effect.map(deviceIdentity(issuer, keyId, api.apiKey, bytes, signature), (device) => {
        if (Option.isSome(device)) return Either.right(device.value)
        const client = clients.find((c) => sameSecret(c.apiKey, api.apiKey))
        if (client === undefined) return Either.left(LedgerFailure.denied)
        if (client.credential !== undefined && !sameSecret(client.credential, api.credential)) {
          return Either.left(LedgerFailure.denied)
        }
        const key = keyId === undefined ? undefined : client.publicKeys.get(keyId)
        return key !== undefined && verifyPayloadSignature(key, bytes, signature)
          ? Either.right<Identity>({ role: "ADMIN", customerId: undefined })
          : Either.left(LedgerFailure.denied)
      })
    }

    const cards = (arrived: Arrived, json: object) =>
      Effect.gen(function* () {
        const { id } = arrived
        const envelope = decodeCardEnvelope(json)
        if (Either.isLeft(envelope)) return answer(id, envelope)
        const { method, params } = envelope.right
        if (method !== cardMethod)
          return answer(id, Either.left(LedgerFailure.invalid("method", "is not a known method")))
        const operation = operationByType.get(params.payload.transactionType)
        if (operation === undefined) {
          return answer(id, Either.left(LedgerFailure.invalid("params.payload.transactionType", "is not supported")))
        }
        const [name] = operation
        const identity = yield* authenticate(arrived, params.api)
        if (Either.isLeft(identity)) return answer(id, identity)

        const fault = yield* issuer.nextFault(name)
        if (Option.isSome(fault)) {
          switch (fault.value._tag) {
            case "Latency":
              yield* Effect.sleep(fault.value.millis)
              break
            case "Unavailable":
              return HttpServerResponse.text("Service Unavailable", { status: 503 })
            case "Reset":
              NodeHttpServerRequest.toIncomingMessage(arrived.request).socket.destroy()
              return yield* Effect.interrupt
            case "Garbage":
              return HttpServerResponse.html("<html><body><h1>502 Bad Gateway</h1></body></html>")
            case "Truncated":
              // Cut off on purpose: the one answer that must not be whole JSON.
              return HttpServerResponse.text(`{"id":${JSON.stringify(id)},"result":{"card":{"cardId":"`, {
                contentType: "application/json"
              })
          }
        }
        const outcome = yield* Effect.either(
          runOperation(handlers, name, arrived.payload(), { ...identity.right, reveal })
        )
        return answer(id, outcome)
      })

    const customers = (arrived: Arrived, json: object) =>
      Effect.gen(function* () {
        const { id } = arrived
        const jsonrpc = { jsonrpc: "2.0" }
        const envelope = decodeCustomerEnvelope(json)
        if (Either.isLeft(envelope)) return answer(id, envelope, jsonrpc)
        const method = customerMethods.get(envelope.right.method)
        if (method === undefined) {
          return answer(id, Either.left(LedgerFailure.invalid("method", "is not a known method")), jsonrpc)
        }
        const identity = yield* authenticate(arrived, envelope.right.params.api)
        // Registering keys is the service's business: a device's key registers none.
        if (Either.isLeft(identity) || identity.right.customerId !== undefined) {
          return answer(id, Either.left(LedgerFailure.denied), jsonrpc)
        }
        return answer(id, yield* Effect.either(method(issuer, arrived.payload())), jsonrpc)
      })

    const handle: HttpApp.Default = Effect.gen(function* () {
      const arrival = yield* arrive(maxBodyBytes)
      if (Either.isLeft(arrival)) return arrival.left
      const { arrived, json } = arrival.right
      const path = arrived.request.url.split("?", 1)[0]
      return yield* path === FakeLedgerServer.customerPath ? customers(arrived, json) : cards(arrived, json)
    })

    return serveWire(internalError)(handle)
  })

export interface FakeLedgerServerOptions extends FakeLedgerOptions, WireServerOptions {}

/**
 * The fake ledger over the `FakeIssuer` in context, served: `/cardv2` (any other path answers as it
 * does, as the standalone ledger always has) and `/jsonrpc`; where it listens.
 */
export class FakeLedgerServer extends Context.Tag("@cardkit/fake/FakeLedgerServer")<
  FakeLedgerServer,
  WireServer["Type"]
>() {
  static readonly path = "/cardv2" as const

  /** Where `CustomerService.AddUserKey` is answered. */
  static readonly customerPath = "/jsonrpc" as const

  /** The handler of both paths, to mount beside other apps at each of them (`WireServer.combine`). */
  static readonly make = makeLedgerApp

  /** Serve it on its own port (ephemeral unless `port` is given); the address is also `WireServer`. */
  static readonly layer = (
    options: FakeLedgerServerOptions = {}
  ): Layer.Layer<FakeLedgerServer | WireServer, never, FakeIssuer> =>
    serveAs(FakeLedgerServer, makeLedgerApp(options), options).pipe(Layer.orDie)

  /**
   * As `layer`, the options read from `config`: by default where `WireServerConfig` says, open, in
   * the role `CARDKIT_FAKE_LEDGER_ROLE` names (`ADMIN` unless it says `LEGALREP`).
   */
  static readonly layerConfig = (
    config: Config.Config<FakeLedgerServerOptions> = Config.map(
      Config.all([WireServerConfig, FakeLedgerRoleConfig]),
      ([where, openRole]) => ({ ...where, open: true, openRole })
    )
  ): Layer.Layer<FakeLedgerServer | WireServer, ConfigError.ConfigError, FakeIssuer> =>
    Layer.unwrapEffect(Effect.map(config, FakeLedgerServer.layer))
}

/** `CARDKIT_FAKE_LEDGER_ROLE`: the role an open fake ledger, or the in-memory client's `call`s, act in. */
export const FakeLedgerRoleConfig: Config.Config<Role> = Config.withDefault(
  Config.literal("ADMIN", "LEGALREP")("ROLE"),
  "ADMIN" as const
).pipe(Config.nested("LEDGER"), Config.nested("FAKE"), Config.nested("CARDKIT"))
