import * as Crypto from "node:crypto"
import { mleEncrypt, VisaErrorBody } from "@cardkit/visa-pav"
import { expect, it, layer } from "@effect/vitest"
import { Effect, Layer, Redacted, Schema } from "effect"
import { prototypeNames } from "../src/arbitraries.js"
import { FakeIssuer } from "../src/FakeIssuer.js"
import { FakeVisaServer } from "../src/VisaServer.js"
import { WireServer } from "../src/WireServer.js"
import { examples, specResponse } from "./support/visaSpec.js"
import { type Answer, type Sent, sendEffect, endlessBody, stalledBody } from "./support/wire.js"

/*
 * Regressions: hostile requests to the fake Visa, each sent over the wire. Every refusal is a 4xx
 * in Visa's `responseStatus` format, and none repeats the card data it was sent.
 */

const credentials = { userId: "pav-user", password: "pav-password" }
const authorization = `Basic ${Buffer.from(`${credentials.userId}:${credentials.password}`).toString("base64")}`
const valid = examples["Account Validation Successful"].value
const validText = JSON.stringify(valid)
const pan = valid.primaryAccountNumber

const isVisaError = Schema.is(VisaErrorBody)

const post = (body: NonNullable<Sent["body"]>, headers: Record<string, string> = {}) =>
  Effect.flatMap(WireServer, ({ url }) =>
    sendEffect(`${url}/pav/v1/cardvalidation`, { body, headers: { authorization, ...headers } })
  )

const expectBodyRefusal = (answer: Answer, message: string) => {
  expect(answer.status, message).toBe(400)
  expect(answer.json, message).toEqual({
    responseStatus: {
      status: 400,
      code: "9102",
      severity: "ERROR",
      message: `The request body ${message}`,
      info: "body"
    }
  })
}

const nestedArrays = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`

layer(FakeVisaServer.layer({ credentials }).pipe(Layer.provideMerge(FakeIssuer.layer())), {
  excludeTestServices: true
})("the fake Visa refuses hostile requests in Visa's format", (it) => {
  it.effect("a PAN of full-width digits is a 400 naming primaryAccountNumber, not a 200 with action code 14", () =>
    Effect.gen(function* () {
      for (const foreign of [
        "４９５７０３０４２０２１０４６２",
        "٤٩٥٧٠٣٠٤٢٠٢١٠٤٦٢",
        "४९५७०३०४२०२१०४६२",
        "4957０30420210462"
      ]) {
        const answer = yield* post(JSON.stringify({ ...valid, primaryAccountNumber: foreign }))
        expect(answer.status, foreign).toBe(400)
        expect(answer.json.responseStatus, foreign).toMatchObject({
          status: 400,
          code: "9101",
          info: "primaryAccountNumber"
        })
        expect(answer.text).not.toContain(foreign)
      }
    })
  )

  it.effect("a body of 3,000 nested arrays is a 400 naming body, not a 500", () =>
    Effect.gen(function* () {
      expectBodyRefusal(yield* post(nestedArrays(3000)), "nests deeper than 64 levels")
      expectBodyRefusal(
        yield* post(
          JSON.stringify({ ...valid, cardAcceptor: "PLACEHOLDER" }).replace('"PLACEHOLDER"', nestedArrays(4000))
        ),
        "nests deeper than 64 levels"
      )
    })
  )

  it.effect("a lone surrogate, a duplicate member, a huge number, a BOM and broken JSON are 400s naming body", () =>
    Effect.gen(function* () {
      const cases: Array<[string, string]> = [
        [validText.replace('"022"', '"\\ud83d"'), "holds a string with a lone surrogate"],
        [
          validText.replace(`"${pan}"`, `"${pan}","primaryAccountNumber":"4957030420210463"`),
          "names a member twice in one object"
        ],
        [validText.replace('"022"', '"022","x":1e400'), "holds a number too large to read exactly"],
        [validText.replace('"022"', '"022","x":-9007199254740993'), "holds a number too large to read exactly"],
        [`\uFEFF${validText}`, "starts with a byte order mark"],
        ['{"primaryAccountNumber":', "is not valid JSON"],
        [`${validText} trailing`, "is not valid JSON"],
        ["", "is not valid JSON"]
      ]
      for (const [body, message] of cases) {
        const answer = yield* post(body)
        expectBodyRefusal(answer, message)
        expect(answer.text).not.toContain(pan)
      }
    })
  )

  it.effect("bytes that are not UTF-8 are a 400 naming body", () =>
    Effect.gen(function* () {
      const bytes = Buffer.from(validText)
      const at = bytes.indexOf(pan)
      for (const bad of [0xff, 0x80, 0xc3]) {
        expectBodyRefusal(
          yield* post(Buffer.concat([bytes.subarray(0, at), Buffer.of(bad), bytes.subarray(at)])),
          "is not UTF-8 text"
        )
      }
    })
  )

  it.effect("a body not declared JSON is a 415 in Visa's format", () =>
    Effect.gen(function* () {
      for (const contentType of ["text/plain", "application/xml", "application/json-patch+json"]) {
        const answer = yield* post(validText, { "content-type": contentType })
        expect(answer.status, contentType).toBe(415)
        expect(answer.json.responseStatus, contentType).toMatchObject({ status: 415, code: "9104" })
      }
    })
  )

  it.effect("members behind a __proto__ key are not members, and prototype names as values are answered", () =>
    Effect.gen(function* () {
      const hidden = yield* post(`{"__proto__":${validText}}`)
      expect(hidden.status).toBe(400)
      expect(hidden.json.responseStatus).toMatchObject({ code: "9101", info: "acquiringBin" })
      for (const key of Object.keys(valid)) {
        for (const name of prototypeNames) {
          const answer = yield* post(JSON.stringify({ ...valid, [key]: name }))
          expect(answer.status, `${key}: ${name}`).toBeLessThan(500)
          if (answer.status === 200) expect(specResponse(answer.json), `${key}: ${name}`).toBe(true)
          else expect(isVisaError(answer.json), `${key}: ${name}`).toBe(true)
        }
        const renamed = yield* post(validText.replace(`"${key}"`, '"__proto__"'))
        expect(renamed.status, key).toBeLessThan(500)
      }
    })
  )

  it.effect("a body declared larger than the limit is a 413 in Visa's format, refused before it is read", () =>
    Effect.gen(function* () {
      const { body, release } = stalledBody()
      const answer = yield* post(body, { "content-length": String(8 * 1024 * 1024) })
      release()
      expect(answer.status).toBe(413)
      expect(answer.headers.connection).toBe("close")
      expect(answer.json).toEqual({
        responseStatus: {
          status: 413,
          code: "9107",
          severity: "ERROR",
          message: "Request entity too large: send at most 65536 bytes",
          info: "body"
        }
      })
    })
  )

  it.effect("a multi-megabyte streamed body is cut off once it passes the limit, with a 413", () =>
    Effect.gen(function* () {
      const { body, ended } = endlessBody()
      const answer = yield* post(body)
      expect(answer.status).toBe(413)
      expect(answer.json.responseStatus).toMatchObject({ status: 413, code: "9107", info: "body" })
      for (let wait = 0; wait < 50 && !ended(); wait++) yield* Effect.sleep("20 millis")
      expect(ended()).toBe(true)
      const after = yield* post(validText)
      expect(after.status).toBe(200)
    })
  )
})

const serverKeys = Crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
const clientKeys = Crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
const mleServer = FakeVisaServer.layer({
  credentials,
  mle: {
    keyId: "k1",
    serverPrivateKey: Redacted.make(serverKeys.privateKey.export({ type: "pkcs8", format: "pem" }).toString()),
    clientPublicKey: clientKeys.publicKey.export({ type: "spki", format: "pem" }).toString()
  }
}).pipe(Layer.provide(FakeIssuer.layer()))

it.live("an encrypted body is held to the same reading as a plain one: deep or duplicated plaintext is a 400", () =>
  Effect.gen(function* () {
    for (const [plaintext, message] of [
      [nestedArrays(3000), "nests deeper than 64 levels"],
      [validText.replace('"022"', '"022","cardCvv2Value":"023"'), "names a member twice in one object"]
    ] as const) {
      const encData = yield* mleEncrypt(plaintext, { keyId: "k1", publicKey: serverKeys.publicKey })
      expectBodyRefusal(yield* post(JSON.stringify({ encData }), { keyId: "k1" }), message)
    }
  }).pipe(Effect.provide(mleServer))
)
