import { readFileSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cardkit, type Running, start } from "./support.js"

/*
 * `cardkit doctor` as a user runs it: on the fake, and on the live provider against `cardkit fake
 * serve`, while it runs and once it is stopped.
 */

const days = (n: number) => new Date(Date.now() + n * 24 * 60 * 60 * 1000).toISOString()

/** The development client `fake serve` prints, its PEM files read inline: they go when the fake stops. */
const clientOf = (output: string): Record<string, string> =>
  Object.fromEntries(
    [...output.matchAll(/^ {2}(CARDKIT_[A-Z_]+)=(.*)$/gm)].map(([, name, value]) =>
      name!.endsWith("_FILE") ? [name!.slice(0, -"_FILE".length), readFileSync(value!, "utf8")] : [name!, value!]
    )
  )

describe("cardkit doctor", () => {
  it("on the fake: the store and the fake, ✓, exit 0", async () => {
    const ran = await cardkit(["doctor"])
    expect(ran.code, ran.stderr).toBe(0)
    expect(ran.stdout).toMatch(/^✓ store +the database answers$/m)
    expect(ran.stdout).toMatch(/^✓ fake +in memory$/m)
    expect(ran.stdout.trim().split("\n").at(-1)).toBe("ok (provider: fake)")
  })

  it("--json prints the report", async () => {
    const ran = await cardkit(["doctor", "--json"])
    expect(ran.code).toBe(0)
    expect(JSON.parse(ran.stdout)).toEqual({
      provider: "fake",
      status: "ok",
      checks: [
        { name: "store", status: "ok", detail: "the database answers" },
        { name: "fake", status: "ok", detail: "in memory" }
      ],
      credentials: []
    })
  })

  it("bad settings exit 2, naming them", async () => {
    const live = await cardkit(["doctor", "--provider", "live"])
    expect(live.code).toBe(2)
    expect(live.stderr).toMatch(/missing setting CARDKIT_LEDGER_URL \(--ledger-url\)/)
    // Both providers' settings, not only the first one's.
    expect(live.stderr).toMatch(/CARDKIT_VISA_/)
    const timeout = await cardkit(["doctor"], { CARDKIT_HEALTH_TIMEOUT: "soon" })
    expect(timeout.code).toBe(2)
    expect(timeout.stderr).toMatch(/CARDKIT_HEALTH_TIMEOUT/)
  })

  describe("--provider live against cardkit fake serve", () => {
    let fake: Running
    let client: Record<string, string>
    beforeAll(async () => {
      fake = start(["fake", "serve", "--port", "0"])
      await fake.waitFor(/Stop with Ctrl\+C/)
      // Room for a loaded machine: reachability is what is checked here, not its speed.
      client = { ...clientOf(fake.output()), CARDKIT_HEALTH_TIMEOUT: "10 seconds" }
    })
    afterAll(() => fake.stop())
    const secrets = () => [client.CARDKIT_LEDGER_API_KEY!, client.CARDKIT_VISA_PASSWORD!]

    it("reachable, a signing key valid for 100 days: ✓ everywhere, exit 0, no secret printed", async () => {
      const ran = await cardkit(["doctor", "--provider", "live"], {
        ...client,
        CARDKIT_LEDGER_SIGNING_KEY_NOT_AFTER: days(100)
      })
      expect(ran.code, ran.stderr).toBe(0)
      expect(ran.stdout).toMatch(/^✓ ledger +127\.0\.0\.1:\d+ answered \(HTTP \d+\)$/m)
      expect(ran.stdout).toMatch(/^✓ visa +127\.0\.0\.1:\d+ answered \(HTTP \d+\)$/m)
      expect(ran.stdout).toMatch(/^✓ ledger signing key +expires on \d{4}-\d\d-\d\d, in 99 days$/m)
      expect(ran.stdout.trim().split("\n").at(-1)).toBe("ok (provider: live)")
      for (const secret of secrets()) expect(ran.stdout + ran.stderr).not.toContain(secret)
    })

    it("a signing key expiring in 10 days: !, exit 0 with a warning", async () => {
      const ran = await cardkit(["doctor", "--provider", "live"], {
        ...client,
        CARDKIT_LEDGER_SIGNING_KEY_NOT_AFTER: days(10)
      })
      expect(ran.code, ran.stderr).toBe(0)
      expect(ran.stdout).toMatch(/^! ledger signing key +expires on .*, in 9 days$/m)
      expect(ran.stdout.trim().split("\n").at(-1)).toBe("degraded (provider: live)")
      expect(ran.stderr).toMatch(/warning: ledger signing key expiring soon/)
    })

    it("an expired signing key: ✗, exit 1", async () => {
      const ran = await cardkit(["doctor", "--provider", "live", "--json"], {
        ...client,
        CARDKIT_LEDGER_SIGNING_KEY_NOT_AFTER: days(-1)
      })
      expect(ran.code).toBe(1)
      expect(JSON.parse(ran.stdout).credentials).toEqual([
        expect.objectContaining({ name: "ledger signing key", status: "failing", expiresInDays: -1 })
      ])
    })

    it("once the fake is stopped: ✗ ledger and visa, exit 1", async () => {
      await fake.stop()
      const ran = await cardkit(["doctor", "--provider", "live"], client)
      expect(ran.code).toBe(1)
      expect(ran.stdout).toMatch(/^✗ ledger +127\.0\.0\.1:\d+ is not reachable \(ECONNREFUSED\)$/m)
      expect(ran.stdout).toMatch(/^✗ visa +127\.0\.0\.1:\d+ is not reachable \(ECONNREFUSED\)$/m)
      expect(ran.stdout).toMatch(/^✓ store/m)
      expect(ran.stderr).toMatch(/not ready: ledger, visa/)
    })
  })
})
