import * as Http from "node:http"
import * as Net from "node:net"
import { Health } from "@cardkit/domain"
import { UndiciHttpClient } from "@cardkit/http"
import { LedgerHealth, LedgerHealthConfig } from "@cardkit/ledger"
import { VisaHealth, VisaHealthConfig } from "@cardkit/visa-pav"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Context, Duration, Effect, Layer, Redacted } from "effect"
import selfsigned from "selfsigned"
import { FakeIssuer } from "../src/FakeIssuer.js"
import { FakeLedgerServer, makeDevLedgerClient } from "../src/LedgerServer.js"
import { makeTestPki } from "../src/testing.js"
import { FakeVisaServer } from "../src/VisaServer.js"
import { WireServer } from "../src/WireServer.js"

/*
 * The ledger's and Visa's health checks against their wire fakes, a closed port and a server that
 * never answers; certificates made at test time with the validity each case needs.
 */

const day = Duration.toMillis(Duration.days(1))
const inDays = (days: number) => new Date(Date.now() + days * day)
// Room for a loaded machine where a server answers; a short bound where one never does.
const settings: Health.HealthOptions = { timeout: "10 seconds", expiryWarning: "30 days" }
const short: Health.HealthOptions = { ...settings, timeout: "300 millis" }

/** A self-signed certificate valid until `notAfter` (EC: quick to make). */
const certificate = async (notAfter: Date, notBefore = inDays(-400)) =>
  (
    await selfsigned.generate([{ name: "commonName", value: "cardkit health test" }], {
      keyType: "ec",
      notBeforeDate: notBefore,
      notAfterDate: notAfter
    })
  ).cert

/** A port nothing listens on: taken, then released. */
const closedPort = Effect.promise(
  () =>
    new Promise<number>((resolve) => {
      const server = Net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as Net.AddressInfo
        server.close(() => resolve(port))
      })
    })
)

/** A server that accepts every request and never answers, closed with the test's scope. */
const silentServer = Effect.acquireRelease(
  Effect.promise(
    () =>
      new Promise<Http.Server>((resolve) => {
        const server = Http.createServer(() => {})
        server.listen(0, "127.0.0.1", () => resolve(server))
      })
  ),
  (server) =>
    Effect.promise(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        })
    )
).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as Net.AddressInfo).port}`))

const plainClient = UndiciHttpClient.layer({ timeout: "10 seconds" })

const ledgerReport = (options: Parameters<typeof LedgerHealth.layer>[0], checks = settings) =>
  Effect.flatMap(LedgerHealth, (health) => Health.report(health, checks)).pipe(
    Effect.provide(LedgerHealth.layer(options).pipe(Layer.provide(plainClient)))
  )

describe("the summary rule", () => {
  const now = Date.now()
  const inDays = (days: number) => new Date(now + days * day)
  it("a credential expiring within the warning is degraded, beyond it ok, past it failing", () => {
    expect(Health.credentialReport({ name: "c", notAfter: inDays(10) }, now, "30 days")).toMatchObject({
      status: "degraded",
      expiresInDays: 10
    })
    expect(Health.credentialReport({ name: "c", notAfter: inDays(100) }, now, "30 days").status).toBe("ok")
    expect(Health.credentialReport({ name: "c", notAfter: inDays(-1) }, now, "30 days")).toMatchObject({
      status: "failing",
      expiresInDays: -1
    })
    expect(Health.credentialReport({ name: "c", notBefore: inDays(2) }, now, "30 days").status).toBe("failing")
    expect(Health.credentialReport({ name: "c", notAfter: inDays(10) }, now, "7 days").status).toBe("ok")
    expect(Health.credentialReport({ name: "c" }, now, "30 days")).toEqual({ name: "c", status: "ok" })
  })

  it.live("failing over degraded over ok; a check that dies is failing, not a defect", () =>
    Effect.gen(function* () {
      const report = yield* Health.report(
        {
          checks: [
            { name: "up", run: Effect.succeed(Health.ok("fine")) },
            { name: "bug", run: Effect.die(new Error("a bug quoting a secret")) }
          ],
          credentials: [{ name: "soon", notAfter: inDays(10) }]
        },
        settings
      )
      expect(report.status).toBe("failing")
      expect(report.credentials[0]?.status).toBe("degraded")
      expect(report.checks[1]).toEqual({ name: "bug", status: "failing", detail: "the check failed unexpectedly" })
      expect(Health.worst(["ok", "degraded"])).toBe("degraded")
      expect(Health.worst([])).toBe("ok")
    })
  )
})

describe("LedgerHealth", () => {
  const client = makeDevLedgerClient()
  const FakeLedger = FakeLedgerServer.layer({ clients: [client.registration] }).pipe(Layer.provide(FakeIssuer.layer()))

  it.scopedLive("reachable: the fake ledger answers an envelope-less POST", () =>
    Effect.gen(function* () {
      const { url } = Context.get(yield* Layer.build(FakeLedger), WireServer)
      const report = yield* ledgerReport({ url })
      expect(report.status).toBe("ok")
      expect(report.checks).toEqual([
        { name: "ledger", status: "ok", detail: expect.stringMatching(/^127\.0\.0\.1:\d+ answered \(HTTP \d+\)$/) }
      ])
      expect(report.credentials).toEqual([])
    })
  )

  it.live("unreachable: a closed port is failing, named by its error code", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const report = yield* ledgerReport({ url: `http://user:hunter2@127.0.0.1:${port}` })
      expect(report.checks).toEqual([
        { name: "ledger", status: "failing", detail: `127.0.0.1:${port} is not reachable (ECONNREFUSED)` }
      ])
      expect(JSON.stringify(report)).not.toMatch(/hunter2/)
    })
  )

  it.scopedLive("a ledger that never answers is failing within the health timeout, not the client's", () =>
    Effect.gen(function* () {
      const url = yield* silentServer
      const started = Date.now()
      const report = yield* ledgerReport({ url }, short)
      // Bounded by the health timeout, not by the HTTP client's ten seconds.
      expect(Date.now() - started).toBeLessThan(8000)
      expect(report.checks[0]).toEqual({ name: "ledger", status: "failing", detail: "no answer within 300ms" })
    })
  )

  it.live("the signing key's configured validity, from CARDKIT_LEDGER_SIGNING_KEY_NOT_AFTER", () =>
    Effect.gen(function* () {
      const environment = (notAfter: Date) =>
        ConfigProvider.fromMap(
          new Map([
            ["CARDKIT_LEDGER_URL", "http://127.0.0.1:1"],
            ["CARDKIT_LEDGER_API_KEY", client.apiKey],
            ["CARDKIT_LEDGER_USERNAME", client.username],
            ["CARDKIT_LEDGER_KEY_ID", client.keyId],
            ["CARDKIT_LEDGER_PRIVATE_KEY", client.privateKeyPem],
            ["CARDKIT_LEDGER_SIGNING_KEY_NOT_AFTER", notAfter.toISOString()]
          ]),
          { pathDelim: "_" }
        )
      const statusIn = (days: number) =>
        Effect.flatMap(Effect.withConfigProvider(LedgerHealthConfig, environment(inDays(days))), (options) =>
          ledgerReport(options)
        ).pipe(Effect.map((report) => report.credentials[0]?.status))
      expect(yield* statusIn(10)).toBe("degraded")
      expect(yield* statusIn(100)).toBe("ok")
      expect(yield* statusIn(-1)).toBe("failing")
      // Without the setting the key's validity is unknown: no credential is reported.
      const { signingKeyNotAfter } = yield* Effect.withConfigProvider(
        LedgerHealthConfig,
        ConfigProvider.fromMap(
          new Map([
            ["CARDKIT_LEDGER_URL", "http://127.0.0.1:1"],
            ["CARDKIT_LEDGER_API_KEY", client.apiKey],
            ["CARDKIT_LEDGER_USERNAME", client.username],
            ["CARDKIT_LEDGER_KEY_ID", client.keyId]
          ]),
          { pathDelim: "_" }
        )
      )
      expect(signingKeyNotAfter).toBeUndefined()
    })
  )
})

describe("VisaHealth", () => {
  const credentials = { userId: "pav-user", password: "pav-password" }

  it.scopedLive("reachable over two-way TLS, the client and MLE certificates' validity reported", () =>
    Effect.gen(function* () {
      const pki = yield* Effect.promise(makeTestPki)
      const server = FakeVisaServer.layer({
        credentials,
        tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.serverCert, requireClientCertificate: true }
      }).pipe(Layer.provide(FakeIssuer.layer()))
      const { url } = Context.get(yield* Layer.build(server), WireServer)
      const mleCertificate = yield* Effect.promise(() => certificate(inDays(10)))
      const tls = { cert: pki.clientCert, key: Redacted.make(pki.clientKey), ca: pki.serverCert }
      const report = yield* Effect.flatMap(VisaHealth, (health) => Health.report(health, settings)).pipe(
        Effect.provide(
          VisaHealth.layer({ url, clientCertificate: pki.clientCert, mleServerKey: mleCertificate }).pipe(
            Layer.provide(UndiciHttpClient.layer({ timeout: "10 seconds", tls }))
          )
        )
      )
      expect(report.checks).toEqual([
        { name: "visa", status: "ok", detail: expect.stringMatching(/^127\.0\.0\.1:\d+ answered \(HTTP \d+\)$/) }
      ])
      expect(report.credentials).toEqual([
        expect.objectContaining({ name: "visa client certificate", status: "ok", ageDays: expect.any(Number) }),
        expect.objectContaining({ name: "visa MLE certificate", status: "degraded", expiresInDays: 9 })
      ])
      expect(report.status).toBe("degraded")

      // Without the client certificate the handshake is refused: not reachable, named by the TLS error.
      const refused = yield* Effect.flatMap(VisaHealth, (health) => Health.report(health, settings)).pipe(
        Effect.provide(
          VisaHealth.layer({ url }).pipe(
            Layer.provide(UndiciHttpClient.layer({ timeout: "10 seconds", tls: { ca: pki.serverCert } }))
          )
        )
      )
      expect(refused.checks[0]?.status).toBe("failing")
    })
  )

  it.scopedLive("a closed port and a silent server are failing, each within the health timeout", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const silent = yield* silentServer
      const statusOf = (url: string) =>
        Effect.flatMap(VisaHealth, (health) => Health.report(health, short)).pipe(
          Effect.provide(VisaHealth.layer({ url }).pipe(Layer.provide(plainClient))),
          Effect.map((report) => report.checks[0])
        )
      expect(yield* statusOf(`http://127.0.0.1:${port}`)).toEqual({
        name: "visa",
        status: "failing",
        detail: `127.0.0.1:${port} is not reachable (ECONNREFUSED)`
      })
      const started = Date.now()
      expect((yield* statusOf(silent))?.detail).toBe("no answer within 300ms")
      expect(Date.now() - started).toBeLessThan(8000)
    })
  )

  it.live("certificates from CARDKIT_VISA_CLIENT_CERT and _MLE_SERVER_CERT: 100 days ok, past failing", () =>
    Effect.gen(function* () {
      const pki = yield* Effect.promise(makeTestPki)
      const [valid, expired] = yield* Effect.promise(() =>
        Promise.all([certificate(inDays(100)), certificate(inDays(-1))])
      )
      const options = yield* Effect.withConfigProvider(
        VisaHealthConfig,
        ConfigProvider.fromMap(
          new Map([
            ["CARDKIT_VISA_USER_ID", credentials.userId],
            ["CARDKIT_VISA_PASSWORD", credentials.password],
            ["CARDKIT_VISA_ACQUIRING_BIN", "408999"],
            ["CARDKIT_VISA_CLIENT_CERT", valid],
            ["CARDKIT_VISA_CLIENT_KEY", pki.clientKey],
            ["CARDKIT_VISA_MLE_KEY_ID", "mle-key-1"],
            ["CARDKIT_VISA_MLE_SERVER_CERT", expired],
            ["CARDKIT_VISA_MLE_CLIENT_PRIVATE_KEY", pki.clientKey]
          ]),
          { pathDelim: "_" }
        )
      )
      expect(options.url).toBe("https://sandbox.api.visa.com")
      const health = yield* VisaHealth.make(options).pipe(Effect.provide(plainClient))
      const reports = yield* Health.credentials(health, settings)
      expect(reports.map((c) => [c.name, c.status])).toEqual([
        ["visa client certificate", "ok"],
        ["visa MLE certificate", "failing"]
      ])
    })
  )
})
