export { cardkit, run } from "./Cli.js"
export { ExitCode } from "./Failure.js"
export { maskPans } from "./Output.js"
