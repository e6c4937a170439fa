import { readFileSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { createRequire } from "node:module"

/*
 * A minimal ledger in its own process, answering every request with the document's GET_CVV
 * response under the request's id: cheap enough that it is never what a client benchmark measures.
 */
const require = createRequire(import.meta.url)
const fixture = require.resolve("@cardkit/ledger/fixtures/get-cvv.response.json")
const template = JSON.stringify(JSON.parse(readFileSync(fixture, "utf8")))
const [before, after] = template.split('"id":"1"') as [string, string]

const server = createServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (c: Buffer) => chunks.push(c))
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8")
    const id = /"id":"([^"]+)"/.exec(body)?.[1] ?? "1"
    res.writeHead(200, { "content-type": "application/json" })
    res.end(`${before}"id":"${id}"${after}`)
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, "127.0.0.1", () => {
  process.send?.({ port: (server.address() as AddressInfo).port })
})
process.on("disconnect", () => process.exit(0))
