import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { figure } from "./internal/measure.js"

const median = (xs: Array<number>) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const time = (args: ReadonlyArray<string>, runs: number) => {
  const samples: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    const result = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] })
    if (result.status !== 0) throw new Error(`node ${args.join(" ")} failed: ${result.stderr}`)
    samples.push(performance.now() - start)
  }
  return median(samples)
}

/** `cardkit --help` from a cold process against `node -e 0`. */
export const benchCli = () => {
  const bin = fileURLToPath(new URL("../../cli/dist/bin.js", import.meta.url))
  if (!existsSync(bin)) throw new Error("apps/cli is not built (run the bench through `pnpm bench`)")
  time(["-e", "0"], 3)
  const baseline = time(["-e", "0"], 15)
  const ours = time([bin, "--help"], 15)
  return [
    figure({
      section: "cli",
      metric: "`cardkit --help` cold start (median of 15)",
      ours,
      baseline,
      unit: "ms",
      higherIsBetter: false,
      goal: "≤ 4× node -e 0",
      met: ours / baseline <= 4
    })
  ]
}
