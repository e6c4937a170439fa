import { describe, expect, it } from "@effect/vitest"
import { Redacted, Schema } from "effect"
import { DeviceSignature, SignablePayload, SignableRequest } from "../src/index.js"

const account = { customerId: "100000000006001", accountNumber: "400320588344662" }

describe("device-signed operations' schemas", () => {
  it("decodes each signable request by its operation, the CVV and PIN held Redacted", () => {
    const decode = Schema.decodeUnknownSync(SignableRequest)
    const activate = decode({ operation: "activate", request: { cardId: "c1", ...account, cvv: "123" } })
    expect(activate.operation).toBe("activate")
    expect(activate.request.product).toBe("DEFAULT")
    expect(String(activate)).not.toContain("123")
    const pin = decode({ operation: "changePin", request: { cardId: "c1", ...account, pin: "97531" } })
    expect(String(pin)).not.toContain("97531")
    expect(() => decode({ operation: "lock", request: { cardId: "c1", ...account } })).toThrow()
    expect(() => decode({ operation: "replace", request: { cardId: "c1", ...account, reason: "bored" } })).toThrow()
  })

  it("writes a payload out for the device and reads it back, never printing its bytes", () => {
    const bytes = '{"cardId":"c1","cardCvv":"123"}'
    const payload = Schema.decodeUnknownSync(SignablePayload)({
      operation: "validateCvv",
      payload: bytes,
      cardId: "c1",
      ...account
    })
    const encoded = Schema.encodeSync(SignablePayload)(payload)
    expect(encoded.payload).toBe(bytes)
    expect(Redacted.value(Schema.decodeUnknownSync(SignablePayload)(encoded).payload)).toBe(bytes)
    expect(String(payload)).not.toContain("123")
    expect(JSON.stringify(payload)).not.toContain("cardCvv")
  })

  it("takes a signature in standard base64 only", () => {
    const decode = Schema.decodeUnknownEither(DeviceSignature)
    expect(decode({ signature: "MEUCIQ+/abc=", keyId: "key-1" })._tag).toBe("Right")
    expect(decode({ signature: "not base64!", keyId: "key-1" })._tag).toBe("Left")
    expect(decode({ signature: "MEUCIQ==", keyId: "" })._tag).toBe("Left")
  })
})
