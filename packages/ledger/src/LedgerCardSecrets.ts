import { CardSecrets, type GetCvvRequest } from "@cardkit/domain"
import type { HttpClient } from "@effect/platform"
import { type Config, type ConfigError, Context, Effect, Layer } from "effect"
import { revealErrors, toCardCvv } from "./LedgerCards.js"
import { type CallInput, LedgerClient, type LedgerClientOptions } from "./LedgerClient.js"
import { LedgerConfig } from "./LedgerConfig.js"
import type { LedgerOperations } from "./LedgerOperations.js"

/** GET_CVV's payload for a reveal: the request's card and account, and its reference if it has one. */
export const revealInput = (request: GetCvvRequest): CallInput<LedgerOperations["getCvv"]> => ({
  ...(request.reference === undefined ? {} : { reference: request.reference }),
  product: request.product,
  program: request.program,
  channel: request.channel,
  customerId: request.customerId,
  accountNumber: request.accountNumber,
  cardId: request.cardId
})

const make: Effect.Effect<CardSecrets["Type"], never, LedgerClient> = Effect.map(LedgerClient, (ledger) =>
  CardSecrets.of({
    getCvv: (request) =>
      revealErrors(
        Effect.flatMap(ledger.getCvv.call(revealInput(request)), (result) => toCardCvv(request.cardId, result))
      )
  })
)

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
