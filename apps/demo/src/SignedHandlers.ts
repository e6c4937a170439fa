import {
  ActivateCardRequest,
  Card,
  type CardId,
  ChangePinRequest,
  type DeviceSignature,
  type DeviceSignedResult,
  DeviceSignedOperations,
  type DeviceSigningError,
  ReplaceCardRequest,
  ReplacedCard,
  type SignableOperation,
  SignablePayload,
  type SignableRequest,
  SignableActivate,
  SignableChangePin,
  SignableReplace,
  SignableRevealCvv,
  SignableValidateCvv,
  ValidateCvvRequest
} from "@cardkit/domain"
import { SignablePayloadStore } from "@cardkit/store"
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Effect, Redacted, Schema } from "effect"
import { answerOrFail, fromDomainError, fromPayloadError } from "./ApiErrors.js"
import { Caller, CvvValid, DemoApi } from "./DemoApi.js"
import { logOutcome } from "./internal/logOutcome.js"
import { revealedAnswer, revealRequest } from "./internal/reveal.js"

/*
 * Device-signed operations in two calls. The store keeps a payload as text with no account number,
 * while `perform` needs the domain's whole `SignablePayload`: so the store's text is that payload
 * encoded as JSON, and the bytes the device signs are its `payload` member, handed out unchanged.
 */

const StoredPayload = Schema.parseJson(SignablePayload)

/*
 * The parse errors quote the value they refuse, and the value holds the bytes (a CVV or a PIN): a
 * failure here is the server's own bug, told without them.
 */
const encodeStored = (signable: SignablePayload) =>
  Effect.orDieWith(Schema.encode(StoredPayload)(signable), () => new Error("a signable payload does not encode"))
const decodeStored = (text: string) =>
  Effect.orDieWith(Schema.decode(StoredPayload)(text), () => new Error("a stored signable payload does not decode"))

const json = <A, I>(schema: Schema.Schema<A, I>, value: A) =>
  HttpServerResponse.unsafeJson(Schema.encodeSync(schema)(value))

/** Each operation's result as its plain route answers it. */
const answers: {
  readonly [O in SignableOperation]: (
    result: DeviceSignedResult[O],
    cardId: CardId
  ) => HttpServerResponse.HttpServerResponse
} = {
  revealCvv: revealedAnswer,
  validateCvv: (_, cardId) => json(CvvValid, { cardId, valid: true as const }),
  changePin: () => HttpServerResponse.empty({ status: 204 }),
  activate: (card) => json(Card, card),
  replace: (replaced) => json(ReplacedCard, replaced)
}

export const SignedLive = HttpApiBuilder.group(DemoApi, "signed", (handlers) =>
  Effect.map(Effect.all([DeviceSignedOperations, SignablePayloadStore]), ([operations, store]) => {
    /** The request's payload built, kept for the caller, and handed out with its id. */
    const prepare = (request: SignableRequest) =>
      Effect.gen(function* () {
        const caller = yield* Caller
        const signable = yield* operations.prepare(request)
        const { payloadId } = yield* store.save({
          caller: caller.id,
          operation: signable.operation,
          cardId: signable.cardId,
          customerId: signable.customerId,
          payload: yield* encodeStored(signable)
        })
        return { payloadId, payload: Redacted.value(signable.payload) }
      }).pipe(
        logOutcome(`signable ${request.operation} card=${request.request.cardId}`),
        Effect.catchAll((error: DeviceSigningError) => answerOrFail(error))
      )

    const perform = <O extends SignableOperation>(
      signable: SignablePayload & { readonly operation: O },
      signature: DeviceSignature
    ) =>
      Effect.map(operations.perform(signable, signature), (result) =>
        answers[signable.operation](result, signable.cardId)
      )

    return handlers
      .handle("signRevealCvv", ({ path, payload }) =>
        prepare(new SignableRevealCvv({ request: revealRequest(path.cardId, payload) }))
      )
      .handle("signValidateCvv", ({ path, payload }) =>
        prepare(new SignableValidateCvv({ request: new ValidateCvvRequest({ cardId: path.cardId, ...payload }) }))
      )
      .handle("signChangePin", ({ path, payload }) =>
        prepare(new SignableChangePin({ request: new ChangePinRequest({ cardId: path.cardId, ...payload }) }))
      )
      .handle("signActivate", ({ path, payload }) =>
        prepare(new SignableActivate({ request: new ActivateCardRequest({ cardId: path.cardId, ...payload }) }))
      )
      .handle("signReplace", ({ path, payload }) =>
        prepare(new SignableReplace({ request: new ReplaceCardRequest({ cardId: path.cardId, ...payload }) }))
      )
      .handle("performSigned", ({ path, payload }) =>
        Effect.gen(function* () {
          const caller = yield* Caller
          const stored = yield* store.consume({ caller: caller.id, payloadId: path.payloadId }).pipe(
            // A payload taken is logged once, with its operation and card, by what performs it.
            Effect.tapError((error) => Effect.logInfo(`signed payload=${path.payloadId} ${error._tag}`)),
            Effect.mapError((error) =>
              error._tag === "StoreUnavailable" ? fromDomainError(error) : fromPayloadError(error)
            )
          )
          const signable = yield* decodeStored(stored.payload)
          return yield* perform(signable, payload).pipe(
            logOutcome(`signed ${signable.operation} card=${signable.cardId} payload=${path.payloadId}`),
            Effect.catchAll((error) => answerOrFail(error))
          )
        })
      )
  })
)
