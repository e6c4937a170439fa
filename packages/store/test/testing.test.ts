import { describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Redacted } from "effect"
import { connect } from "node:net"
import { Store } from "../src/Store.js"
import { startPostgres } from "../src/testing.js"

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1")
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })

describe("startPostgres", () => {
  it.live(
    "stop ends the server while a client is still connected, and its port refuses connections after",
    () =>
      Effect.gen(function* () {
        const pg = yield* Effect.promise(startPostgres)
        const port = Number(new URL(Redacted.value(pg.url)).port)
        const url = yield* Effect.promise(() => pg.createDatabase("kept_open"))
        yield* Effect.scoped(
          Effect.gen(function* () {
            const sql = yield* SqlClient.SqlClient
            expect(yield* sql<{ one: number }>`select 1 as one`).toEqual([{ one: 1 }])
            yield* Effect.promise(pg.stop)
          }).pipe(Effect.provide(Store.layer({ database: { _tag: "Postgres", url } })))
        )
        expect(yield* Effect.promise(() => accepts(port))).toBe(false)
      }),
    120_000
  )
})
