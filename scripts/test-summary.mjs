// One closing line for the whole repository's tests, from each package's vitest JSON report:
// turbo interleaves the packages' own summaries, and CI reads only a final "N passed, N failed".
import { readFileSync, readdirSync, existsSync } from "node:fs"
import { join } from "node:path"

const root = new URL("..", import.meta.url).pathname
const totals = { passed: 0, failed: 0, skipped: 0, packages: 0 }
for (const group of ["packages", "apps"]) {
  for (const name of readdirSync(join(root, group))) {
    const report = join(root, group, name, "test-results", "vitest.json")
    if (!existsSync(report)) continue
    const json = JSON.parse(readFileSync(report, "utf8"))
    totals.passed += json.numPassedTests
    totals.failed += json.numFailedTests
    totals.skipped += json.numPendingTests + json.numTodoTests
    totals.packages += 1
  }
}
console.log(`Tests in ${totals.packages} packages:`)
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
process.exitCode = totals.failed > 0 || totals.passed === 0 ? 1 : 0
