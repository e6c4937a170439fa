/*
 * `dist/bin.js` as one ESM bundle with code-split chunks for the commands' lazy imports.
 *
 * Why: Node spends most of a cold start resolving and compiling the hundreds of modules effect,
 * @effect/platform and @effect/cli consist of (apps/bench/README.md has the cold-start figures). Splitting keeps the lazy `import()`s lazy: the providers, transports, wire
 * fakes and demo stay in chunks that load only when their command runs, and every chunk shares one
 * copy of effect.
 *
 * Packages that workspace code resolves at run time relative to itself (`createRequire(import.meta.url)`:
 * the demo's `@scalar/api-reference` bundle) and `external` ones are resolved from this package, so they
 * are dependencies of @cardkit/cli too; the subprocess tests start every command from the bundle.
 */
import { build } from "esbuild"

await build({
  entryPoints: { bin: "src/bin.ts" },
  outdir: "dist",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  sourcemap: true,
  // jsonc-parser's CommonJS build loads its parts through a `require` esbuild cannot follow, and its
  // ESM build has no default export for the fake ledger's `import jsonc from`: it is left to Node.
  // better-sqlite3 is a native addon Node loads from its own folder; pg only tries pg-native, optionally.
  external: ["jsonc-parser", "better-sqlite3", "pg-native"],
  // Bundled CommonJS dependencies (undici, node-forge) call `require` for Node's built-ins.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);'
  },
  logLevel: "warning"
})
