import { FakeIssuer, FakeWireServers, makeDevLedgerClient, WireServer } from "@cardkit/fake"
import { Store, StoreServices } from "@cardkit/store"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Exit, Layer, Redacted, Scope } from "effect"
import { ApiKeys, DemoLive, DemoServer, namedProvider, servedOn } from "../src/index.js"
import { apiKey, CaptureLogs, request } from "./support.js"

/** The demo on an ephemeral port over the registry's in-memory fake, on `store`. */
const demoOn = <E>(store: Layer.Layer<StoreServices.StoreServices, E>) =>
  Effect.map(
    Layer.build(
      DemoServer.layer({ port: 0 }).pipe(
        Layer.provide(ApiKeys.layer({ keys: [Redacted.make(apiKey)] })),
        Layer.provide(servedOn(namedProvider("fake"), store)),
        Layer.provide(CaptureLogs)
      )
    ),
    (context) => Context.get(context, DemoServer).url
  )

/*
 * A store whose database stops answering once the demo is up: its client, found by its tag's key (the
 * demo does not depend on @effect/sql), fails every query after the migrations ran on the real one.
 */
const SqlClientKey = Context.GenericTag<object>("@effect/sql/SqlClient")
const database = { gone: false }
const brokenStore = StoreServices.layerOn(
  Layer.merge(
    Store.layerMemory,
    Layer.effect(
      SqlClientKey,
      Effect.map(
        SqlClientKey,
        (sql) =>
          new Proxy(sql, {
            apply: (target, self, args) =>
              database.gone
                ? Effect.fail(new Error("the database is gone"))
                : Reflect.apply(target as never, self, args)
          }) as object
      )
    ).pipe(Layer.provide(Store.layerMemory))
  ) as typeof Store.layerMemory
)

describe("GET /health and /health/ready", () => {
  it.scopedLive("on the fake: live and ready, the store and the fake checked, no key needed", () =>
    Effect.gen(function* () {
      const url = yield* demoOn(StoreServices.layerMemory)
      const health = yield* request(`${url}/health`)
      expect(health.status).toBe(200)
      expect(health.json).toEqual({ status: "ok", provider: "fake" })
      const ready = yield* request(`${url}/health/ready`)
      expect(ready.status).toBe(200)
      expect(ready.json).toEqual({
        status: "ok",
        checks: [
          { name: "store", status: "ok", detail: "the database answers" },
          { name: "fake", status: "ok", detail: "in memory" }
        ],
        credentials: []
      })
    })
  )

  it.scopedLive("a store that does not answer: /health/ready is 503 naming it, /health still 200", () =>
    Effect.gen(function* () {
      const url = yield* demoOn(brokenStore)
      database.gone = true
      const ready = yield* request(`${url}/health/ready`)
      expect(ready.status).toBe(503)
      expect(ready.json.status).toBe("failing")
      expect(ready.json.checks).toContainEqual({
        name: "store",
        status: "failing",
        detail: "the database does not answer"
      })
      expect(ready.json.checks).toContainEqual({ name: "fake", status: "ok", detail: "in memory" })
      expect(ready.text).not.toMatch(/the database is gone/)
      expect((yield* request(`${url}/health`)).status).toBe(200)
    })
  )

  it("is in the OpenAPI document, with its 503", async () => {
    const url = await Effect.runPromise(
      Effect.scoped(Effect.flatMap(demoOn(StoreServices.layerMemory), (url) => request(`${url}/openapi.json`)))
    )
    const ready = url.json.paths["/health/ready"].get
    expect(Object.keys(ready.responses).sort()).toEqual(expect.arrayContaining(["200", "503"]))
  })
})

const days = (n: number) => new Date(Date.now() + n * 24 * 60 * 60 * 1000).toISOString()

describe("on the live provider against the wire fakes", () => {
  const ledgerClient = makeDevLedgerClient()
  const visaCredentials = { userId: "health-pav-user", password: "health-pav-password" }
  const WireFakes = FakeWireServers.layer({
    ledger: { clients: [ledgerClient.registration] },
    visa: { credentials: visaCredentials }
  }).pipe(Layer.provide(FakeIssuer.layer()))

  const liveEnvironment = (url: string, signingKeyNotAfter: string) =>
    ConfigProvider.fromMap(
      new Map([
        ["CARDKIT_PROVIDER", "live"],
        ["CARDKIT_DATA_DIR", ":memory:"],
        ["HOST", "127.0.0.1"],
        ["PORT", "0"],
        ["CARDKIT_DEMO_API_KEYS", apiKey],
        ["CARDKIT_HEALTH_TIMEOUT", "5 seconds"],
        ["CARDKIT_LEDGER_URL", url],
        ["CARDKIT_LEDGER_API_KEY", ledgerClient.apiKey],
        ["CARDKIT_LEDGER_USERNAME", ledgerClient.username],
        ["CARDKIT_LEDGER_KEY_ID", ledgerClient.keyId],
        ["CARDKIT_LEDGER_PRIVATE_KEY", ledgerClient.privateKeyPem],
        ["CARDKIT_LEDGER_SIGNING_KEY_NOT_BEFORE", days(-300)],
        ["CARDKIT_LEDGER_SIGNING_KEY_NOT_AFTER", signingKeyNotAfter],
        ["CARDKIT_VISA_URL", url],
        ["CARDKIT_VISA_USER_ID", visaCredentials.userId],
        ["CARDKIT_VISA_PASSWORD", visaCredentials.password],
        ["CARDKIT_VISA_ACQUIRING_BIN", "408999"]
      ]),
      { pathDelim: "_" }
    )

  /** The live demo against wire fakes that close with `fakes`. */
  const liveDemo = (fakes: Scope.Scope, signingKeyNotAfter: string) =>
    Effect.gen(function* () {
      const { url: fakesUrl } = Context.get(yield* Layer.buildWithScope(WireFakes, fakes), WireServer)
      const demo = yield* Layer.build(
        DemoLive.pipe(
          Layer.provide(Layer.setConfigProvider(liveEnvironment(fakesUrl, signingKeyNotAfter))),
          Layer.provide(CaptureLogs)
        )
      )
      return Context.get(demo, DemoServer).url
    })

  it.scopedLive("ready while both fakes answer; 503 naming the ledger and Visa once they are stopped", () =>
    Effect.gen(function* () {
      const fakes = yield* Scope.make()
      const url = yield* liveDemo(fakes, days(100))
      const ready = yield* request(`${url}/health/ready`)
      expect(ready.status, ready.text).toBe(200)
      expect(ready.json.status).toBe("ok")
      expect(ready.json.checks.map((check: { name: string; status: string }) => [check.name, check.status])).toEqual([
        ["store", "ok"],
        ["ledger", "ok"],
        ["visa", "ok"]
      ])
      expect(ready.json.credentials).toEqual([
        expect.objectContaining({ name: "ledger signing key", status: "ok", ageDays: 300, expiresInDays: 99 })
      ])
      const health = yield* request(`${url}/health`)
      expect(health.json).toEqual({ status: "ok", provider: "live", credentials: ready.json.credentials })

      yield* Scope.close(fakes, Exit.void)
      const down = yield* request(`${url}/health/ready`)
      expect(down.status).toBe(503)
      const failing = down.json.checks.filter((check: { status: string }) => check.status === "failing")
      expect(failing.map((check: { name: string }) => check.name)).toEqual(["ledger", "visa"])
      expect(failing[0].detail).toMatch(/^127\.0\.0\.1:\d+ is not reachable \(ECONNREFUSED\)$/)
      // Liveness runs no check: the demo still serves.
      expect((yield* request(`${url}/health`)).status).toBe(200)
    })
  )

  it.scopedLive("a signing key expiring within 30 days: degraded, still ready", () =>
    Effect.gen(function* () {
      const url = yield* liveDemo(yield* Effect.scope, days(10))
      const ready = yield* request(`${url}/health/ready`)
      expect(ready.status).toBe(200)
      expect(ready.json.status).toBe("degraded")
      expect(ready.json.credentials[0]).toMatchObject({ status: "degraded", expiresInDays: 9 })
      expect((yield* request(`${url}/health`)).json.status).toBe("degraded")
    })
  )

  it.scopedLive("an expired signing key: not ready, /health degraded", () =>
    Effect.gen(function* () {
      const url = yield* liveDemo(yield* Effect.scope, days(-1))
      const ready = yield* request(`${url}/health/ready`)
      expect(ready.status).toBe(503)
      expect(ready.json.credentials[0]).toMatchObject({ name: "ledger signing key", status: "failing" })
      expect((yield* request(`${url}/health`)).json.status).toBe("degraded")
    })
  )
})
