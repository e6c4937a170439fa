import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { loadPrivateKey, signPayload } from "@cardkit/ledger"
import { expect, layer } from "@effect/vitest"
import { fc } from "@fast-check/vitest"
import { Context, Effect, Layer } from "effect"
import { hostileBody, type JsonValue } from "../src/arbitraries.js"
import { FakeIssuer, FakeLedgerServer, type FakeLedgerOptions, makeDevLedgerClient, WireServer } from "../src/index.js"
import { send } from "./support/wire.js"

/*
 * Property: whatever arrives at /cardv2 or /jsonrpc — a request of every transaction type with one member
 * made hostile (prototype names where the fake dispatches, deep nesting, duplicates, surrogates,
 * extreme numbers), hostile JSON of any shape, nesting up to the body limit, a BOM, bytes that are
 * not UTF-8 — the fake ledger answers (no 5xx, no dropped connection) in its JSON-RPC shape, every
 * validation refusal names the field, and it still serves the document's request afterwards. Both
 * an open ledger and one that checks signatures (which reads the payload's exact bytes) are hit.
 * The seed is the suite's (vitest.setup.ts); `FUZZ_RUNS` raises the count (`pnpm fuzz`).
 */
const runs = Number(process.env.FUZZ_RUNS ?? 500)
const maxBodyBytes = 64 * 1024

const documentRequest = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve("@cardkit/ledger/fixtures/get-cvv.request.json"), "utf8")
) as { params: { payload: Record<string, JsonValue>; api: Record<string, JsonValue> } } & Record<string, JsonValue>

const dev = makeDevLedgerClient()
const devKey = loadPrivateKey(dev.privateKeyPem)

/** A request of the document's shape for `payload`, signed as `dev` when `signed`. */
const requestFor = (payload: Record<string, JsonValue>, signed: boolean, method?: string): JsonValue => ({
  ...documentRequest,
  ...(method === undefined ? {} : { method }),
  params: {
    payload,
    api: signed
      ? {
          credential: dev.credential,
          signature: signPayload(devKey, JSON.stringify(payload)),
          apiKey: dev.apiKey,
          keyId: dev.keyId
        }
      : documentRequest.params.api
  }
})

/** Every string the fake ledger looks up by what the client sent. */
const dispatched = [
  ["method"],
  ["id"],
  ["params", "payload", "transactionType"],
  ["params", "payload", "channel"],
  ["params", "payload", "statusAction"],
  ["params", "payload", "card", "cardType"],
  ["params", "payload", "cardLimit", "cycleType"],
  ["params", "payload", "cardLimit", "type"],
  ["params", "payload", "status"],
  ["params", "api", "keyId"]
]

/** Bodies for a server whose well-formed request is `document`, prototype names where the fake dispatches. */
const bodiesFor = (document: JsonValue) => hostileBody(document, { maxBytes: maxBodyBytes, dispatchPaths: dispatched })

const serve = (options: FakeLedgerOptions) =>
  Effect.map(Layer.build(FakeLedgerServer.layer(options)), (context) => Context.get(context, WireServer).url)

layer(FakeIssuer.layer(), { excludeTestServices: true })("fuzzing the fake ledger", (it) => {
  it.scoped(
    `${runs} hostile requests: always an answer, never a 5xx, refusals name the field`,
    () =>
      Effect.gen(function* () {
        const open = yield* serve({ open: true })
        const signed = yield* serve({ clients: [dev.registration] })
        // Its own card, so that an UPDATE_STATUS the fuzz lets through never locks the document's.
        const card = yield* (yield* FakeIssuer).issueCard()
        const own = { customerId: card.customerId, accountNumber: card.accountNumber, cardId: card.cardId }
        const base = documentRequest.params.payload
        const { cardHolderId } = yield* (yield* FakeIssuer).addCardHolder(own)
        const holder = { firstName: "Ada", lastName: "Lovelace", phoneNumber: "1", emailId: "a@b.c" }
        const address = { addressLine1: "1 Main St", addressLine2: "", city: "X", state: "Y", zipCode: "1" }
        const payloads: Array<Record<string, JsonValue>> = [
          base,
          { ...base, transactionType: "GET_CARD" },
          { ...base, ...own, transactionType: "VALIDATE_CVV", cardCvv: "123", isEncrypt: true },
          { ...base, ...own, transactionType: "UPDATE_STATUS", statusAction: "LOCK", cardCvv: "", isEncrypt: true },
          { ...base, ...own, transactionType: "REPLACE_CARD", statusAction: "REISSUE" },
          { ...base, ...own, transactionType: "PIN_CHANGE", newPIN: "1234", isEncrypt: true },
          { ...base, ...own, transactionType: "GET_CARD_LIST", pagination: { offset: 0, max: 5 } },
          {
            ...base,
            ...own,
            transactionType: "SET_LIMIT",
            cardLimit: { cardId: card.cardId, cycleType: "DAY", type: "COUNT", value: "5" }
          },
          { ...base, ...own, transactionType: "ADD_CARD", card: { cardHolderId, cardType: "PHYSICAL" } },
          {
            ...base,
            ...own,
            transactionType: "ADD_CARD_HOLDER_WITH_NON_PRIMARY_ADDRESS",
            cardHolder: { ...holder, ...address }
          }
        ]
        const addUserKey = {
          userName: "a@b.c",
          publicKey: dev.registration.keys[dev.keyId]!,
          status: "ACTIVE",
          customerId: own.customerId
        }
        const customers = (url: string) => `${url}/jsonrpc`
        const cardsAt = (url: string) => `${url}/cardv2`
        const targets = [
          ...payloads.flatMap((payload) => [
            bodiesFor(requestFor(payload, false)).map((body) => ({ url: cardsAt(open), body })),
            bodiesFor(requestFor(payload, true)).map((body) => ({ url: cardsAt(signed), body }))
          ]),
          bodiesFor(requestFor(addUserKey, false, "CustomerService.AddUserKey")).map((body) => ({
            url: customers(open),
            body
          })),
          bodiesFor(requestFor(addUserKey, true, "CustomerService.AddUserKey")).map((body) => ({
            url: customers(signed),
            body
          }))
        ]
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(fc.oneof(...targets), async ({ url, body }) => {
              const { status, json, headers } = await send(url, { body })
              expect(status).toBeLessThan(500)
              expect(headers["x-request-id"]).toMatch(/^[a-z]{20}$/)
              expect(json).toBeTypeOf("object")
              if (json.error !== undefined) {
                expect(typeof json.error.code).toBe("string")
                if (json.error.code === "1000")
                  expect(json.error.message).toMatch(/^[A-Za-z-]+(\.[A-Za-z][A-Za-z0-9]*)*: \S/)
              } else {
                expect(status).toBe(200)
                if (url.endsWith("/cardv2")) expect(json.result.api.type).toMatch(/_ACK$/)
                else expect(Object.keys(json.result)).toEqual(["keyID", "status", "apiKey"])
              }
            }),
            { numRuns: runs }
          )
        )
        const after = yield* Effect.promise(() => send(`${open}/cardv2`, { body: JSON.stringify(documentRequest) }))
        expect(after.json.result.card.cvv).toBe("679")
      }),
    120_000
  )
})
