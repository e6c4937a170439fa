import { readFileSync } from "node:fs"
import { Config, ConfigError, Either, Option, Redacted } from "effect"

const readPem = (
  name: string,
  path: string
): Either.Either<Option.Option<Redacted.Redacted<string>>, ConfigError.ConfigError> => {
  try {
    return Either.right(Option.some(Redacted.make(readFileSync(path, "utf8"))))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return Either.left(
      ConfigError.InvalidData([`${name}_FILE`], `cannot read ${path}${code === undefined ? "" : ` (${code})`}`)
    )
  }
}

/**
 * A PEM given inline (`NAME`) or as the path of a file holding it (`NAME_FILE`), absent when neither is set.
 *
 * Setting both is a `ConfigError.InvalidData` at `NAME` naming both: an ambiguous configuration of a
 * secret is refused rather than guessed, since either guess can sign or trust with a key nobody meant.
 * The file is read inside the `Config`, so its errors carry the path a caller's `Config.nested` gives
 * (`CARDKIT_VISA_CA_FILE`, not `CA_FILE`) and the result is held as `Redacted` like the inline value.
 */
export const optional = (name: string): Config.Config<Option.Option<Redacted.Redacted<string>>> =>
  Config.all({
    inline: Config.option(Config.redacted(name)),
    file: Config.option(Config.string(`${name}_FILE`))
  }).pipe(
    Config.mapOrFail(({ file, inline }) =>
      Option.isNone(file)
        ? Either.right(inline)
        : Option.isSome(inline)
          ? Either.left(ConfigError.InvalidData([name], `both ${name} and ${name}_FILE are set: set only one`))
          : readPem(name, file.value)
    )
  )
