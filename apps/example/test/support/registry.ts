import { mkdtempSync, rmSync } from "node:fs"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runServer } from "verdaccio"

export interface Registry {
  /** The registry's URL, ending in a slash as npm writes it. */
  readonly url: string
  /** A token of a user that may publish. */
  readonly token: string
  readonly close: () => Promise<void>
}

/**
 * A Verdaccio on 127.0.0.1 with an ephemeral port and its storage in a temporary directory, holding
 * `@cardkit/*` only: what gets published to it. A consumer points the scope at it as the README says and
 * gets everything else from the registry it always uses.
 */
export const startRegistry = async (): Promise<Registry> => {
  const dir = mkdtempSync(join(tmpdir(), "cardkit-registry-"))
  const server = await runServer({
    configPath: join(dir, "config.yaml"),
    storage: join(dir, "storage"),
    auth: { htpasswd: { file: join(dir, "htpasswd"), max_users: 1 } },
    packages: { "@cardkit/*": { access: "$all", publish: "$authenticated", unpublish: "$authenticated" } },
    max_body_size: "50mb",
    web: { enable: false },
    log: { type: "stdout", format: "pretty", level: "error" }
  } as unknown as Parameters<typeof runServer>[0])
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", resolve)
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const close = async () => {
    server.closeAllConnections?.()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const response = await fetch(`${url}-/user/org.couchdb.user:cardkit`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "cardkit", password: "cardkit-test-only" })
    })
    const body = (await response.json()) as { readonly token?: string }
    if (!response.ok || body.token === undefined) {
      throw new Error(`Verdaccio refused the publishing user: ${response.status} ${JSON.stringify(body)}`)
    }
    return { url, token: body.token, close }
  } catch (error) {
    await close()
    throw error
  }
}
