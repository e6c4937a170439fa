import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { prototypeNames } from "../src/arbitraries.js"
import { FakeIssuer, FakeLedgerServer, WireServer } from "../src/index.js"
import { type Sent, sendEffect, endlessBody, stalledBody } from "./support/wire.js"

/*
 * Regressions: hostile requests the fake ledger once answered with an empty HTTP 500 (or could
 * have), each sent over the wire. Every refusal is in the ledger's JSON-RPC error shape.
 */

const documentRequest = readFileSync(
  createRequire(import.meta.url).resolve("@cardkit/ledger/fixtures/get-cvv.request.json"),
  "utf8"
)
const envelope = JSON.parse(documentRequest)

/** The document's request with payload members replaced. */
const withPayload = (members: Record<string, unknown>) =>
  JSON.stringify({ ...envelope, params: { ...envelope.params, payload: { ...envelope.params.payload, ...members } } })

/** The document's request with its payload's text replaced by `payload`, verbatim. */
const withPayloadText = (payload: string) =>
  `{"method":"ledger.CARD.request","id":"1","params":{"payload":${payload},"api":${JSON.stringify(envelope.params.api)}}}`

const nestedArrays = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`

const bodyRefusal = (message: string) => ({ id: null, error: { code: "1000", message } })

layer(FakeLedgerServer.layer({ open: true }).pipe(Layer.provideMerge(FakeIssuer.layer())), {
  excludeTestServices: true
})("the fake ledger refuses hostile requests in its own shape", (it) => {
  const post = (body: NonNullable<Sent["body"]>, headers?: Record<string, string>) =>
    Effect.flatMap(WireServer, ({ url }) =>
      sendEffect(`${url}/cardv2`, { body, ...(headers === undefined ? {} : { headers }) })
    )

  for (const name of prototypeNames) {
    it.effect(`transactionType ${name} is a JSON-RPC invalid request, not a 500`, () =>
      Effect.gen(function* () {
        const answer = yield* post(withPayload({ transactionType: name }))
        expect(answer.status).toBe(200)
        expect(answer.json).toEqual({
          id: "1",
          error: { code: "1000", message: "params.payload.transactionType: is not supported" }
        })
      })
    )
  }

  it.effect("method valueOf, __proto__ and constructor are JSON-RPC invalid requests naming method", () =>
    Effect.gen(function* () {
      for (const method of ["valueOf", "__proto__", "constructor"]) {
        const answer = yield* post(JSON.stringify({ ...envelope, method }))
        expect(answer.status, method).toBe(200)
        expect(answer.json, method).toEqual({
          id: "1",
          error: { code: "1000", message: "method: is not a known method" }
        })
      }
    })
  )

  it.effect("channel constructor is an invalid request naming params.payload.channel", () =>
    Effect.gen(function* () {
      for (const channel of ["constructor", "__proto__", "toString"]) {
        const answer = yield* post(withPayload({ channel }))
        expect(answer.status, channel).toBe(200)
        expect(answer.json.error.code, channel).toBe("1000")
        expect(answer.json.error.message, channel).toMatch(/^params\.payload\.channel: \S/)
      }
    })
  )

  it.effect("UPDATE_STATUS with statusAction valueOf is an invalid request naming params.payload.statusAction", () =>
    Effect.gen(function* () {
      for (const statusAction of ["valueOf", "__proto__", "hasOwnProperty"]) {
        const answer = yield* post(
          withPayload({ transactionType: "UPDATE_STATUS", statusAction, cardCvv: "", isEncrypt: true })
        )
        expect(answer.status, statusAction).toBe(200)
        expect(answer.json.error.code, statusAction).toBe("1000")
        expect(answer.json.error.message, statusAction).toMatch(/^params\.payload\.statusAction: \S/)
      }
      const card = yield* (yield* FakeIssuer).getCard(envelope.params.payload.cardId)
      expect(card.status).toBe("ACTIVATED")
    })
  )

  it.effect("members behind a __proto__ key are not members: the envelope is missing them", () =>
    Effect.gen(function* () {
      const hidden = yield* post(`{"__proto__":${documentRequest}}`)
      expect(hidden.status).toBe(200)
      expect(hidden.json).toEqual({ id: null, error: { code: "1000", message: "method: is missing" } })
      const { id: _, ...withoutId } = envelope
      const hiddenId = yield* post(`{"__proto__":{"id":"7"},${JSON.stringify(withoutId).slice(1)}`)
      expect(hiddenId.json).toEqual({ id: null, error: { code: "1000", message: "id: is missing" } })
      const payload = JSON.stringify(envelope.params.payload).replace(
        '"transactionType":"GET_CVV"',
        '"__proto__":{"transactionType":"GET_CVV"}'
      )
      const hiddenType = yield* post(withPayloadText(payload))
      expect(hiddenType.json).toEqual({
        id: "1",
        error: { code: "1000", message: "params.payload.transactionType: is missing" }
      })
    })
  )

  it.effect("a body of 3,000 nested arrays is an invalid request naming body, not a 500", () =>
    Effect.gen(function* () {
      const answer = yield* post(nestedArrays(3000))
      expect(answer.status).toBe(400)
      expect(answer.json).toEqual(bodyRefusal("body: nests deeper than 64 levels"))
    })
  )

  it.effect("4,000 nested arrays inside params.payload are an invalid request naming body, not a 500", () =>
    Effect.gen(function* () {
      const answer = yield* post(withPayloadText(nestedArrays(4000)))
      expect(answer.status).toBe(400)
      expect(answer.json).toEqual(bodyRefusal("body: nests deeper than 64 levels"))
    })
  )

  it.effect("nesting is refused past 64 levels, and 64 levels reach the schema", () =>
    Effect.gen(function* () {
      // The envelope, params and payload are three levels: a reference of 61 arrays makes 64.
      const at = yield* post(withPayloadText(`{"reference":${nestedArrays(61)}}`))
      expect(at.status).toBe(200)
      expect(at.json.error).toEqual({ code: "1000", message: "params.payload.transactionType: is missing" })
      const past = yield* post(withPayloadText(`{"reference":${nestedArrays(62)}}`))
      expect(past.status).toBe(400)
      expect(past.json).toEqual(bodyRefusal("body: nests deeper than 64 levels"))
    })
  )

  it.effect("a lone surrogate, a duplicate member, a huge number and a BOM are invalid requests naming body", () =>
    Effect.gen(function* () {
      const cases: Array<[string, string]> = [
        [documentRequest.replace('"visadps100013"', '"\\ud800"'), "body: holds a string with a lone surrogate"],
        [documentRequest.replace('"id":"1"', '"id":"1","a\\udc00b":1'), "body: holds a string with a lone surrogate"],
        [documentRequest.replace('"id":"1"', '"id":"1","id":"2"'), "body: names a member twice in one object"],
        [
          documentRequest.replace('"cardId":"025951734ff74c13a14137e02834fa00"', '"cardId":"x","cardId":"y"'),
          "body: names a member twice in one object"
        ],
        [documentRequest.replace('"id":"1"', '"id":1e400'), "body: holds a number too large to read exactly"],
        [
          documentRequest.replace('"id":"1"', '"id":9007199254740993'),
          "body: holds a number too large to read exactly"
        ],
        [`\uFEFF${documentRequest}`, "body: starts with a byte order mark"],
        ["{'method':1}", "body: is not valid JSON"],
        ['{"method":"ledger.CARD.request",}', "body: is not valid JSON"]
      ]
      for (const [body, message] of cases) {
        const answer = yield* post(body)
        expect(answer.status, message).toBe(400)
        expect(answer.json, message).toEqual(bodyRefusal(message))
      }
    })
  )

  it.effect("bytes that are not UTF-8 are an invalid request naming body, not read as replacement characters", () =>
    Effect.gen(function* () {
      const bytes = Buffer.from(documentRequest)
      for (const bad of [0xff, 0xc3, 0xed]) {
        const at = bytes.indexOf("visadps")
        const answer = yield* post(Buffer.concat([bytes.subarray(0, at), Buffer.of(bad), bytes.subarray(at)]))
        expect(answer.status).toBe(400)
        expect(answer.json).toEqual(bodyRefusal("body: is not UTF-8 text"))
      }
    })
  )

  it.effect("a body that is not declared JSON gets a 415 in the ledger's error shape", () =>
    Effect.gen(function* () {
      for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"]) {
        const answer = yield* post(documentRequest, { "content-type": contentType })
        expect(answer.status, contentType).toBe(415)
        expect(answer.json).toEqual(bodyRefusal("content-type: use application/json"))
      }
      const charset = yield* post(documentRequest, { "content-type": "application/json; charset=utf-8" })
      expect(charset.json.result.card.cvv).toBe("679")
    })
  )

  it.effect("a body declared larger than the limit is refused before it is read, closing the connection", () =>
    Effect.gen(function* () {
      const { body, release } = stalledBody()
      const answer = yield* post(body, { "content-length": String(10 * 1024 * 1024) })
      release()
      expect(answer.status).toBe(413)
      expect(answer.headers.connection).toBe("close")
      expect(answer.json).toEqual(bodyRefusal("body: larger than 65536 bytes"))
    })
  )

  it.effect("a streamed body is cut off once it passes the limit, with a 413 in the ledger's shape", () =>
    Effect.gen(function* () {
      const { body, ended } = endlessBody()
      const answer = yield* post(body)
      expect(answer.status).toBe(413)
      expect(answer.json).toEqual(bodyRefusal("body: larger than 65536 bytes"))
      for (let wait = 0; wait < 50 && !ended(); wait++) yield* Effect.sleep("20 millis")
      expect(ended()).toBe(true)
      const after = yield* post(documentRequest)
      expect(after.json.result.card.cvv).toBe("679")
    })
  )
})
