import { describe, expect, it } from "@effect/vitest"
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Layer } from "effect"
import { Agent, request } from "undici"
import { WireServer } from "../src/WireServer.js"
import { makeTestPki } from "../src/testing.js"

const echoPath = (name: string) =>
  Effect.map(HttpServerRequest.HttpServerRequest, (req) =>
    HttpServerResponse.unsafeJson({ served: name, method: req.method, url: req.url })
  )

const app = WireServer.combine([
  ["/cardv2", echoPath("ledger")],
  ["/pav/v1/cardvalidation", echoPath("visa")]
])

const get = async (url: string, init: Parameters<typeof request>[1] = {}) => {
  const response = await request(url, init)
  return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> }
}

describe("WireServer", () => {
  it.scoped("serves on an ephemeral loopback port and routes by path, any method", () =>
    Effect.gen(function* () {
      const { url, host, port } = yield* WireServer
      expect(host).toBe("127.0.0.1")
      expect(port).toBeGreaterThan(0)
      expect(url).toBe(`http://127.0.0.1:${port}`)
      const ledger = yield* Effect.promise(() => get(`${url}/cardv2`, { method: "GET" }))
      expect(ledger).toEqual({ status: 200, body: { served: "ledger", method: "GET", url: "/cardv2" } })
      const visa = yield* Effect.promise(() => get(`${url}/pav/v1/cardvalidation`, { method: "POST", body: "{}" }))
      expect(visa.body.served).toBe("visa")
      const missing = yield* Effect.promise(() => get(`${url}/nope`))
      expect(missing.status).toBe(404)
    }).pipe(Effect.provide(WireServer.layer(app)))
  )

  it.scoped("stops listening when its scope closes", () =>
    Effect.gen(function* () {
      const url = yield* Effect.scoped(
        Effect.gen(function* () {
          const { url } = yield* WireServer
          return url
        }).pipe(Effect.provide(Layer.fresh(WireServer.layer(app))))
      )
      const error = yield* Effect.promise(() =>
        get(`${url}/cardv2`).then(
          () => undefined,
          (e: Error) => e
        )
      )
      expect(error).toBeInstanceOf(Error)
    })
  )

  it.live("requires a client certificate when asked to, as two-way TLS", () =>
    Effect.gen(function* () {
      const pki = yield* Effect.promise(makeTestPki)
      yield* Effect.gen(function* () {
        const { url } = yield* WireServer
        expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
        const withCert = new Agent({ connect: { ca: pki.serverCert, cert: pki.clientCert, key: pki.clientKey } })
        const ok = yield* Effect.promise(() => get(`${url}/cardv2`, { dispatcher: withCert }))
        expect(ok.body.served).toBe("ledger")
        const withoutCert = new Agent({ connect: { ca: pki.serverCert } })
        const refused = yield* Effect.promise(() =>
          get(`${url}/cardv2`, { dispatcher: withoutCert }).then(
            () => undefined,
            (e: Error) => e
          )
        )
        expect(refused).toBeInstanceOf(Error)
        yield* Effect.promise(() => Promise.all([withCert.close(), withoutCert.close()]))
      }).pipe(
        Effect.provide(
          WireServer.layer(app, {
            tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.serverCert, requireClientCertificate: true }
          })
        ),
        Effect.scoped
      )
    })
  )
})
