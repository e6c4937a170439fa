import { readFileSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { checkPackage, createPackageFromTarballData, type Package } from "@arethetypeswrong/core"
import { publint } from "publint"
import { formatMessage } from "publint/utils"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { run } from "./support/run.js"
import { publishable, repoRoot } from "./support/workspace.js"

// What attw's `--profile esm-only` leaves out: cardkit ships ES modules only, so CommonJS resolutions
// (node10, node16 from a `require`) are expected to find nothing.
const ignoredResolutions: ReadonlyArray<string> = ["node10", "node16-cjs"]

const packDir = mkdtempSync(join(tmpdir(), "cardkit-pack-"))
const tarballs = new Map<string, Uint8Array>()

beforeAll(async () => {
  // One recursive `pnpm pack`: the manifests as they are published (publishConfig applied, workspace
  // ranges replaced), for every publishable package at once.
  const packed = await run(
    "npx",
    [
      "-y",
      "pnpm@10.34.8",
      "--recursive",
      ...publishable.flatMap(({ name }) => ["--filter", name]),
      "pack",
      "--pack-destination",
      packDir,
      "--json"
    ],
    { cwd: repoRoot, env: process.env }
  )
  for (const { name, filename } of JSON.parse(packed.stdout) as ReadonlyArray<{ name: string; filename: string }>) {
    tarballs.set(name, new Uint8Array(readFileSync(filename)))
  }
}, 120_000)

afterAll(() => rmSync(packDir, { recursive: true, force: true }))

const tarballOf = (name: string) => {
  const tarball = tarballs.get(name)
  if (tarball === undefined) throw new Error(`pnpm pack made no tarball for ${name}`)
  return tarball
}

const filesOf = (pkg: Package) => pkg.listFiles().map((path) => path.replace(`/node_modules/${pkg.packageName}/`, ""))

interface PublishedManifest {
  readonly exports?: Readonly<Record<string, unknown>>
}

const manifestOf = (pkg: Package) =>
  JSON.parse(pkg.readFile(`/node_modules/${pkg.packageName}/package.json`)) as PublishedManifest

// A subpath exporting a data file (visa-pav's OpenAPI YAML, the ledger's fixtures) has no types for attw
// to resolve; only modules are checked.
const isData = (target: unknown) => typeof target === "string" && !target.endsWith(".js")
const dataEntrypoints = (pkg: Package) =>
  Object.entries(manifestOf(pkg).exports ?? {})
    .filter(([, target]) => isData(target))
    .map(([subpath]) => subpath)
const exportsModules = (pkg: Package) => Object.values(manifestOf(pkg).exports ?? {}).some((target) => !isData(target))

describe.each(publishable)("the packed $name", ({ name }) => {
  it("passes publint", async () => {
    const tarball = tarballOf(name)
    const { messages, pkg } = await publint({ pack: { tarball: tarball.slice().buffer }, level: "suggestion" })
    expect(messages.map((message) => formatMessage(message, pkg, { color: false }))).toEqual([])
  })

  it("passes attw for ES module consumers (node16 and bundler resolution)", async () => {
    const pkg = createPackageFromTarballData(tarballOf(name))
    const analysis = await checkPackage(pkg, { excludeEntrypoints: dataEntrypoints(pkg) })
    // The cli exports no module (only its bin and package.json), so it has no types to check.
    expect(analysis.types !== false, "types found").toBe(exportsModules(pkg))
    if (!analysis.types) return
    const problems = analysis.problems.filter(
      (problem) => !("resolutionKind" in problem) || !ignoredResolutions.includes(problem.resolutionKind)
    )
    expect(problems).toEqual([])
  })

  it("ships no sources or tests, no source condition and no workspace ranges", () => {
    const pkg = createPackageFromTarballData(tarballOf(name))
    expect(filesOf(pkg).filter((path) => /^(src|test)\//.test(path))).toEqual([])
    const manifest = JSON.stringify(manifestOf(pkg))
    expect(manifest).not.toContain("@cardkit/source")
    expect(manifest).not.toContain("workspace:")
  })
})

it("packs every publishable package", () => {
  expect([...tarballs.keys()].sort()).toEqual(publishable.map(({ name }) => name).sort())
})
