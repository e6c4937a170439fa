import { describe, expect, it } from "@effect/vitest"
import { TransportErrors } from "../src/index.js"

const coded = (code: string, cause?: unknown) => Object.assign(new Error(code), { code, cause })

describe("TransportErrors.codesOf", () => {
  it("reads the codes along the cause chain, outermost first", () => {
    const cause = coded("UND_ERR_SOCKET", coded("ECONNRESET"))
    expect(TransportErrors.codesOf(new Error("transport", { cause }))).toEqual(["UND_ERR_SOCKET", "ECONNRESET"])
  })

  it("reads every error Node aggregated, one per address tried", () => {
    const aggregate = Object.assign(new AggregateError([coded("ECONNREFUSED"), coded("ENETUNREACH")]), {
      code: "ECONNREFUSED"
    })
    expect(TransportErrors.codesOf(coded("UND_ERR_CONNECT", aggregate))).toEqual([
      "UND_ERR_CONNECT",
      "ECONNREFUSED",
      "ECONNREFUSED",
      "ENETUNREACH"
    ])
  })

  it("passes over what is not an error or has no string code, and stops on a cyclic chain", () => {
    expect(TransportErrors.codesOf(undefined)).toEqual([])
    expect(TransportErrors.codesOf("ECONNREFUSED")).toEqual([])
    expect(TransportErrors.codesOf({ code: 42, cause: { code: "EPIPE" } })).toEqual(["EPIPE"])
    const cyclic: { code: string; cause?: unknown } = { code: "ELOOP" }
    cyclic.cause = cyclic
    expect(TransportErrors.codesOf(cyclic).length).toBeLessThan(10)
  })
})

describe("TransportErrors.isTimeout", () => {
  it("is true for undici's headers and body timeouts anywhere in the chain", () => {
    expect(TransportErrors.isTimeout(coded("UND_ERR_HEADERS_TIMEOUT"))).toBe(true)
    expect(TransportErrors.isTimeout(new Error("transport", { cause: coded("UND_ERR_BODY_TIMEOUT") }))).toBe(true)
  })

  it("is false for a connect timeout or any other failure", () => {
    expect(TransportErrors.isTimeout(coded("UND_ERR_CONNECT_TIMEOUT"))).toBe(false)
    expect(TransportErrors.isTimeout(coded("ECONNREFUSED"))).toBe(false)
    expect(TransportErrors.isTimeout(undefined)).toBe(false)
  })
})
