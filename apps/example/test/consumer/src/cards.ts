import { CardSecrets, type CardSecretsError, decodeInput, GetCvvRequest, type InvalidRequest } from "@cardkit/domain"
import { type FakeIssuer, FakeProvider } from "@cardkit/fake"
import { LedgerCardSecrets } from "@cardkit/ledger"
import type { HttpClient } from "@effect/platform"
import { type ConfigError, Effect, type Layer, Redacted } from "effect"

/*
 * Another repository's code over the installed packages, typed out in full so a type that failed to
 * resolve shows: the domain's types, the fake's and the ledger's layers, and @effect/platform's
 * HttpClient from the consumer's own copy (a peer of cardkit's, so one copy of it).
 */

export const revealCvv = (input: unknown): Effect.Effect<string, InvalidRequest | CardSecretsError, CardSecrets> =>
  Effect.gen(function* () {
    const request = yield* decodeInput(GetCvvRequest)(input)
    const card = yield* (yield* CardSecrets).getCvv(request)
    return Redacted.value(card.cvv)
  })

export const inTests: Layer.Layer<CardSecrets | FakeIssuer> = FakeProvider.layer()

export const inProduction: Layer.Layer<CardSecrets, ConfigError.ConfigError, HttpClient.HttpClient> =
  LedgerCardSecrets.layerConfig()

// Libraries' declarations are not checked here (attw checks cardkit's), so a type that failed to
// resolve would be `any`: these would then compile, and the expected errors would be missing.
// @ts-expect-error a layer is not a string
export const layerIsTyped: string = inTests
// @ts-expect-error a program is not a number
export const programIsTyped: number = revealCvv({})
