import { AccountValidation, CardSecrets, GetCvvRequest, maskPan } from "@cardkit/domain"
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Effect, Layer, Redacted } from "effect"
import { fromDomainError } from "./ApiErrors.js"
import { DemoApi, type RevealedCvv } from "./DemoApi.js"
import { ProviderInfo } from "./Provider.js"

const noStore = { "cache-control": "no-store" }

export const HealthLive = HttpApiBuilder.group(DemoApi, "health", (handlers) =>
  Effect.map(ProviderInfo, ({ name }) =>
    handlers.handle("health", () => Effect.succeed({ status: "ok" as const, provider: name }))
  )
)

export const CardsLive = HttpApiBuilder.group(DemoApi, "cards", (handlers) =>
  Effect.map(CardSecrets, (secrets) =>
    handlers.handle("revealCvv", ({ path, payload }) =>
      // The payload was decoded by the endpoint's schema already: skip validating it twice.
      secrets.getCvv(new GetCvvRequest({ ...payload, cardId: path.cardId }, true)).pipe(
        Effect.tapBoth({
          onSuccess: () => Effect.logInfo(`reveal-cvv card=${path.cardId} ok`),
          onFailure: (error) => Effect.logInfo(`reveal-cvv card=${path.cardId} ${error._tag}`)
        }),
        // Written out rather than encoded through `RevealedCvv`: this is the hot route, and the
        // response needs its no-store header anyway.
        Effect.map((card) => {
          const body: RevealedCvv = {
            cardId: card.cardId,
            cvv: Redacted.value(card.cvv),
            card: card.flags,
            reference: card.ack.reference
          }
          return HttpServerResponse.unsafeJson(body, { headers: noStore })
        }),
        Effect.mapError((error) => fromDomainError(error))
      )
    )
  )
)

export const AccountsLive = HttpApiBuilder.group(DemoApi, "accounts", (handlers) =>
  Effect.map(AccountValidation, (accounts) =>
    handlers.handle("validateAccount", ({ payload }) =>
      accounts.validate(payload).pipe(
        Effect.tapBoth({
          onSuccess: (result) =>
            Effect.logInfo(
              `account-validation pan=${maskPan(payload.pan)} approved=${result.approved} actionCode=${result.actionCode}`
            ),
          onFailure: (error) => Effect.logInfo(`account-validation pan=${maskPan(payload.pan)} ${error._tag}`)
        }),
        Effect.mapError((error) => fromDomainError(error))
      )
    )
  )
)

export const HandlersLive = Layer.mergeAll(HealthLive, CardsLive, AccountsLive)
