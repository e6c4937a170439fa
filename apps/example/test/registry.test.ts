import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { ledgerDocumentCard } from "@cardkit/fake"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { asOneModule, codeBlocks, installLine, type Spec } from "./support/readme.js"
import { type Registry, startRegistry } from "./support/registry.js"
import { run } from "./support/run.js"
import { readManifest, repoRoot } from "./support/workspace.js"

/*
 * cardkit as another team gets it: published by the repository's own release script to a registry,
 * installed from there into a directory outside the workspace with the README's install lines, and used
 * as the README says. Installing is slow by nature, so the steps have minutes, and the two installs
 * and the cli's run side by side.
 */

const minutes = 60_000
const pnpmSpec = "pnpm@10.34.8"
const consumerFiles = fileURLToPath(new URL("./consumer/", import.meta.url))

const temporary: Array<string> = []
const temporaryDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  temporary.push(dir)
  return dir
}

/**
 * The environment of a shell outside the workspace: none of the npm_config_* pnpm exports to its
 * scripts, none of vitest's variables, no workspace bin folder on PATH.
 */
const outside: NodeJS.ProcessEnv = {
  ...Object.fromEntries(
    ["HOME", "USER", "LANG", "TMPDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"].flatMap((name) => {
      const value = process.env[name]
      return value === undefined ? [] : [[name, value]]
    })
  ),
  PATH: (process.env.PATH ?? "")
    .split(delimiter)
    .filter((entry) => !entry.startsWith(repoRoot))
    .join(delimiter),
  NO_COLOR: "1",
  npm_config_update_notifier: "false",
  npm_config_fund: "false",
  npm_config_audit: "false"
}

const [consumerBlock, cliBlock] = codeBlocks("## Using cardkit from another repository", "sh")
const installs = (consumerBlock ?? "")
  .split("\n")
  .filter((line) => line.startsWith("npm install"))
  .map(installLine)
const dependencies = (dev: boolean) =>
  Object.fromEntries(installs.filter((line) => line.dev === dev).flatMap(({ specs }) => specs.map(asEntry)))
const asEntry = ({ name, range }: Spec) => [name, range] as const

// The README's two examples (the use case, then its tests on the fake) as one test module.
const readmeExample = asOneModule([
  codeBlocks("## Using it", "ts")[0] ?? "",
  codeBlocks("### Testing with the fake", "ts")[0] ?? ""
])

let registry: Registry
let pnpm: string

/** A directory outside the workspace whose `.npmrc` points the scope at the registry, as the README says. */
const consumerDir = (prefix: string) => {
  const dir = temporaryDir(prefix)
  writeFileSync(join(dir, ".npmrc"), `@cardkit:registry=${registry.url}\n`)
  return dir
}

beforeAll(async () => {
  registry = await startRegistry()
  const userconfig = join(temporaryDir("cardkit-publisher-"), "npmrc")
  writeFileSync(userconfig, `${registry.url.replace(/^https?:/, "")}:_authToken=${registry.token}\n`)
  // pnpm from the registry npm is configured with, before the publishing run names another one.
  const pnpmWhere = await run("npx", ["-y", "-p", pnpmSpec, "-c", "command -v pnpm"], { cwd: tmpdir(), env: outside })
  pnpm = pnpmWhere.stdout.trim()
  const workspaceEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_config_(registry|userconfig)$/i.test(name))
  )
  await run(pnpm, ["run", "publish-packages", "--no-git-tag"], {
    cwd: repoRoot,
    env: {
      ...workspaceEnv,
      // turbo and changeset find pnpm on PATH
      PATH: `${dirname(pnpm)}${delimiter}${process.env.PATH ?? ""}`,
      npm_config_registry: registry.url,
      npm_config_userconfig: userconfig
    }
  })
}, 6 * minutes)

afterAll(async () => {
  await registry?.close()
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true })
})

describe("the README's install lines", () => {
  it("name every peer of the packages they install, in its range", () => {
    const named = dependencies(false)
    for (const { name } of installs[0]?.specs.filter((spec) => spec.name.startsWith("@cardkit/")) ?? []) {
      const folder = name.replace("@cardkit/", "")
      const peers = readManifest(join(repoRoot, "packages", folder)).peerDependencies ?? {}
      expect(named, `${name}'s peers`).toMatchObject(peers)
    }
  })
})

describe.concurrent("installed from the registry outside the workspace", () => {
  it.for<"npm" | "pnpm">(["npm", "pnpm"])(
    "with %s: type-checks (npm: bundler and node16 resolution, pnpm: node16) and passes the README's fake example",
    { timeout: 10 * minutes },
    async (manager, { expect }) => {
      const dir = consumerDir(`cardkit-consumer-${manager}-`)
      cpSync(consumerFiles, dir, { recursive: true })
      mkdirSync(join(dir, "test"))
      writeFileSync(join(dir, "test", "readme.test.ts"), readmeExample)
      writeFileSync(
        join(dir, "package.json"),
        JSON.stringify({
          name: "cardkit-consumer",
          private: true,
          type: "module",
          dependencies: dependencies(false),
          devDependencies: dependencies(true)
        })
      )
      const inConsumer = { cwd: dir, env: outside }
      await (manager === "npm" ? run("npm", ["install"], inConsumer) : run(pnpm, ["install"], inConsumer))
      const bin = (name: string) => join(dir, "node_modules", ".bin", name)
      // Both resolutions through npm's layout; node16, the stricter, through pnpm's too (each check
      // loads effect's types, the suite's costliest part of this test).
      const projects = manager === "npm" ? ["tsconfig.bundler.json", "tsconfig.node16.json"] : ["tsconfig.node16.json"]
      await Promise.all(projects.map((project) => run(bin("tsc"), ["-p", project], inConsumer)))
      const tested = await run(bin("vitest"), ["run"], inConsumer)
      const cases = readmeExample.match(/\bit\.effect\(/g)?.length ?? 0
      expect(cases).toBeGreaterThan(0)
      expect(tested.stdout).toMatch(new RegExp(`Tests\\s+${cases} passed \\(${cases}\\)`))
    }
  )

  it(
    "the cli's bin prints its help and reveals a CVV on the fake, audited in SQLite",
    async ({ expect }) => {
      const dir = consumerDir("cardkit-cli-")
      // pnpm runs better-sqlite3's build (its native addon) only when allowed, as the README says. The
      // addon built for the workspace comes from pnpm's side-effects cache when it is the same version;
      // otherwise it is compiled: its prebuilt binaries are on GitHub, outside the registries a test may
      // reach.
      const allowed = { pnpm: { onlyBuiltDependencies: ["better-sqlite3"] } }
      writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "cardkit-cli-user", private: true, ...allowed }))
      const building = { npm_config_build_from_source: "true", JOBS: "max" }
      const inDir = { cwd: dir, env: { ...outside, ...building, CARDKIT_DATA_DIR: join(dir, "data") } }
      const [install] = (cliBlock ?? "").split("\n").filter((line) => line.startsWith("pnpm add"))
      const { specs } = installLine(install ?? "")
      await run(pnpm, ["add", ...specs.map(({ name }) => name)], inDir)
      const cardkit = join(dir, "node_modules", ".bin", "cardkit")
      const help = await run(cardkit, ["--help"], inDir)
      for (const command of ["cvv", "validate", "card issue", "audit list", "fake serve", "demo", "doctor"]) {
        expect(help.stdout).toContain(`- ${command} `)
      }
      const card = ledgerDocumentCard
      const cvv = await run(
        cardkit,
        ["cvv", "--card-id", card.cardId!, "--customer-id", card.customerId!, "--account-number", card.accountNumber!],
        inDir
      )
      expect(cvv.stdout.trim()).toBe(card.cvv)
    },
    10 * minutes
  )
})
