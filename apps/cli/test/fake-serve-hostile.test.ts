import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Running, start } from "./support.js"

/*
 * `cardkit fake serve` (the built CLI, in its own process) answers hostile requests with a 4xx in
 * each protocol's own shape, never a 5xx: a transaction type named after an Object.prototype member
 * and bodies nested past the depth bound, on the one port that serves both fakes.
 */

const nestedArrays = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`

const ledgerRequest = (payload: string) =>
  `{"method":"ledger.CARD.request","id":"1","params":{"payload":${payload},"api":{"credential":"c","signature":"s","apiKey":"k"}}}`

const getCvv = (transactionType: string) =>
  ledgerRequest(
    JSON.stringify({
      product: "DEFAULT",
      program: "DEFAULT",
      channel: "VISA_DPS",
      transactionType,
      customerId: "100000000006001",
      accountNumber: "400320588344662",
      cardId: "025951734ff74c13a14137e02834fa00"
    })
  )

describe("fake serve answers hostile requests in each protocol's shape", () => {
  let server: Running
  let url = ""
  let visaAuthorization = ""

  beforeAll(async () => {
    server = start(["--log-level", "debug", "fake", "serve", "--port", "0", "--json"])
    const [line] = await server.waitFor(/^\{.*\}$/m)
    const printed = JSON.parse(line) as { url: string; env: Record<string, string> }
    url = printed.url
    const { CARDKIT_VISA_USER_ID: userId, CARDKIT_VISA_PASSWORD: password } = printed.env
    visaAuthorization = `Basic ${Buffer.from(`${userId}:${password}`).toString("base64")}`
  })

  afterAll(async () => {
    expect(await server.stop()).toBe(0)
  })

  const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}${path}`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", ...headers }
    })
    return { status: response.status, requestId: response.headers.get("x-request-id"), json: await response.json() }
  }

  it("a transaction type named valueOf, constructor or __proto__ is a JSON-RPC invalid request, not a 500", async () => {
    for (const transactionType of ["valueOf", "constructor", "__proto__", "toString", "hasOwnProperty"]) {
      const answer = await post("/cardv2", getCvv(transactionType))
      expect(answer.status, transactionType).toBe(200)
      expect(answer.json, transactionType).toEqual({
        id: "1",
        error: { code: "1000", message: "params.payload.transactionType: is not supported" }
      })
    }
  })

  it("a body nested thousands deep is an invalid request naming body: the ledger's JSON-RPC error, Visa's 400", async () => {
    const refusal = { id: null, error: { code: "1000", message: "body: nests deeper than 64 levels" } }
    const ledgerTop = await post("/cardv2", nestedArrays(3000))
    expect(ledgerTop).toMatchObject({ status: 400, json: refusal })
    const ledgerPayload = await post("/cardv2", ledgerRequest(nestedArrays(4000)))
    expect(ledgerPayload).toMatchObject({ status: 400, json: refusal })

    const visa = await post("/pav/v1/cardvalidation", nestedArrays(3000), { authorization: visaAuthorization })
    expect(visa.status).toBe(400)
    expect(visa.json).toEqual({
      responseStatus: {
        status: 400,
        code: "9102",
        severity: "ERROR",
        message: "The request body nests deeper than 64 levels",
        info: "body"
      }
    })
  })

  it("every answer names its request, and the Debug log line carries that id", async () => {
    const echoed = await post("/cardv2", nestedArrays(100), { "x-request-id": "hostile-check-1" })
    expect(echoed.requestId).toBe("hostile-check-1")
    const made = await post("/pav/v1/cardvalidation", "{}", { authorization: visaAuthorization })
    expect(made.requestId).toMatch(/^[a-z]{20}$/)
    // The pretty logger prints a line's annotations under it.
    const logged = () => server.errorOutput()
    for (let wait = 0; wait < 50 && !logged().includes(made.requestId!); wait++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(logged()).toMatch(/DEBUG .*POST \/cardv2 400\n\s+requestId: hostile-check-1/)
    expect(logged()).toMatch(new RegExp(`DEBUG .*POST /pav/v1/cardvalidation 400\\n\\s+requestId: ${made.requestId}`))
  })
})
