import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { type BrowserContext, chromium } from "playwright-core"
import { DemoServer } from "../src/index.js"
import { apiKey, TestServer } from "./support.js"

const outputDir = fileURLToPath(new URL("../test-results/", import.meta.url))

/** Debian's Chromium (scripts/ensure-debian-packages.sh installs it), headless, with a profile of its own. */
const browser = Effect.acquireRelease(
  Effect.promise(async () => {
    const profile = await mkdtemp(Path.join(tmpdir(), "cardkit-demo-chromium-"))
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run"
      ]
    })
    return { context, profile }
  }),
  ({ context, profile }) =>
    Effect.promise(async () => {
      await context.close()
      await rm(profile, { recursive: true, force: true })
    })
).pipe(Effect.map(({ context }) => context))

/** Every request the pages make to another origin is refused and recorded. */
const offline = (context: BrowserContext, origin: string) =>
  Effect.promise(async () => {
    const foreign: Array<string> = []
    await context.route("**/*", (route) => {
      const url = route.request().url()
      if (url.startsWith(origin) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue()
      foreign.push(url)
      return route.abort()
    })
    return foreign
  })

layer(TestServer, { excludeTestServices: true })("the demo in Chromium", (it) => {
  it.scoped(
    "the page reveals 679, approves Visa's example card, locks and unlocks a card; /docs renders both operations, all offline",
    () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const context = yield* browser
        const foreign = yield* offline(context, url)
        const page = yield* Effect.promise(() => context.newPage())
        const pageErrors: Array<string> = []
        page.on("pageerror", (error) => pageErrors.push(error.message))

        yield* Effect.promise(async () => {
          await page.goto(`${url}/`)
          const historyBefore = await page.evaluate("history.length")
          await page.fill("#api-key", apiKey)

          await page.click("#reveal-form button[type=submit]")
          await page.locator("#cvv-value").waitFor()
          expect(await page.textContent("#cvv-value")).toBe("679")

          await page.click("#validate-form button[type=submit]")
          await page.locator("#verdict").waitFor()
          expect(await page.textContent("#verdict")).toBe("Approved")
          expect(await page.textContent("#validation-result")).toContain("00")

          // The card panel: its status, locked and unlocked from the page.
          await page.click("#card-load")
          await page.locator("#card-status").waitFor()
          expect(await page.textContent("#card-status")).toBe("active")
          await page.click("#card-lock")
          await page.locator("#card-status", { hasText: "frozen" }).waitFor()
          await page.click("#card-load")
          await page.locator("#card-status", { hasText: "frozen" }).waitFor()
          await page.screenshot({ path: Path.join(outputDir, "demo-card-locked.png"), fullPage: true })
          await page.click("#card-lock")
          await page.locator("#card-result .error", { hasText: "StatusActionNotAllowed" }).waitFor()
          await page.click("#card-unlock")
          await page.locator("#card-status", { hasText: "active" }).waitFor()
          expect(await page.textContent("#card-status")).toBe("active")

          await page.screenshot({ path: Path.join(outputDir, "demo-page.png"), fullPage: true })

          // The CVV lives only in the page: not in its URL or history, not in any storage.
          expect(page.url()).toBe(`${url}/`)
          expect(await page.evaluate("history.length")).toBe(historyBefore)
          expect(await page.evaluate("localStorage.length + sessionStorage.length")).toBe(0)
          expect(await context.cookies()).toEqual([])
          await page.click("#reveal-result button")
          expect(await page.locator("#cvv-value").count()).toBe(0)
        })

        yield* Effect.promise(async () => {
          await page.goto(`${url}/docs`)
          const reveal = page.getByText("Reveal a card's CVV").first()
          const validate = page.getByText("Validate a payment account").first()
          await reveal.waitFor({ state: "visible", timeout: 20_000 })
          await validate.waitFor({ state: "visible", timeout: 20_000 })
          expect(await page.getByText("/v1/cards/{cardId}/cvv").count()).toBeGreaterThan(0)
          await page.getByText("Lock a card").first().waitFor({ state: "visible", timeout: 20_000 })
          await page.screenshot({ path: Path.join(outputDir, "demo-docs.png") })
        })

        expect(foreign).toEqual([])
        expect(pageErrors).toEqual([])
      })
  )
})
