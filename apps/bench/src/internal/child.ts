import { type ChildProcess, fork } from "node:child_process"

/** Start one of the bench's servers in its own process and wait for the port it listens on. */
export const startChild = (script: URL, env: Record<string, string> = {}) =>
  new Promise<{ readonly port: number; readonly child: ChildProcess }>((resolve, reject) => {
    const child = fork(script, [], { stdio: ["ignore", "inherit", "inherit", "ipc"], env: { ...process.env, ...env } })
    child.once("message", (message) => resolve({ port: (message as { port: number }).port, child }))
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`${script.pathname} exited with ${code}`)))
  })
