import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect } from "effect"
import { ListenConfig } from "../src/index.js"

const read = <A>(config: Config.Config<A>, entries: ReadonlyArray<readonly [string, string]>) =>
  Effect.withConfigProvider(config, ConfigProvider.fromMap(new Map(entries), { pathDelim: "_" }))

describe("ListenConfig.address", () => {
  it.effect("is 127.0.0.1 and the server's default port when nothing is set", () =>
    Effect.map(read(ListenConfig.address(3000), []), (address) =>
      expect(address).toEqual({ host: "127.0.0.1", port: 3000 })
    )
  )

  it.effect("takes 0, any free port, which Config.port would refuse", () =>
    Effect.map(read(ListenConfig.address(3000), [["PORT", "0"]]), (address) => expect(address.port).toBe(0))
  )

  it.effect("refuses a port beyond 65535, naming the variable under the caller's prefix", () =>
    Effect.gen(function* () {
      const nested = ListenConfig.address(0).pipe(Config.nested("FAKE"), Config.nested("CARDKIT"))
      expect(yield* read(nested, [["CARDKIT_FAKE_HOST", "::1"]])).toEqual({ host: "::1", port: 0 })
      const error = yield* Effect.flip(read(nested, [["CARDKIT_FAKE_PORT", "65536"]]))
      expect(String(error)).toContain("CARDKIT")
      expect(String(error)).toContain("must be a port number from 0 to 65535")
    })
  )
})
