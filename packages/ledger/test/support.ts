import { constants, generateKeyPairSync, type KeyObject, privateDecrypt } from "node:crypto"
import { readdirSync, readFileSync } from "node:fs"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { UndiciHttpClient } from "@cardkit/http"
import { Effect, Redacted } from "effect"
import type { LedgerClientOptions } from "../src/index.js"

export interface Recorded {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
}

export type Handler = (request: Recorded, response: ServerResponse) => void

/** A minimal ledger stand-in on 127.0.0.1:0 that records requests and answers with `handler`. */
export const cannedLedger = (handler: Handler) =>
  Effect.acquireRelease(
    Effect.async<{ url: string; requests: Array<Recorded> }>((resume) => {
      const requests: Array<Recorded> = []
      const server = createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          const recorded = {
            method: req.method ?? "",
            url: req.url ?? "",
            headers: req.headers,
            body: Buffer.concat(chunks).toString("utf8")
          }
          requests.push(recorded)
          handler(recorded, res)
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed(Object.assign({ url: `http://127.0.0.1:${port}`, requests }, { server })))
      })
    }),
    (ledger) =>
      Effect.async<void>((resume) => {
        const server = (ledger as unknown as { server: ReturnType<typeof createServer> }).server
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

export const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8")

/** The document's GET_CVV result as JSON, for a test to break one part of. */
export interface DocumentResult {
  card: Record<string, unknown>
  api: Record<string, unknown>
}

/** The document's GET_CVV response, answered under the request's own id. */
export const documentResponse = (request: Recorded, patch: (result: DocumentResult) => void = () => {}) => {
  const response = JSON.parse(fixture("get-cvv.response.json"))
  response.id = JSON.parse(request.body).id
  patch(response.result)
  return JSON.stringify(response)
}

export const json = (res: ServerResponse, body: string, status = 200) => {
  res.writeHead(status, { "content-type": "application/json" })
  res.end(body)
}

export const signingKeys = () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" })
  return {
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString()
  }
}

export const options = (url: string, privatePem: string, extra: Partial<LedgerClientOptions> = {}) =>
  ({
    url,
    apiKey: Redacted.make("api-key-123"),
    credential: Redacted.make("Basic dXNlcjphcGkta2V5LTEyMw=="),
    keyId: "device-1",
    privateKey: Redacted.make(privatePem),
    retries: 2,
    retryBaseDelay: "1 millis",
    ...extra
  }) satisfies LedgerClientOptions

/** The HTTP client the transport is given in production, with a test's bound on each answer. */
export const httpClient = (options: UndiciHttpClient.LayerOptions = { timeout: "2 seconds" }) =>
  UndiciHttpClient.layer(options)

/** One fixture per operation (fixtures/operations/*.json). */
export interface Fixture {
  readonly payload: Record<string, unknown>
  readonly result: Record<string, unknown>
  /** The plaintext of each encrypted field, which the fixture's payload shows as `<encrypted>`. */
  readonly secrets?: Record<string, string>
}

const operationsDirectory = new URL("../fixtures/operations/", import.meta.url)
export const operationFixtures = readdirSync(operationsDirectory).map(
  (file) => [file, JSON.parse(readFileSync(new URL(file, operationsDirectory), "utf8")) as Fixture] as const
)

/** PKCS#1 v1.5 unpadded by hand: Node refuses PKCS#1 v1.5 private decryption since the Marvin fix. */
export const decryptWith =
  (privateKey: KeyObject) =>
  (base64: string): string => {
    const block = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, Buffer.from(base64, "base64"))
    return block.subarray(block.indexOf(0x00, 2) + 1).toString("utf8")
  }

/** The raw `params.payload` bytes inside an envelope, exactly as sent. */
export const payloadBytes = (body: string) => body.slice(body.indexOf('"payload":') + 10, body.indexOf(',"api":'))

/** A fixture's result answered under the request's id, with the ack its payload calls for. */
export const fixtureAnswer = (fixture: Fixture) => (request: Recorded, response: Parameters<typeof json>[0]) => {
  const { id, params } = JSON.parse(request.body)
  const reference: string | undefined = params.payload.reference
  json(
    response,
    JSON.stringify({
      id,
      result: {
        ...fixture.result,
        api: {
          type: `${params.payload.transactionType}_ACK`,
          reference: `REF${reference ?? ""}`,
          dateCreated: 1732086388,
          ...(reference === undefined ? {} : { originalReference: reference })
        }
      }
    })
  )
}
