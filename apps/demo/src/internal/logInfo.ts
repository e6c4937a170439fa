import { Effect, FiberRef, LogLevel } from "effect"

/**
 * An Info line formatted only when Info lines are kept: a load test runs at Warning, where
 * formatting a line per request would be wasted.
 */
export const logInfo = (line: () => string): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) =>
    LogLevel.greaterThan(fiber.getFiberRef(FiberRef.currentMinimumLogLevel), LogLevel.Info)
      ? Effect.void
      : Effect.logInfo(line())
  )
