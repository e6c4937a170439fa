// `pnpm fuzz [rounds]`: every property test file in the workspace, `rounds` times (1 by default),
// each round with fresh fast-check seeds (printed per file, replayable with FUZZ_SEED=<seed>) and
// 10,000 cases for the wire and HTTP fuzz properties (with time to run them). The regular suite runs
// one fixed seed.
import { spawnSync } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const root = new URL("..", import.meta.url).pathname
const rounds = Number(process.argv[2] ?? 1)
if (!Number.isSafeInteger(rounds) || rounds < 1) {
  console.error("usage: pnpm fuzz [rounds]")
  process.exit(2)
}

const propertyFiles = (dir) =>
  readdirSync(join(dir, "test"), { recursive: true })
    .filter((file) => file.endsWith(".test.ts"))
    .filter((file) => /from "(@fast-check\/vitest|fast-check)"/.test(readFileSync(join(dir, "test", file), "utf8")))
    .map((file) => join("test", file))

const workspaces = ["packages", "apps"].flatMap((group) =>
  readdirSync(join(root, group), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(root, group, entry.name))
)
const targets = workspaces
  .map((dir) => ({
    dir,
    files: (() => {
      try {
        return propertyFiles(dir)
      } catch {
        return []
      }
    })()
  }))
  .filter(({ files }) => files.length > 0)

for (let round = 1; round <= rounds; round++) {
  for (const { dir, files } of targets) {
    console.log(`\n# fuzz round ${round}/${rounds}: ${dir.slice(root.length)}`)
    const run = spawnSync("npx", ["vitest", "run", "--reporter=dot", "--testTimeout=600000", ...files], {
      cwd: dir,
      stdio: "inherit",
      env: { ...process.env, FUZZ_SEED: "fresh", FUZZ_RUNS: process.env.FUZZ_RUNS ?? "10000" }
    })
    if (run.status !== 0) process.exit(run.status ?? 1)
  }
}
