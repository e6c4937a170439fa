import fc from "fast-check"

/*
 * Every property in the suite runs with one fixed seed, so a run of `.ci/run` draws the same cases
 * as the last one and CI never fails by lottery. `FUZZ_SEED=<n>` replays a seed; `FUZZ_SEED=fresh`
 * (what `pnpm fuzz` sets) draws a new one per test file and prints it, so any failure it finds can
 * be replayed and turned into a named regression test.
 */
const suiteSeed = 20261201

const seedOf = (setting: string | undefined): number => {
  if (setting === undefined || setting === "") return suiteSeed
  if (setting === "fresh") return (Math.random() * 0x7fffffff) | 0
  const seed = Number(setting)
  if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer or "fresh", not ${setting}`)
  return seed
}

const seed = seedOf(process.env.FUZZ_SEED)
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed })
if (process.env.FUZZ_SEED === "fresh") {
  process.stdout.write(`fast-check seed ${seed} (replay with FUZZ_SEED=${seed})\n`)
}
