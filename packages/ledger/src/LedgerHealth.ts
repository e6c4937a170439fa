import { Health } from "@cardkit/domain"
import { TransportErrors } from "@cardkit/http"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Config, Context, Effect, Layer, Option } from "effect"
import { LedgerConfig } from "./LedgerConfig.js"

export interface LedgerHealthOptions {
  /** The ledger's base URL, as `LedgerClientOptions.url`. */
  readonly url: string
  /** The signing key's validity, when it is known: a bare EC key carries none, so it is configured. */
  readonly signingKeyNotBefore?: Date | undefined
  readonly signingKeyNotAfter?: Date | undefined
}

/**
 * The ledger's health from the ledger transport's settings (`LedgerConfig`, all of it: a setting the
 * transport would refuse is refused here too) and `CARDKIT_LEDGER_SIGNING_KEY_NOT_BEFORE` /
 * `_NOT_AFTER` (ISO 8601 dates, optional).
 */
export const LedgerHealthConfig: Config.Config<LedgerHealthOptions> = Config.all({
  client: LedgerConfig,
  validity: Config.all({
    notBefore: Config.option(Config.date("SIGNING_KEY_NOT_BEFORE")),
    notAfter: Config.option(Config.date("SIGNING_KEY_NOT_AFTER"))
  }).pipe(Config.nested("LEDGER"), Config.nested("CARDKIT"))
}).pipe(
  Config.map(({ client, validity }) => ({
    url: client.url,
    signingKeyNotBefore: Option.getOrUndefined(validity.notBefore),
    signingKeyNotAfter: Option.getOrUndefined(validity.notAfter)
  }))
)

/** A failure's first error code along its cause chain (`ECONNREFUSED`, `CERT_HAS_EXPIRED`, …). */
const reasonOf = (error: unknown): string => TransportErrors.codesOf(error)[0] ?? "no answer"

/**
 * Reachability: an envelope-less POST to `{url}/cardv2`, which no ledger runs, so any answer (a
 * JSON-RPC error included) proves the ledger is there and nothing is done.
 */
const make = (options: LedgerHealthOptions): Effect.Effect<Health.HealthChecksShape, never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (client) => {
    const endpoint = `${options.url.replace(/\/+$/, "")}/cardv2`
    const send = client
      .execute(HttpClientRequest.post(endpoint).pipe(HttpClientRequest.bodyUnsafeJson({})))
      .pipe(Effect.flatMap((response) => Effect.as(Effect.ignore(response.text), response.status)))
    const known = options.signingKeyNotBefore !== undefined || options.signingKeyNotAfter !== undefined
    return {
      checks: [Health.reachable("ledger", options.url, send, reasonOf)],
      credentials: known
        ? [
            {
              name: "ledger signing key",
              notBefore: options.signingKeyNotBefore,
              notAfter: options.signingKeyNotAfter
            }
          ]
        : []
    }
  })

/** The ledger's checks and credentials, over the `HttpClient` in context (`UndiciHttpClient` on `LedgerHttpConfig`). */
export class LedgerHealth extends Context.Tag("@cardkit/ledger/LedgerHealth")<
  LedgerHealth,
  Health.HealthChecksShape
>() {
  static readonly make = make
  static readonly layer = (options: LedgerHealthOptions): Layer.Layer<LedgerHealth, never, HttpClient.HttpClient> =>
    Layer.effect(LedgerHealth, make(options))
  static readonly layerConfig = (config: Config.Config<LedgerHealthOptions> = LedgerHealthConfig) =>
    Layer.unwrapEffect(Effect.map(config, LedgerHealth.layer))
}
