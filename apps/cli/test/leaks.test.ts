import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  cardkit,
  ledgerCard,
  lines,
  type Ran,
  type Running,
  start,
  unknownCard,
  visaAddress,
  visaCard,
  visaInput,
  visaPan,
  withInput
} from "./support.js"

/*
 * Card data never leaks from the CLI: every flow runs the built `cardkit` with `--log-level debug`, on
 * the fake and `--provider live` against `cardkit fake serve` (both transports), through successes,
 * declines, refusals and bad input, and through the demo app's routes. All of stdout and stderr of
 * every process is captured, the servers' over the whole file, with every HTTP error body, and none
 * may carry a full PAN, a CVV or a CVV2 — except `cardkit cvv`'s answer, which is the CVV alone.
 */

const ledgerPan = "4003205883446621" // the ledger document card's PAN (never typed: the CLI must not find it)
const luhnFailingPan = "4957030420210463"
const pans = [ledgerPan, visaPan, luhnFailingPan]
const cvvs: ReadonlyArray<readonly [name: string, pattern: RegExp]> = [
  ["the ledger document's CVV", /(^|\D)679(\D|$)/],
  ["the Visa example's CVV2", /(^|\D)022(\D|$)/],
  ["the mismatching CVV2", /(^|\D)023(\D|$)/]
]

const debug = ["--log-level", "debug"]

/** Values printed by `fake serve` that are random (credentials, a temporary path): any may hold "679". */
const randomValues: Array<string> = []

/**
 * What could pass for a 3-digit CVV without being one: log timestamps, fiber ids, durations, stack
 * frames' positions in the bundle, and the servers' random credentials. PANs are looked for before this.
 */
const withoutNoise = (text: string) => {
  let quiet = text
    .replace(/\[\d\d:\d\d:\d\d\.\d{3}\]/g, "[time]")
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "time")
    .replace(/#\d+/g, "#fiber")
    .replace(/=\d+ms\b/g, "=duration")
    .replace(/^\s+at .*$/gm, "  at frame")
  for (const value of randomValues) quiet = quiet.replaceAll(value, "<random>")
  return quiet
}

const expectNoCardData = (where: string, text: string) => {
  for (const pan of pans) expect(text, `${where} holds a full PAN`).not.toContain(pan)
  const quiet = withoutNoise(text)
  for (const [name, pattern] of cvvs) expect(quiet, `${where} holds ${name}`).not.toMatch(pattern)
}

const debugLines = (text: string) => text.split("\n").filter((line) => / DEBUG /.test(line))

/**
 * `cardkit --log-level debug …args`, its whole output checked; `answer` is the one stdout allowed card
 * data; `input` is written to its standard input (the PAN and CVV2 of `--pan - --cvv2 -`).
 */
const run = async (
  flow: string,
  args: ReadonlyArray<string>,
  options: {
    readonly env?: Record<string, string>
    readonly answer?: string
    readonly logs?: boolean
    readonly input?: string
  } = {}
): Promise<Ran> => {
  const ran =
    options.input === undefined
      ? await cardkit([...debug, ...args], options.env)
      : await withInput([...debug, ...args], options.input, options.env)
  if (options.answer === undefined) expectNoCardData(`${flow}: stdout`, ran.stdout)
  else expect(ran.stdout, `${flow}: stdout is the answer alone`).toBe(`${options.answer}\n`)
  expectNoCardData(`${flow}: stderr`, ran.stderr)
  // The check means something only if Debug logging was on: each run logs what it does, or its failure.
  if (options.logs !== false) expect(debugLines(ran.stderr), `${flow}: Debug lines`).not.toEqual([])
  return ran
}

describe("on the fake", () => {
  it("cvv prints the CVV as its answer and nowhere else", async () => {
    const { code, stderr } = await run("cvv", ["cvv", ...ledgerCard], { answer: "679" })
    expect(code).toBe(0)
    expect(stderr).toContain("025951734ff74c13a14137e02834fa00")
  })

  it("cvv for an unknown card", async () => {
    const { code, stderr } = await run("cvv unknown card", ["cvv", ...unknownCard])
    expect(code).toBe(1)
    expect(stderr).toContain("cardkit: card nosuchcard was not found")
  })

  it("validate approved, as text and as JSON", async () => {
    const text = await run("validate", ["validate", ...visaCard, ...visaAddress], { input: visaInput })
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/^495703\*{6}0462: approved, action code 00/)
    expect(text.stderr).toContain("495703******0462")
    const json = await run("validate --json", ["validate", ...visaCard, "--json"], { input: visaInput })
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ approved: true, cvv2: "match" })
  })

  it("validate declined: expired, and a CVV2 that does not match", async () => {
    const expired = await run("validate expired", ["validate", "--pan", "-", "--expiry", "2020-10"], {
      input: lines(visaPan)
    })
    expect(expired.code).toBe(0)
    expect(expired.stdout).toMatch(/declined, action code 54/)
    const mismatch = await run("validate CVV2 mismatch", ["validate", ...visaCard], { input: lines(visaPan, "023") })
    expect(mismatch.code).toBe(0)
    expect(mismatch.stdout).toMatch(/CVV2\s+no match/)
  })

  it("bad input: a Luhn-failing PAN, a bad field, a stray PAN, a bad CVV2 with --json", async () => {
    const luhn = await run("Luhn-failing PAN", ["validate", "--pan", "-", "--cvv2", "-"], {
      input: lines(luhnFailingPan, "022")
    })
    expect({ code: luhn.code, stdout: luhn.stdout }).toEqual({ code: 2, stdout: "" })
    expect(luhn.stderr).toContain("cardkit: --pan: fails the Luhn check")
    const field = await run("bad field", ["validate", ...visaCard, "--street", "801 Metro Center Blv"], {
      input: visaInput
    })
    expect(field.code).toBe(2)
    expect(field.stderr).toContain("cardkit: --postal-code: ")
    // @effect/cli rejects this itself, before any command runs: nothing to log at Debug.
    const stray = await run("stray PAN", ["validate", "--pan", "-", visaPan], { input: lines(visaPan), logs: false })
    expect(stray.code).toBe(2)
    expect(stray.stderr).toContain("495703******0462")
    const cvv2 = await run("bad CVV2 --json", ["validate", "--pan", "-", "--cvv2", "-", "--json"], {
      input: lines(visaPan, "022x")
    })
    expect(cvv2.code).toBe(2)
    expect(cvv2.stderr).toContain('"field":"cvv2"')
  })
})

describe("a PAN and CVV2 given on standard input", () => {
  it("show nowhere in the output, approved, declined or refused", async () => {
    // Visa's test PAN, not one of the documents' cards: it is found only if the CLI echoes what it read.
    const pan = "4111111111111111"
    const cvv2 = "123"
    const echoed = (text: string) => {
      expect(text).not.toContain(pan)
      expect(text).not.toContain(pan.slice(0, 12))
      expect(withoutNoise(text)).not.toMatch(/(^|\D)123(\D|$)/)
    }
    for (const [flow, args, input] of [
      ["validate", ["validate", "--pan", "-", "--cvv2", "-", "--expiry", "2040-10"], lines(pan, cvv2)],
      ["validate --json", ["validate", "--pan", "-", "--cvv2", "-", "--json"], lines(pan, cvv2)],
      ["validate expired", ["validate", "--pan", "-", "--cvv2", "-", "--expiry", "2020-10"], lines(pan, cvv2)],
      ["bad CVV2", ["validate", "--pan", "-", "--cvv2", "-"], lines(pan, `${cvv2}x`)],
      [
        "bad expiry --json",
        ["validate", "--pan", "-", "--cvv2", "-", "--expiry", "2040-13", "--json"],
        lines(pan, cvv2)
      ]
    ] as const) {
      const ran = await withInput([...debug, ...args], input)
      expect(debugLines(ran.stderr), `${flow}: Debug lines`).not.toEqual([])
      echoed(ran.stdout)
      echoed(ran.stderr)
    }
  })
})

describe("--provider live against fake serve, and the demo", () => {
  let server: Running
  let other: Running
  let env: Record<string, string> = {}
  let otherKeyFile = ""

  const serve = async () => {
    const running = start([...debug, "fake", "serve", "--port", "0", "--json"])
    const [line] = await running.waitFor(/^\{.*\}$/m)
    const printed = JSON.parse(line) as { env: Record<string, string> }
    randomValues.push(...Object.values(printed.env).filter((value) => !value.startsWith("http")))
    return { running, env: printed.env }
  }

  beforeAll(async () => {
    const [first, second] = await Promise.all([serve(), serve()])
    server = first.running
    env = first.env
    other = second.running
    otherKeyFile = second.env.CARDKIT_LEDGER_PRIVATE_KEY_FILE!
  }, 60_000)

  afterAll(async () => {
    await Promise.all([server?.stop(), other?.stop()])
  })

  it("cvv prints the CVV through the ledger transport as its answer and nowhere else", async () => {
    const { code } = await run("live cvv", ["cvv", ...ledgerCard, "--provider", "live"], { env, answer: "679" })
    expect(code).toBe(0)
  })

  it("cvv for an unknown card", async () => {
    const { code, stderr } = await run("live cvv unknown card", ["cvv", ...unknownCard, "--provider", "live"], { env })
    expect(code).toBe(1)
    expect(stderr).toMatch(/^cardkit: /m)
  })

  it("cvv signed with a key the ledger does not know", async () => {
    const { code, stderr } = await run("live cvv unknown key", ["cvv", ...ledgerCard, "--provider", "live"], {
      env: { ...env, CARDKIT_LEDGER_PRIVATE_KEY_FILE: otherKeyFile }
    })
    expect(code).toBe(1)
    expect(stderr).toMatch(/^cardkit: ledger refused the credentials/m)
  })

  it("validate through the Visa transport: approved, expired, CVV2 mismatch, bad input", async () => {
    const live = ["--provider", "live"]
    const approved = await run("live validate", ["validate", ...visaCard, ...visaAddress, ...live], {
      env,
      input: visaInput
    })
    expect(approved.code).toBe(0)
    expect(approved.stdout).toMatch(/approved, action code 00/)
    const json = await run("live validate --json", ["validate", ...visaCard, "--json", ...live], {
      env,
      input: visaInput
    })
    expect(JSON.parse(json.stdout)).toMatchObject({ approved: true })
    const expired = await run("live validate expired", ["validate", "--pan", "-", "--expiry", "2020-10", ...live], {
      env,
      input: lines(visaPan)
    })
    expect(expired.stdout).toMatch(/declined, action code 54/)
    const mismatch = await run("live validate CVV2 mismatch", ["validate", ...visaCard, ...live], {
      env,
      input: lines(visaPan, "023")
    })
    expect(mismatch.stdout).toMatch(/CVV2\s+no match/)
    const luhn = await run("live Luhn-failing PAN", ["validate", "--pan", "-", "--cvv2", "-", ...live], {
      env,
      input: lines(luhnFailingPan, "022")
    })
    expect(luhn.code).toBe(2)
  })

  it("validate with wrong Visa credentials", async () => {
    const { code, stderr } = await run(
      "live validate wrong credentials",
      ["validate", ...visaCard, "--provider", "live"],
      {
        env: { ...env, CARDKIT_VISA_PASSWORD: "wrong" },
        input: visaInput
      }
    )
    expect(code).toBe(1)
    expect(stderr).toMatch(/^cardkit: visa refused the credentials/m)
  })

  it("the demo on the live transports: its logs and error bodies carry no card data", async () => {
    const demo = start([...debug, "demo", "--port", "0", "--provider", "live"], {
      ...env,
      CARDKIT_DEMO_API_KEYS: "leak-test-key"
    })
    try {
      const [, url] = await demo.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/)
      const post = (path: string, body: unknown, key = "leak-test-key") =>
        fetch(`${url}${path}`, {
          method: "POST",
          headers: { "x-api-key": key, "content-type": "application/json" },
          body: typeof body === "string" ? body : JSON.stringify(body)
        })
      const cvvPath = "/v1/cards/025951734ff74c13a14137e02834fa00/cvv"
      const holder = { customerId: "100000000006001", accountNumber: "400320588344662" }

      // The CVV route's success body is the one place the CVV belongs.
      const revealed = await post(cvvPath, holder)
      expect(revealed.status).toBe(200)
      expect(await revealed.json()).toMatchObject({ cvv: "679" })

      const answers: Array<readonly [string, Response]> = [
        ["unknown card", await post("/v1/cards/nosuchcard/cvv", holder)],
        ["wrong API key", await post(cvvPath, holder, "wrong-key")],
        ["approved", await post("/v1/account-validations", { pan: visaPan, expiry: "2040-10", cvv2: "022" })],
        ["CVV2 mismatch", await post("/v1/account-validations", { pan: visaPan, expiry: "2040-10", cvv2: "023" })],
        ["Luhn-failing PAN", await post("/v1/account-validations", { pan: luhnFailingPan, cvv2: "022" })],
        ["bad CVV2", await post("/v1/account-validations", { pan: visaPan, cvv2: "022x" })],
        ["bad expiry", await post("/v1/account-validations", { pan: visaPan, expiry: "2040-13", cvv2: "022" })],
        ["truncated JSON", await post("/v1/account-validations", `{"pan":"${visaPan}","cvv2":"022"`)]
      ]
      const statuses = []
      for (const [name, response] of answers) {
        statuses.push(response.status)
        expectNoCardData(`demo ${name}: HTTP ${response.status} body`, await response.text())
      }
      expect(statuses).toEqual([404, 401, 200, 200, 400, 400, 400, 400])
    } finally {
      await demo.stop()
    }
    expectNoCardData("demo: stdout", demo.output())
    expectNoCardData("demo: stderr", demo.errorOutput())
    expect(demo.output()).toMatch(/reveal-cvv card=025951734ff74c13a14137e02834fa00 ok/)
  })

  it("fake serve's own output over the whole run: its Debug request logs and all else", async () => {
    expect(await server.stop()).toBe(0)
    expect(await other.stop()).toBe(0)
    for (const [name, running] of [
      ["fake serve", server],
      ["the other fake serve", other]
    ] as const) {
      expectNoCardData(`${name}: stdout`, running.output())
      expectNoCardData(`${name}: stderr`, running.errorOutput())
    }
    const requests = debugLines(server.errorOutput())
    expect(requests.some((line) => line.includes("POST /cardv2 200"))).toBe(true)
    expect(requests.some((line) => line.includes("POST /pav/v1/cardvalidation 200"))).toBe(true)
    expect(requests.some((line) => line.includes("POST /pav/v1/cardvalidation 401"))).toBe(true)
  })
})
