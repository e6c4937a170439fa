import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import * as Undici from "@effect/platform-node/Undici"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Fiber, Layer, Redacted, Stream } from "effect"
import { TransportErrors, UndiciHttpClient } from "../src/index.js"

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: Record<string, unknown>
  readonly body: string
}

/** A loopback server for one test: `handle` answers, every request is recorded, every socket counted. */
const serve = (handle: (req: IncomingMessage, res: ServerResponse, body: string) => void) =>
  Effect.acquireRelease(
    Effect.async<{ url: string; seen: Array<Seen>; sockets: Set<Socket>; server: Server }>((resume) => {
      const seen: Array<Seen> = []
      const sockets = new Set<Socket>()
      const server = createServer((req, res) => {
        let body = ""
        req.setEncoding("utf8")
        req.on("data", (chunk: string) => {
          body += chunk
        })
        req.on("end", () => {
          seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body })
          handle(req, res, body)
        })
      })
      server.on("connection", (socket) => sockets.add(socket))
      server.listen(0, "127.0.0.1", () =>
        resume(
          Effect.succeed({
            url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            seen,
            sockets,
            server
          })
        )
      )
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const echo = (_req: IncomingMessage, res: ServerResponse, body: string) => {
  res.writeHead(200, { "content-type": "application/json", "set-cookie": ["session=abc; Path=/"], "x-answer": "42" })
  res.end(JSON.stringify({ got: body }))
}

/** A client on its own keep-alive pool, closed with the test's scope. */
const client = Effect.map(
  Effect.acquireRelease(
    Effect.sync(() => new Undici.Agent({ keepAliveTimeout: 10_000 })),
    (agent) => Effect.promise(() => agent.destroy())
  ),
  UndiciHttpClient.make
)

describe("UndiciHttpClient", () => {
  it.scoped("sends method, path, query, headers and body as given, and reads status, headers, cookies and JSON", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const http = yield* client
      const response = yield* http.execute(
        HttpClientRequest.post(`${server.url}/pav/v1/cardvalidation?apikey=k1`).pipe(
          HttpClientRequest.setUrlParam("extra", "a b"),
          HttpClientRequest.setHeader("x-request", "r-1"),
          HttpClientRequest.bodyText('{"pan":"masked"}', "application/json")
        )
      )
      expect(response.status).toBe(200)
      expect(response.headers["x-answer"]).toBe("42")
      expect(response.cookies.cookies.session?.value).toBe("abc")
      expect(yield* response.json).toEqual({ got: '{"pan":"masked"}' })
      const [seen] = server.seen
      expect(seen?.method).toBe("POST")
      expect(seen?.url).toBe("/pav/v1/cardvalidation?apikey=k1&extra=a+b")
      expect(seen?.headers["x-request"]).toBe("r-1")
      expect(seen?.headers["content-type"]).toBe("application/json")
    })
  )

  it.scoped("reads a body once however often it is asked for, as text or as a stream", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const http = yield* client
      const response = yield* http.post(`${server.url}/`, { body: undefined })
      const first = yield* response.text
      expect(yield* response.text).toBe(first)
      expect(JSON.parse(first)).toEqual({ got: "" })

      const streamed = yield* http.get(`${server.url}/stream`)
      const bytes = yield* Stream.runCollect(streamed.stream)
      expect(Buffer.concat(Chunk.toArray(bytes)).toString("utf8")).toBe('{"got":""}')
    })
  )

  it.scoped("waits for a body that arrives in pieces, and streams it piece by piece", () =>
    Effect.gen(function* () {
      const server = yield* serve((_req, res) => {
        res.writeHead(200, { "content-type": "text/plain" })
        res.write("first,")
        setTimeout(() => res.end("second"), 50)
      })
      const http = yield* client
      const read = yield* http.get(`${server.url}/slow`)
      expect(yield* read.text).toBe("first,second")
      const streamed = yield* http.get(`${server.url}/slow`)
      const pieces = yield* Stream.runCollect(Stream.decodeText(streamed.stream))
      expect(Chunk.toArray(pieces).join("")).toBe("first,second")
      expect(Chunk.size(pieces)).toBeGreaterThanOrEqual(2)
    })
  )

  it.scoped("refuses a body larger than maxBodyBytes, and the pool still serves the next call", () =>
    Effect.gen(function* () {
      const server = yield* serve((req, res) => {
        res.writeHead(200, { "content-type": "text/plain" })
        res.end(req.url === "/big" ? "x".repeat(4096) : "small")
      })
      const agent = yield* Effect.acquireRelease(
        Effect.sync(() => new Undici.Agent()),
        (agent) => Effect.promise(() => agent.destroy())
      )
      const http = UndiciHttpClient.make(agent, { maxBodyBytes: 1024 })
      const big = yield* http.get(`${server.url}/big`)
      expect(big.status).toBe(200)
      const error = yield* Effect.flip(big.text)
      expect(error).toMatchObject({ _tag: "ResponseError", reason: "Decode" })
      expect(String((error.cause as Error).message)).toContain("larger than 1024 bytes")
      expect(yield* Effect.flatMap(http.get(`${server.url}/small`), (response) => response.text)).toBe("small")
    })
  )

  it.scoped("sends stream and form bodies", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const http = yield* client
      const streamed = yield* http.execute(
        HttpClientRequest.post(`${server.url}/`).pipe(
          HttpClientRequest.bodyStream(Stream.make("he", "llo").pipe(Stream.encodeText))
        )
      )
      expect(yield* streamed.json).toEqual({ got: "hello" })
      const form = new FormData()
      form.set("field", "value")
      const formed = yield* http.execute(
        HttpClientRequest.post(`${server.url}/`).pipe(HttpClientRequest.bodyFormData(form))
      )
      const { got } = (yield* formed.json) as { got: string }
      expect(got).toContain('name="field"')
      expect(got).toContain("value")
    })
  )

  it.scoped("keeps connections alive across sequential calls", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const http = yield* client
      for (let i = 0; i < 20; i++) yield* Effect.flatMap(http.get(`${server.url}/n/${i}`), (r) => r.text)
      expect(server.seen.map((s) => s.url)).toEqual(Array.from({ length: 20 }, (_, i) => `/n/${i}`))
      // One, or two when the pool dispatches before it has seen the previous body end.
      expect(server.sockets.size).toBeLessThanOrEqual(2)
    })
  )

  it.scoped("works with HttpClient's combinators", () =>
    Effect.gen(function* () {
      const server = yield* serve((_req, res) => {
        res.writeHead(404)
        res.end("no")
      })
      const http = (yield* client).pipe(HttpClient.filterStatusOk)
      const error = yield* Effect.flip(http.get(`${server.url}/missing`))
      expect(error).toMatchObject({ _tag: "ResponseError", reason: "StatusCode" })
    })
  )

  it.scoped("fails with a RequestError when nothing answers or the URL is not one", () =>
    Effect.gen(function* () {
      const http = yield* client
      const refused = yield* Effect.flip(http.get("http://127.0.0.1:9/"))
      expect(refused).toMatchObject({ _tag: "RequestError", reason: "Transport" })
      const invalid = yield* Effect.flip(http.get("not a url"))
      expect(invalid).toMatchObject({ _tag: "RequestError", reason: "InvalidUrl" })
    })
  )

  it.scoped("gives up on an answer that does not start within its timeout, saying which bound ran out", () =>
    Effect.gen(function* () {
      const server = yield* serve(() => {})
      const http = yield* UndiciHttpClient.makeAgent({ timeout: "100 millis" })
      const error = yield* Effect.flip(http.get(`${server.url}/silent`))
      expect(error).toMatchObject({ _tag: "RequestError", reason: "Transport" })
      expect(error.cause).toBeInstanceOf(TransportErrors.Timeout)
      expect(TransportErrors.timeoutMillisOf(error.cause)).toBe(100)
      expect(TransportErrors.codesOf(error.cause)).toEqual(["UND_ERR_HEADERS_TIMEOUT"])
    })
  )

  it.scoped("gives up on a body that stops coming within its timeout", () =>
    Effect.gen(function* () {
      const server = yield* serve((_, res) => {
        res.writeHead(200, { "content-type": "text/plain" })
        res.write("the start")
      })
      const http = yield* UndiciHttpClient.makeAgent({ timeout: "100 millis" })
      const response = yield* http.get(`${server.url}/stalls`)
      const error = yield* Effect.flip(response.text)
      expect(error).toMatchObject({ _tag: "ResponseError", reason: "Decode" })
      expect(TransportErrors.timeoutMillisOf(error.cause)).toBe(100)
      expect(TransportErrors.isTimeout(error.cause)).toBe(true)
    })
  )

  it.effect("refuses TLS options that cannot make a handshake, naming the option", () =>
    Effect.gen(function* () {
      const alone = yield* Effect.flip(Effect.scoped(UndiciHttpClient.makeAgent({ tls: { cert: "x" } })))
      expect(alone).toMatchObject({ _op: "InvalidData", path: ["tls"] })
      const bad = yield* Effect.flip(
        Effect.scoped(UndiciHttpClient.makeAgent({ tls: { cert: "not a certificate", key: Redacted.make("no key") } }))
      )
      expect(bad).toMatchObject({ _op: "InvalidData", path: ["tls", "cert"] })
      expect(String(bad)).not.toContain("no key")
    })
  )

  it.effect("is the HttpClient of its layer, which a caller can wrap without touching who uses it", () =>
    Effect.gen(function* () {
      const server = yield* serve((_, res) => res.end("ok"))
      const tagged: Array<string> = []
      const Tagged = Layer.effect(
        HttpClient.HttpClient,
        Effect.map(HttpClient.HttpClient, (client) =>
          client.pipe(
            HttpClient.mapRequest(HttpClientRequest.setHeader("x-team", "cards")),
            HttpClient.tapRequest((request) => Effect.sync(() => tagged.push(request.url)))
          )
        )
      ).pipe(Layer.provide(UndiciHttpClient.layer()))
      const text = yield* Effect.flatMap(HttpClient.HttpClient, (http) =>
        Effect.flatMap(http.get(`${server.url}/wrapped`), (response) => response.text)
      ).pipe(Effect.provide(Tagged))
      expect(text).toBe("ok")
      expect(tagged).toEqual([`${server.url}/wrapped`])
      expect(server.seen[0]?.headers["x-team"]).toBe("cards")
    }).pipe(Effect.scoped)
  )

  it.scoped("aborts the request when the caller is interrupted", () =>
    Effect.gen(function* () {
      const arrived = yield* Deferred.make<void>()
      const closed = yield* Deferred.make<void>()
      const server = yield* serve((req) => {
        Deferred.unsafeDone(arrived, Effect.void)
        // Never answered: only the client giving up ends this request.
        req.socket.on("close", () => Deferred.unsafeDone(closed, Effect.void))
      })
      const http = yield* client
      const call = yield* Effect.fork(http.post(`${server.url}/slow`, { body: undefined }))
      yield* Deferred.await(arrived)
      yield* Fiber.interrupt(call)
      yield* Deferred.await(closed).pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => "not aborted" }))
    })
  )
})
