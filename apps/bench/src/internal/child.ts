import { type ChildProcess, fork } from "node:child_process"

/** Start one of the bench's servers in its own process and wait for the port it listens on. */
export const startChild = (script: URL, args: ReadonlyArray<string> = []) =>
  new Promise<{ readonly port: number; readonly child: ChildProcess }>((resolve, reject) => {
    const child = fork(script, [...args], { stdio: ["ignore", "inherit", "inherit", "ipc"] })
    child.once("message", (message) => resolve({ port: (message as { port: number }).port, child }))
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`${script.pathname} exited with ${code}`)))
  })
