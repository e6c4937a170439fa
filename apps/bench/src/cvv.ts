import { makeCvvCalculator, testCvk } from "@cardkit/fake"
import { referenceCvv } from "@cardkit/fake/testing"
import { figure } from "./internal/measure.js"

const rate = (compute: (i: number) => unknown, seconds: number) => {
  for (let i = 0; i < 20_000; i++) compute(i)
  const deadline = performance.now() + seconds * 1000
  const start = performance.now()
  let n = 0
  while (performance.now() < deadline) {
    for (let i = 0; i < 1000; i++) compute(n + i)
    n += 1000
  }
  return n / ((performance.now() - start) / 1000)
}

const panOf = (i: number) => `4000001${String(i % 1_000_000_000).padStart(9, "0")}`

export const benchCvv = () => {
  const calculator = makeCvvCalculator(testCvk)
  const ours = rate((i) => calculator.compute({ pan: panOf(i), yymm: "3012", serviceCode: "000" }), 2)
  const baseline = rate((i) => referenceCvv(testCvk, { pan: panOf(i), yymm: "3012", serviceCode: "000" }), 2)
  return [
    figure({
      section: "fake",
      metric: "CVV computations per second, one core",
      ours,
      baseline,
      unit: "CVV/s",
      higherIsBetter: true,
      goal: "≥ 500,000/s",
      met: ours >= 500_000,
      note: "baseline: the reference implementation (node:crypto, new DES contexts per computation)"
    })
  ]
}
