import { expect, layer } from "@effect/vitest"
import autocannon from "autocannon"
import { Effect } from "effect"
import { DemoServer } from "../src/index.js"
import { apiKey, ledgerCard, TestServer } from "./support.js"

const gc = (globalThis as { gc?: () => void }).gc

const round = (url: string) =>
  Effect.promise(() =>
    autocannon({
      url: `${url}/v1/cards/${ledgerCard.cardId}/cvv`,
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": apiKey },
      body: JSON.stringify({ customerId: ledgerCard.customerId, accountNumber: ledgerCard.accountNumber }),
      connections: 50,
      amount: 10_000
    })
  )

const heapAfterGc = Effect.sync(() => {
  gc?.()
  gc?.()
  return process.memoryUsage().heapUsed
})

layer(TestServer, { excludeTestServices: true })("demo under load", (it) => {
  it.effect(
    "answers 10,000 requests at concurrency 50 without an error, and its heap does not grow round over round",
    () =>
      Effect.gen(function* () {
        expect(gc).toBeTypeOf("function")
        const { url } = yield* DemoServer
        const first = yield* round(url)
        expect(first.requests.sent).toBeGreaterThanOrEqual(10_000)
        expect(first.errors + first.timeouts + first.non2xx).toBe(0)
        expect(first["2xx"]).toBe(10_000)
        const afterFirst = yield* heapAfterGc
        const second = yield* round(url)
        expect(second.errors + second.timeouts + second.non2xx).toBe(0)
        const afterSecond = yield* heapAfterGc
        expect(afterSecond).toBeLessThanOrEqual(afterFirst * 1.2)
      }),
    120_000
  )
})
