import { Redacted } from "effect"

/**
 * How the envelope's `credential` is built. The document shows only a placeholder and public
 * clients differ, so it is a choice: `basic-api-key` sends `Basic base64(username:apiKey)`,
 * `basic-password` sends base64(username:password), `raw` sends a given credential as it is.
 */
export type CredentialStrategy = "basic-api-key" | "basic-password" | "raw"

export interface CredentialInput {
  readonly strategy: CredentialStrategy
  readonly username?: string | undefined
  readonly apiKey: Redacted.Redacted<string>
  readonly password?: Redacted.Redacted<string> | undefined
  readonly credential?: Redacted.Redacted<string> | undefined
}

const required = <A>(value: A | undefined, what: string): A => {
  if (value === undefined) throw new Error(`the ${what} is required for this credential strategy`)
  return value
}

export const makeCredential = (input: CredentialInput): Redacted.Redacted<string> => {
  switch (input.strategy) {
    case "raw":
      return required(input.credential, "credential")
    case "basic-api-key":
      return Redacted.make(
        `Basic ${Buffer.from(`${required(input.username, "username")}:${Redacted.value(input.apiKey)}`).toString("base64")}`
      )
    case "basic-password":
      return Redacted.make(
        Buffer.from(
          `${required(input.username, "username")}:${Redacted.value(required(input.password, "password"))}`
        ).toString("base64")
      )
  }
}
