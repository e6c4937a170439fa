export * as CardDataScrubbing from "./CardDataScrubbing.js"
export * from "./Telemetry.js"
export * from "./TelemetryConfig.js"
