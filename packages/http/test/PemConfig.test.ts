import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Config, type ConfigError, ConfigProvider, Effect, Option, Redacted } from "effect"
import { PemConfig } from "../src/index.js"

const directory = mkdtempSync(join(tmpdir(), "cardkit-pem-"))
afterAll(() => rmSync(directory, { recursive: true, force: true }))
const pemFile = join(directory, "key.pem")
writeFileSync(pemFile, "-----BEGIN FROM FILE-----")

/** Read `config` the way the transports are read: from environment-style names. */
const read = <A>(config: Config.Config<A>, env: Record<string, string>) =>
  Effect.withConfigProvider(config, ConfigProvider.fromMap(new Map(Object.entries(env)), { pathDelim: "_" }))

const key = PemConfig.optional("KEY")
const text = (pem: Option.Option<Redacted.Redacted<string>>) => Option.map(pem, Redacted.value)

/** The variable an error is about, spelled as in the environment. */
const variableOf = (error: ConfigError.ConfigError) => {
  expect(error._op).toBe("InvalidData")
  return (error as ConfigError.InvalidData).path.join("_")
}

describe("PemConfig.optional", () => {
  it.effect("takes the PEM inline", () =>
    Effect.gen(function* () {
      const pem = yield* read(key, { KEY: "-----BEGIN INLINE-----" })
      expect(Redacted.isRedacted(Option.getOrThrow(pem))).toBe(true)
      expect(text(pem)).toEqual(Option.some("-----BEGIN INLINE-----"))
    })
  )

  it.effect("reads the PEM from NAME_FILE", () =>
    Effect.gen(function* () {
      expect(text(yield* read(key, { KEY_FILE: pemFile }))).toEqual(Option.some("-----BEGIN FROM FILE-----"))
    })
  )

  it.effect("is none when neither is set", () =>
    Effect.gen(function* () {
      expect(yield* read(key, {})).toEqual(Option.none())
    })
  )

  it.effect("refuses both, naming both and repeating neither the PEM nor the file's contents", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(read(key, { KEY: "-----BEGIN INLINE-----", KEY_FILE: pemFile }))
      expect(variableOf(error)).toBe("KEY")
      expect(error.message).toContain("KEY_FILE")
      expect(String(error)).not.toContain("BEGIN")
    })
  )

  it.effect("an unreadable file is invalid data at NAME_FILE, naming the path", () =>
    Effect.gen(function* () {
      const absent = join(directory, "absent.pem")
      const error = yield* Effect.flip(read(key, { KEY_FILE: absent }))
      expect(variableOf(error)).toBe("KEY_FILE")
      expect(error.message).toContain(absent)
      expect(error.message).toContain("ENOENT")
      const directoryError = yield* Effect.flip(read(key, { KEY_FILE: directory }))
      expect(variableOf(directoryError)).toBe("KEY_FILE")
    })
  )

  it.effect("errors name the variable with the prefix a caller nests it under", () =>
    Effect.gen(function* () {
      const nested = key.pipe(Config.nested("VISA"), Config.nested("CARDKIT"))
      expect(text(yield* read(nested, { CARDKIT_VISA_KEY_FILE: pemFile }))).toEqual(
        Option.some("-----BEGIN FROM FILE-----")
      )
      const both = yield* Effect.flip(read(nested, { CARDKIT_VISA_KEY: "inline", CARDKIT_VISA_KEY_FILE: pemFile }))
      expect(variableOf(both)).toBe("CARDKIT_VISA_KEY")
      const unreadable = yield* Effect.flip(read(nested, { CARDKIT_VISA_KEY_FILE: join(directory, "absent.pem") }))
      expect(variableOf(unreadable)).toBe("CARDKIT_VISA_KEY_FILE")
    })
  )
})
