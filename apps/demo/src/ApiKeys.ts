import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import { Config, ConfigError, Console, Context, Effect, Layer, Option, Redacted } from "effect"
import { Unauthorized } from "./ApiErrors.js"
import { ApiKeyAuth } from "./DemoApi.js"

const digest = (key: string): Buffer => createHash("sha256").update(key).digest()

/** The API keys `/v1` accepts, held only as SHA-256 digests. */
export class ApiKeys extends Context.Tag("@cardkit/demo/ApiKeys")<
  ApiKeys,
  { readonly matches: (candidate: Redacted.Redacted<string>) => boolean }
>() {
  static readonly make = (keys: ReadonlyArray<Redacted.Redacted<string>>): Context.Tag.Service<ApiKeys> => {
    const digests = keys.map((key) => digest(Redacted.value(key)))
    return {
      matches: (candidate) => {
        // Equal-length digests keep timingSafeEqual's timing independent of the candidate's length and
        // content, and every key is compared, so the time does not say which key came close.
        const wanted = digest(Redacted.value(candidate))
        let found = false
        for (const known of digests) found = timingSafeEqual(known, wanted) || found
        return found
      }
    }
  }

  static readonly layerWith = (keys: ReadonlyArray<Redacted.Redacted<string>>) =>
    Layer.succeed(ApiKeys, ApiKeys.make(keys))

  /**
   * Keys from `CARDKIT_DEMO_API_KEYS` (comma-separated). When it is unset, one random key is made and
   * printed once as `API key: <key>`, so the first run still gives a working demo.
   */
  static readonly layerConfig = Layer.effect(
    ApiKeys,
    Effect.gen(function* () {
      const configured = yield* Config.option(Config.redacted("CARDKIT_DEMO_API_KEYS"))
      if (Option.isSome(configured)) {
        const keys = Redacted.value(configured.value)
          .split(",")
          .map((key) => key.trim())
          .filter((key) => key.length > 0)
        if (keys.length === 0) {
          return yield* Effect.fail(
            ConfigError.InvalidData(["CARDKIT_DEMO_API_KEYS"], "holds no key: give one or more, comma-separated")
          )
        }
        return ApiKeys.make(keys.map((key) => Redacted.make(key)))
      }
      const key = randomBytes(24).toString("base64url")
      yield* Console.log(`API key: ${key}`)
      return ApiKeys.make([Redacted.make(key)])
    })
  )
}

const refused = new Unauthorized({
  error: { code: "Unauthorized", message: "send a valid API key as x-api-key or Authorization: Bearer" }
})

export const ApiKeyAuthLive = Layer.effect(
  ApiKeyAuth,
  Effect.map(ApiKeys, (keys) => {
    const check = (candidate: Redacted.Redacted<string>) =>
      keys.matches(candidate) ? Effect.void : Effect.fail(refused)
    return { apiKey: check, bearer: check }
  })
)
