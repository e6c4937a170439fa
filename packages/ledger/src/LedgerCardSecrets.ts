import { CardCvv, CardSecrets, makeCvv, ProtocolViolation, ProviderRejected } from "@cardkit/domain"
import type { CardSecretsError } from "@cardkit/domain"
import type { HttpClient } from "@effect/platform"
import { type Config, type ConfigError, Context, DateTime, Effect, Layer, Option } from "effect"
import { LedgerClient, type LedgerClientOptions } from "./LedgerClient.js"
import { LedgerConfig } from "./LedgerConfig.js"
import { LedgerErrorCodes } from "./LedgerWire.js"

const violation = (reason: string) => new ProtocolViolation({ provider: "ledger", reason })

const oddity = (code: string, message: string) => new ProviderRejected({ provider: "ledger", code, message })

const date = (text: string, field: string) =>
  Option.match(DateTime.make(text), {
    onNone: () => Effect.fail(violation(`${field} is not a date`)),
    onSome: (value) => Effect.succeed(value)
  })

const make: Effect.Effect<CardSecrets["Type"], never, LedgerClient> = Effect.gen(function* () {
  const ledger = yield* LedgerClient
  return CardSecrets.of({
    getCvv: (request) =>
      Effect.gen(function* () {
        const { card, api } = yield* ledger.getCvv.call({
          ...(request.reference === undefined ? {} : { reference: request.reference }),
          product: request.product,
          program: request.program,
          channel: request.channel,
          customerId: request.customerId,
          accountNumber: request.accountNumber,
          cardId: request.cardId
        })
        if (card.cardId !== request.cardId) return yield* violation("the answer is for another card")
        if (!/^\d{3,4}$/.test(card.cvv)) return yield* violation("the CVV is not 3 or 4 digits")
        const { cvv, postedDate, updatedDate, cardId: _, ...flags } = card
        // Every field was decoded by the wire schema or checked above.
        return CardCvv.fromDecoded({
          cardId: request.cardId,
          cvv: makeCvv(cvv),
          flags,
          postedDate: yield* date(postedDate, "postedDate"),
          updatedDate: yield* date(updatedDate, "updatedDate"),
          ack: {
            type: api.type,
            reference: api.reference,
            originalReference: api.originalReference ?? "",
            dateCreated: api.dateCreated
          }
        })
      }).pipe(
        // GET_CVV checks no CVV and changes no status: such answers are the ledger's oddities.
        Effect.catchTags({
          IncorrectCvv: () => Effect.fail(oddity(LedgerErrorCodes.incorrectCvv, "incorrect CVV answered to GET_CVV")),
          StatusActionNotAllowed: () =>
            Effect.fail(oddity(LedgerErrorCodes.statusActionNotAllowed, "status action refused to GET_CVV"))
        })
      ) satisfies Effect.Effect<CardCvv, CardSecretsError>
  })
})

/**
 * The domain's `CardSecrets` over the ledger: GET_CVV, service-signed, with the ack checked. Its
 * layers provide it as `CardSecrets` too, and the `LedgerClient` beneath for the other operations.
 */
export class LedgerCardSecrets extends Context.Tag("@cardkit/ledger/LedgerCardSecrets")<
  LedgerCardSecrets,
  CardSecrets["Type"]
>() {
  /** Over the `LedgerClient` in context. */
  static readonly make = make

  static readonly layer = (
    options: LedgerClientOptions
  ): Layer.Layer<LedgerCardSecrets | CardSecrets | LedgerClient, never, HttpClient.HttpClient> =>
    provided(LedgerClient.layer(options))

  /** As `layer`, the options read from `config`: by default the documented `CARDKIT_LEDGER_*` names. */
  static readonly layerConfig = (
    config: Config.Config<LedgerClientOptions> = LedgerConfig
  ): Layer.Layer<LedgerCardSecrets | CardSecrets | LedgerClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
    provided(LedgerClient.layerConfig(config))

  /** Over the `LedgerClient` in context: to share one client (and its HTTP pool) with `LedgerCardLifecycle`. */
  static readonly layerOverClient = (): Layer.Layer<LedgerCardSecrets | CardSecrets, never, LedgerClient> =>
    Layer.effect(CardSecrets, LedgerCardSecrets).pipe(Layer.provideMerge(Layer.effect(LedgerCardSecrets, make)))
}

const provided = <E, R>(client: Layer.Layer<LedgerClient, E, R>) =>
  LedgerCardSecrets.layerOverClient().pipe(Layer.provideMerge(client))
