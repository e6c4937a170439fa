import { decodeInput } from "@cardkit/domain"
import { type AuditRecord, AuditPage, AuditQuery, AuditTrail, SqlAuditTrail, Store } from "@cardkit/store"
import { Console, DateTime, Effect, Layer, Schema } from "effect"
import type { AuditListArgs } from "../Cli.js"
import { settingsProvider } from "../Settings.js"
import { given } from "./input.js"

const columns: ReadonlyArray<readonly [string, (record: AuditRecord) => string | null]> = [
  ["time", (record) => DateTime.formatIso(record.at)],
  ["operation", (record) => record.operation],
  ["outcome", (record) => record.outcome],
  ["card", (record) => record.cardId],
  ["customer", (record) => record.customerId],
  ["apiKeyId", (record) => record.apiKeyId],
  ["request", (record) => record.requestId]
]

/** The records as a table, a header and a row each, columns padded to their widest cell. */
export const formatRecords = (records: ReadonlyArray<AuditRecord>): string => {
  const rows = [
    columns.map(([header]) => header),
    ...records.map((record) => columns.map(([, cell]) => cell(record) ?? "-"))
  ]
  const widths = columns.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)))
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd()
    )
    .join("\n")
}

/**
 * `cardkit audit list`: a page of the audit trail, newest first. The flags are decoded by the store's
 * own `AuditQuery`, so they mean what `GET /v1/audit`'s query parameters mean; `--json` prints the
 * page in `AuditPage`'s encoding, the body that route answers.
 */
export const listAudit = (args: AuditListArgs) =>
  Effect.gen(function* () {
    const query = yield* decodeInput(AuditQuery)(
      given({
        cardId: args.cardId,
        customerId: args.customerId,
        since: args.since,
        until: args.until,
        limit: args.limit,
        cursor: args.cursor
      })
    )
    const page = yield* Effect.flatMap(AuditTrail, (trail) => trail.list(query)).pipe(
      // The trail alone: listing needs neither the budgets' nor the idempotency keys' settings.
      Effect.provide(SqlAuditTrail.layer.pipe(Layer.provide(Store.layerConfig()))),
      Effect.withConfigProvider(settingsProvider(args.settings))
    )
    yield* Effect.logDebug(`${page.records.length} audit records`)
    if (args.json) return yield* Console.log(JSON.stringify(Schema.encodeSync(AuditPage)(page), null, 2))
    yield* Console.log(page.records.length === 0 ? "no audit records" : formatRecords(page.records))
    // On stderr, so the table piped on stays the records alone.
    if (page.next !== null) yield* Console.error(`more records: add --cursor ${page.next}`)
  })
