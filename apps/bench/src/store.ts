import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startPostgres } from "@cardkit/store/testing"
import { Redacted } from "effect"
import { hammer } from "./demo.js"
import { figure, interleaved } from "./internal/measure.js"

/*
 * Budgets no run can spend, so every reveal pays the budget's transaction (per card and per
 * customer) and none is refused: the route's answers stay those of the plain demo.
 */
const budgets = {
  CARDKIT_REVEAL_BUDGET_CARD: "1000000000/1 hour",
  CARDKIT_REVEAL_BUDGET_CUSTOMER: "1000000000/1 hour"
}

/**
 * The demo's CVV route served as the demo serves it, audited and budgeted, on a SQLite file and on a
 * throwaway PostgreSQL, against the plain demo (the provider's own ports) measured in the same run.
 * Each round starts on a fresh database, so no round counts the events of the one before.
 */
export const benchStore = async () => {
  const dir = mkdtempSync(join(tmpdir(), "cardkit-bench-store-"))
  const postgres = await startPostgres()
  let databases = 0
  try {
    const { plain, sqlite, pg } = await interleaved(
      {
        plain: () => hammer("demoServer.js"),
        sqlite: () => hammer("demoServer.js", { ...budgets, BENCH_DEMO_STORE: join(dir, `${++databases}.sqlite`) }),
        pg: async () =>
          hammer("demoServer.js", {
            ...budgets,
            BENCH_DEMO_STORE: Redacted.value(await postgres.createDatabase(`bench_${++databases}`))
          })
      },
      (result) => result.perSecond
    )
    const rows = [
      { name: "SQLite (a file)", ours: sqlite, goal: 0.7 },
      { name: "PostgreSQL (loopback)", ours: pg, goal: 0.5 }
    ] as const
    return rows.flatMap(({ name, ours, goal }) => [
      figure({
        section: "store",
        metric: `POST /v1/cards/{id}/cvv audited and budgeted on ${name}: requests per second (50 connections)`,
        ours: ours.perSecond,
        baseline: plain.perSecond,
        unit: "req/s",
        higherIsBetter: true,
        goal: `ratio ≥ ${goal}`,
        met: ours.perSecond / plain.perSecond >= goal,
        note: "baseline: the plain demo, the provider's ports unguarded; ours inserts the reveal's audit record and runs the budget's transaction on reveal_events"
      }),
      figure({
        section: "store",
        metric: `the same on ${name}: p99 latency`,
        ours: ours.p99,
        baseline: plain.p99,
        unit: "ms",
        higherIsBetter: false,
        goal: "(reported)",
        met: true
      })
    ])
  } finally {
    await postgres.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
