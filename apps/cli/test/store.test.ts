import { execFile } from "node:child_process"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import {
  type AuditPage,
  alone,
  bin,
  cardkit,
  cleanEnv,
  expectNoSecrets,
  ledgerCard,
  type Ran,
  tempDataDir,
  withInput,
  withoutTimes
} from "./support.js"

const cardId = "025951734ff74c13a14137e02834fa00"
const customerId = "100000000006001"
const pin = "482913"

/** Run `cardkit` in `cwd` with none of the store settings: as from a fresh clone. */
const inDirectory = (cwd: string, args: ReadonlyArray<string>): Promise<Ran> => {
  const { CARDKIT_DATA_DIR: _, ...env } = cleanEnv()
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [bin, ...args], { cwd, env, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== "number") return reject(error)
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr })
    })
  )
}

describe("the store's defaults", () => {
  const clone = tempDataDir()

  it("cvv --provider fake works with no setup: the store is created under .cardkit in the working directory", async () => {
    expect(await inDirectory(clone, ["cvv", ...ledgerCard, "--provider", "fake"])).toEqual({
      code: 0,
      stdout: "679\n",
      stderr: ""
    })
    expect(existsSync(join(clone, ".cardkit", "cardkit.sqlite"))).toBe(true)
  })

  it("a read (card show) leaves the store unopened", async () => {
    const dataDir = join(tempDataDir(), "not-yet")
    const shown = await cardkit(["card", "show", ...ledgerCard], { CARDKIT_DATA_DIR: dataDir })
    expect(shown.code).toBe(0)
    expect(existsSync(dataDir)).toBe(false)
  })

  it("a malformed CARDKIT_DATABASE_URL is exit 2, one line, without the value (it may hold a password)", async () => {
    const { code, stderr } = await cardkit(["cvv", ...ledgerCard], { CARDKIT_DATABASE_URL: "mysql://u:hunter2@db/x" })
    expect(code).toBe(2)
    expect(stderr).toMatch(/^cardkit: .*must be a postgres:\/\/ or postgresql:\/\/ URL\n$/)
    expect(stderr).not.toContain("hunter2")
  })
})

describe("reveal budgets", () => {
  const env = { CARDKIT_DATA_DIR: tempDataDir(), CARDKIT_REVEAL_BUDGET_CARD: "2/1 hour" }

  it("two reveals within CARDKIT_REVEAL_BUDGET_CARD=2/1 hour, the third is exit 1 with one line and no CVV", async () => {
    expect(await cardkit(["cvv", ...ledgerCard], env)).toEqual({ code: 0, stdout: "679\n", stderr: "" })
    expect(await cardkit(["cvv", ...ledgerCard], env)).toEqual({ code: 0, stdout: "679\n", stderr: "" })
    const over = await cardkit(["cvv", ...ledgerCard], env)
    expect(over.code).toBe(1)
    expect(over.stdout).toBe("")
    expect(over.stderr).toMatch(/^cardkit: the card's reveal budget of 2 per 1 hour is spent: retry in \d+ s\n$/)
    expect(over.stderr).not.toMatch(alone("679"))
  })

  it("--json over budget is the error object", async () => {
    const { code, stdout, stderr } = await cardkit(["cvv", ...ledgerCard, "--json"], env)
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" })
    const { error } = JSON.parse(stderr)
    expect(error).toEqual({ code: "BudgetExceeded", message: expect.stringMatching(/reveal budget of 2 per 1 hour/) })
    expect(stderr).not.toMatch(alone("679"))
  })

  it("the refused reveals are on record, as BudgetExceeded", async () => {
    const { stdout } = await cardkit(["audit", "list", "--json"], { CARDKIT_DATA_DIR: env.CARDKIT_DATA_DIR })
    const outcomes = (JSON.parse(stdout) as AuditPage).records.map((record) => `${record.operation} ${record.outcome}`)
    expect(outcomes).toEqual(["getCvv BudgetExceeded", "getCvv BudgetExceeded", "getCvv ok", "getCvv ok"])
  })

  it("a malformed budget is exit 2 naming the variable", async () => {
    const { code, stderr } = await cardkit(["cvv", ...ledgerCard], { CARDKIT_REVEAL_BUDGET_CARD: "lots" })
    expect(code).toBe(2)
    expect(stderr).toMatch(/^cardkit: CARDKIT_REVEAL_BUDGET_CARD: must be <count>\/<duration>/)
  })
})

describe("cardkit audit list", () => {
  const dataDir = tempDataDir()
  const env = { CARDKIT_DATA_DIR: dataDir }
  const audit = (args: ReadonlyArray<string>) => cardkit(["audit", "list", ...args], env)
  const page = async (args: ReadonlyArray<string>): Promise<AuditPage> => {
    const { code, stdout } = await audit([...args, "--json"])
    expect(code).toBe(0)
    return JSON.parse(stdout) as AuditPage
  }
  let started: string

  beforeAll(async () => {
    started = new Date(Date.now() - 1000).toISOString()
    for (const args of [
      ["cvv", ...ledgerCard],
      ["card", "lock", ...ledgerCard],
      ["card", "show", ...ledgerCard]
    ]) {
      expect((await cardkit(args, env)).code).toBe(0)
    }
    // The fake's seeded card is virtual: the provider refuses the PIN, and the refusal is on record.
    const changed = await withInput(["card", "change-pin", ...ledgerCard, "--pin", "-"], `${pin}\n`, env)
    expect(changed.code).toBe(2)
    const checked = await withInput(["card", "validate-cvv", ...ledgerCard, "--cvv", "-"], "111\n", env)
    expect(checked.code).toBe(1)
  })

  it("shows the reveals and writes, newest first, as the CLI's user; reads are not recorded", async () => {
    const { records, next } = await page([])
    expect(next).toBeNull()
    expect(records.map((record) => [record.operation, record.outcome])).toEqual([
      ["validateCvv", "IncorrectCvv"],
      ["changePin", "InvalidRequest"],
      ["lock", "ok"],
      ["getCvv", "ok"]
    ])
    for (const record of records) {
      expect(record).toEqual({
        id: expect.stringMatching(/^\d+$/),
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        apiKeyId: expect.stringMatching(/^cli:./),
        // As given, or masked where the store takes it for a PAN.
        customerId: expect.stringMatching(/^100000\S*6001$/),
        cardId,
        operation: record.operation,
        outcome: record.outcome,
        providerReference: record.operation === "getCvv" ? expect.any(String) : null,
        requestId: null,
        clientAddress: "local"
      })
    }
    expect(records.map((record) => Number(record.id))).toEqual(
      [...records.map((r) => Number(r.id))].sort((a, b) => b - a)
    )
  })

  it("prints a table: time, operation, outcome, card, customer, apiKeyId, request id", async () => {
    const { code, stdout, stderr } = await audit([])
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" })
    const [header, ...rows] = stdout.trimEnd().split("\n")
    expect(header?.split(/\s+/)).toEqual(["time", "operation", "outcome", "card", "customer", "apiKeyId", "request"])
    expect(rows).toHaveLength(4)
    expect(rows[0]).toMatch(
      new RegExp(`^\\S+Z\\s+validateCvv\\s+IncorrectCvv\\s+${cardId}\\s+100000\\S*6001\\s+cli:\\S+\\s+-$`)
    )
    expect(rows[3]).toMatch(/\s+getCvv\s+ok\s+/)
  })

  it("never holds the CVV nor the PIN", async () => {
    expectNoSecrets(await page([]), ["679", pin, "111"])
    const { stdout } = await audit([])
    for (const secret of ["679", pin, "111"]) expect(withoutTimes(stdout)).not.toMatch(alone(secret))
  })

  it("filters by card, customer and time", async () => {
    expect((await page(["--card-id", cardId])).records).toHaveLength(4)
    expect((await page(["--card-id", "someothercard"])).records).toEqual([])
    expect((await page(["--customer-id", customerId])).records).toHaveLength(4)
    expect((await page(["--customer-id", "100000000006002"])).records).toEqual([])
    expect((await page(["--since", started])).records).toHaveLength(4)
    expect((await page(["--since", "2100-01-01T00:00:00Z"])).records).toEqual([])
    expect((await page(["--until", started])).records).toEqual([])
    expect(await audit(["--card-id", "someothercard"])).toEqual({ code: 0, stdout: "no audit records\n", stderr: "" })
  })

  it("pages with --limit and --cursor; the table's next cursor is a hint on stderr", async () => {
    const first = await page(["--limit", "3"])
    expect(first.records.map((record) => record.operation)).toEqual(["validateCvv", "changePin", "lock"])
    expect(first.next).toBe(first.records[2]?.id)
    const second = await page(["--limit", "3", "--cursor", first.next ?? ""])
    expect(second).toMatchObject({ records: [{ operation: "getCvv" }], next: null })
    const table = await audit(["--limit", "3"])
    expect(table.code).toBe(0)
    expect(table.stdout.trimEnd().split("\n")).toHaveLength(4)
    expect(table.stderr).toBe(`more records: add --cursor ${first.next}\n`)
  })

  it("a bad flag is exit 2 naming it; --json gives the error object", async () => {
    const since = await audit(["--since", "yesterday"])
    expect(since.code).toBe(2)
    expect(since.stderr).toMatch(/^cardkit: --since: .+\n$/)
    expect((await audit(["--limit", "0"])).stderr).toMatch(/^cardkit: --limit: /)
    expect(await audit(["--cursor", "abc"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "cardkit: --cursor: must be the next of a previous page\n"
    })
    const json = await audit(["--until", "soon", "--json"])
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: "InvalidRequest", field: "until" } })
  })
})
