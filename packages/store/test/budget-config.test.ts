import { describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { ConfigProvider, Duration, Effect, Either, Layer } from "effect"
import { formatWindow, parseBudget, RevealBudget, RevealBudgetConfig, SqlRevealBudget } from "../src/RevealBudget.js"

const read = (env: Record<string, string>) =>
  Effect.either(Effect.withConfigProvider(RevealBudgetConfig, ConfigProvider.fromMap(new Map(Object.entries(env)))))

describe("RevealBudgetConfig", () => {
  it.effect("reads both budgets as <count>/<duration>", () =>
    Effect.gen(function* () {
      const options = Either.getOrThrow(
        yield* read({ CARDKIT_REVEAL_BUDGET_CARD: "5/1 hour", CARDKIT_REVEAL_BUDGET_CUSTOMER: " 20 / 30 minutes " })
      )
      expect(options.card?.limit).toBe(5)
      expect(Duration.toMillis(options.card?.window ?? Duration.zero)).toBe(3_600_000)
      expect(options.customer?.limit).toBe(20)
      expect(Duration.toMillis(options.customer?.window ?? Duration.zero)).toBe(1_800_000)
    })
  )

  it.effect("unset is unlimited, each on its own", () =>
    Effect.gen(function* () {
      expect(Either.getOrThrow(yield* read({}))).toEqual({})
      const cardOnly = Either.getOrThrow(yield* read({ CARDKIT_REVEAL_BUDGET_CARD: "1/1 day" }))
      expect(Object.keys(cardOnly)).toEqual(["card"])
    })
  )

  it.effect("a malformed value is a ConfigError naming the variable and the expected form", () =>
    Effect.gen(function* () {
      for (const value of [
        "5",
        "0/1 hour",
        "-1/1 hour",
        "1.5/1 hour",
        "5/hour",
        "5/1 fortnight",
        "5/0 millis",
        "5/1 nanos",
        "x/1 hour",
        ""
      ]) {
        const result = yield* read({ CARDKIT_REVEAL_BUDGET_CUSTOMER: value })
        expect(Either.isLeft(result), value).toBe(true)
        const message = String(Either.isLeft(result) ? result.left : "")
        expect(message).toContain("CARDKIT_REVEAL_BUDGET_CUSTOMER")
        expect(message).toContain("<count>/<duration>")
      }
    })
  )
})

describe("parseBudget and formatWindow", () => {
  it("parses what Duration.decode accepts", () => {
    const budget = Either.getOrThrow(parseBudget("3/1.5 seconds"))
    expect([budget.limit, Duration.toMillis(budget.window)]).toEqual([3, 1500])
  })

  it("writes a window as people do", () => {
    expect(formatWindow(Duration.hours(1))).toBe("1 hour")
    expect(formatWindow(Duration.minutes(90))).toBe("1 hour 30 minutes")
    expect(formatWindow(Duration.days(2))).toBe("2 days")
    expect(formatWindow(Duration.millis(1))).toBe("1 milli")
  })
})

describe("unlimited", () => {
  // A SqlClient that throws on any use: the unlimited budget must never touch it.
  const untouchable = Layer.succeed(
    SqlClient.SqlClient,
    new Proxy({} as SqlClient.SqlClient, {
      get: () => {
        throw new Error("the unlimited budget touched the database")
      }
    })
  )

  for (const [name, layer] of [
    ["SqlRevealBudget.layer({})", SqlRevealBudget.layer({}).pipe(Layer.provide(untouchable))],
    ["SqlRevealBudget.layerConfig() with nothing set", SqlRevealBudget.layerConfig().pipe(Layer.provide(untouchable))],
    ["RevealBudget.layerUnlimited", RevealBudget.layerUnlimited]
  ] as const) {
    it.effect(`${name} reserves nothing and touches no database`, () =>
      Effect.gen(function* () {
        const budget = yield* RevealBudget
        for (let i = 0; i < 10; i++) {
          const reservation = yield* budget.reserve({ cardId: "card1", customerId: "cust1" })
          expect(reservation.events).toEqual([])
          yield* budget.release(reservation)
        }
      }).pipe(Effect.provide(layer), Effect.withConfigProvider(ConfigProvider.fromMap(new Map())))
    )
  }
})
