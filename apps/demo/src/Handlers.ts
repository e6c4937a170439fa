import { AccountValidation, CardSecrets, maskPan } from "@cardkit/domain"
import { HttpApiBuilder } from "@effect/platform"
import { Effect, Layer } from "effect"
import { fromDomainError } from "./ApiErrors.js"
import { DemoApi } from "./DemoApi.js"
import { revealedAnswer, revealRequest } from "./internal/reveal.js"
import { ProviderInfo } from "./Provider.js"

export const HealthLive = HttpApiBuilder.group(DemoApi, "health", (handlers) =>
  Effect.map(ProviderInfo, ({ name }) =>
    handlers.handle("health", () => Effect.succeed({ status: "ok" as const, provider: name }))
  )
)

export const CardsLive = HttpApiBuilder.group(DemoApi, "cards", (handlers) =>
  Effect.map(CardSecrets, (secrets) =>
    handlers.handle("revealCvv", ({ path, payload }) =>
      secrets.getCvv(revealRequest(path.cardId, payload)).pipe(
        Effect.tapBoth({
          onFailure: (error) => Effect.logInfo(`reveal-cvv card=${path.cardId} ${error._tag}`),
          onSuccess: () => Effect.logInfo(`reveal-cvv card=${path.cardId} ok`)
        }),
        Effect.mapBoth({ onFailure: (error) => fromDomainError(error), onSuccess: revealedAnswer })
      )
    )
  )
)

export const AccountsLive = HttpApiBuilder.group(DemoApi, "accounts", (handlers) =>
  Effect.map(AccountValidation, (accounts) =>
    handlers.handle("validateAccount", ({ payload }) =>
      accounts.validate(payload).pipe(
        Effect.tapBoth({
          onFailure: (error) => Effect.logInfo(`account-validation pan=${maskPan(payload.pan)} ${error._tag}`),
          onSuccess: (result) =>
            Effect.logInfo(
              `account-validation pan=${maskPan(payload.pan)} approved=${result.approved} actionCode=${result.actionCode}`
            )
        }),
        Effect.mapError((error) => fromDomainError(error))
      )
    )
  )
)

export const HandlersLive = Layer.mergeAll(HealthLive, CardsLive, AccountsLive)
