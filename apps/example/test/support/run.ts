import { x } from "tinyexec"

export interface Ran {
  readonly stdout: string
  readonly stderr: string
}

const tail = (text: string) => text.split("\n").slice(-40).join("\n")

/**
 * Runs a command to completion in `cwd` with exactly `env` (nothing inherited, so a command outside the
 * workspace never sees the workspace's pnpm or vitest settings). A non-zero exit throws with the
 * command and the tail of its output: that is what a failing CI log needs to show.
 */
export const run = async (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv }
): Promise<Ran> => {
  const result = await x(command, args, {
    nodeOptions: { cwd: options.cwd, env: options.env },
    inheritEnv: false,
    nodePath: false
  })
  if (result.exitCode !== 0) {
    throw new Error(
      `\`${[command, ...args].join(" ")}\` in ${options.cwd} exited with ${result.exitCode}\n` +
        `--- stdout (tail)\n${tail(result.stdout)}\n--- stderr (tail)\n${tail(result.stderr)}`
    )
  }
  return result
}
