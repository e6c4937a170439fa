import { once } from "node:events"
import autocannon from "autocannon"
import { startChild } from "./internal/child.js"
import { figure, interleaved } from "./internal/measure.js"

const path = "/v1/cards/025951734ff74c13a14137e02834fa00/cvv"
const body = JSON.stringify({ customerId: "100000000006001", accountNumber: "400320588344662" })

/**
 * The CVV route of `script`'s server (started with `env`), 50 connections: requests per second, p99
 * (ms) and the requests the server answered, the warm-up's included.
 */
export const hammer = async (script: string, env: Record<string, string> = {}) => {
  const { port, child } = await startChild(new URL(`./internal/${script}`, import.meta.url), env)
  try {
    const options = {
      url: `http://127.0.0.1:${port}${path}`,
      method: "POST" as const,
      headers: { "content-type": "application/json", "x-api-key": "bench-key" },
      body,
      connections: 50
    }
    const warmUp = await autocannon({ ...options, duration: 1 })
    const result = await autocannon({ ...options, duration: 5 })
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(`${script}: ${result.non2xx} non-2xx answers and ${result.errors} errors`)
    }
    return {
      perSecond: result.requests.average,
      p99: result.latency.p99,
      requests: warmUp.requests.total + result.requests.total
    }
  } finally {
    // Waited for, so the next round does not share the cores with this server's last work.
    if (child.exitCode === null) {
      const exited = once(child, "exit")
      child.kill()
      await exited
    }
  }
}

/**
 * The demo's CVV route, 50 connections, against two peers calling the same fake: a bare node:http
 * handler (the floor) and a minimal idiomatic HttpApi app (the framework the demo is built on).
 */
export const benchDemo = async () => {
  const { ours, baseline, framework } = await interleaved(
    {
      ours: () => hammer("demoServer.js"),
      baseline: () => hammer("bareServer.js"),
      framework: () => hammer("httpApiServer.js")
    },
    (result) => result.perSecond
  )
  return [
    figure({
      section: "demo",
      metric: "POST /v1/cards/{id}/cvv requests per second (50 connections)",
      ours: ours.perSecond,
      baseline: baseline.perSecond,
      unit: "req/s",
      higherIsBetter: true,
      goal: "ratio ≥ 0.5",
      met: ours.perSecond / baseline.perSecond >= 0.5,
      note: "baseline: bare node:http handler decoding the body and calling the same fake"
    }),
    figure({
      section: "demo",
      metric: "p99 latency",
      ours: ours.p99,
      baseline: baseline.p99,
      unit: "ms",
      higherIsBetter: false,
      goal: "ratio ≤ 2",
      met: ours.p99 / baseline.p99 <= 2
    }),
    figure({
      section: "demo",
      metric: "the same route against a minimal HttpApi app: requests per second",
      ours: ours.perSecond,
      baseline: framework.perSecond,
      unit: "req/s",
      higherIsBetter: true,
      goal: "ratio ≥ 0.9",
      met: ours.perSecond / framework.perSecond >= 0.9,
      note: "baseline: one HttpApi endpoint with an API-key security middleware, `HttpApiBuilder.serve()` on `NodeHttpServer`, calling the same fake; the ratio is what the demo adds to the framework"
    })
  ]
}
