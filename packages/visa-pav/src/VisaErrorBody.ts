import { Schema } from "effect"

/**
 * Visa's error body (not in the PAV spec; the same across Visa's APIs, see protocol-notes):
 * `{"responseStatus":{"status":400,"code":"9125","severity":"ERROR","message":"…","info":""}}`,
 * `status` mirroring the HTTP status.
 */
export const VisaResponseStatus = Schema.Struct({
  status: Schema.Int,
  code: Schema.String,
  severity: Schema.String,
  message: Schema.String,
  info: Schema.String
}).annotations({ identifier: "VisaResponseStatus" })

export const VisaErrorBody = Schema.Struct({
  responseStatus: VisaResponseStatus
}).annotations({ identifier: "VisaErrorBody" })
export type VisaErrorBody = typeof VisaErrorBody.Type

/** Build Visa's error body for `status` (used by the fake Visa server). */
export const visaErrorBody = (status: number, code: string, message: string, info = ""): VisaErrorBody => ({
  responseStatus: { status, code, severity: "ERROR", message, info }
})
