import { X509Certificate } from "node:crypto"
import { Health } from "@cardkit/domain"
import { TransportErrors } from "@cardkit/http"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Config, Context, Effect, Layer } from "effect"
import { cardValidationPath } from "./internal/transport.js"
import { VisaAccountValidationConfig, VisaHttpConfig } from "./VisaPavOptions.js"

export interface VisaHealthOptions {
  /** Visa's base URL, as `PavClientOptions.url`. */
  readonly url: string
  /** The two-way TLS client certificate, PEM, when one is configured. */
  readonly clientCertificate?: string | undefined
  /** Visa's MLE server key, PEM: its validity is known when it is a certificate (an SPKI key carries none). */
  readonly mleServerKey?: string | undefined
}

/**
 * Visa's health from the transport's settings (`VisaAccountValidationConfig` and `VisaHttpConfig`,
 * all of them: a setting the transport would refuse is refused here too).
 */
export const VisaHealthConfig: Config.Config<VisaHealthOptions> = Config.zipWith(
  VisaAccountValidationConfig,
  VisaHttpConfig,
  (validation, http) => ({
    url: validation.url,
    clientCertificate: http.tls?.cert,
    mleServerKey: validation.mle?.serverPublicKey
  })
)

/** A PEM certificate's validity; nothing for a PEM that is not one (the MLE key may be a bare public key). */
const validity = (name: string, pem: string | undefined): ReadonlyArray<Health.Credential> => {
  if (pem === undefined || !pem.includes("BEGIN CERTIFICATE")) return []
  try {
    const certificate = new X509Certificate(pem)
    return [{ name, notBefore: new Date(certificate.validFrom), notAfter: new Date(certificate.validTo) }]
  } catch {
    // The transport's own layers refuse a certificate that does not parse; health has nothing to add.
    return []
  }
}

/** A failure's first error code along its cause chain (`ECONNREFUSED`, `CERT_HAS_EXPIRED`, …). */
const reasonOf = (error: unknown): string => TransportErrors.codesOf(error)[0] ?? "no answer"

/**
 * Reachability: a GET of the card validation path, which Visa answers (refusing the method or the
 * missing credentials) without validating anything; over two-way TLS the handshake is checked too.
 */
const make = (options: VisaHealthOptions): Effect.Effect<Health.HealthChecksShape, never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (client) => {
    const send = client
      .execute(HttpClientRequest.get(`${options.url.replace(/\/+$/, "")}${cardValidationPath}`))
      .pipe(Effect.flatMap((response) => Effect.as(Effect.ignore(response.text), response.status)))
    return {
      checks: [Health.reachable("visa", options.url, send, reasonOf)],
      credentials: [
        ...validity("visa client certificate", options.clientCertificate),
        ...validity("visa MLE certificate", options.mleServerKey)
      ]
    }
  })

/** Visa's checks and credentials, over the `HttpClient` in context (`UndiciHttpClient` on `VisaHttpConfig`). */
export class VisaHealth extends Context.Tag("@cardkit/visa-pav/VisaHealth")<VisaHealth, Health.HealthChecksShape>() {
  static readonly make = make
  static readonly layer = (options: VisaHealthOptions): Layer.Layer<VisaHealth, never, HttpClient.HttpClient> =>
    Layer.effect(VisaHealth, make(options))
  static readonly layerConfig = (config: Config.Config<VisaHealthOptions> = VisaHealthConfig) =>
    Layer.unwrapEffect(Effect.map(config, VisaHealth.layer))
}
