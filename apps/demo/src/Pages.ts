import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import * as Path from "node:path"
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { indexPage } from "./internal/indexPage.js"

// The package exports no path to its browser bundle; it sits next to the main entry's folder.
const scalarBundle = Path.join(
  Path.dirname(createRequire(import.meta.url).resolve("@scalar/api-reference")),
  "browser",
  "standalone.js"
)

// Scalar is told to use system fonts and to leave out its hosted services (telemetry, AI agent, MCP,
// developer tools), so the page asks nothing of another origin.
// The app serves Scalar itself rather than through HttpApiScalar, whose inlined copy is older and
// would load megabytes of script into every process that imports the app (the CLI too).
const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cardkit demo API</title>
</head>
<body>
<div id="app"></div>
<script src="/docs/scalar.js"></script>
<script>
Scalar.createApiReference("#app", {
  url: "/openapi.json",
  defaultOpenAllTags: true,
  withDefaultFonts: false,
  telemetry: false,
  showDeveloperTools: "never",
  agent: { disabled: true },
  mcp: { disabled: true }
})
</script>
</body>
</html>
`

const pageHeaders = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  // Everything comes from this origin; the page's only script and style are inline.
  "content-security-policy":
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; " +
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
}

/** `/` (the try-it page), `/docs` (Scalar API reference) and Scalar's bundle, all offline. */
export const PagesLive = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const bundle = yield* Effect.cached(Effect.promise(() => readFile(scalarBundle)))
    yield* router.get(
      "/",
      Effect.succeed(HttpServerResponse.html(indexPage).pipe(HttpServerResponse.setHeaders(pageHeaders)))
    )
    yield* router.get("/docs", Effect.succeed(HttpServerResponse.html(docsPage)))
    yield* router.get(
      "/docs/scalar.js",
      Effect.map(bundle, (bytes) =>
        HttpServerResponse.uint8Array(bytes, {
          contentType: "text/javascript; charset=utf-8",
          headers: { "cache-control": "public, max-age=3600" }
        })
      )
    )
  })
)
