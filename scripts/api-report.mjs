// The public API on record: run in a package folder, writes one API Extractor report per typed entry point of
// the published `exports` (`api/index.api.md` for ".", `api/testing.api.md` for "./testing") and fails when one
// differs from the checked-in report, so a change to what other teams import shows up in review.
// `--update` (or `--local`) rewrites the reports instead.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { CompilerState, Extractor, ExtractorConfig } from "@microsoft/api-extractor"

const update = process.argv.includes("--update") || process.argv.includes("--local")
const packageFolder = process.cwd()
const packageJsonFullPath = join(packageFolder, "package.json")
const manifest = JSON.parse(readFileSync(packageJsonFullPath, "utf8"))
const reportFolder = join(packageFolder, "api")

const reportName = (subpath) => (subpath === "." ? "index" : subpath.replace(/^\.\//, "").replaceAll("/", "-"))
const entries = Object.entries(manifest.publishConfig?.exports ?? manifest.exports ?? {})
  .filter(([, target]) => typeof target === "object" && target.types)
  .map(([subpath, target]) => ({ name: reportName(subpath), types: resolve(packageFolder, target.types) }))
if (entries.length === 0) throw new Error(`${manifest.name} exports no entry point with types`)

// Why each message is (not) reported:
// - nothing here carries @public/@beta: what `exports` reaches is the API, so a missing release tag is noise;
// - a type reachable from the API but not exported by its entry point (ae-forgotten-export) is mostly tsc's
//   `declare const X_base` behind each `class X extends Schema.Class/Context.Tag/…`; includeForgottenExports
//   writes those declarations into the report (a schema's fields are on record), the message would only repeat it;
// - comments here are prose, not TSDoc, so TSDoc syntax messages are noise;
// - the compiler's and API Extractor's other messages are real problems with the d.ts and fail the run.
const messages = {
  compilerMessageReporting: { default: { logLevel: "error" } },
  extractorMessageReporting: {
    default: { logLevel: "error" },
    "ae-missing-release-tag": { logLevel: "none", addToApiReportFile: false },
    "ae-forgotten-export": { logLevel: "none", addToApiReportFile: false },
    "ae-undocumented": { logLevel: "none", addToApiReportFile: false }
  },
  tsdocMessageReporting: { default: { logLevel: "none", addToApiReportFile: false } }
}

// The preamble is the same on every run, and the "please copy the file" advice names a temporary folder
// that is gone when the run ends: the summary at the end says what to do instead.
const quiet = new Set(["console-preamble", "console-api-report-not-copied"])
const messageCallback = (message) => {
  if (quiet.has(message.messageId)) message.handled = true
}

const configFor = (entry, reportTempFolder) =>
  ExtractorConfig.prepare({
    configObject: {
      projectFolder: packageFolder,
      mainEntryPointFilePath: entry.types,
      // tsconfig.build.json has no `@cardkit/source` condition, so the workspace packages resolve to their
      // dist d.ts, as from a registry install (checked below).
      compiler: { tsconfigFilePath: join(packageFolder, "tsconfig.build.json") },
      apiReport: {
        enabled: true,
        reportFileName: entry.name,
        reportFolder,
        reportTempFolder,
        includeForgottenExports: true
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      newlineKind: "lf",
      messages
    },
    configObjectFullPath: join(packageFolder, "api-extractor.json"),
    packageJsonFullPath
  })

mkdirSync(reportFolder, { recursive: true })
const tempFolder = mkdtempSync(join(tmpdir(), "api-report-"))
const changed = []
const failed = []
try {
  const configs = entries.map((entry) => ({ entry, config: configFor(entry, tempFolder) }))
  // One TypeScript program for all of a package's entry points: they share most of their d.ts.
  const compilerState = CompilerState.create(configs[0].config, { additionalEntryPoints: entries.map((e) => e.types) })
  const source = compilerState.program
    .getSourceFiles()
    .find((file) => !ExtractorConfig.hasDtsFileExtension(file.fileName))
  if (source) throw new Error(`the API is read from d.ts only, but the analysis reached ${source.fileName}`)
  for (const { entry, config } of configs) {
    const result = Extractor.invoke(config, {
      compilerState,
      localBuild: update,
      printApiReportDiff: true,
      messageCallback
    })
    const report = `api/${entry.name}.api.md`
    if (result.apiReportChanged && !update) changed.push(report)
    else if (!result.succeeded) failed.push(report)
  }
} finally {
  rmSync(tempFolder, { recursive: true, force: true })
}

if (changed.length > 0) {
  console.error(
    `${manifest.name}: the public API differs from ${changed.join(", ")} (diff above). ` +
      "If the change is meant, run `pnpm api:update` and commit the reports with it."
  )
}
if (failed.length > 0) console.error(`${manifest.name}: API Extractor reported errors for ${failed.join(", ")} (above)`)
process.exitCode = changed.length + failed.length > 0 ? 1 : 0
