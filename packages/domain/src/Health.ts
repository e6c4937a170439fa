import { Clock, Config, type ConfigError, Context, Duration, Effect, Layer, Schema } from "effect"

/*
 * Health that a provider, the store or an app reports in the same terms: checks that something
 * answers, and the credentials cardkit holds with their validity. The summary rule lives here once,
 * so the demo's `/health`, its `/health/ready` and `cardkit doctor` cannot disagree.
 */

/** `ok`; `degraded`: working, but someone should act (a credential about to expire); `failing`: not working. */
export const HealthStatus = Schema.Literal("ok", "degraded", "failing")
export type HealthStatus = typeof HealthStatus.Type

/** What one check found; `detail` says it in words fit for a log line (never a secret, never a URL's password). */
export interface CheckResult {
  readonly status: HealthStatus
  readonly detail: string
}

/** Something that answers or not: a provider's endpoint, the store. Bounded by `HealthOptions.timeout` when run. */
export interface Check {
  readonly name: string
  readonly run: Effect.Effect<CheckResult>
}

/** A credential cardkit holds, with its validity when it is known (a bare key carries none). */
export interface Credential {
  readonly name: string
  readonly notBefore?: Date | undefined
  readonly notAfter?: Date | undefined
}

/**
 * The checks and credentials of one part of cardkit (a provider, the store). Each provider's health
 * has a tag of its own (`LedgerHealth`, `VisaHealth`, …) holding this shape; an app joins them with
 * `combine` into the one `HealthChecks` it reports.
 */
export interface HealthChecksShape {
  readonly checks: ReadonlyArray<Check>
  readonly credentials: ReadonlyArray<Credential>
}

export const ok = (detail: string): CheckResult => ({ status: "ok", detail })
export const failing = (detail: string): CheckResult => ({ status: "failing", detail })

/** Where a URL points, as a detail may name it: its host and port, never its path, user or password. */
export const hostOf = (url: string): string => {
  try {
    return new URL(url).host
  } catch {
    return "an invalid URL"
  }
}

/**
 * A check that `send` is answered at all: any HTTP status proves the server is there (a request
 * without credentials is refused by a healthy one). A refused connection or a TLS failure is
 * failing, named by `reasonOf` (an error code, never a message that may quote a secret).
 */
export const reachable = (
  name: string,
  url: string,
  send: Effect.Effect<number, unknown>,
  reasonOf: (error: unknown) => string
): Check => ({
  name,
  run: send.pipe(
    Effect.map((status) => ok(`${hostOf(url)} answered (HTTP ${status})`)),
    Effect.catchAll((error) => Effect.succeed(failing(`${hostOf(url)} is not reachable (${reasonOf(error)})`)))
  )
})

/**
 * A provider's checks and credentials, as the provider registry loads them; an app reports them
 * with its store's (`combine`).
 */
export class HealthChecks extends Context.Tag("@cardkit/domain/HealthChecks")<HealthChecks, HealthChecksShape>() {
  static readonly make = (...parts: ReadonlyArray<HealthChecksShape>): Effect.Effect<HealthChecksShape> =>
    Effect.succeed(combine(...parts))
  static readonly layer = (...parts: ReadonlyArray<HealthChecksShape>): Layer.Layer<HealthChecks> =>
    Layer.effect(HealthChecks, HealthChecks.make(...parts))
}

/** The parts' checks and credentials, in order. */
export const combine = (...parts: ReadonlyArray<HealthChecksShape>): HealthChecksShape => ({
  checks: parts.flatMap((part) => part.checks),
  credentials: parts.flatMap((part) => part.credentials)
})

export interface HealthOptions {
  /** How long a check may take before it counts as failing: short, so a readiness probe answers in time. */
  readonly timeout: Duration.DurationInput
  /** How long before a credential's expiry it turns the health `degraded`. */
  readonly expiryWarning: Duration.DurationInput
}

/** `CARDKIT_HEALTH_TIMEOUT` (2 seconds by default) and `CARDKIT_CREDENTIAL_EXPIRY_WARNING` (30 days by default). */
export const HealthConfig: Config.Config<HealthOptions> = Config.all({
  timeout: Config.withDefault(Config.duration("CARDKIT_HEALTH_TIMEOUT"), Duration.seconds(2)),
  expiryWarning: Config.withDefault(Config.duration("CARDKIT_CREDENTIAL_EXPIRY_WARNING"), Duration.days(30))
})

/** How an app runs its checks and judges its credentials. */
export class HealthSettings extends Context.Tag("@cardkit/domain/HealthSettings")<HealthSettings, HealthOptions>() {
  static readonly make = (options: HealthOptions): Effect.Effect<HealthOptions> => Effect.succeed(options)
  static readonly layer = (options: HealthOptions): Layer.Layer<HealthSettings> =>
    Layer.effect(HealthSettings, HealthSettings.make(options))
  static readonly layerConfig = (
    config: Config.Config<HealthOptions> = HealthConfig
  ): Layer.Layer<HealthSettings, ConfigError.ConfigError> =>
    Layer.unwrapEffect(Effect.map(config, HealthSettings.layer))
}

export const CheckReport = Schema.Struct({
  name: Schema.String,
  status: HealthStatus,
  detail: Schema.String
}).annotations({ identifier: "HealthCheck" })
export type CheckReport = typeof CheckReport.Type

export const CredentialReport = Schema.Struct({
  name: Schema.String,
  status: HealthStatus,
  /** ISO 8601, when known. */
  notBefore: Schema.optional(Schema.String),
  notAfter: Schema.optional(Schema.String),
  /** Whole days since `notBefore`; negative before it. */
  ageDays: Schema.optional(Schema.Number),
  /** Whole days left before `notAfter`; negative (the days since) once it has passed. */
  expiresInDays: Schema.optional(Schema.Number)
}).annotations({ identifier: "HealthCredential" })
export type CredentialReport = typeof CredentialReport.Type

export const HealthReport = Schema.Struct({
  status: HealthStatus,
  checks: Schema.Array(CheckReport),
  credentials: Schema.Array(CredentialReport)
}).annotations({ identifier: "HealthReport" })
export type HealthReport = typeof HealthReport.Type

const dayMillis = Duration.toMillis(Duration.days(1))

/** Whole days in `millis`, toward zero: a credential that expired an hour ago has 0 days left, not -1. */
const wholeDays = (millis: number): number => Math.trunc(millis / dayMillis) || 0

/**
 * A credential at `now`: `failing` outside its validity, `degraded` when it expires within
 * `expiryWarning`, `ok` otherwise (and when its validity is not known).
 */
export const credentialReport = (
  credential: Credential,
  now: number,
  expiryWarning: Duration.DurationInput
): CredentialReport => {
  const { notAfter, notBefore } = credential
  const left = notAfter === undefined ? undefined : notAfter.getTime() - now
  const status: HealthStatus =
    (left !== undefined && left <= 0) || (notBefore !== undefined && notBefore.getTime() > now)
      ? "failing"
      : left !== undefined && left <= Duration.toMillis(expiryWarning)
        ? "degraded"
        : "ok"
  return {
    name: credential.name,
    status,
    ...(notBefore === undefined
      ? {}
      : { notBefore: notBefore.toISOString(), ageDays: wholeDays(now - notBefore.getTime()) }),
    ...(notAfter === undefined || left === undefined
      ? {}
      : { notAfter: notAfter.toISOString(), expiresInDays: wholeDays(left) })
  }
}

/** The worst of the statuses: `failing` over `degraded` over `ok`. */
export const worst = (statuses: Iterable<HealthStatus>): HealthStatus => {
  let result: HealthStatus = "ok"
  for (const status of statuses) {
    if (status === "failing") return status
    if (status === "degraded") result = status
  }
  return result
}

/** The credentials alone, as liveness reports them: no check is run. */
export const credentials = (
  health: HealthChecksShape,
  options: Pick<HealthOptions, "expiryWarning">
): Effect.Effect<ReadonlyArray<CredentialReport>> =>
  Effect.map(Clock.currentTimeMillis, (now) =>
    health.credentials.map((credential) => credentialReport(credential, now, options.expiryWarning))
  )

/** One check, bounded: one that does not answer within `timeout` is failing, and so is one that dies. */
const runCheck = (check: Check, timeout: Duration.DurationInput): Effect.Effect<CheckReport> =>
  check.run.pipe(
    Effect.timeoutTo({
      duration: timeout,
      onSuccess: (result) => result,
      onTimeout: () => failing(`no answer within ${Duration.format(timeout)}`)
    }),
    Effect.catchAllDefect(() => Effect.succeed(failing("the check failed unexpectedly"))),
    Effect.map((result) => ({ name: check.name, ...result }))
  )

/**
 * Every check run at once, and the credentials: `failing` if a check fails or a credential is outside
 * its validity, `degraded` if a credential expires within `expiryWarning`, else `ok`.
 */
export const report = (health: HealthChecksShape, options: HealthOptions): Effect.Effect<HealthReport> =>
  Effect.map(
    Effect.zip(
      Effect.forEach(health.checks, (check) => runCheck(check, options.timeout), { concurrency: "unbounded" }),
      credentials(health, options)
    ),
    ([checks, creds]) => ({
      status: worst([...checks, ...creds].map((item) => item.status)),
      checks,
      credentials: creds
    })
  )
