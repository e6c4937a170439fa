export { cardkit, run } from "./Cli.js"
export { ExitCode } from "./Failure.js"
