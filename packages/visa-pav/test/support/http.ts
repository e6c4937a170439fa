import { UndiciHttpClient } from "@cardkit/http"
import { HttpClient } from "@effect/platform"
import { Effect, Layer } from "effect"
import { VisaHttpConfig } from "../../src/VisaPavOptions.js"

/** `effect` over the HTTP client production uses, open for the rest of the caller's scope. */
export const withHttp = <A, E, R>(effect: Effect.Effect<A, E, R>, options: UndiciHttpClient.LayerOptions = {}) =>
  Effect.flatMap(UndiciHttpClient.makeAgent({ timeout: "5 seconds", ...options }), (client) =>
    Effect.provideService(effect, HttpClient.HttpClient, client)
  )

/** A transport layer over the HTTP client configured as production does: `CARDKIT_VISA_*` TLS and timeout. */
export const viaUndici = <A, E, R>(layer: Layer.Layer<A, E, R>) =>
  layer.pipe(Layer.provide(UndiciHttpClient.layerConfig(VisaHttpConfig)))
