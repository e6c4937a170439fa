import { Ack, CardCvv, CardSecrets, makeCvv, ProtocolViolation, ProviderRejected } from "@cardkit/domain"
import type { CardSecretsError } from "@cardkit/domain"
import { type Config, type ConfigError, DateTime, Effect, Layer, Option } from "effect"
import { LedgerClient, type LedgerClientOptions } from "./LedgerClient.js"
import { LedgerConfig } from "./LedgerConfig.js"
import { LedgerErrorCodes } from "./LedgerWire.js"

const violation = (reason: string) => new ProtocolViolation({ provider: "ledger", reason })

const date = (text: string, field: string) =>
  Option.match(DateTime.make(text), {
    onNone: () => Effect.fail(violation(`${field} is not a date`)),
    onSome: (value) => Effect.succeed(value)
  })

/** `CardSecrets` over the ledger: GET_CVV, service-signed, with the ack checked. */
export const make = Effect.gen(function* () {
  const ledger = yield* LedgerClient
  return CardSecrets.of({
    getCvv: (request) =>
      Effect.gen(function* () {
        const { card, api } = yield* ledger.getCvv.call({
          ...(request.reference === undefined ? {} : { reference: request.reference }),
          product: request.product,
          program: request.program,
          channel: request.channel,
          transactionType: "GET_CVV",
          customerId: request.customerId,
          accountNumber: request.accountNumber,
          cardId: request.cardId
        })
        if (card.cardId !== request.cardId) return yield* violation("the answer is for another card")
        if (!/^\d{3,4}$/.test(card.cvv)) return yield* violation("the CVV is not 3 or 4 digits")
        const { cvv, postedDate, updatedDate, cardId: _, ...flags } = card
        // Every field was decoded or checked above; re-validating the class costs more than the signature.
        return new CardCvv(
          {
            cardId: request.cardId,
            cvv: makeCvv(cvv),
            flags,
            postedDate: yield* date(postedDate, "postedDate"),
            updatedDate: yield* date(updatedDate, "updatedDate"),
            ack: new Ack(
              {
                type: api.type,
                reference: api.reference,
                originalReference: api.originalReference ?? "",
                dateCreated: api.dateCreated
              },
              { disableValidation: true }
            )
          },
          { disableValidation: true }
        )
      }).pipe(
        // GET_CVV checks no CVV, so an "incorrect CVV" answer is the ledger's oddity, not the caller's.
        Effect.catchTag("IncorrectCvv", () =>
          Effect.fail(
            new ProviderRejected({
              provider: "ledger",
              code: LedgerErrorCodes.incorrectCvv,
              message: "incorrect CVV answered to GET_CVV"
            })
          )
        )
      ) satisfies Effect.Effect<CardCvv, CardSecretsError>
  })
})

/** The ledger transport as the domain's `CardSecrets` (plus `LedgerClient` for other operations). */
export const LedgerCardSecrets = {
  /** Self-contained: the client brings its own keep-alive undici connection pool. */
  layer: (options: LedgerClientOptions) =>
    Layer.effect(CardSecrets, make).pipe(Layer.provideMerge(LedgerClient.layer(options))),
  /** As `layer`, the options read from `config`: by default the documented `CARDKIT_LEDGER_*` names. */
  layerConfig: (
    config: Config.Config<LedgerClientOptions> = LedgerConfig
  ): Layer.Layer<CardSecrets | LedgerClient, ConfigError.ConfigError> =>
    Layer.effect(CardSecrets, make).pipe(Layer.provideMerge(LedgerClient.layerConfig(config)))
} as const
