import { generateKeyPairSync } from "node:crypto"
import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { LedgerClient, LedgerOperations, operationByType } from "../src/index.js"
import {
  cannedLedger,
  decryptWith,
  fixtureAnswer as answer,
  httpClient,
  operationFixtures as fixtures,
  options,
  payloadBytes,
  signingKeys
} from "./support.js"

/*
 * One fixture per operation (fixtures/operations/*.json): the payload the reference implies, byte for
 * byte and in its field order, and a result as the reference shows it. The client must send exactly
 * those bytes for the corresponding input, and decode that result.
 */

const keys = signingKeys()
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 })
const rsaPublicPem = rsa.publicKey.export({ type: "spki", format: "pem" }).toString()
const decrypt = decryptWith(rsa.privateKey)

describe("every operation of the table", () => {
  it("has a fixture, and every fixture an operation", () => {
    const types = fixtures.map(([, fixture]) => fixture.payload.transactionType).sort()
    expect(types).toEqual(
      Object.values(LedgerOperations)
        .map((operation) => operation.transactionType)
        .sort()
    )
  })

  it("is in the README's table, with its method, type and kind", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8")
    for (const [name, operation] of Object.entries(LedgerOperations)) {
      expect(readme).toContain(`| \`${name}\` | \`${operation.transactionType}\` | ${operation.kind} |`)
    }
  })
})

describe.each(fixtures)("%s", (_file, fixture) => {
  const transactionType = String(fixture.payload.transactionType)
  const [name] = operationByType.get(transactionType)!

  it.live(`${name} sends the reference's payload byte for byte and decodes its result`, () =>
    Effect.gen(function* () {
      const ledger = yield* cannedLedger(answer(fixture))
      const { transactionType: _, isEncrypt: __, ...fields } = fixture.payload
      const secrets = Object.fromEntries(
        Object.entries(fixture.secrets ?? {}).map(([field, plaintext]) => [field, Redacted.make(plaintext)])
      )
      const call = (client: LedgerClient["Type"]) =>
        (client[name].call as (input: object) => Effect.Effect<Record<string, unknown>, unknown>)({
          ...fields,
          ...secrets
        })
      const result = yield* Effect.flatMap(LedgerClient, call).pipe(
        Effect.provide(
          Layer.fresh(LedgerClient.layer(options(ledger.url, keys.privatePem, { rsaPublicKey: rsaPublicPem }))).pipe(
            Layer.provide(httpClient())
          )
        )
      )
      const [sent] = ledger.requests
      const bytes = payloadBytes(sent!.body)
      const payload = JSON.parse(bytes)
      for (const [field, plaintext] of Object.entries(fixture.secrets ?? {})) {
        expect(decrypt(payload[field])).toBe(plaintext)
        expect(bytes).not.toContain(`"${plaintext}"`)
        payload[field] = "<encrypted>"
      }
      expect(JSON.stringify(payload)).toBe(JSON.stringify(fixture.payload))
      expect(bytes).toBe(JSON.stringify({ ...JSON.parse(bytes) }))
      expect(result).toMatchObject(fixture.result)
      expect(result.api).toMatchObject({ type: `${transactionType}_ACK` })
    }).pipe(Effect.scoped)
  )
})
