import { type ChildProcess, execFile, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, expect } from "vitest"

/** The built entry point: these tests run the CLI exactly as a user does. */
export const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url))

/** The ledger document's card, as `cvv` flags. */
export const ledgerCard = [
  "--card-id",
  "025951734ff74c13a14137e02834fa00",
  "--customer-id",
  "100000000006001",
  "--account-number",
  "400320588344662"
]
/** A card id no issuer has, for the document card's customer and account. */
export const unknownCard = [
  "--card-id",
  "nosuchcard",
  "--customer-id",
  "100000000006001",
  "--account-number",
  "400320588344662"
]
/**
 * Visa's example card, as `validate` flags, with the billing address its example verifies. The PAN and
 * the CVV2 are never flag values: `visaCard` reads both from standard input, which `visaInput` fills.
 */
export const visaPan = "4957030420210462"
export const visaCard = ["--pan", "-", "--expiry", "2040-10", "--cvv2", "-"]
/** Standard input for `--pan -` and `--cvv2 -`: one line each, in that order (the order `validate` reads them). */
export const lines = (...values: ReadonlyArray<string>) => values.map((value) => `${value}\n`).join("")
export const visaInput = lines(visaPan, "022")
export const visaAddress = ["--street", "801 Metro Center Blv", "--postal-code", "94404"]

/** A secret as a run of digits of its own (a longer number holding the digits is not it). */
export const alone = (secret: string) => new RegExp(`(^|\\D)${secret}(\\D|$)`)
// Timestamps are digits that could hold a secret's by chance; they are not it.
export const withoutTimes = (text: string) => text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "time")

export interface AuditRecord {
  readonly id: string
  readonly at: string
  readonly apiKeyId: string | null
  readonly customerId: string | null
  readonly cardId: string | null
  readonly operation: string
  readonly outcome: string
  readonly providerReference: string | null
  readonly requestId: string | null
  readonly clientAddress: string | null
}
export interface AuditPage {
  readonly records: ReadonlyArray<AuditRecord>
  readonly next: string | null
}

/** No record holds a CVV or a PIN: checked in every field but the ids and the time, which are not secrets. */
export const expectNoSecrets = (page: AuditPage, secrets: ReadonlyArray<string>) => {
  for (const { id: _, at: __, cardId, ...rest } of page.records) {
    expect(cardId ?? "", "a card id").toMatch(/^([0-9a-f]{32})?$/)
    for (const secret of secrets) expect(JSON.stringify(rest)).not.toMatch(alone(secret))
  }
}

export interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/**
 * A fresh store directory, removed after the test file: a run never writes into the repository (the
 * store's default, `.cardkit`, is in the working directory), and a test that reads records or spends
 * budgets back sees only its own.
 */
export const tempDataDir = (): string => {
  const directory = mkdtempSync(join(tmpdir(), "cardkit-cli-store-"))
  afterAll(() => rmSync(directory, { recursive: true, force: true }))
  return directory
}

/** The store of this test file's runs unless a test names its own (each file loads this module anew). */
const fileDataDir = tempDataDir()

/**
 * The environment of a test's `cardkit`: the caller's own CARDKIT_* settings must not leak into a
 * test's provider or store.
 */
export const cleanEnv = (extra: Readonly<Record<string, string>> = {}) => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("CARDKIT_"))),
  CARDKIT_DATA_DIR: fileDataDir,
  ...extra
})

/** Run `cardkit …args` to completion. */
export const cardkit = (args: ReadonlyArray<string>, env?: Readonly<Record<string, string>>): Promise<Ran> =>
  new Promise((resolve, reject) => {
    execFile(process.execPath, [bin, ...args], { env: cleanEnv(env), timeout: 20_000 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== "number") return reject(error)
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr })
    })
  })

/** `cardkit …args` with `input` on its standard input (a pipe, not a terminal). */
export const withInput = (
  args: ReadonlyArray<string>,
  input: string,
  env?: Readonly<Record<string, string>>
): Promise<Ran> =>
  new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { env: cleanEnv(env), timeout: 20_000 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== "number") return reject(error)
        resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr })
      }
    )
    child.stdin!.end(input)
  })

export interface Running {
  readonly process: ChildProcess
  /** Everything printed on stdout so far. */
  readonly output: () => string
  /** Everything printed on stderr so far. */
  readonly errorOutput: () => string
  /** Resolves with the first stdout text matching `pattern`. */
  readonly waitFor: (pattern: RegExp) => Promise<RegExpMatchArray>
  readonly stop: () => Promise<number | null>
}

/** Start a long-running `cardkit …args` (a server); `stop` sends SIGTERM and waits for the exit code. */
export const start = (args: ReadonlyArray<string>, env?: Readonly<Record<string, string>>): Running => {
  const child = spawn(process.execPath, [bin, ...args], { env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  const waiters = new Set<() => void>()
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk
    for (const check of waiters) check()
  })
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  return {
    process: child,
    output: () => stdout,
    errorOutput: () => stderr,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = stdout.match(pattern)
          if (match !== null) {
            waiters.delete(check)
            resolve(match)
          }
        }
        waiters.add(check)
        check()
        void exited.then((code) => {
          if (waiters.delete(check)) reject(new Error(`cardkit exited (${code}) before printing ${pattern}: ${stderr}`))
        })
      }),
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
      return exited
    }
  }
}
