import { PemConfig, type UndiciHttpClient } from "@cardkit/http"
import type { HttpClient } from "@effect/platform"
import { Config, ConfigError, Either, Option, Redacted } from "effect"
import type { CardAcceptor } from "./CardValidationRequest.js"
import type { MleEncryption } from "./Mle.js"

/** How to reach and authenticate to Visa's PAV API. */
export interface PavClientOptions {
  /** Base URL, e.g. `https://sandbox.api.visa.com` (production `https://api.visa.com`). */
  readonly url: string
  /** The project's user ID and password, sent as HTTP Basic. */
  readonly userId: Redacted.Redacted<string>
  readonly password: Redacted.Redacted<string>
  /** Message Level Encryption; off when absent. */
  readonly mle?: {
    readonly keyId: string
    /** Visa's MLE server key: an X.509 certificate or an SPKI public key, PEM. */
    readonly serverPublicKey: string
    /** The client's MLE private key (PEM) that Visa encrypts responses to. */
    readonly clientPrivateKey: Redacted.Redacted<string>
    /** `A128GCM` unless set. */
    readonly encryption?: MleEncryption
  }
  /** Visa's X-Pay-Token, for projects set up with it instead of Basic; off when absent. */
  readonly xPayToken?: {
    readonly apiKey: string
    readonly sharedSecret: Redacted.Redacted<string>
  }
  /** Retries of attempts that cannot have reached Visa or that Visa answered 503 (default 2). */
  readonly retries?: number
  /** Applied once to the `HttpClient` from context: a proxy, request logging, tracing of a team's own. */
  readonly transformClient?: (client: HttpClient.HttpClient) => HttpClient.HttpClient
}

/** What `VisaAccountValidation` adds to every request: the acquirer and card acceptor. */
export interface VisaAccountValidationOptions extends PavClientOptions {
  readonly acquiringBin: string
  /** ISO 3166 numeric, e.g. `840`. */
  readonly acquirerCountryCode: string
  /** Visa rejects requests without a card acceptor `name` and `idCode` since 1 April 2025. */
  readonly cardAcceptor?: CardAcceptor
}

/** The transport's settings, unprefixed: `VisaPavConfig` and `VisaAccountValidationConfig` nest them. */
const transportConfig: Config.Config<PavClientOptions> = Config.all({
  url: Config.withDefault(Config.string("URL"), "https://sandbox.api.visa.com"),
  userId: Config.redacted("USER_ID"),
  password: Config.redacted("PASSWORD"),
  mleKeyId: Config.option(Config.string("MLE_KEY_ID")),
  mleServerKey: PemConfig.optional("MLE_SERVER_PUBLIC_KEY"),
  mleServerCert: PemConfig.optional("MLE_SERVER_CERT"),
  mleClientKey: PemConfig.optional("MLE_CLIENT_PRIVATE_KEY"),
  mleEncryption: Config.withDefault(Config.literal("A128GCM", "A256GCM")("MLE_ENCRYPTION"), "A128GCM"),
  xPayApiKey: Config.option(Config.string("XPAY_API_KEY")),
  xPaySharedSecret: Config.option(Config.redacted("XPAY_SHARED_SECRET")),
  retries: Config.withDefault(Config.integer("RETRIES"), 2)
}).pipe(
  Config.mapOrFail((c): Either.Either<PavClientOptions, ConfigError.ConfigError> => {
    let mle: PavClientOptions["mle"]
    if (Option.isSome(c.mleKeyId)) {
      const serverKey = Option.orElse(c.mleServerCert, () => c.mleServerKey)
      if (Option.isNone(serverKey))
        return Either.left(ConfigError.MissingData(["MLE_SERVER_CERT"], "MLE needs Visa's MLE public key"))
      if (Option.isNone(c.mleClientKey))
        return Either.left(ConfigError.MissingData(["MLE_CLIENT_PRIVATE_KEY"], "MLE needs the client's key"))
      mle = {
        keyId: c.mleKeyId.value,
        serverPublicKey: Redacted.value(serverKey.value),
        clientPrivateKey: c.mleClientKey.value,
        encryption: c.mleEncryption
      }
    }
    const xPayToken = Option.getOrUndefined(Option.all({ apiKey: c.xPayApiKey, sharedSecret: c.xPaySharedSecret }))
    return Either.right({
      url: c.url,
      userId: c.userId,
      password: c.password,
      ...(mle === undefined ? {} : { mle }),
      ...(xPayToken === undefined ? {} : { xPayToken }),
      retries: c.retries
    })
  })
)

const defined = <A extends Record<string, Option.Option<unknown>>>(fields: A) =>
  Object.fromEntries(
    Object.entries(fields).flatMap(([name, value]) => (Option.isSome(value) ? [[name, value.value]] : []))
  ) as { [K in keyof A]?: A[K] extends Option.Option<infer V> ? V : never }

const acquirerConfig = Config.all({
  acquiringBin: Config.string("ACQUIRING_BIN"),
  acquirerCountryCode: Config.withDefault(Config.string("ACQUIRER_COUNTRY_CODE"), "840"),
  name: Config.option(Config.string("CARD_ACCEPTOR_NAME")),
  idCode: Config.option(Config.string("CARD_ACCEPTOR_ID_CODE")),
  terminalId: Config.option(Config.string("CARD_ACCEPTOR_TERMINAL_ID")),
  city: Config.option(Config.string("CARD_ACCEPTOR_CITY")),
  state: Config.option(Config.string("CARD_ACCEPTOR_STATE")),
  country: Config.option(Config.string("CARD_ACCEPTOR_COUNTRY")),
  zipCode: Config.option(Config.string("CARD_ACCEPTOR_ZIP_CODE"))
}).pipe(
  Config.map((c) => {
    const address = defined({ city: c.city, state: c.state, country: c.country, zipCode: c.zipCode })
    const cardAcceptor = Option.getOrUndefined(
      Option.map(Option.all({ name: c.name, idCode: c.idCode }), ({ name, idCode }) => ({
        name,
        idCode,
        ...defined({ terminalId: c.terminalId }),
        ...(Object.keys(address).length === 0 ? {} : { address })
      }))
    )
    return {
      acquiringBin: c.acquiringBin,
      acquirerCountryCode: c.acquirerCountryCode,
      ...(cardAcceptor === undefined ? {} : { cardAcceptor })
    }
  })
)

const underCardkitVisa = <A>(config: Config.Config<A>): Config.Config<A> =>
  config.pipe(Config.nested("VISA"), Config.nested("CARDKIT"))

/**
 * `PavClientOptions` from `CARDKIT_VISA_*` (see README.md), PEM files read as it is read. Nest it
 * under a prefix of your own, or build a `Config` of your own, for `PavClient.layerConfig`.
 */
export const VisaPavConfig: Config.Config<PavClientOptions> = underCardkitVisa(transportConfig)

/**
 * Visa's HTTP client from `CARDKIT_VISA_*`: two-way TLS (`_CLIENT_CERT`, `_CLIENT_KEY`, `_CA`, each
 * inline or as `_FILE`) and `_TIMEOUT` (10 seconds by default) on connecting and on the answer. For
 * `UndiciHttpClient.layerConfig`.
 */
export const VisaHttpConfig: Config.Config<UndiciHttpClient.LayerOptions> = underCardkitVisa(
  Config.all({
    cert: PemConfig.optional("CLIENT_CERT"),
    key: PemConfig.optional("CLIENT_KEY"),
    ca: PemConfig.optional("CA"),
    timeout: Config.withDefault(Config.duration("TIMEOUT"), "10 seconds")
  }).pipe(
    Config.mapOrFail(({ ca, cert, key, timeout }) =>
      Option.isSome(cert) !== Option.isSome(key)
        ? Either.left(
            ConfigError.MissingData(
              [Option.isSome(cert) ? "CLIENT_KEY" : "CLIENT_CERT"],
              "a client certificate needs its key"
            )
          )
        : Either.right({
            timeout,
            tls: {
              cert: Option.getOrUndefined(Option.map(cert, Redacted.value)),
              key: Option.getOrUndefined(key),
              ca: Option.getOrUndefined(Option.map(ca, Redacted.value))
            }
          })
    )
  )
)

/** `VisaAccountValidationOptions` from `CARDKIT_VISA_*` (see README.md): the transport's and the acquirer's. */
export const VisaAccountValidationConfig: Config.Config<VisaAccountValidationOptions> = underCardkitVisa(
  Config.zipWith(transportConfig, acquirerConfig, (transport, acquirer) => ({ ...transport, ...acquirer }))
)
