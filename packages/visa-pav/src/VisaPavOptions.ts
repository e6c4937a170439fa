import * as Fs from "node:fs/promises"
import { Config, ConfigError, type Duration, Effect, Option, Redacted } from "effect"
import type { CardAcceptor } from "./CardValidationRequest.js"
import type { MleEncryption } from "./Mle.js"

/** How to reach and authenticate to Visa's PAV API. */
export interface PavClientOptions {
  /** Base URL, e.g. `https://sandbox.api.visa.com` (production `https://api.visa.com`). */
  readonly url: string
  /** The project's user ID and password, sent as HTTP Basic. */
  readonly userId: Redacted.Redacted<string>
  readonly password: Redacted.Redacted<string>
  /** Two-way TLS: the project's client certificate and key, and the CAs to trust for Visa's server (PEM). */
  readonly tls?: {
    readonly cert?: string
    readonly key?: Redacted.Redacted<string>
    readonly ca?: string
  }
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
  /** Bound on each attempt's connect, and on Visa's answer starting and not stalling (default 10 seconds). */
  readonly timeout?: Duration.DurationInput
  /** Retries of attempts that cannot have reached Visa or that Visa answered 503 (default 2). */
  readonly retries?: number
}

/** What `VisaAccountValidation` adds to every request: the acquirer and card acceptor. */
export interface VisaAccountValidationOptions extends PavClientOptions {
  readonly acquiringBin: string
  /** ISO 3166 numeric, e.g. `840`. */
  readonly acquirerCountryCode: string
  /** Visa rejects requests without a card acceptor `name` and `idCode` since 1 April 2025. */
  readonly cardAcceptor?: CardAcceptor
}

const prefix = "CARDKIT_VISA_"

/** A PEM given inline (`NAME`) or as a file (`NAME_FILE`); the file wins. */
const pem = (name: string) =>
  Config.all({
    text: Config.option(Config.redacted(`${prefix}${name}`)),
    file: Config.option(Config.string(`${prefix}${name}_FILE`))
  })

const readPem = (
  name: string,
  source: { readonly text: Option.Option<Redacted.Redacted<string>>; readonly file: Option.Option<string> }
): Effect.Effect<Option.Option<Redacted.Redacted<string>>, ConfigError.ConfigError> =>
  Option.match(source.file, {
    onNone: () => Effect.succeed(source.text),
    onSome: (path) =>
      Effect.tryPromise({
        try: () => Fs.readFile(path, "utf8"),
        catch: () => ConfigError.InvalidData([`${prefix}${name}_FILE`], `cannot read ${path}`)
      }).pipe(Effect.map((text) => Option.some(Redacted.make(text))))
  })

const transportConfig = Config.all({
  url: Config.withDefault(Config.string(`${prefix}URL`), "https://sandbox.api.visa.com"),
  userId: Config.redacted(`${prefix}USER_ID`),
  password: Config.redacted(`${prefix}PASSWORD`),
  cert: pem("CLIENT_CERT"),
  key: pem("CLIENT_KEY"),
  ca: pem("CA"),
  mleKeyId: Config.option(Config.string(`${prefix}MLE_KEY_ID`)),
  mleServerKey: pem("MLE_SERVER_PUBLIC_KEY"),
  mleServerCert: pem("MLE_SERVER_CERT"),
  mleClientKey: pem("MLE_CLIENT_PRIVATE_KEY"),
  mleEncryption: Config.withDefault(Config.literal("A128GCM", "A256GCM")(`${prefix}MLE_ENCRYPTION`), "A128GCM"),
  xPayApiKey: Config.option(Config.string(`${prefix}XPAY_API_KEY`)),
  xPaySharedSecret: Config.option(Config.redacted(`${prefix}XPAY_SHARED_SECRET`)),
  timeout: Config.withDefault(Config.duration(`${prefix}TIMEOUT`), "10 seconds"),
  retries: Config.withDefault(Config.integer(`${prefix}RETRIES`), 2)
})

const missing = (name: string, because: string) => ConfigError.MissingData([`${prefix}${name}`], because)

/** `PavClientOptions` from `CARDKIT_VISA_*` (see README.md); PEM files are read here. */
export const pavClientOptionsFromConfig: Effect.Effect<PavClientOptions, ConfigError.ConfigError> = Effect.gen(
  function* () {
    const c = yield* transportConfig
    const cert = yield* readPem("CLIENT_CERT", c.cert)
    const key = yield* readPem("CLIENT_KEY", c.key)
    const ca = yield* readPem("CA", c.ca)
    if (Option.isSome(cert) !== Option.isSome(key)) {
      return yield* Effect.fail(
        missing(Option.isSome(cert) ? "CLIENT_KEY" : "CLIENT_CERT", "a client certificate needs its key")
      )
    }
    const tls = {
      ...Option.match(cert, { onNone: () => ({}), onSome: (cert) => ({ cert: Redacted.value(cert) }) }),
      ...Option.match(key, { onNone: () => ({}), onSome: (key) => ({ key }) }),
      ...Option.match(ca, { onNone: () => ({}), onSome: (ca) => ({ ca: Redacted.value(ca) }) })
    }
    const mle = yield* Option.match(c.mleKeyId, {
      onNone: () => Effect.succeed(undefined),
      onSome: (keyId) =>
        Effect.gen(function* () {
          const serverCert = yield* readPem("MLE_SERVER_CERT", c.mleServerCert)
          const serverKey = Option.isSome(serverCert)
            ? serverCert
            : yield* readPem("MLE_SERVER_PUBLIC_KEY", c.mleServerKey)
          const clientKey = yield* readPem("MLE_CLIENT_PRIVATE_KEY", c.mleClientKey)
          if (Option.isNone(serverKey))
            return yield* Effect.fail(missing("MLE_SERVER_CERT", "MLE needs Visa's MLE public key"))
          if (Option.isNone(clientKey))
            return yield* Effect.fail(missing("MLE_CLIENT_PRIVATE_KEY", "MLE needs the client's key"))
          return {
            keyId,
            serverPublicKey: Redacted.value(serverKey.value),
            clientPrivateKey: clientKey.value,
            encryption: c.mleEncryption
          }
        })
    })
    const xPayToken = Option.getOrUndefined(Option.all({ apiKey: c.xPayApiKey, sharedSecret: c.xPaySharedSecret }))
    return {
      url: c.url,
      userId: c.userId,
      password: c.password,
      ...(Object.keys(tls).length === 0 ? {} : { tls }),
      ...(mle === undefined ? {} : { mle }),
      ...(xPayToken === undefined ? {} : { xPayToken }),
      timeout: c.timeout,
      retries: c.retries
    }
  }
)

const acquirerConfig = Config.all({
  acquiringBin: Config.string(`${prefix}ACQUIRING_BIN`),
  acquirerCountryCode: Config.withDefault(Config.string(`${prefix}ACQUIRER_COUNTRY_CODE`), "840"),
  name: Config.option(Config.string(`${prefix}CARD_ACCEPTOR_NAME`)),
  idCode: Config.option(Config.string(`${prefix}CARD_ACCEPTOR_ID_CODE`)),
  terminalId: Config.option(Config.string(`${prefix}CARD_ACCEPTOR_TERMINAL_ID`)),
  city: Config.option(Config.string(`${prefix}CARD_ACCEPTOR_CITY`)),
  state: Config.option(Config.string(`${prefix}CARD_ACCEPTOR_STATE`)),
  country: Config.option(Config.string(`${prefix}CARD_ACCEPTOR_COUNTRY`)),
  zipCode: Config.option(Config.string(`${prefix}CARD_ACCEPTOR_ZIP_CODE`))
})

const defined = <A extends Record<string, Option.Option<unknown>>>(fields: A) =>
  Object.fromEntries(
    Object.entries(fields).flatMap(([name, value]) => (Option.isSome(value) ? [[name, value.value]] : []))
  ) as { [K in keyof A]?: A[K] extends Option.Option<infer V> ? V : never }

/** `VisaAccountValidationOptions` from `CARDKIT_VISA_*` (see README.md). */
export const visaAccountValidationOptionsFromConfig: Effect.Effect<
  VisaAccountValidationOptions,
  ConfigError.ConfigError
> = Effect.gen(function* () {
  const transport = yield* pavClientOptionsFromConfig
  const c = yield* acquirerConfig
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
    ...transport,
    acquiringBin: c.acquiringBin,
    acquirerCountryCode: c.acquirerCountryCode,
    ...(cardAcceptor === undefined ? {} : { cardAcceptor })
  }
})
