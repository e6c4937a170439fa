/**
 * An `@effect/platform` `HttpClient` over an undici dispatcher, lean enough for the transports'
 * hot path.
 */
export * as UndiciHttpClient from "./UndiciHttpClient.js"
