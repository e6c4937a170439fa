import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { fc } from "@fast-check/vitest"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { request } from "undici"
import { FakeIssuer, FakeLedgerServer, WireServer } from "../src/index.js"

/*
 * Property: whatever arrives at /cardv2 — random JSON, random bytes, or the document's request with
 * a field removed or replaced — the fake ledger answers (no 5xx, no dropped connection), every
 * validation refusal names the field, and it still serves the document's request afterwards.
 * `FUZZ_RUNS` raises the count (`pnpm fuzz` runs 10,000).
 */
const runs = Number(process.env.FUZZ_RUNS ?? 500)

const documentRequest: unknown = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve("@cardkit/ledger/fixtures/get-cvv.request.json"), "utf8")
)

type Json = null | boolean | number | string | Array<Json> | { [key: string]: Json }

const paths = (value: Json, prefix: Array<string> = []): Array<Array<string>> =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? Object.entries(value).flatMap(([key, child]) => [[...prefix, key], ...paths(child, [...prefix, key])])
    : []

const allPaths = paths(documentRequest as Json)

const mutate = (path: Array<string>, replacement: Json | undefined): string => {
  const copy = structuredClone(documentRequest) as { [key: string]: Json }
  let node: { [key: string]: Json } = copy
  for (const key of path.slice(0, -1)) node = node[key] as { [key: string]: Json }
  const last = path[path.length - 1]!
  if (replacement === undefined) delete node[last]
  else node[last] = replacement
  return JSON.stringify(copy)
}

const bodies = fc.oneof(
  { weight: 2, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ unit: "binary" }) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(...allPaths), fc.option(fc.jsonValue() as fc.Arbitrary<Json>, { nil: undefined }))
      .map(([path, replacement]) => mutate(path, replacement))
  }
)

const send = async (url: string, body: string) => {
  const response = await request(`${url}/cardv2`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json" }
  })
  return { status: response.statusCode, text: await response.body.text() }
}

layer(FakeLedgerServer.layer({ open: true }).pipe(Layer.provideMerge(FakeIssuer.layer)), { excludeTestServices: true })(
  "fuzzing the fake ledger",
  (it) => {
    it.effect(
      `${runs} random and mutated requests: always an answer, never a 5xx, refusals name the field`,
      () =>
        Effect.gen(function* () {
          const { url } = yield* WireServer
          yield* Effect.promise(() =>
            fc.assert(
              fc.asyncProperty(bodies, async (body) => {
                const { status, text } = await send(url, body)
                expect(status).toBeLessThan(500)
                const answer = JSON.parse(text)
                if (answer.error !== undefined) {
                  expect(typeof answer.error.code).toBe("string")
                  if (answer.error.code === "1000") expect(answer.error.message).toMatch(/^[A-Za-z]+(\.[A-Za-z]+)*: \S/)
                } else {
                  expect(status).toBe(200)
                  expect(answer.result.api.type).toMatch(/_ACK$/)
                }
              }),
              { numRuns: runs }
            )
          )
          const after = yield* Effect.promise(() => send(url, JSON.stringify(documentRequest)))
          expect(JSON.parse(after.text).result.card.cvv).toBe("679")
        }),
      120_000
    )
  }
)
