import { mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.js"

// The load test compares heap after garbage collection, which needs `global.gc`.
export default mergeConfig(shared, { test: { poolOptions: { forks: { execArgv: ["--expose-gc"] } } } })
