import { AccountValidation, type CardCvv, CardSecrets, GetCvvRequest, maskPan } from "@cardkit/domain"
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Effect, Layer, Redacted } from "effect"
import { fromDomainError } from "./ApiErrors.js"
import { DemoApi, type RevealedCvv } from "./DemoApi.js"
import { logInfo } from "./internal/logInfo.js"
import { ProviderInfo } from "./Provider.js"

const noStore = { "cache-control": "no-store" }

export const HealthLive = HttpApiBuilder.group(DemoApi, "health", (handlers) =>
  Effect.map(ProviderInfo, ({ name }) =>
    handlers.handle("health", () => Effect.succeed({ status: "ok" as const, provider: name }))
  )
)

/** The CVV answer, written out rather than encoded through `RevealedCvv`: this is the hot route. */
const revealed = (card: CardCvv) => {
  const body: RevealedCvv = {
    cardId: card.cardId,
    cvv: Redacted.value(card.cvv),
    card: card.flags,
    reference: card.ack.reference
  }
  const json = JSON.stringify(body)
  // A string with its length goes out in one write with the head; a byte body is a second buffer.
  // The type and length go in as headers: given as body options, each response copies its headers.
  return HttpServerResponse.raw(json, {
    headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(json)), ...noStore }
  })
}

export const CardsLive = HttpApiBuilder.group(DemoApi, "cards", (handlers) =>
  Effect.map(CardSecrets, (secrets) =>
    handlers.handle("revealCvv", ({ path, payload }) =>
      // The payload was decoded by the endpoint's schema already: skip validating it twice. (The card
      // id goes first: V8 copies `{ ...decoded, more }` on a slow path, a microsecond or two.)
      secrets.getCvv(new GetCvvRequest({ cardId: path.cardId, ...payload }, true)).pipe(
        Effect.matchEffect({
          onFailure: (error) =>
            Effect.zipRight(
              logInfo(() => `reveal-cvv card=${path.cardId} ${error._tag}`),
              Effect.fail(fromDomainError(error))
            ),
          onSuccess: (card) =>
            Effect.as(
              logInfo(() => `reveal-cvv card=${path.cardId} ok`),
              revealed(card)
            )
        })
      )
    )
  )
)

export const AccountsLive = HttpApiBuilder.group(DemoApi, "accounts", (handlers) =>
  Effect.map(AccountValidation, (accounts) =>
    handlers.handle("validateAccount", ({ payload }) =>
      accounts.validate(payload).pipe(
        Effect.matchEffect({
          onFailure: (error) =>
            Effect.zipRight(
              logInfo(() => `account-validation pan=${maskPan(payload.pan)} ${error._tag}`),
              Effect.fail(fromDomainError(error))
            ),
          onSuccess: (result) =>
            Effect.as(
              logInfo(
                () =>
                  `account-validation pan=${maskPan(payload.pan)} approved=${result.approved} actionCode=${result.actionCode}`
              ),
              result
            )
        })
      )
    )
  )
)

export const HandlersLive = Layer.mergeAll(HealthLive, CardsLive, AccountsLive)
