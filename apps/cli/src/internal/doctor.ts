import { Health } from "@cardkit/domain"
import { Providers } from "@cardkit/demo"
import { Store, StoreHealth } from "@cardkit/store"
import { Console, Context, Effect, Layer, Schema } from "effect"
import type { DoctorArgs } from "../Cli.js"
import { ExitCode, reportFailures, Reported } from "../Failure.js"
import { settingsProvider } from "../Settings.js"

const mark: Record<Health.HealthStatus, string> = { ok: "✓", degraded: "!", failing: "✗" }

const dayOf = (iso: string) => iso.slice(0, 10)

/** A credential's validity in words: when it expires (or expired), and how old it is. */
const validity = (credential: Health.CredentialReport): string => {
  const { ageDays, expiresInDays, notAfter, notBefore } = credential
  const parts = [
    ...(notBefore !== undefined && ageDays !== undefined && ageDays < 0
      ? [`not valid before ${dayOf(notBefore)}`]
      : []),
    ...(notAfter === undefined || expiresInDays === undefined
      ? ["no expiry known"]
      : expiresInDays < 0
        ? [`expired on ${dayOf(notAfter)}`]
        : [`expires on ${dayOf(notAfter)}, in ${expiresInDays} days`]),
    ...(ageDays !== undefined && ageDays >= 0 ? [`issued ${ageDays} days ago`] : [])
  ]
  return parts.join("; ")
}

/** The report as a person reads it: one line per check and per credential, names padded to the widest. */
export const formatReport = (provider: Providers.Name, report: Health.HealthReport): string => {
  const rows: ReadonlyArray<readonly [Health.HealthStatus, string, string]> = [
    ...report.checks.map((check) => [check.status, check.name, check.detail] as const),
    ...report.credentials.map((credential) => [credential.status, credential.name, validity(credential)] as const)
  ]
  const width = Math.max(0, ...rows.map(([, name]) => name.length))
  return [
    ...rows.map(([status, name, detail]) => `${mark[status]} ${name.padEnd(width)}  ${detail}`),
    `${report.status} (provider: ${provider})`
  ].join("\n")
}

/**
 * The store's check on the store the settings name. One that cannot even be opened (PostgreSQL down,
 * the SQLite file unwritable) is a failing check, not an error: that is what doctor is asked about.
 */
const storeHealth = Layer.build(StoreHealth.layer.pipe(Layer.provide(Store.layerConfig()))).pipe(
  Effect.map(Context.get(StoreHealth)),
  Effect.catchTag("StoreUnavailable", (error) => Effect.succeed(StoreHealth.unavailable(error)))
)

/** Every check of the store and of the provider, on the settings given (flags, then the environment). */
const examine = (args: DoctorArgs) =>
  Effect.gen(function* () {
    const provider = yield* Effect.promise(() => Providers.load(args.provider, ["health"]))
    return yield* Effect.gen(function* () {
      const settings = yield* Health.HealthSettings
      const health = Health.combine(yield* storeHealth, yield* Health.HealthChecks)
      return yield* Health.report(health, settings)
    }).pipe(
      Effect.provide(Layer.merge(provider, Health.HealthSettings.layerConfig())),
      Effect.scoped,
      Effect.withConfigProvider(settingsProvider(args.settings))
    )
  })

/**
 * `cardkit doctor`: the checks `GET /health/ready` runs, for this configuration. Exit 1 when one fails
 * (a credential outside its validity included); `degraded` (a credential about to expire) exits 0
 * with a warning on stderr; bad settings exit 2 as every command's do.
 */
export const doctor = (args: DoctorArgs) =>
  Effect.gen(function* () {
    const report = yield* examine(args).pipe(reportFailures(args.json))
    yield* Console.log(
      args.json
        ? JSON.stringify({ provider: args.provider, ...Schema.encodeSync(Health.HealthReport)(report) }, null, 2)
        : formatReport(args.provider, report)
    )
    const named = (status: Health.HealthStatus) =>
      [...report.checks, ...report.credentials]
        .filter((item) => item.status === status)
        .map((item) => item.name)
        .join(", ")
    if (report.status === "degraded") yield* Console.error(`cardkit: warning: ${named("degraded")} expiring soon`)
    if (report.status === "failing") {
      yield* Console.error(`cardkit: not ready: ${named("failing")}`)
      return yield* Effect.fail(new Reported({ code: ExitCode.refused }))
    }
  })
