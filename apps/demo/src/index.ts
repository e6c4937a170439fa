export * from "./ApiErrors.js"
export * from "./ApiKeys.js"
export * from "./DemoApi.js"
export * from "./DemoServer.js"
export * from "./Provider.js"
/** The providers the demo and the CLI run on, one entry each. */
export * as Providers from "./Providers.js"
