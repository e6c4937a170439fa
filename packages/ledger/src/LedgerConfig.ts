import { PemConfig, type UndiciHttpClient } from "@cardkit/http"
import { Config, ConfigError, Either, Option, Redacted } from "effect"
import { type CredentialStrategy, makeCredential } from "./Credential.js"
import type { KeyIdPlacement, LedgerClientOptions, Signer } from "./LedgerClient.js"
import { loadPrivateKey, loadPublicKey } from "./Signing.js"

/** A key that does not parse is a configuration error naming its variable, not a defect at first use. */
const checkKey = (name: string, pem: Option.Option<Redacted.Redacted<string>>, load: (pem: string) => unknown) => {
  if (Option.isNone(pem)) return undefined
  try {
    load(Redacted.value(pem.value))
    return undefined
  } catch {
    return ConfigError.InvalidData([name], `${name} is not a usable key`)
  }
}

/**
 * The ledger transport's settings from the environment (or any ConfigProvider):
 * `CARDKIT_LEDGER_URL`, `_API_KEY`, `_KEY_ID`, `_PRIVATE_KEY` / `_PRIVATE_KEY_FILE`,
 * `_CREDENTIAL_STRATEGY` (`basic-api-key` | `basic-password` | `raw`), `_USERNAME`, `_PASSWORD`,
 * `_CREDENTIAL`, `_KEY_ID_PLACEMENT` (`api` | `header` | `both`), `_RSA_PUBLIC_KEY` / `_FILE`,
 * `_IS_ENCRYPT` (`boolean` | `string`), `_STATUS_ACTIONS` (`client` | `documented`),
 * `_INCORRECT_CVV_CODES` (comma-separated, e.g. `9999`), `_RETRIES`. A PEM set both inline and as `_FILE` is refused (`PemConfig`). Nest it under a prefix
 * of your own, or build a `Config` of your own, for `LedgerClient.layerConfig`.
 */
export const LedgerConfig: Config.Config<LedgerClientOptions> = Config.all({
  url: Config.string("URL"),
  apiKey: Config.redacted("API_KEY"),
  keyId: Config.string("KEY_ID"),
  privateKey: PemConfig.optional("PRIVATE_KEY"),
  strategy: Config.literal(
    "basic-api-key",
    "basic-password",
    "raw"
  )("CREDENTIAL_STRATEGY").pipe(Config.withDefault<CredentialStrategy>("basic-api-key")),
  username: Config.option(Config.string("USERNAME")),
  password: Config.option(Config.redacted("PASSWORD")),
  credential: Config.option(Config.redacted("CREDENTIAL")),
  keyIdPlacement: Config.literal(
    "api",
    "header",
    "both"
  )("KEY_ID_PLACEMENT").pipe(Config.withDefault<KeyIdPlacement>("both")),
  rsaPublicKey: PemConfig.optional("RSA_PUBLIC_KEY"),
  isEncrypt: Config.literal(
    "boolean",
    "string"
  )("IS_ENCRYPT").pipe(Config.withDefault<"boolean" | "string">("boolean")),
  statusActions: Config.literal(
    "client",
    "documented"
  )("STATUS_ACTIONS").pipe(Config.withDefault<"client" | "documented">("client")),
  incorrectCvvCodes: Config.array(Config.string(), "INCORRECT_CVV_CODES").pipe(Config.withDefault([])),
  retries: Config.integer("RETRIES").pipe(Config.withDefault(2))
}).pipe(
  Config.mapOrFail((c) => {
    const keyError =
      checkKey("PRIVATE_KEY", c.privateKey, loadPrivateKey) ?? checkKey("RSA_PUBLIC_KEY", c.rsaPublicKey, loadPublicKey)
    if (keyError !== undefined) return Either.left(keyError)
    try {
      const credential = makeCredential({
        strategy: c.strategy,
        username: Option.getOrUndefined(c.username),
        apiKey: c.apiKey,
        password: Option.getOrUndefined(c.password),
        credential: Option.getOrUndefined(c.credential)
      })
      return Either.right<LedgerClientOptions>({
        url: c.url,
        apiKey: c.apiKey,
        keyId: c.keyId,
        credential,
        privateKey: Option.getOrUndefined(c.privateKey),
        keyIdPlacement: c.keyIdPlacement,
        rsaPublicKey: Option.getOrUndefined(Option.map(c.rsaPublicKey, Redacted.value)),
        isEncrypt: c.isEncrypt,
        statusActions: c.statusActions,
        incorrectCvvCodes: c.incorrectCvvCodes,
        retries: c.retries
      })
    } catch (error) {
      return Either.left(ConfigError.InvalidData(["CREDENTIAL_STRATEGY"], (error as Error).message))
    }
  }),
  Config.nested("LEDGER"),
  Config.nested("CARDKIT")
)

/**
 * The ledger's HTTP client from `CARDKIT_LEDGER_TIMEOUT` (10 seconds by default): how long a
 * connection, and then the answer, may take. For `UndiciHttpClient.layerConfig`.
 */
export const LedgerHttpConfig: Config.Config<UndiciHttpClient.LayerOptions> = Config.all({
  timeout: Config.duration("TIMEOUT").pipe(Config.withDefault("10 seconds"))
}).pipe(Config.nested("LEDGER"), Config.nested("CARDKIT"))

/**
 * A development cardholder device, from `CARDKIT_LEDGER_CARDHOLDER_KEY_ID`, `_CARDHOLDER_PRIVATE_KEY` /
 * `_FILE`, `_CARDHOLDER_API_KEY` and (optional) `_CARDHOLDER_CREDENTIAL`: the key
 * `LedgerCardLifecycle` signs the cardholder's operations with when set (`cardkit fake serve` prints
 * one). None when the key id is not set.
 */
export const LedgerCardholderConfig: Config.Config<Option.Option<Signer>> = Config.option(
  Config.all({
    keyId: Config.string("KEY_ID"),
    privateKey: PemConfig.optional("PRIVATE_KEY"),
    apiKey: Config.redacted("API_KEY"),
    credential: Config.option(Config.redacted("CREDENTIAL"))
  }).pipe(
    Config.mapOrFail(({ apiKey, credential, keyId, privateKey }) => {
      if (Option.isNone(privateKey)) {
        return Either.left(ConfigError.MissingData(["PRIVATE_KEY"], "the cardholder device needs its private key"))
      }
      const keyError = checkKey("PRIVATE_KEY", privateKey, loadPrivateKey)
      if (keyError !== undefined) return Either.left(keyError)
      return Either.right<Signer>({
        keyId,
        privateKey: privateKey.value,
        apiKey,
        credential: Option.getOrUndefined(credential)
      })
    }),
    Config.nested("CARDHOLDER")
  )
).pipe(Config.nested("LEDGER"), Config.nested("CARDKIT"))
