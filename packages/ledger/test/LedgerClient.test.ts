import { createPublicKey } from "node:crypto"
import { CardSecrets, GetCvvRequest } from "@cardkit/domain"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schema } from "effect"
import {
  LedgerCardSecrets,
  LedgerClient,
  type GetCvvPayload,
  parseSignatureHeader,
  signPayload,
  verifyPayloadSignature,
  loadPrivateKey
} from "../src/index.js"
import {
  cannedLedger,
  type DocumentResult,
  documentResponse,
  fixture,
  type Handler,
  httpClient,
  json,
  options,
  signingKeys
} from "./support.js"

const keys = signingKeys()

const documentRequest = Schema.decodeUnknownSync(GetCvvRequest)({
  cardId: "025951734ff74c13a14137e02834fa00",
  customerId: "100000000006001",
  accountNumber: "400320588344662",
  reference: "visadps100013"
})

/** The document's GET_CVV payload, from its curl example. */
const documentPayload: GetCvvPayload = JSON.parse(fixture("get-cvv.request.json")).params.payload

/** Run `body` against a canned ledger answering with `handler`, through the real layer. */
const withLedger = <A, E>(
  handler: Handler,
  body: (
    requests: ReadonlyArray<{ body: string; headers: Record<string, unknown>; method: string; url: string }>
  ) => Effect.Effect<A, E, CardSecrets | LedgerClient>,
  extra: Parameters<typeof options>[2] = {},
  http: Parameters<typeof httpClient>[0] = undefined
) =>
  Effect.gen(function* () {
    const ledger = yield* cannedLedger(handler)
    return yield* body(ledger.requests).pipe(
      Effect.provide(
        Layer.fresh(LedgerCardSecrets.layer(options(ledger.url, keys.privatePem, extra))).pipe(
          Layer.provide(httpClient(http))
        )
      )
    )
  }).pipe(Effect.scoped)

const cardFieldsOf = ({ transactionType: _, ...fields }: GetCvvPayload) => fields

/** The raw `params.payload` bytes inside an envelope, exactly as sent. */
const payloadBytes = (body: string) => {
  const start = body.indexOf('"payload":') + '"payload":'.length
  const end = body.indexOf(',"api":')
  return body.slice(start, end)
}

describe("LedgerCardSecrets over a canned ledger", () => {
  it.live("POSTs the document's envelope to /cardv2 with the payload signed over its exact bytes", () =>
    withLedger(
      (req, res) => json(res, documentResponse(req)),
      (requests) =>
        Effect.gen(function* () {
          yield* (yield* CardSecrets).getCvv(documentRequest)
          yield* (yield* CardSecrets).getCvv(documentRequest)
          const [first, second] = requests
          expect(first!.method).toBe("POST")
          expect(first!.url).toBe("/cardv2")
          expect(first!.headers["content-type"]).toBe("application/json")
          const envelope = JSON.parse(first!.body)
          expect(Object.keys(envelope)).toEqual(["method", "id", "params"])
          expect(envelope.method).toBe("ledger.CARD.request")
          expect(JSON.parse(second!.body).id).not.toBe(envelope.id)
          const bytes = payloadBytes(first!.body)
          expect(bytes).toBe(JSON.stringify(documentPayload))
          expect(envelope.params.api).toEqual({
            credential: "Basic dXNlcjphcGkta2V5LTEyMw==",
            signature: envelope.params.api.signature,
            apiKey: "api-key-123",
            keyId: "device-1"
          })
          const publicKey = createPublicKey(keys.publicPem)
          expect(verifyPayloadSignature(publicKey, bytes, envelope.params.api.signature)).toBe(true)
          expect(verifyPayloadSignature(publicKey, `${bytes} `, envelope.params.api.signature)).toBe(false)
          const header = parseSignatureHeader(String(first!.headers.signature))
          expect(header).toEqual({
            keyId: "device-1",
            algorithm: "ecdsa-sha256",
            signature: envelope.params.api.signature
          })
        })
    )
  )

  it.live("decodes every field of the document's response", () =>
    withLedger(
      (req, res) => json(res, documentResponse(req)),
      () =>
        Effect.gen(function* () {
          const card = yield* (yield* CardSecrets).getCvv(documentRequest)
          expect(card.cardId).toBe("025951734ff74c13a14137e02834fa00")
          expect(Redacted.value(card.cvv)).toBe("679")
          expect(Object.keys(card.flags)).toHaveLength(16)
          expect(Object.values(card.flags).every((flag) => flag === false)).toBe(true)
          expect(card.postedDate.epochMillis).toBe(Date.parse("2024-11-20T06:56:11.399Z"))
          expect(card.ack).toEqual({
            type: "GET_CVV_ACK",
            reference: "REFvisadps100013",
            originalReference: "visadps100013",
            dateCreated: 1732086388
          })
        })
    )
  )

  it.live("sends the key id only where configured", () =>
    withLedger(
      (req, res) => json(res, documentResponse(req)),
      (requests) =>
        Effect.gen(function* () {
          yield* (yield* CardSecrets).getCvv(documentRequest)
          expect(JSON.parse(requests[0]!.body).params.api.keyId).toBeUndefined()
          expect(requests[0]!.headers.signature).toContain('keyId="device-1"')
        }),
      { keyIdPlacement: "header" }
    )
  )

  for (const [name, patch, reason] of [
    ["the ack type", (r: DocumentResult) => (r.api.type = "GET_CARD_ACK"), "acknowledged as GET_CARD_ACK"],
    ["the original reference", (r: DocumentResult) => (r.api.originalReference = "other"), "another reference"],
    ["the result shape", (r: DocumentResult) => delete r.card.allowAtm, "malformed"]
  ] as const) {
    it.live(`refuses an answer whose ${name} does not match`, () =>
      withLedger(
        (req, res) => json(res, documentResponse(req, patch)),
        () =>
          Effect.gen(function* () {
            const error = yield* Effect.flip((yield* CardSecrets).getCvv(documentRequest))
            expect(error._tag).toBe("ProtocolViolation")
            expect(error.message).toContain(reason)
            expect(error.message).not.toContain("679")
          })
      )
    )
  }

  it.live("refuses an answer to another request id", () =>
    withLedger(
      (req, res) => json(res, documentResponse(req).replace(/"id":"[^"]+"/, '"id":"1"')),
      () =>
        Effect.gen(function* () {
          const error = yield* Effect.flip((yield* CardSecrets).getCvv(documentRequest))
          expect(error).toMatchObject({ _tag: "ProtocolViolation" })
        })
    )
  )

  for (const [code, tag] of [
    ["1004", "CardNotFound"],
    ["1005", "CardNotActive"],
    ["4001", "AuthenticationFailed"],
    ["1000", "InvalidRequest"],
    ["7342", "ProviderRejected"]
  ] as const) {
    it.live(`maps error code ${code} to ${tag}`, () =>
      withLedger(
        (req, res) =>
          json(
            res,
            JSON.stringify({ id: JSON.parse(req.body).id, error: { code, message: "payload.cardId: is odd" } })
          ),
        (requests) =>
          Effect.gen(function* () {
            const error = yield* Effect.flip((yield* CardSecrets).getCvv(documentRequest))
            expect(error._tag).toBe(tag)
            if (error._tag === "ProviderRejected") expect(error.code).toBe("7342")
            if (error._tag === "InvalidRequest") expect(error.field).toBe("payload.cardId")
            expect(requests).toHaveLength(1)
          })
      )
    )
  }
})

describe("resilience", () => {
  const unavailable: Array<[string, Handler]> = [
    ["503", (_req, res) => json(res, "{}", 503)],
    [
      "an HTML page",
      (_req, res) => {
        res.writeHead(200, { "content-type": "text/html" })
        res.end("<html><body>Bad gateway</body></html>")
      }
    ],
    ["truncated JSON", (req, res) => json(res, documentResponse(req).slice(0, 40))],
    ["a reset connection", (_req, res) => res.socket?.destroy()]
  ]

  for (const [name, handler] of unavailable) {
    it.live(`retries a read twice after ${name}, then fails ProviderUnavailable`, () =>
      withLedger(handler, (requests) =>
        Effect.gen(function* () {
          const error = yield* Effect.flip((yield* CardSecrets).getCvv(documentRequest))
          expect(error._tag).toBe("ProviderUnavailable")
          expect(requests).toHaveLength(3)
        })
      )
    )
  }

  it.live("succeeds when a retry gets through", () => {
    let calls = 0
    return withLedger(
      (req, res) => (++calls < 3 ? json(res, "{}", 503) : json(res, documentResponse(req))),
      (requests) =>
        Effect.gen(function* () {
          const card = yield* (yield* CardSecrets).getCvv(documentRequest)
          expect(Redacted.value(card.cvv)).toBe("679")
          expect(requests).toHaveLength(3)
        })
    )
  })

  it.live("never retries a write", () =>
    withLedger(
      (_req, res) => json(res, "{}", 503),
      (requests) =>
        Effect.gen(function* () {
          const ledger = yield* LedgerClient
          const error = yield* Effect.flip(
            ledger.updateStatus.call({ ...cardFieldsOf(documentPayload), statusAction: "LOCK" })
          )
          expect(error._tag).toBe("ProviderUnavailable")
          expect(requests).toHaveLength(1)
        })
    )
  )

  it.live("times out a slow ledger with ProviderTimeout, without retrying", () =>
    withLedger(
      // It never answers: a loaded machine can delay the client's timer, never past an answer that cannot come.
      () => {},
      (requests) =>
        Effect.gen(function* () {
          const error = yield* Effect.flip((yield* CardSecrets).getCvv(documentRequest))
          expect(error).toMatchObject({ _tag: "ProviderTimeout", timeoutMillis: 150 })
          expect(requests).toHaveLength(1)
        }),
      {},
      { timeout: "150 millis" }
    )
  )
})

describe("pre-signed payloads", () => {
  it.live("forwards the device's bytes, signature and key id verbatim", () => {
    const deviceBytes = `{"reference":"visadps100013", "product":"DEFAULT","program":"DEFAULT","channel":"VISA_DPS","transactionType":"GET_CVV","customerId":"100000000006001","accountNumber":"400320588344662","cardId":"025951734ff74c13a14137e02834fa00"}`
    const signature = signPayload(loadPrivateKey(keys.privatePem), deviceBytes)
    return withLedger(
      (req, res) => json(res, documentResponse(req)),
      (requests) =>
        Effect.gen(function* () {
          const ledger = yield* LedgerClient
          const result = yield* ledger.getCvv.presigned({ payload: deviceBytes, signature, keyId: "phone-42" })
          expect(result.card.cvv).toBe("679")
          const body = requests[0]!.body
          expect(payloadBytes(body)).toBe(deviceBytes)
          expect(JSON.parse(body).params.api).toMatchObject({ signature, keyId: "phone-42" })
        })
    )
  })

  it.live("refuses, without sending, bytes that are not the operation asked for", () =>
    withLedger(
      (req, res) => json(res, documentResponse(req)),
      (requests) =>
        Effect.gen(function* () {
          const ledger = yield* LedgerClient
          const wrongType = JSON.stringify({ ...documentPayload, transactionType: "GET_CARD" })
          const error = yield* Effect.flip(ledger.getCvv.presigned({ payload: wrongType, signature: "x", keyId: "k" }))
          expect(error).toMatchObject({ _tag: "InvalidRequest", field: "payload" })
          const notJson = yield* Effect.flip(ledger.getCvv.presigned({ payload: "{", signature: "x", keyId: "k" }))
          expect(notJson._tag).toBe("InvalidRequest")
          expect(requests).toHaveLength(0)
        })
    )
  )
})
