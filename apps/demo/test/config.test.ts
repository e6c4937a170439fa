import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { StoreServices } from "@cardkit/store"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { FakeProvider } from "@cardkit/fake"
import { Config, ConfigProvider, Console, Effect, Exit, Layer, Redacted } from "effect"
import {
  ApiKeys,
  ApiKeysConfig,
  DemoLive,
  DemoServer,
  DemoServerConfig,
  ProviderInfo,
  ProviderLayer,
  providerLayer,
  servedOn
} from "../src/index.js"
import { CaptureLogs, request } from "./support.js"

/** Names joined by `_`, as `process.env` spells the transports' nested `CARDKIT_LEDGER_*` / `CARDKIT_VISA_*` configs. */
const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)), { pathDelim: "_" }))

/** Run `effect` with a console that records what is printed. */
const printed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const lines: Array<string> = []
    const console = yield* Console.consoleWith((console) =>
      Effect.succeed({
        ...console,
        log: (...args: ReadonlyArray<unknown>) => Effect.sync(() => lines.push(args.join(" ")))
      })
    )
    const result = yield* Effect.withConsole(effect, console as Console.Console)
    return { result, lines }
  })

const keys = ApiKeys.pipe(Effect.provide(ApiKeys.layerConfig()))

describe("API keys", () => {
  it.effect("CARDKIT_DEMO_API_KEYS holds comma-separated keys, and only those match", () =>
    Effect.gen(function* () {
      const { result, lines } = yield* printed(keys.pipe(withEnv({ CARDKIT_DEMO_API_KEYS: "first-key, second-key" })))
      expect(result.matches(Redacted.make("first-key"))).toBe(true)
      expect(result.matches(Redacted.make("second-key"))).toBe(true)
      expect(result.matches(Redacted.make("first-key, second-key"))).toBe(false)
      expect(result.matches(Redacted.make(""))).toBe(false)
      expect(lines).toEqual([])
    })
  )

  it.effect("without CARDKIT_DEMO_API_KEYS a random key is made and printed once", () =>
    Effect.gen(function* () {
      const first = yield* printed(keys.pipe(withEnv({})))
      const second = yield* printed(keys.pipe(withEnv({})))
      expect(first.lines).toHaveLength(1)
      const [, key] = first.lines[0]!.match(/^API key: ([A-Za-z0-9_-]{32})$/) ?? []
      expect(key).toBeDefined()
      expect(first.result.matches(Redacted.make(key!))).toBe(true)
      expect(second.result.matches(Redacted.make(key!))).toBe(false)
    })
  )

  it.effect("a CARDKIT_DEMO_API_KEYS with no key in it is a config error", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(keys.pipe(withEnv({ CARDKIT_DEMO_API_KEYS: " , " })))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(exit)).toContain("CARDKIT_DEMO_API_KEYS")
    })
  )

  it.effect("layerConfig reads a caller's own Config, and its errors name the caller's names", () =>
    Effect.gen(function* () {
      const staging = ApiKeys.pipe(Effect.provide(ApiKeys.layerConfig(Config.nested(ApiKeysConfig, "STAGING"))))
      const env = { STAGING_CARDKIT_DEMO_API_KEYS: "staging-key", CARDKIT_DEMO_API_KEYS: "other-key" }
      const { result, lines } = yield* printed(staging.pipe(withEnv(env)))
      expect(result.matches(Redacted.make("staging-key"))).toBe(true)
      expect(result.matches(Redacted.make("other-key"))).toBe(false)
      expect(lines).toEqual([])
      const error = yield* Effect.flip(staging.pipe(withEnv({ STAGING_CARDKIT_DEMO_API_KEYS: "," })))
      expect(error).toMatchObject({ _op: "InvalidData", path: ["STAGING", "CARDKIT_DEMO_API_KEYS"] })
    })
  )

  it.effect("layer() without keys makes one random key and prints it, as the unset variable does", () =>
    Effect.gen(function* () {
      const { result, lines } = yield* printed(ApiKeys.pipe(Effect.provide(ApiKeys.layer())))
      const [, key] = lines[0]?.match(/^API key: ([A-Za-z0-9_-]{32})$/) ?? []
      expect(lines).toHaveLength(1)
      expect(result.matches(Redacted.make(key!))).toBe(true)
    })
  )
})

describe("provider by CARDKIT_PROVIDER", () => {
  const provider = ProviderInfo.pipe(Effect.provide(ProviderLayer))

  it.effect("is the fake by default", () =>
    Effect.gen(function* () {
      expect((yield* provider.pipe(withEnv({}))).name).toBe("fake")
    })
  )

  it.effect("refuses a name it does not know", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(provider.pipe(withEnv({ CARDKIT_PROVIDER: "sandbox" })))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(exit)).toContain("CARDKIT_PROVIDER")
    })
  )

  it.effect("live needs the transports' own config", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(provider.pipe(withEnv({ CARDKIT_PROVIDER: "live" })))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(exit)).toMatch(/CARDKIT_(LEDGER|VISA)_/)
    })
  )
})

describe("DemoServer", () => {
  const needs = Layer.mergeAll(
    ApiKeys.layer({ keys: [Redacted.make("code-key")] }),
    servedOn(providerLayer("fake", FakeProvider.layer()), StoreServices.layerMemory),
    CaptureLogs
  )

  it.live("make serves until its scope closes", () =>
    Effect.gen(function* () {
      const { url, host } = yield* DemoServer.make({ port: 0 })
      expect(host).toBe("127.0.0.1")
      expect((yield* request(`${url}/health`)).json).toEqual({ status: "ok", provider: "fake" })
    }).pipe(Effect.scoped, Effect.provide(needs))
  )

  it.live("layerConfig reads a caller's own Config", () =>
    Effect.gen(function* () {
      const { url, port } = yield* DemoServer
      expect(port).toBeGreaterThan(0)
      expect((yield* request(`${url}/health`)).status).toBe(200)
    }).pipe(
      Effect.provide(DemoServer.layerConfig(Config.nested(DemoServerConfig, "DEMO")).pipe(Layer.provide(needs))),
      Effect.scoped,
      withEnv({ DEMO_PORT: "0", PORT: "not-a-port" })
    )
  )

  it.effect("a PORT outside 0 to 65535 is a config error naming PORT", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(DemoServerConfig.pipe(withEnv({ PORT: "65536" })))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(exit)).toContain("PORT")
      expect(yield* DemoServerConfig.pipe(withEnv({}))).toEqual({ host: "127.0.0.1", port: 3000 })
    })
  )
})

describe("DemoLive", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "cardkit-demo-"))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it.live(
    "serves on HOST and PORT with the keys, provider and store (a file in CARDKIT_DATA_DIR) from the environment",
    () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
        const health = yield* request(`${url}/health`)
        expect(health.json).toEqual({ status: "ok", provider: "fake" })
        const cvv = yield* request(`${url}/v1/cards/025951734ff74c13a14137e02834fa00/cvv`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: "Bearer env-key" },
          body: JSON.stringify({ customerId: "100000000006001", accountNumber: "400320588344662" })
        })
        expect(cvv.json.cvv).toBe("679")
        expect(existsSync(join(dataDir, "cardkit.sqlite"))).toBe(true)
      }).pipe(
        Effect.provide(DemoLive.pipe(Layer.provide(CaptureLogs))),
        Effect.scoped,
        withEnv({ HOST: "127.0.0.1", PORT: "0", CARDKIT_DEMO_API_KEYS: "env-key", CARDKIT_DATA_DIR: dataDir })
      )
  )
})
