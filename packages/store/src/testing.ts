import { execFile } from "node:child_process"
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { Effect, Redacted, type Scope } from "effect"

/*
 * A throwaway PostgreSQL server for tests: Debian's server binaries, a fresh cluster in a temporary
 * directory, on 127.0.0.1 and a free port, stopped and deleted after. PostgreSQL refuses to run as
 * root, so as root the cluster belongs to the `postgres` user the Debian package creates. Its own
 * entry point (`@cardkit/store/testing`) keeps it out of what production code imports.
 */

const run = promisify(execFile)

/** The newest installed server's binaries (`CARDKIT_PG_BIN` to choose). */
const binDir = (): string => {
  const chosen = process.env.CARDKIT_PG_BIN
  if (chosen !== undefined && chosen !== "") return chosen
  const root = "/usr/lib/postgresql"
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "postgres")))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (versions[0] === undefined) {
    throw new Error("no PostgreSQL server found under /usr/lib/postgresql: install Debian's postgresql package")
  }
  return join(root, versions[0], "bin")
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/*
 * Stopping by signal rather than through `pg_ctl stop`: on a loaded CI machine a suite's teardown in
 * `pg_ctl stop` once outlasted its hook's timeout; a signal spawns no `runuser` or `pg_ctl` process
 * and the wait is bounded. SIGQUIT is PostgreSQL's immediate shutdown; a server still there after the
 * grace period is killed (its backends exit on their own once the postmaster is gone). Root may
 * signal the `postgres` user's processes, so no user switch is needed.
 */
const stopServer = async (data: string): Promise<void> => {
  const pidFile = join(data, "postmaster.pid")
  if (!existsSync(pidFile)) return
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0])
  const stopped = () => !existsSync(pidFile) || !isRunning(pid)
  if (!Number.isInteger(pid) || pid <= 0 || stopped()) return
  process.kill(pid, "SIGQUIT")
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    if (stopped()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  if (isRunning(pid)) process.kill(pid, "SIGKILL")
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()))
    })
  })

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: Redacted.Redacted<string>
  /** A new, empty database on the server, for one test. */
  readonly createDatabase: (name: string) => Promise<Redacted.Redacted<string>>
  readonly stop: () => Promise<void>
}

/** Starts a server; `stop` it after (or use `TestPostgres.scoped`). */
export const startPostgres = async (): Promise<TestPostgres> => {
  const bin = binDir()
  const asRoot = process.getuid?.() === 0
  const as = (command: string, args: ReadonlyArray<string>) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", join(bin, command), ...args]) : run(join(bin, command), args)
  const dir = mkdtempSync(join(tmpdir(), "cardkit-pg-"))
  if (asRoot) {
    const { stdout } = await run("id", ["-u", "postgres"])
    const { stdout: gid } = await run("id", ["-g", "postgres"])
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()))
  }
  chmodSync(dir, 0o700)
  const data = join(dir, "data")
  const port = await freePort()
  await as("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"])
  await as("pg_ctl", [
    "-D",
    data,
    "-l",
    join(dir, "log"),
    "-w",
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
    "start"
  ])
  const base = `postgres://postgres@127.0.0.1:${port}`
  return {
    url: Redacted.make(`${base}/postgres`),
    createDatabase: async (name) => {
      await as("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-c", `create database "${name}"`])
      return Redacted.make(`${base}/${name}`)
    },
    stop: async () => {
      try {
        await stopServer(data)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
  }
}

/** `startPostgres` for the life of a scope. */
export const scopedPostgres: Effect.Effect<TestPostgres, never, Scope.Scope> = Effect.acquireRelease(
  Effect.promise(startPostgres),
  (server) => Effect.promise(server.stop)
)
