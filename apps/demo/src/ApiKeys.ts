import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import { Array as Arr, Config, ConfigError, Console, Context, Effect, Either, Layer, Option, Redacted } from "effect"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type { Actor } from "@cardkit/store"
import { Unauthorized } from "./ApiErrors.js"
import { AdminKeyAuth, ApiKeyAuth, type Caller } from "./DemoApi.js"

export interface ApiKeysOptions {
  /**
   * The keys `/v1` accepts. Without any, one random key is made and printed once as `API key: <key>`,
   * so the first run still gives a working demo.
   */
  readonly keys?: Arr.NonEmptyReadonlyArray<Redacted.Redacted<string>> | undefined
  /**
   * The keys the admin routes (`/v1/audit`) accept, and only they: an admin key is no key for the
   * card routes unless it is in `keys` too. Without any, the admin routes refuse every request.
   */
  readonly adminKeys?: Arr.NonEmptyReadonlyArray<Redacted.Redacted<string>> | undefined
}

/** Comma-separated keys in `name`; unset, none. Set but holding no key, it is a configuration error. */
const keyList = (name: string): Config.Config<Option.Option<Arr.NonEmptyReadonlyArray<Redacted.Redacted<string>>>> =>
  Config.redacted().pipe(
    // Nested after the check, so that its error names the variable under whatever prefix a caller adds.
    Config.mapOrFail((value) => {
      const keys = Redacted.value(value)
        .split(",")
        .map((key) => key.trim())
        .filter((key) => key.length > 0)
      return Arr.isNonEmptyReadonlyArray(keys)
        ? Either.right(Arr.map(keys, (key) => Redacted.make(key)))
        : Either.left(ConfigError.InvalidData([], "holds no key: give one or more, comma-separated"))
    }),
    Config.nested(name),
    Config.option
  )

/**
 * The keys from `CARDKIT_DEMO_API_KEYS` (unset: a random key) and the admin keys from
 * `CARDKIT_DEMO_ADMIN_API_KEYS` (unset: none), each comma-separated. Nest it or build your own for
 * `ApiKeys.layerConfig`.
 */
export const ApiKeysConfig: Config.Config<ApiKeysOptions> = Config.all({
  keys: keyList("CARDKIT_DEMO_API_KEYS"),
  adminKeys: keyList("CARDKIT_DEMO_ADMIN_API_KEYS")
}).pipe(
  Config.map(({ adminKeys, keys }) => ({
    keys: Option.getOrUndefined(keys),
    adminKeys: Option.getOrUndefined(adminKeys)
  }))
)

const digest = (key: string): Buffer => createHash("sha256").update(key).digest()

/** Whether a candidate is one of `keys`, held only as digests. */
const matcher = (keys: ReadonlyArray<Redacted.Redacted<string>>) => {
  const digests = keys.map((key) => digest(Redacted.value(key)))
  return (candidate: Redacted.Redacted<string>): boolean => {
    // Equal-length digests keep timingSafeEqual's timing independent of the candidate's length and
    // content, and every key is compared, so the time does not say which key came close.
    const wanted = digest(Redacted.value(candidate))
    let found = false
    for (const known of digests) found = timingSafeEqual(known, wanted) || found
    return found
  }
}

const printedRandomKey: Effect.Effect<Arr.NonEmptyReadonlyArray<Redacted.Redacted<string>>> = Effect.suspend(() => {
  const key = randomBytes(24).toString("base64url")
  return Effect.as(Console.log(`API key: ${key}`), [Redacted.make(key)] as const)
})

/** The API keys `/v1` accepts, held only as SHA-256 digests. */
export class ApiKeys extends Context.Tag("@cardkit/demo/ApiKeys")<
  ApiKeys,
  {
    readonly matches: (candidate: Redacted.Redacted<string>) => boolean
    /** One of the admin keys (`adminKeys`): what the admin routes accept. */
    readonly matchesAdmin: (candidate: Redacted.Redacted<string>) => boolean
  }
>() {
  static readonly make = (options: ApiKeysOptions = {}): Effect.Effect<ApiKeys["Type"]> =>
    Effect.map(options.keys === undefined ? printedRandomKey : Effect.succeed(options.keys), (keys) =>
      ApiKeys.of({ matches: matcher(keys), matchesAdmin: matcher(options.adminKeys ?? []) })
    )

  static readonly layer = (options: ApiKeysOptions = {}): Layer.Layer<ApiKeys> =>
    Layer.effect(ApiKeys, ApiKeys.make(options))

  /**
   * As `layer`, the options read from `config`: by default `CARDKIT_DEMO_API_KEYS` and
   * `CARDKIT_DEMO_ADMIN_API_KEYS` (`ApiKeysConfig`).
   */
  static readonly layerConfig = (
    config: Config.Config<ApiKeysOptions> = ApiKeysConfig
  ): Layer.Layer<ApiKeys, ConfigError.ConfigError> => Layer.effect(ApiKeys, Effect.flatMap(config, ApiKeys.make))
}

const callerOf = (candidate: Redacted.Redacted<string>): Caller["Type"] => {
  let id: string | undefined
  return {
    get id() {
      id ??= digest(Redacted.value(candidate)).toString("hex")
      return id
    }
  }
}

const refusal = (message: string) => new Unauthorized({ error: { code: "Unauthorized", message } })

/** A key check as the security handlers of an auth middleware. */
const securityOf = (matches: (candidate: Redacted.Redacted<string>) => boolean, refused: Unauthorized) => {
  // The caller is known by its key's digest, so nothing downstream (the idempotency store) holds a key.
  // Hashed only when asked for (an idempotent write): the CVV route does not pay for a second digest.
  const check = (candidate: Redacted.Redacted<string>) =>
    matches(candidate)
      ? Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
          const caller = callerOf(candidate)
          ;(request as Authenticated)[callerOfRequest] = caller
          return caller
        })
      : Effect.fail(refused)
  return { apiKey: check, bearer: check }
}

export const ApiKeyAuthLive = Layer.effect(
  ApiKeyAuth,
  Effect.map(ApiKeys, (keys) =>
    securityOf(keys.matches, refusal("send a valid API key as x-api-key or Authorization: Bearer"))
  )
)

export const AdminKeyAuthLive = Layer.effect(
  AdminKeyAuth,
  Effect.map(ApiKeys, (keys) =>
    securityOf(
      keys.matchesAdmin,
      refusal("send an admin API key (CARDKIT_DEMO_ADMIN_API_KEYS) as x-api-key or Authorization: Bearer")
    )
  )
)

const callerOfRequest = Symbol("@cardkit/demo/caller")

interface Authenticated extends HttpServerRequest.HttpServerRequest {
  [callerOfRequest]?: Caller["Type"]
}

/**
 * The audit trail's actor of a request: its id, the client's address and, once a key is accepted,
 * a short id of the key (a prefix of its digest, never the key). Read lazily, so a request that is
 * not audited never hashes its key twice.
 */
export const actorOf = (request: HttpServerRequest.HttpServerRequest, requestId: string): Actor => ({
  requestId,
  get clientAddress() {
    return Option.getOrUndefined(request.remoteAddress)
  },
  get apiKeyId() {
    return (request as Authenticated)[callerOfRequest]?.id.slice(0, 16)
  }
})
