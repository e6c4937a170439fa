import {
  CardCvv,
  CardNotFound,
  CardSecrets,
  type CardSecretsError,
  cardFlagNames,
  type GetCvvRequest,
  makeCvv
} from "@cardkit/domain"
import { DateTime, Deferred, Effect, Layer, Ref } from "effect"

/*
 * A `CardSecrets` for the budget's tests (the store does not depend on the fake): each call does what
 * `next` says — reveal, fail with `CardNotFound`, or hang until interrupted — and is counted.
 */

export type StubOutcome = "reveal" | "fail" | "hang"

export interface StubSecrets {
  readonly layer: Layer.Layer<CardSecrets>
  readonly next: Ref.Ref<StubOutcome>
  readonly calls: Ref.Ref<number>
  /** Completed when a call starts hanging. */
  readonly hanging: Deferred.Deferred<void>
}

const epoch = DateTime.unsafeMake(0)

const revealed = (request: GetCvvRequest): CardCvv =>
  CardCvv.fromDecoded({
    cardId: request.cardId,
    cvv: makeCvv("123"),
    flags: Object.fromEntries(cardFlagNames.map((name) => [name, false])) as CardCvv["flags"],
    postedDate: epoch,
    updatedDate: epoch,
    ack: { type: "GET_CVV_ACK", reference: "REF1", originalReference: "1", dateCreated: 0 }
  })

export const makeStub: Effect.Effect<StubSecrets> = Effect.gen(function* () {
  const next = yield* Ref.make<StubOutcome>("reveal")
  const calls = yield* Ref.make(0)
  const hanging = yield* Deferred.make<void>()
  const getCvv = (request: GetCvvRequest): Effect.Effect<CardCvv, CardSecretsError> =>
    Effect.gen(function* () {
      yield* Ref.update(calls, (n) => n + 1)
      switch (yield* Ref.get(next)) {
        case "reveal":
          return revealed(request)
        case "fail":
          return yield* new CardNotFound({ cardId: request.cardId })
        case "hang":
          yield* Deferred.succeed(hanging, undefined)
          return yield* Effect.never
      }
    })
  return { layer: Layer.succeed(CardSecrets, CardSecrets.of({ getCvv })), next, calls, hanging }
})
