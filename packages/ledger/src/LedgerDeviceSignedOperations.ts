import {
  type DeviceSignature,
  DeviceSignedOperations,
  type DeviceSigningError,
  InvalidRequest,
  type SignableOperation,
  SignablePayload,
  type SignableRequest
} from "@cardkit/domain"
import type { HttpClient } from "@effect/platform"
import { type Config, type ConfigError, Context, Effect, Either, Layer, Option, Redacted, Schema } from "effect"
import { type CardAt, cardholderFlows, inDomainTerms } from "./LedgerCardLifecycle.js"
import { revealErrors, toCardCvv } from "./LedgerCards.js"
import { revealInput } from "./LedgerCardSecrets.js"
import { LedgerClient, type LedgerClientOptions, type PresignedPayload } from "./LedgerClient.js"
import { LedgerConfig } from "./LedgerConfig.js"
import { LedgerOperations, type OperationName } from "./LedgerOperations.js"

/** What the ledger issued with a device's key id (AddUserKey's answer), sent beside the device's signature. */
export interface DeviceCredentials {
  /** The API key AddUserKey answered with the key id. */
  readonly apiKey: Redacted.Redacted<string>
  /** The cardholder's credential, when it differs from the service's. */
  readonly credential?: Redacted.Redacted<string> | undefined
}

export interface LedgerDeviceSignedOptions {
  /**
   * The credentials registered with a device key id: the production backend keeps AddUserKey's API
   * key per key. Without a lookup, or for a key id it does not know, the service's API key and
   * credential go with the device's signature, and the ledger decides.
   */
  readonly deviceCredentials?: ((keyId: string) => Effect.Effect<Option.Option<DeviceCredentials>>) | undefined
}

/** The ledger operation each signable operation is. */
const operationOf = {
  revealCvv: "getCvv",
  validateCvv: "validateCvv",
  changePin: "pinChange",
  activate: "updateStatus",
  replace: "replaceCard"
} as const satisfies Record<SignableOperation, OperationName>

/** A payload's members `perform` reads: the card and account it is for, and the action it asks. */
interface PayloadView {
  readonly cardId: string
  readonly customerId?: string | undefined
  readonly accountNumber?: string | undefined
  readonly product: string
  readonly program: string
  readonly channel: CardAt["channel"]
  readonly statusAction?: string | undefined
}

const decoders = Object.fromEntries(
  Object.entries(operationOf).map(([operation, name]) => [
    operation,
    Schema.decodeUnknownEither(
      Schema.parseJson(LedgerOperations[name].payload as unknown as Schema.Schema<PayloadView, unknown>)
    )
  ])
) as Record<SignableOperation, (bytes: string) => Either.Either<PayloadView, unknown>>

/** The card a stored payload is for, if its bytes are that operation's payload for that card and account. */
const cardOf = (signable: SignablePayload): Either.Either<CardAt & PayloadView, InvalidRequest> => {
  const refused = new InvalidRequest({
    field: "payload",
    reason: `is not a ${LedgerOperations[operationOf[signable.operation]].transactionType} payload for this card`
  })
  const decoded = decoders[signable.operation](Redacted.value(signable.payload))
  if (Either.isLeft(decoded)) return Either.left(refused)
  const view = decoded.right
  const matches =
    view.cardId === signable.cardId &&
    (view.customerId === undefined || view.customerId === signable.customerId) &&
    (view.accountNumber === undefined || view.accountNumber === signable.accountNumber) &&
    (signable.operation !== "activate" || view.statusAction === "ACTIVATE")
  return matches
    ? Either.right({ ...view, customerId: signable.customerId, accountNumber: signable.accountNumber })
    : Either.left(refused)
}

const make = (
  options: LedgerDeviceSignedOptions = {}
): Effect.Effect<DeviceSignedOperations["Type"], never, LedgerClient> =>
  Effect.map(LedgerClient, (ledger) => {
    const flows = cardholderFlows(ledger)

    const prepared = (operation: SignableOperation, request: CardAt, bytes: Effect.Effect<string, InvalidRequest>) =>
      Effect.map(
        bytes,
        (payload) =>
          new SignablePayload({
            operation,
            payload: Redacted.make(payload),
            cardId: request.cardId as SignablePayload["cardId"],
            customerId: request.customerId as SignablePayload["customerId"],
            accountNumber: request.accountNumber as SignablePayload["accountNumber"]
          })
      )

    const prepare = (signable: SignableRequest): Effect.Effect<SignablePayload, DeviceSigningError> => {
      const { request } = signable
      switch (signable.operation) {
        case "revealCvv":
          return prepared("revealCvv", request, ledger.getCvv.payload(revealInput(signable.request)))
        case "validateCvv":
          return prepared("validateCvv", request, ledger.validateCvv.payload(flows.validateCvv.input(signable.request)))
        case "changePin":
          return prepared("changePin", request, ledger.pinChange.payload(flows.changePin.input(signable.request)))
        case "activate":
          return prepared("activate", request, ledger.updateStatus.payload(flows.activate.input(signable.request)))
        case "replace":
          return prepared("replace", request, ledger.replaceCard.payload(flows.replace.input(signable.request)))
      }
    }

    const presignedOf = (signable: SignablePayload, signature: DeviceSignature) =>
      Effect.map(
        options.deviceCredentials === undefined ? Effect.succeedNone : options.deviceCredentials(signature.keyId),
        (credentials): PresignedPayload => ({
          payload: Redacted.value(signable.payload),
          signature: signature.signature,
          keyId: signature.keyId,
          ...Option.match(credentials, {
            onNone: () => ({}),
            onSome: ({ apiKey, credential }) => ({ apiKey, credential })
          })
        })
      )

    const perform = (
      signable: SignablePayload,
      signature: DeviceSignature
    ): Effect.Effect<unknown, DeviceSigningError> =>
      Effect.gen(function* () {
        const card = yield* cardOf(signable)
        const presigned = yield* presignedOf(signable, signature)
        switch (signable.operation) {
          case "revealCvv":
            return yield* revealErrors(
              Effect.flatMap(ledger.getCvv.presigned(presigned), (result) => toCardCvv(card.cardId, result))
            )
          case "validateCvv":
            return yield* flows.validateCvv.run(card, ledger.validateCvv.presigned(presigned))
          case "changePin":
            return yield* flows.changePin.run(card, ledger.pinChange.presigned(presigned))
          case "activate":
            return yield* flows.activate.run(card, ledger.updateStatus.presigned(presigned))
          case "replace":
            return yield* flows.replace.run(
              card,
              card.statusAction === "REISSUE" ? "damaged" : "lost_stolen",
              ledger.replaceCard.presigned(presigned)
            )
        }
      })

    return DeviceSignedOperations.of({
      prepare: (request) => Effect.mapError(prepare(request), inDomainTerms) as never,
      perform: (payload, signature) => Effect.mapError(perform(payload, signature), inDomainTerms) as never
    })
  })

/**
 * The domain's `DeviceSignedOperations` over the ledger (reference §2.4): `prepare` is the client's
 * own payload for the operation, serialized and encrypted as `call` does, byte for byte; `perform`
 * sends those bytes through `presigned` with the device's signature and key id, inside the same
 * sequence as `LedgerCardLifecycle`'s (the card read first, a lost card reported by the service
 * before its replacement) and mapped to the domain's results as the plain ports map them. The
 * ledger checks the device's signature; a refusal is `AuthenticationFailed`.
 *
 * Activation is the one UPDATE_STATUS `ACTIVATE` row, the printed CVV encrypted in its `cardCvv`:
 * the status page makes the CVV mandatory there and the row the cardholder's (LEGALREP) only. The
 * production client's activation also sends VALIDATE_CVV and PIN_CHANGE first; here those are
 * `validateCvv` and `changePin`, each signed on its own.
 */
export class LedgerDeviceSignedOperations extends Context.Tag("@cardkit/ledger/LedgerDeviceSignedOperations")<
  LedgerDeviceSignedOperations,
  DeviceSignedOperations["Type"]
>() {
  /** Over the `LedgerClient` in context. */
  static readonly make = make

  static readonly layer = (
    options: LedgerClientOptions & LedgerDeviceSignedOptions
  ): Layer.Layer<LedgerDeviceSignedOperations | DeviceSignedOperations | LedgerClient, never, HttpClient.HttpClient> =>
    provided(LedgerClient.layer(options), options)

  /** As `layer`, the client's options read from `config` (by default `CARDKIT_LEDGER_*`); no device lookup. */
  static readonly layerConfig = (
    config: Config.Config<LedgerClientOptions> = LedgerConfig
  ): Layer.Layer<
    LedgerDeviceSignedOperations | DeviceSignedOperations | LedgerClient,
    ConfigError.ConfigError,
    HttpClient.HttpClient
  > => provided(LedgerClient.layerConfig(config), {})

  /** Over the `LedgerClient` in context: to share one client (and its HTTP pool) with the other ports. */
  static readonly layerOverClient = (
    options: LedgerDeviceSignedOptions = {}
  ): Layer.Layer<LedgerDeviceSignedOperations | DeviceSignedOperations, never, LedgerClient> =>
    Layer.effect(DeviceSignedOperations, LedgerDeviceSignedOperations).pipe(
      Layer.provideMerge(Layer.effect(LedgerDeviceSignedOperations, make(options)))
    )
}

const provided = <E, R>(client: Layer.Layer<LedgerClient, E, R>, options: LedgerDeviceSignedOptions) =>
  LedgerDeviceSignedOperations.layerOverClient(options).pipe(Layer.provideMerge(client))
