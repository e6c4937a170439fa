import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { startPostgres, type TestPostgres } from "@cardkit/store/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Redacted } from "effect"
import { ledgerCard } from "./support.js"

/*
 * Two demo processes, as two replicas behind a load balancer would run, on one PostgreSQL database:
 * what one replica stores (reveal budgets, idempotency keys, the audit trail) the other sees. Runs
 * the built demo (`dist/main.js`; the package's test task builds it first).
 */

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url))
const apiKey = "replica-test-key"
const adminKey = "replica-test-admin-key"

interface Replica {
  readonly url: string
  readonly process: ChildProcess
}

const startReplica = (databaseUrl: string): Promise<Replica> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main], {
      env: {
        PATH: process.env.PATH,
        PORT: "0",
        CARDKIT_DATABASE_URL: databaseUrl,
        CARDKIT_DEMO_API_KEYS: apiKey,
        CARDKIT_DEMO_ADMIN_API_KEYS: adminKey,
        CARDKIT_REVEAL_BUDGET_CARD: "3/1 hour"
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    const timer = setTimeout(() => reject(new Error(`the replica did not start: ${output}`)), 30_000)
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      const listening = /listening on (http:\/\/[0-9.:]+)/.exec(output)
      if (listening?.[1] !== undefined) {
        clearTimeout(timer)
        resolve({ url: listening[1], process: child })
      }
    }
    child.stdout.on("data", read)
    child.stderr.on("data", read)
    child.once("exit", (code) => reject(new Error(`the replica exited (${code}): ${output}`)))
  })

const call = async (url: string, init: RequestInit & { key?: string } = {}) => {
  const response = await fetch(url, {
    ...init,
    headers: { "content-type": "application/json", "x-api-key": init.key ?? apiKey, ...init.headers }
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, json: text === "" ? undefined : JSON.parse(text) }
}

const account = { customerId: ledgerCard.customerId, accountNumber: ledgerCard.accountNumber }
const reveal = (replica: Replica) =>
  call(`${replica.url}/v1/cards/${ledgerCard.cardId}/cvv`, { method: "POST", body: JSON.stringify(account) })

describe("two demo replicas on one PostgreSQL database", () => {
  let postgres: TestPostgres
  let a: Replica
  let b: Replica

  beforeAll(async () => {
    postgres = await startPostgres()
    const url = Redacted.value(await postgres.createDatabase("replicas"))
    // One after the other: the first migrates the database, the second finds it migrated.
    a = await startReplica(url)
    b = await startReplica(url)
  }, 120_000)

  afterAll(async () => {
    for (const replica of [a, b]) replica?.process.kill("SIGTERM")
    await postgres?.stop()
  })

  it("share one reveal budget: reveals on either replica count against the card's", async () => {
    expect((await reveal(a)).status).toBe(200)
    expect((await reveal(b)).status).toBe(200)
    expect((await reveal(a)).status).toBe(200)
    const refusedOnB = await reveal(b)
    expect(refusedOnB.status).toBe(429)
    expect(refusedOnB.json.error.code).toBe("BudgetExceeded")
    expect(Number(refusedOnB.headers.get("retry-after"))).toBeGreaterThan(0)
    expect((await reveal(a)).status).toBe(429)
  })

  it("share idempotency keys: a retry landing on the other replica gets the first answer", async () => {
    const issue = (replica: Replica, body: object = { ...account, type: "virtual" }) =>
      call(`${replica.url}/v1/cards`, {
        method: "POST",
        body: JSON.stringify(body),
        headers: { "idempotency-key": "replicas-issue-1" }
      })
    const first = await issue(a)
    expect(first.status).toBe(201)
    const retried = await issue(b)
    expect(retried.status).toBe(201)
    expect(retried.json).toEqual(first.json)
    expect(retried.headers.get("idempotent-replayed")).toBe("true")
    expect((await issue(b, { ...account, type: "physical" })).status).toBe(422)
  })

  it("share one audit trail: either replica lists what both recorded", async () => {
    // The card's budget is spent (the first test): these reveals are refused, and recorded all the same.
    const onA = await reveal(a)
    const onB = await reveal(b)
    const ids = [onA.headers.get("x-request-id"), onB.headers.get("x-request-id")]
    for (const replica of [a, b]) {
      const page = await call(`${replica.url}/v1/audit?cardId=${ledgerCard.cardId}`, { key: adminKey })
      expect(page.status).toBe(200)
      const recorded = page.json.records.map((r: { requestId: string }) => r.requestId)
      expect(recorded).toEqual(expect.arrayContaining(ids))
      // The five reveals before these (three answered, two refused) are on record too; these two were refused.
      expect(page.json.records).toHaveLength(7)
    }
  })
})
