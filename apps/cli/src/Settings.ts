import * as ConfigProvider from "effect/ConfigProvider"
import * as Option from "effect/Option"

/**
 * A command-line flag that stands for a `Config` name: `--ledger-url` is `CARDKIT_LEDGER_URL`. The
 * transports read their settings through `Config` only, so flags become one more `ConfigProvider`
 * in front of the environment and nothing has to know where a setting came from.
 */
export interface SettingFlag {
  readonly flag: string
  readonly env: string
  readonly description: string
}

const setting = (flag: string, env: string, description: string): SettingFlag => ({ flag, env, description })

const secret = "(secret: prefer the environment variable, flags show in the process list)"

export const ledgerSettings: ReadonlyArray<SettingFlag> = [
  setting("ledger-url", "CARDKIT_LEDGER_URL", "Ledger base URL; requests go to …/cardv2"),
  setting("ledger-api-key", "CARDKIT_LEDGER_API_KEY", `Ledger API key ${secret}`),
  setting("ledger-key-id", "CARDKIT_LEDGER_KEY_ID", "Key id the signing key is registered under"),
  setting("ledger-private-key-file", "CARDKIT_LEDGER_PRIVATE_KEY_FILE", "PKCS#8 PEM file of the P-256 signing key"),
  setting("ledger-username", "CARDKIT_LEDGER_USERNAME", "User name for the envelope's credential"),
  setting(
    "ledger-credential-strategy",
    "CARDKIT_LEDGER_CREDENTIAL_STRATEGY",
    "basic-api-key (default), basic-password or raw"
  ),
  setting("ledger-password", "CARDKIT_LEDGER_PASSWORD", `Password for basic-password ${secret}`)
]

export const visaSettings: ReadonlyArray<SettingFlag> = [
  setting("visa-url", "CARDKIT_VISA_URL", "Visa API base URL (default https://sandbox.api.visa.com)"),
  setting("visa-user-id", "CARDKIT_VISA_USER_ID", `Visa project user ID ${secret}`),
  setting("visa-password", "CARDKIT_VISA_PASSWORD", `Visa project password ${secret}`),
  setting("visa-acquiring-bin", "CARDKIT_VISA_ACQUIRING_BIN", "Acquiring BIN (6 to 11 digits)"),
  setting("visa-client-cert-file", "CARDKIT_VISA_CLIENT_CERT_FILE", "Two-way TLS client certificate, PEM file"),
  setting("visa-client-key-file", "CARDKIT_VISA_CLIENT_KEY_FILE", "Its private key, PEM file"),
  setting("visa-ca-file", "CARDKIT_VISA_CA_FILE", "CAs to trust for the server certificate, PEM file")
]

/** Where the store (audit trail, reveal budgets) is kept: what `cvv`, the `card` writes, `audit` and `demo` read. */
export const storeSettings: ReadonlyArray<SettingFlag> = [
  setting(
    "data-dir",
    "CARDKIT_DATA_DIR",
    "Directory of the embedded SQLite store, cardkit.sqlite (default .cardkit; :memory: keeps nothing)"
  ),
  setting("database-url", "CARDKIT_DATABASE_URL", `PostgreSQL store instead, postgres://… ${secret}`)
]

/** The values given as flags, by `Config` name. */
export type SettingValues = Readonly<Record<string, Option.Option<string>>>

/** Flags first, then the environment: the same names the transports' READMEs document. */
export const settingsProvider = (values: SettingValues): ConfigProvider.ConfigProvider => {
  const given = new Map<string, string>()
  for (const [env, value] of Object.entries(values)) {
    if (Option.isSome(value)) given.set(env, value.value)
  }
  return ConfigProvider.orElse(ConfigProvider.fromMap(given, { pathDelim: "_" }), () => ConfigProvider.fromEnv())
}
