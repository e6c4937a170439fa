import { spawn } from "node:child_process"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  type AuditPage,
  bin,
  cardkit,
  cleanEnv,
  expectNoSecrets,
  ledgerCard,
  lines,
  type Running,
  start,
  tempDataDir,
  visaPan,
  withInput
} from "./support.js"

/*
 * `cardkit card …` on the in-memory fake. Each process is a fresh fake issuer seeded with the
 * documents' cards, so every command here starts from the ledger document's card: virtual, active,
 * ****6621, expiring 2029-11.
 */

const cardId = "025951734ff74c13a14137e02834fa00"
const account = ["--customer-id", "100000000006001", "--account-number", "400320588344662"]
const documentCard = `card ${cardId}: active, virtual, ****6621, expires 2029-11`

/**
 * Output with what could hold a secret's digits by chance masked: log times, fiber numbers, ports
 * and long random tokens (card ids, references, request ids). A secret is never one of those.
 */
const withoutChance = (text: string) =>
  text
    .replace(/\[\d\d:\d\d:\d\d\.\d{3}\]/g, "[time]")
    .replace(/#\d+/g, "#fiber")
    .replace(/:\d{2,5}\b/g, ":port")
    .replace(/[\w-]{16,}/g, "<token>")

describe("cardkit card --help", () => {
  it("lists every card command, and each one's --help its options", async () => {
    const commands = ["show", "list", "issue", "activate", "lock", "unlock", "report-lost", "replace", "close"]
    const more = ["limits", "set-limit", "change-pin", "validate-cvv"]
    const { code, stdout } = await cardkit(["--help"])
    expect(code).toBe(0)
    for (const command of [...commands, ...more]) expect(stdout).toMatch(new RegExp(`- card ${command}\\b`))
    const help = await cardkit(["card", "change-pin", "--help"])
    expect(help.stdout).toContain("--pin")
    expect(help.stdout).toContain("--ledger-url")
    expect(help.stdout).toContain("--provider fake | live")
  })
})

describe("cardkit card on the fake", () => {
  it("show prints the card on one line, masked", async () => {
    const ran = await cardkit(["card", "show", ...ledgerCard])
    expect(ran).toEqual({ code: 0, stdout: `${documentCard}\n`, stderr: "" })
  })

  it("show --json prints the domain Card", async () => {
    const { code, stdout } = await cardkit(["card", "show", ...ledgerCard, "--json"])
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toEqual({
      cardId,
      type: "virtual",
      status: "active",
      rawStatus: "ACTIVATED",
      last4: "6621",
      expiry: "2029-11"
    })
  })

  it("list prints one line per card of the account, and --json an array", async () => {
    const text = await cardkit(["card", "list", ...account])
    expect(text).toEqual({ code: 0, stdout: `${documentCard}\n`, stderr: "" })
    const json = await cardkit(["card", "list", ...account, "--json"])
    expect(JSON.parse(json.stdout)).toMatchObject([{ cardId, status: "active" }])
  })

  it("issue: a physical card is ordered inactive, a virtual one is active with the expiry asked for", async () => {
    const physical = await cardkit(["card", "issue", ...account, "--type", "physical"])
    expect(physical.code).toBe(0)
    expect(physical.stdout).toMatch(/^card [0-9a-f]{32}: inactive, physical, \*{4}\d{4}, expires \d{4}-\d\d\n$/)
    const virtual = await cardkit(["card", "issue", ...account, "--type", "virtual", "--expiry", "2030-01", "--json"])
    expect(virtual.code).toBe(0)
    expect(JSON.parse(virtual.stdout)).toMatchObject({ type: "virtual", status: "active", expiry: "2030-01" })
  })

  it("issue refuses a type the domain does not know, exit 2", async () => {
    const { code, stderr } = await cardkit(["card", "issue", ...account, "--type", "plastic"])
    expect(code).toBe(2)
    expect(stderr).toContain("Expected one of the following cases: virtual, physical")
  })

  it("lock freezes the card; unlock of an active card is refused with exit 1, naming status and action", async () => {
    const locked = await cardkit(["card", "lock", ...ledgerCard])
    expect(locked).toEqual({
      code: 0,
      stdout: `card ${cardId}: frozen, virtual, ****6621, expires 2029-11\n`,
      stderr: ""
    })
    const unlock = await cardkit(["card", "unlock", ...ledgerCard])
    expect(unlock).toEqual({
      code: 1,
      stdout: "",
      stderr: `cardkit: card ${cardId} in status ACTIVATED does not allow UNLOCK\n`
    })
  })

  it("a refused transition with --json is the StatusActionNotAllowed error as JSON", async () => {
    const { code, stderr } = await cardkit(["card", "unlock", ...ledgerCard, "--json"])
    expect(code).toBe(1)
    expect(JSON.parse(stderr)).toEqual({
      error: {
        code: "StatusActionNotAllowed",
        message: `card ${cardId} in status ACTIVATED does not allow UNLOCK`
      }
    })
  })

  it("report-lost and replace: a virtual card has neither, exit 1 with the reason", async () => {
    const lost = await cardkit(["card", "report-lost", ...ledgerCard])
    expect(lost.code).toBe(1)
    expect(lost.stderr).toBe(`cardkit: card ${cardId} in status ACTIVATED does not allow REPORT_LOST_STOLEN\n`)
    const replaced = await cardkit(["card", "replace", ...ledgerCard, "--reason", "damaged"])
    expect(replaced.code).toBe(1)
    expect(replaced.stderr).toBe(`cardkit: card ${cardId} in status ACTIVATED does not allow REISSUE\n`)
  })

  it("replace refuses a reason the domain does not know, exit 2", async () => {
    const { code, stderr } = await cardkit(["card", "replace", ...ledgerCard, "--reason", "bored"])
    expect(code).toBe(2)
    expect(stderr).toContain("Expected one of the following cases: lost_stolen, damaged")
  })

  it("close closes the card", async () => {
    const ran = await cardkit(["card", "close", ...ledgerCard])
    expect(ran).toEqual({ code: 0, stdout: `card ${cardId}: closed, virtual, ****6621, expires 2029-11\n`, stderr: "" })
  })

  it("limits and set-limit print one line per limit; --json the domain CardLimit array", async () => {
    const none = await cardkit(["card", "limits", ...ledgerCard])
    expect(none).toEqual({ code: 0, stdout: `card ${cardId}: no limits\n`, stderr: "" })
    const set = await cardkit([
      "card",
      "set-limit",
      ...ledgerCard,
      "--kind",
      "amount",
      "--cycle",
      "day",
      "--value",
      "500.00"
    ])
    expect(set).toEqual({ code: 0, stdout: `card ${cardId}: amount per day: 500.00 (remaining 500.00)\n`, stderr: "" })
    const json = await cardkit([
      "card",
      "set-limit",
      ...ledgerCard,
      "--kind",
      "count",
      "--cycle",
      "month",
      "--value",
      "20",
      "--json"
    ])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: "count", cycle: "month", value: "20" })])
    )
  })

  it("set-limit refuses an amount with three decimals, exit 2 naming --value", async () => {
    const { code, stderr } = await cardkit([
      "card",
      "set-limit",
      ...ledgerCard,
      "--kind",
      "amount",
      "--cycle",
      "day",
      "--value",
      "5.001"
    ])
    expect({ code, stderr }).toEqual({
      code: 2,
      stderr: "cardkit: --value: must be a non-negative number, at most two decimals\n"
    })
  })

  it("an unknown card is exit 1, one line", async () => {
    const { code, stderr } = await cardkit(["card", "show", "--card-id", "nosuchcard", ...account])
    expect({ code, stderr }).toEqual({ code: 1, stderr: "cardkit: card nosuchcard was not found\n" })
  })
})

/** `cardkit …args` on a terminal (util-linux `script` gives it a pseudo-terminal; Debian has it): `answer` is typed (then Enter) once `prompt` shows; all it printed. */
const onTerminal = (args: ReadonlyArray<string>, prompt: string, answer: string, stdoutFile?: string) =>
  new Promise<{ code: number | null; output: string }>((resolve) => {
    const command =
      [process.execPath, bin, ...args].map((word) => `'${word}'`).join(" ") +
      (stdoutFile === undefined ? "" : ` > '${stdoutFile}'`)
    const child = spawn("script", ["-qec", command, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"], env: cleanEnv() })
    let output = ""
    let typed = false
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk
      if (!typed && output.includes(prompt)) {
        typed = true
        child.stdin.write(`${answer}\r`)
      }
    })
    child.on("exit", (code) => resolve({ code, output }))
  })

describe("secrets never come from a flag's value", () => {
  it("the prompt is drawn on stderr: with stdout redirected, --json is the answer alone", async () => {
    const directory = await mkdtemp(join(tmpdir(), "cardkit-card-test-"))
    try {
      const file = join(directory, "out.json")
      const args = ["card", "validate-cvv", ...ledgerCard, "--json"]
      const { code, output } = await onTerminal(args, "CVV printed on the card", "679", file)
      expect(code).toBe(0)
      expect(output).toContain("CVV printed on the card")
      expect(JSON.parse(await readFile(file, "utf8"))).toEqual({ cardId, valid: true })
    } finally {
      await rm(directory, { recursive: true, force: true })
    }
  })

  it("left out on a terminal, the CVV is asked for and not echoed", async () => {
    const { code, output } = await onTerminal(["card", "validate-cvv", ...ledgerCard], "CVV printed on the card", "679")
    expect(code).toBe(0)
    expect(output).toContain(`card ${cardId}: the CVV is correct`)
    expect(output).not.toContain("679")
  })

  it("validate-cvv --cvv - reads the CVV from standard input", async () => {
    const ran = await withInput(["card", "validate-cvv", ...ledgerCard, "--cvv", "-"], "679\n")
    expect(ran).toEqual({ code: 0, stdout: `card ${cardId}: the CVV is correct\n`, stderr: "" })
    const json = await withInput(["card", "validate-cvv", ...ledgerCard, "--cvv", "-", "--json"], "679\n")
    expect(JSON.parse(json.stdout)).toEqual({ cardId, valid: true })
  })

  it("an incorrect CVV is exit 1 with one line, the CVV not in it", async () => {
    const ran = await withInput(["card", "validate-cvv", ...ledgerCard, "--cvv", "-"], "123\n")
    expect(ran).toEqual({ code: 1, stdout: "", stderr: `cardkit: the CVV given for card ${cardId} is incorrect\n` })
  })

  it("a CVV or PIN typed after its flag is refused, exit 2, without repeating it", async () => {
    for (const [command, flag, value] of [
      ["validate-cvv", "--cvv", "679"],
      ["activate", "--cvv", "679"],
      ["change-pin", "--pin", "482913"]
    ] as const) {
      const { code, stdout, stderr } = await cardkit(["card", command, ...ledgerCard, flag, value])
      expect({ command, code, stdout }).toEqual({ command, code: 2, stdout: "" })
      expect(stderr).toMatch(new RegExp(`^cardkit: ${flag}: is not taken from the command line.*${flag} -`))
      expect(stderr).not.toContain(value)
    }
  })

  it("left out with standard input not a terminal, the secret is asked for with '-', exit 2", async () => {
    const { code, stderr } = await withInput(["card", "change-pin", ...ledgerCard], "")
    expect(code).toBe(2)
    expect(stderr).toBe(
      "cardkit: --pin: is required: pass --pin - and write it to standard input, or run on a terminal to be asked for it\n"
    )
  })

  it("'-' with nothing on standard input is exit 2", async () => {
    const { code, stderr } = await withInput(["card", "validate-cvv", ...ledgerCard, "--cvv", "-"], "")
    expect({ code, stderr }).toEqual({ code: 2, stderr: "cardkit: --cvv: --cvv - found no value on standard input\n" })
  })

  it("change-pin --pin - reads the PIN; the fake refuses a PIN for a virtual card (it has none)", async () => {
    const { code, stderr } = await withInput(["card", "change-pin", ...ledgerCard, "--pin", "-"], "482913\n")
    expect(code).toBe(2)
    expect(stderr).toBe("cardkit: --card-id: is a virtual card, which has no PIN\n")
  })

  it("a PIN that is not 4 to 12 digits is refused naming --pin, without the PIN", async () => {
    const { code, stderr } = await withInput(["card", "change-pin", ...ledgerCard, "--pin", "-"], "12x\n")
    expect({ code, stderr }).toEqual({ code: 2, stderr: "cardkit: --pin: must be 4 to 12 digits\n" })
  })

  it("activate --cvv - of a card already active is the refused transition, exit 1", async () => {
    const { code, stderr } = await withInput(["card", "activate", ...ledgerCard, "--cvv", "-"], "679\n")
    expect({ code, stderr }).toEqual({
      code: 1,
      stderr: `cardkit: card ${cardId} in status ACTIVATED does not allow ACTIVATE\n`
    })
  })

  it("at --log-level debug neither the PIN nor the CVV read from standard input shows anywhere", async () => {
    const debug = ["--log-level", "debug"]
    for (const [args, secret] of [
      [["card", "validate-cvv", ...ledgerCard, "--cvv", "-"], "679"],
      [["card", "validate-cvv", ...ledgerCard, "--cvv", "-"], "318"],
      [["card", "activate", ...ledgerCard, "--cvv", "-"], "679"],
      [["card", "change-pin", ...ledgerCard, "--pin", "-"], "482913"],
      [["card", "change-pin", ...ledgerCard, "--pin", "-", "--json"], "48291x"]
    ] as const) {
      const { stdout, stderr } = await withInput([...debug, ...args], `${secret}\n`)
      expect(stderr, `${args.join(" ")}: Debug lines`).toMatch(/ DEBUG /)
      expect(withoutChance(stdout + stderr), args.join(" ")).not.toContain(secret)
    }
  })

  it("validate --pan - --cvv2 - reads both from standard input, one line each", async () => {
    const { code, stdout } = await withInput(
      ["validate", "--pan", "-", "--cvv2", "-", "--expiry", "2040-10"],
      lines(visaPan, "022")
    )
    expect(code).toBe(0)
    expect(stdout).toMatch(/^495703\*{6}0462: approved, action code 00/)
    expect(stdout).toMatch(/CVV2\s+match/)
  })

  it("validate --pan typed after the flag is refused, exit 2 naming --pan, without repeating it", async () => {
    const { code, stdout, stderr } = await cardkit(["validate", "--pan", "4111111111111111", "--expiry", "2040-10"])
    expect({ code, stdout }).toEqual({ code: 2, stdout: "" })
    expect(stderr).toMatch(
      /^cardkit: --pan: is not taken from the command line, where the process list shows it: pass --pan - /
    )
    expect(stderr.split("\n")).toHaveLength(2)
    expect(stderr).not.toContain("4111111111111111")
    expect(stderr).not.toMatch(/\d/)
    const json = await cardkit(["validate", "--pan", "4111111111111111", "--json"])
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: "InvalidRequest", field: "pan" } })
    expect(json.stderr).not.toContain("4111111111111111")
  })

  it("validate --cvv2 typed after the flag is refused, exit 2 naming --cvv2, without repeating it", async () => {
    const { code, stdout, stderr } = await withInput(
      ["validate", "--pan", "-", "--expiry", "2040-10", "--cvv2", "123"],
      lines(visaPan)
    )
    expect({ code, stdout }).toEqual({ code: 2, stdout: "" })
    expect(stderr).toMatch(
      /^cardkit: --cvv2: is not taken from the command line, where the process list shows it: pass --cvv2 - /
    )
    expect(stderr.split("\n")).toHaveLength(2)
    expect(stderr).not.toContain("123")
    expect(stderr).not.toContain(visaPan)
    const json = await withInput(["validate", "--pan", "-", "--cvv2", "123", "--json"], lines(visaPan))
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: "InvalidRequest", field: "cvv2" } })
    expect(json.stderr).not.toContain("123")
  })

  it("validate without --pan, standard input not a terminal, is exit 2 naming --pan -", async () => {
    const { code, stderr } = await withInput(["validate", "--expiry", "2040-10"], "")
    expect(code).toBe(2)
    expect(stderr).toMatch(/^cardkit: --pan: is required: pass --pan - /)
  })
})

describe("cardkit card --provider live against cardkit fake serve", () => {
  // One server for the whole lifecycle: the wire fake keeps its cards between commands.
  let server: Running
  let env: Record<string, string>
  // Its own store, so the trail read back at the end holds this lifecycle's records only.
  const store = { CARDKIT_DATA_DIR: tempDataDir() }
  beforeAll(async () => {
    server = start(["fake", "serve", "--port", "0", "--json"])
    const [line] = await server.waitFor(/^\{.*\}$/m)
    env = { ...(JSON.parse(line) as { env: Record<string, string> }).env, ...store }
  })
  afterAll(() => server.stop())

  const live = (args: ReadonlyArray<string>) => cardkit([...args, "--provider", "live"], env)
  const liveWithInput = (args: ReadonlyArray<string>, input: string) =>
    withInput([...args, "--provider", "live"], input, env)

  it("show, lock, show, unlock: the status goes through the ledger transport and stays", async () => {
    expect(await live(["card", "show", ...ledgerCard])).toEqual({ code: 0, stdout: `${documentCard}\n`, stderr: "" })
    const frozen = `card ${cardId}: frozen, virtual, ****6621, expires 2029-11\n`
    expect((await live(["card", "lock", ...ledgerCard])).stdout).toBe(frozen)
    expect((await live(["card", "show", ...ledgerCard])).stdout).toBe(frozen)
    const locked = await live(["card", "lock", ...ledgerCard])
    expect({ code: locked.code, stderr: locked.stderr }).toEqual({
      code: 1,
      stderr: `cardkit: card ${cardId} in status TEMPRORY_BLOCKED_BY_CLIENT does not allow LOCK\n`
    })
    expect((await live(["card", "unlock", ...ledgerCard])).stdout).toBe(`${documentCard}\n`)
  })

  it("set-limit then limits", async () => {
    const set = await live([
      "card",
      "set-limit",
      ...ledgerCard,
      "--kind",
      "amount",
      "--cycle",
      "day",
      "--value",
      "250.00"
    ])
    expect(set).toEqual({ code: 0, stdout: `card ${cardId}: amount per day: 250.00 (remaining 250.00)\n`, stderr: "" })
    const limits = await live(["card", "limits", ...ledgerCard, "--json"])
    expect(JSON.parse(limits.stdout)).toEqual([{ kind: "amount", cycle: "day", value: "250.00", remaining: "250.00" }])
  })

  it("validate-cvv: correct, and incorrect as exit 1", async () => {
    expect((await liveWithInput(["card", "validate-cvv", ...ledgerCard, "--cvv", "-"], "679\n")).code).toBe(0)
    expect(await liveWithInput(["card", "validate-cvv", ...ledgerCard, "--cvv", "-"], "111\n")).toEqual({
      code: 1,
      stdout: "",
      stderr: `cardkit: the CVV given for card ${cardId} is incorrect\n`
    })
  })

  it("a physical card: issued inactive, its PIN set, reported lost, replaced; list shows all three", async () => {
    const issued = await live(["card", "issue", ...account, "--type", "physical", "--json"])
    expect(issued.code).toBe(0)
    const physical = JSON.parse(issued.stdout) as { cardId: string; last4: string }
    expect(physical).toMatchObject({ type: "physical", status: "inactive", rawStatus: "CARD_IS_NOT_ACTIVATED" })
    const card = ["--card-id", physical.cardId, ...account]
    expect(await liveWithInput(["card", "change-pin", ...card, "--pin", "-"], "482913\n")).toEqual({
      code: 0,
      stdout: `card ${physical.cardId}: PIN changed\n`,
      stderr: ""
    })
    const lost = await live(["card", "report-lost", ...card])
    expect(lost.stdout).toMatch(new RegExp(`^card ${physical.cardId}: lost stolen, physical, \\*{4}${physical.last4}`))
    const replaced = await live(["card", "replace", ...card, "--reason", "lost_stolen", "--json"])
    expect(replaced.code).toBe(0)
    const { replaced: old, replacement } = JSON.parse(replaced.stdout)
    expect(old).toMatchObject({ cardId: physical.cardId, status: "not_in_use" })
    expect(replacement).toMatchObject({ type: "physical", status: "inactive" })
    expect(replacement.cardId).not.toBe(physical.cardId)
    const list = await live(["card", "list", ...account])
    expect(list.stdout.trim().split("\n")).toHaveLength(3)
    expect(list.stdout).toContain(`card ${replacement.cardId}: inactive, physical`)
  })

  it("activate is signed by the development cardholder device fake serve prints: it reaches the CVV check", async () => {
    expect(env).toHaveProperty("CARDKIT_LEDGER_CARDHOLDER_KEY_ID")
    const issued = JSON.parse((await live(["card", "issue", ...account, "--type", "physical", "--json"])).stdout)
    const activate = ["card", "activate", "--card-id", issued.cardId, ...account, "--cvv", "-"]
    // ACTIVATE is the cardholder's row of the status table: signed by the service it would be refused
    // (StatusActionNotAllowed); signed by the device, a CVV other than the printed one is what fails.
    expect(await liveWithInput(activate, "000\n")).toEqual({
      code: 1,
      stdout: "",
      stderr: `cardkit: the CVV given for card ${issued.cardId} is incorrect\n`
    })
    const { CARDKIT_LEDGER_CARDHOLDER_KEY_ID: _, ...withoutDevice } = env
    const asService = await withInput([...activate, "--provider", "live"], "000\n", withoutDevice)
    expect(asService).toEqual({
      code: 1,
      stdout: "",
      stderr: `cardkit: card ${issued.cardId} in status CARD_IS_NOT_ACTIVATED does not allow ACTIVATE\n`
    })
  })

  it("at --log-level debug the PIN and CVV sent through the transport show nowhere, the server's output included", async () => {
    const issued = JSON.parse((await live(["card", "issue", ...account, "--type", "physical", "--json"])).stdout)
    const card = ["--card-id", issued.cardId, ...account]
    for (const [args, secret] of [
      [["card", "change-pin", ...card, "--pin", "-"], "739146"],
      [["card", "validate-cvv", ...ledgerCard, "--cvv", "-"], "679"],
      [["card", "validate-cvv", ...ledgerCard, "--cvv", "-"], "318"]
    ] as const) {
      const { stdout, stderr } = await liveWithInput(["--log-level", "debug", ...args], `${secret}\n`)
      expect(stderr, `${args.join(" ")}: Debug lines`).toMatch(/ DEBUG /)
      expect(withoutChance(stdout + stderr), args.join(" ")).not.toContain(secret)
      // The server printed random credentials and paths, which could hold the digits by chance.
      const serverOutput = Object.values(env).reduce(
        (text, value) => text.replaceAll(value, "<random>"),
        server.output() + server.errorOutput()
      )
      expect(withoutChance(serverOutput), `server after ${args.join(" ")}`).not.toContain(secret)
    }
  })

  it("cvv --provider live reveals through the ledger transport, audited like the writes", async () => {
    expect(await live(["cvv", ...ledgerCard])).toEqual({ code: 0, stdout: "679\n", stderr: "" })
  })

  it("close closes the virtual card for good", async () => {
    const closed = await live(["card", "close", ...ledgerCard])
    expect(closed.stdout).toBe(`card ${cardId}: closed, virtual, ****6621, expires 2029-11\n`)
    const again = await live(["card", "lock", ...ledgerCard])
    expect(again).toEqual({
      code: 1,
      stdout: "",
      stderr: `cardkit: card ${cardId} in status CLOSED does not allow LOCK\n`
    })
  })

  it("the reveal and every write and CVV check above are in the audit trail, as the CLI's user, without a secret", async () => {
    const listed = await cardkit(["audit", "list", "--json", "--limit", "500"], store)
    expect(listed.code).toBe(0)
    const page = JSON.parse(listed.stdout) as AuditPage
    const outcomes = page.records.map((record) => `${record.operation} ${record.outcome}`).reverse()
    expect(outcomes).toEqual([
      "lock ok",
      "lock StatusActionNotAllowed",
      "unlock ok",
      "setLimit ok",
      "validateCvv ok",
      "validateCvv IncorrectCvv",
      "issueCard ok",
      "changePin ok",
      "reportLostStolen ok",
      "replace ok",
      "issueCard ok",
      "activate IncorrectCvv",
      "activate StatusActionNotAllowed",
      "issueCard ok",
      "changePin ok",
      "validateCvv ok",
      "validateCvv IncorrectCvv",
      "getCvv ok",
      "close ok",
      "lock StatusActionNotAllowed"
    ])
    for (const record of page.records) {
      expect(record).toMatchObject({
        apiKeyId: expect.stringMatching(/^cli:./),
        requestId: null,
        clientAddress: "local"
      })
    }
    expect(page.records.find((record) => record.operation === "getCvv")).toMatchObject({
      cardId,
      providerReference: expect.any(String)
    })
    expectNoSecrets(page, ["679", "482913", "739146", "318", "111", "000"])
  })
})
