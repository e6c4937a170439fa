import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { CardSecrets, GetCvvRequest } from "@cardkit/domain"
import { LedgerCardSecrets, LedgerClient, loadPrivateKey, signPayload } from "@cardkit/ledger"
import { describe, expect, it, layer } from "@effect/vitest"
import { type Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import { request } from "undici"
import { cardSecretsConformance, ledgerConformance } from "../src/conformance.js"
import {
  FakeIssuer,
  FakeLedgerServer,
  type FakeLedgerOptions,
  makeDevLedgerClient,
  makeLedgerRsaKeys,
  WireServer
} from "../src/index.js"
import { UndiciHttpClient } from "@cardkit/http"

const fixture = (name: string) =>
  readFileSync(createRequire(import.meta.url).resolve(`@cardkit/ledger/fixtures/${name}`), "utf8")
/** The document's curl `--data`, byte for byte. */
const documentRequest = fixture("get-cvv.request.json")
const documentResponse = JSON.parse(fixture("get-cvv.response.json"))

const dev = makeDevLedgerClient()
const rsa = makeLedgerRsaKeys()

/** The real transport, talking to the fake ledger server, over one shared in-memory issuer. */
const endToEnd = (
  server: FakeLedgerOptions = { clients: [dev.registration], rsaPrivateKey: rsa.privateKeyPem },
  timeout: Duration.DurationInput = "10 seconds"
) =>
  Layer.unwrapEffect(
    Effect.map(WireServer, ({ url }) =>
      LedgerCardSecrets.layer({
        ...dev.clientOptions(url),
        rsaPublicKey: rsa.publicKeyPem,
        retryBaseDelay: "1 millis"
      }).pipe(Layer.provide(UndiciHttpClient.layer({ timeout })))
    )
  ).pipe(Layer.provideMerge(FakeLedgerServer.layer(server)), Layer.provideMerge(FakeIssuer.layer()))

const post = (url: string, body: string, method: "POST" | "GET" = "POST", headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await request(`${url}/cardv2`, {
      method,
      body,
      headers: { "content-type": "application/json", ...headers }
    })
    const text = await response.body.text()
    return {
      status: response.statusCode,
      text,
      json: (() => {
        try {
          return JSON.parse(text)
        } catch {
          return undefined
        }
      })()
    }
  })

const cvvRequest = Schema.decodeUnknownSync(GetCvvRequest)({
  cardId: "025951734ff74c13a14137e02834fa00",
  customerId: "100000000006001",
  accountNumber: "400320588344662",
  reference: "visadps100013"
})

layer(FakeLedgerServer.layer({ open: true }).pipe(Layer.provideMerge(FakeIssuer.layer())), {
  excludeTestServices: true
})("fake ledger in open mode: the document's example verbatim", (it) => {
  for (const method of ["POST", "GET"] as const) {
    it.effect(`answers the document's request bytes sent with ${method}`, () =>
      Effect.gen(function* () {
        const { url } = yield* WireServer
        const { status, json } = yield* post(url, documentRequest, method)
        expect(status).toBe(200)
        expect(json.id).toBe("1")
        expect(json.result.card).toEqual(documentResponse.result.card)
        expect(Object.keys(json.result.card)).toEqual(Object.keys(documentResponse.result.card))
        expect(json.result.api).toMatchObject({
          type: "GET_CVV_ACK",
          reference: "REFvisadps100013",
          originalReference: "visadps100013"
        })
        expect(Object.keys(json.result.api)).toEqual(["type", "reference", "dateCreated", "originalReference"])
        expect(Math.abs(json.result.api.dateCreated - Date.now() / 1000)).toBeLessThan(60)
      })
    )
  }

  it.effect("names the field of a malformed request, with HTTP 200 and a JSON-RPC error", () =>
    Effect.gen(function* () {
      const { url } = yield* WireServer
      const envelope = JSON.parse(documentRequest)
      delete envelope.params.payload.cardId
      const missing = yield* post(url, JSON.stringify(envelope))
      expect(missing.status).toBe(200)
      expect(missing.json).toEqual({ id: "1", error: { code: "1000", message: "params.payload.cardId: is missing" } })
      const wrongMethod = yield* post(url, JSON.stringify({ ...JSON.parse(documentRequest), method: "ledger.X" }))
      expect(wrongMethod.json.error.message).toBe("method: is not a known method")
      envelope.params.payload.cardId = "x"
      envelope.params.payload.transactionType = "FLY"
      const unknownType = yield* post(url, JSON.stringify(envelope))
      expect(unknownType.json.error.message).toBe("params.payload.transactionType: is not supported")
      const noApi = yield* post(url, JSON.stringify({ method: "ledger.CARD.request", id: 7, params: { payload: {} } }))
      expect(noApi.json.error.message).toMatch(/^params\.(payload\.transactionType|api): is missing$/)
    })
  )

  it.effect("answers garbage with a 4xx, never a 5xx, and keeps serving", () =>
    Effect.gen(function* () {
      const { url } = yield* WireServer
      expect((yield* post(url, "{not json")).status).toBe(400)
      expect((yield* post(url, "[1,2]")).status).toBe(400)
      expect((yield* post(url, "x".repeat(70 * 1024))).status).toBe(413)
      const ok = yield* post(url, documentRequest)
      expect(ok.json.result.card.cvv).toBe("679")
    })
  )
})

layer(endToEnd(), { excludeTestServices: true })("LedgerCardSecrets → fake ledger → issuer (signed)", (it) => {
  it.effect("reveals the document's CVV with the signature verified", () =>
    Effect.gen(function* () {
      const card = yield* (yield* CardSecrets).getCvv(cvvRequest)
      expect(Redacted.value(card.cvv)).toBe("679")
      expect(card.ack).toMatchObject({ type: "GET_CVV_ACK", reference: "REFvisadps100013" })
    })
  )

  it.effect("refuses a tampered payload, a foreign key and a missing signature, revealing nothing", () =>
    Effect.gen(function* () {
      const ledger = yield* LedgerClient
      const bytes = JSON.stringify({ ...JSON.parse(documentRequest).params.payload, reference: "r1" })
      const signature = signPayload(loadPrivateKey(dev.privateKeyPem), bytes)
      const tampered = bytes.replace("r1", "r2")
      const foreign = makeDevLedgerClient("mallory", dev.keyId)
      for (const presigned of [
        { payload: tampered, signature, keyId: dev.keyId },
        { payload: bytes, signature: signPayload(loadPrivateKey(foreign.privateKeyPem), bytes), keyId: dev.keyId },
        { payload: bytes, signature: "", keyId: dev.keyId },
        { payload: bytes, signature, keyId: "unknown-device" }
      ]) {
        const error = yield* Effect.flip(ledger.getCvv.presigned(presigned))
        expect(error._tag).toBe("AuthenticationFailed")
        expect(error.message).not.toContain("679")
      }
      const ok = yield* ledger.getCvv.presigned({ payload: bytes, signature, keyId: dev.keyId })
      expect(ok.card.cvv).toBe("679")
    })
  )

  it.effect("GET_CARD, UPDATE_STATUS and VALIDATE_CVV (RSA-encrypted CVV) work over the wire", () =>
    Effect.gen(function* () {
      const ledger = yield* LedgerClient
      const issued = yield* (yield* FakeIssuer).issueCard()
      const fields = {
        product: "DEFAULT",
        program: "DEFAULT",
        channel: "VISA_DPS" as const,
        customerId: issued.customerId,
        accountNumber: issued.accountNumber,
        cardId: issued.cardId
      }
      const card = yield* ledger.getCard.call(fields)
      expect(card.card).toMatchObject({ cardId: issued.cardId, cardStatus: "ACTIVATED", cvv: "" })
      expect(card.cardHolder.cardHolderId).toMatch(/^CH\d{14}$/)
      const { customerId: _, accountNumber: __, ...cardOnly } = fields
      yield* ledger.validateCvv.call({ ...cardOnly, cardCvv: issued.cvv })
      const wrong = String((Number(Redacted.value(issued.cvv)) + 1) % 1000).padStart(3, "0")
      const incorrect = yield* Effect.flip(ledger.validateCvv.call({ ...cardOnly, cardCvv: Redacted.make(wrong) }))
      expect(incorrect._tag).toBe("IncorrectCvv")
      const locked = yield* ledger.updateStatus.call({ ...fields, statusAction: "LOCK" })
      expect(locked.api.type).toBe("UPDATE_STATUS_ACK")
      expect(locked.card.cardStatus).toBe("TEMPRORY_BLOCKED_BY_CLIENT")
      const refused = yield* Effect.flip((yield* CardSecrets).getCvv(Schema.decodeUnknownSync(GetCvvRequest)(fields)))
      expect(refused._tag).toBe("CardNotActive")
    })
  )
})

cardSecretsConformance("ledger transport over the fake ledger", endToEnd())
ledgerConformance("ledger transport over the fake ledger", endToEnd(), { rsaPublicKey: rsa.publicKeyPem })

describe("faults over the wire", () => {
  const withFaults = <A, E>(
    body: Effect.Effect<A, E, CardSecrets | LedgerClient | FakeIssuer>,
    timeout?: Duration.DurationInput
  ) => body.pipe(Effect.provide(Layer.fresh(endToEnd(undefined, timeout))), Effect.scoped)

  it.live("a read is retried exactly twice after 503, reset and garbage, then succeeds", () =>
    withFaults(
      Effect.gen(function* () {
        const issuer = yield* FakeIssuer
        yield* issuer.injectFaults("getCvv", { failures: ["Unavailable", "Reset"] })
        const card = yield* (yield* CardSecrets).getCvv(cvvRequest)
        expect(Redacted.value(card.cvv)).toBe("679")
        yield* issuer.injectFaults("getCvv", { failures: ["Garbage", "Truncated", "Unavailable", "Unavailable"] })
        const error = yield* Effect.flip((yield* CardSecrets).getCvv(cvvRequest))
        expect(error._tag).toBe("ProviderUnavailable")
        // One call and two retries consumed three faults: the fourth is still waiting.
        expect(yield* issuer.nextFault("getCvv")).toEqual(Option.some({ _tag: "Unavailable" }))
        expect(Option.isNone(yield* issuer.nextFault("getCvv"))).toBe(true)
      })
    )
  )

  it.live("a write is never retried", () =>
    withFaults(
      Effect.gen(function* () {
        const issuer = yield* FakeIssuer
        yield* issuer.injectFaults("updateStatus", { failures: ["Unavailable"] })
        const ledger = yield* LedgerClient
        const payload = {
          product: "DEFAULT",
          program: "DEFAULT",
          channel: "VISA_DPS" as const,
          customerId: "100000000006001",
          accountNumber: "400320588344662",
          cardId: "025951734ff74c13a14137e02834fa00",
          statusAction: "LOCK" as const
        }
        expect((yield* Effect.flip(ledger.updateStatus.call(payload)))._tag).toBe("ProviderUnavailable")
        const card = yield* issuer.getCard(payload.cardId)
        expect(card.status).toBe("ACTIVATED")
        yield* ledger.updateStatus.call(payload)
        expect((yield* issuer.getCard(payload.cardId)).status).toBe("TEMPRORY_BLOCKED_BY_CLIENT")
      })
    )
  )

  it.live("latency beyond the timeout fails with ProviderTimeout", () =>
    withFaults(
      Effect.gen(function* () {
        yield* (yield* FakeIssuer).injectFaults("getCvv", { failures: ["Latency"], latencyMillis: 10_000 })
        const start = Date.now()
        const error = yield* Effect.flip((yield* CardSecrets).getCvv(cvvRequest))
        expect(error).toMatchObject({ _tag: "ProviderTimeout", timeoutMillis: 2000 })
        // Not retried: one timeout, well before the injected latency would have ended.
        expect(Date.now() - start).toBeLessThan(9_000)
      }),
      "2 seconds"
    )
  )
})
