import { mkdirSync, writeFileSync } from "node:fs"
import { benchCli } from "./cli.js"
import { benchCvv } from "./cvv.js"
import { benchDemo } from "./demo.js"
import { type Figure, machine, round } from "./internal/measure.js"
import { benchLedger } from "./ledger.js"
import { benchSeed } from "./seed.js"
import { benchStore } from "./store.js"
import { benchTelemetry } from "./telemetry.js"
import { benchVisa } from "./visa.js"

/*
 * `pnpm bench`: every figure next to a baseline measured in the same run on the same machine,
 * printed as a Markdown table and written to apps/bench/results/latest.json.
 */
const sections: ReadonlyArray<readonly [string, () => Promise<ReadonlyArray<Figure>> | ReadonlyArray<Figure>]> = [
  ["cvv", benchCvv],
  ["seed", benchSeed],
  ["demo", benchDemo],
  ["store", benchStore],
  ["telemetry", benchTelemetry],
  ["ledger", benchLedger],
  ["visa", benchVisa],
  ["cli", benchCli]
]

const only = process.argv.slice(2)
const figures: Array<Figure> = []
const failures: Array<{ section: string; error: string }> = []
for (const [name, run] of sections) {
  if (only.length > 0 && !only.includes(name)) continue
  process.stderr.write(`bench: ${name}…\n`)
  try {
    figures.push(...(await run()))
  } catch (error) {
    failures.push({ section: name, error: (error as Error).message })
  }
}

const format = (n: number) => (n >= 1000 ? Math.round(n).toLocaleString("en-US") : String(round(n)))
const info = machine()
const date = new Date().toISOString().slice(0, 10)
const lines = [
  `Run ${date} on ${info.cores} cores (${info.cpu}), Node ${info.node}.`,
  "",
  "| section | metric | cardkit | baseline | ratio | goal | met |",
  "| --- | --- | ---: | ---: | ---: | --- | --- |",
  ...figures.map(
    (f) =>
      `| ${f.section} | ${f.metric} | ${format(f.ours)} ${f.unit} | ${format(f.baseline)} ${f.unit} | ${round(f.ratio)}× | ${f.goal} | ${f.met ? "yes" : "**no**"} |`
  ),
  ...(figures.some((f) => f.note !== undefined)
    ? ["", ...figures.filter((f) => f.note).map((f) => `- ${f.section}, ${f.metric}: ${f.note}`)]
    : []),
  ...failures.map((f) => `- ${f.section}: not measured (${f.error})`)
]
console.log(lines.join("\n"))
// Only a run of every section replaces the latest results: `pnpm bench demo` prints its rows alone.
if (only.length === 0) {
  const results = new URL("../results/", import.meta.url)
  mkdirSync(results, { recursive: true })
  writeFileSync(
    new URL("latest.json", results),
    `${JSON.stringify({ date, machine: info, figures, failures }, null, 2)}\n`
  )
}
process.exitCode = failures.length > 0 ? 1 : 0
