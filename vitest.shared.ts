import { fileURLToPath } from "node:url"
import { defineConfig, mergeConfig } from "vitest/config"

// Workspace packages resolve to their TypeScript sources under the "@cardkit/source" export
// condition, so tests never need a prior build and always see the code under test.
// Vitest hands these to the test processes' Node as `--conditions` too, so none may pick an ES build for
// a `require` ("import" or "module" would: pg's `require` of pg-pool); Vite adds import/require itself.
const conditions = ["@cardkit/source", "node", "default"]

const shared = defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: [fileURLToPath(new URL("./vitest.setup.ts", import.meta.url))],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // The JSON report feeds scripts/test-summary.mjs, which prints one closing line for the whole repo.
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]]
  }
})

export default shared

/**
 * For a package whose test files share no module state (no global context manager, no services kept
 * in a module): its files run in the worker one after another without re-importing effect and the
 * package for each file, which is most of what such a suite costs on the suite's two cores.
 */
export const sharingModules = mergeConfig(shared, { test: { isolate: false } })
