import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Ajv } from "ajv"
import { Arbitrary, Either, FastCheck, JSONSchema, Schema } from "effect"
import { parse } from "yaml"
import { CardValidationRequest } from "../src/CardValidationRequest.js"
import { CardValidationResponse } from "../src/CardValidationResponse.js"

/*
 * The wire schemas against the vendored OpenAPI document: the same components with the same
 * members, types, required lists, length limits and patterns, and the same verdict on the spec's
 * examples. Where a schema is deliberately stricter than the spec, `tightenings` says so, member
 * by member; any other difference fails.
 */

type Json = { [key: string]: unknown }

const spec = parse(readFileSync(new URL("../fixtures/visa-pav-openapi.yaml", import.meta.url), "utf8")) as Json
const components = (spec.components as Json).schemas as Record<string, Json>
const operation = ((spec.paths as Json)["/pav/v1/cardvalidation"] as Json).post as Json
const examples = (((operation.requestBody as Json).content as Json)["application/json"] as Json).examples as Record<
  string,
  { value: unknown }
>
const samplePayload = operation["x-samplePayload"]

/** What a schema constrains, with every `$ref` inlined and prose (descriptions, titles) dropped. */
const shape = (schema: Json, resolve: (ref: string) => Json): unknown => {
  if (typeof schema.$ref === "string") return shape(resolve(schema.$ref), resolve)
  const out: Json = { type: schema.type }
  for (const key of ["minLength", "maxLength", "pattern"] as const)
    if (schema[key] !== undefined) out[key] = schema[key]
  if (schema.type === "object") {
    const properties = (schema.properties ?? {}) as Record<string, Json>
    out.required = [...((schema.required as Array<string> | undefined) ?? [])].sort()
    out.properties = Object.fromEntries(
      Object.keys(properties)
        .sort()
        .map((name) => [name, shape(properties[name]!, resolve)])
    )
  }
  if (schema.type === "array") out.items = shape(schema.items as Json, resolve)
  return out
}

const fromSpec = (name: string) =>
  shape(components[name]!, (ref) => components[ref.replace("#/components/schemas/", "")]!)

/**
 * The constraints a wire schema adds to the spec's, by component and member. Each must only refuse
 * values that no real request carries: a PAN is ASCII digits, though the spec gives it a length alone.
 */
const tightenings: Record<string, Record<string, Json>> = {
  CardValidationRequest: { primaryAccountNumber: { pattern: "^[0-9]{13,19}$" } }
}

/** The spec's component with the allowed tightenings applied: what the wire schema must equal. */
const tightened = (name: string) => {
  const expected = fromSpec(name) as Json
  const properties = expected.properties as Record<string, Json>
  for (const [member, added] of Object.entries(tightenings[name] ?? {})) {
    properties[member] = { ...properties[member], ...added }
  }
  return expected
}

const fromEffect = (schema: Schema.Schema.Any) => {
  const json = JSONSchema.make(schema) as unknown as Json
  const defs = (json.$defs ?? {}) as Record<string, Json>
  return shape(json, (ref) => defs[ref.replace("#/$defs/", "")]!)
}

const ajv = new Ajv({ strict: false, allErrors: true })
ajv.addSchema({ ...spec, $id: "pav" })
const specValidates = (component: string) => ajv.getSchema(`pav#/components/schemas/${component}`)!

describe("wire schemas match the vendored spec", () => {
  it("CardValidationRequest, with every nested component, member for member", () => {
    expect(fromEffect(CardValidationRequest)).toEqual(tightened("CardValidationRequest"))
  })

  it("CardValidationResponse, with every nested component, member for member", () => {
    expect(fromEffect(CardValidationResponse)).toEqual(tightened("CardValidationResponse"))
  })

  it("names every component the spec defines", () => {
    const defined = [CardValidationRequest, CardValidationResponse].flatMap<string>((schema) =>
      Object.keys((JSONSchema.make(schema as Schema.Schema.Any) as unknown as Json).$defs as Json)
    )
    expect(Object.keys(components).filter((name) => !defined.includes(name))).toEqual([])
  })

  it.each(Object.entries(examples))("accepts the spec's example %s, as the spec does", (_name, example) => {
    expect(specValidates("CardValidationRequest")(example.value)).toBe(true)
    expect(Either.isRight(Schema.decodeUnknownEither(CardValidationRequest)(example.value))).toBe(true)
  })

  it("rejects the spec's x-samplePayload, as the spec does", () => {
    const validate = specValidates("CardValidationRequest")
    expect(validate(samplePayload)).toBe(false)
    const complaints = (validate.errors ?? []).map(
      (e) => `${e.instancePath} ${e.keyword} ${e.params.missingProperty ?? ""}`
    )
    expect(complaints.join("\n")).toMatch(/acquirerCountryCode|acquiringBin|country|county/)
    const decoded = Schema.decodeUnknownEither(CardValidationRequest, { errors: "all" })(samplePayload)
    expect(Either.isLeft(decoded)).toBe(true)
  })

  it("agrees with the spec on generated requests and responses", () => {
    for (const [schema, component] of [
      [CardValidationRequest, "CardValidationRequest"],
      [CardValidationResponse, "CardValidationResponse"]
    ] as const) {
      const validate = specValidates(component)
      const encode = Schema.encodeSync(schema as Schema.Schema<unknown, unknown>)
      FastCheck.assert(
        FastCheck.property(Arbitrary.make(schema as Schema.Schema<unknown, unknown>), (value) => {
          expect(validate(encode(value))).toBe(true)
        }),
        { numRuns: 200 }
      )
    }
  })

  it("refuses what the spec refuses: each length limit, one member at a time", () => {
    const valid = examples["Account Validation Successful"]!.value as Json
    const validate = specValidates("CardValidationRequest")
    const cases: Array<[string, unknown]> = [
      ["primaryAccountNumber", "495703042021"],
      ["acquiringBin", "40899"],
      ["acquirerCountryCode", "8400"],
      ["cardCvv2Value", "02"],
      ["cardExpiryDate", "2040-1"],
      ["systemsTraceAuditNumber", "74372"],
      ["retrievalReferenceNumber", "0152217437201"],
      ["tavv", "01"]
    ]
    for (const [field, value] of cases) {
      const bad = { ...valid, [field]: value }
      expect(validate(bad), field).toBe(false)
      expect(Either.isLeft(Schema.decodeUnknownEither(CardValidationRequest)(bad)), field).toBe(true)
    }
    const { acquiringBin: _, ...withoutBin } = valid
    expect(validate(withoutBin)).toBe(false)
    expect(Either.isLeft(Schema.decodeUnknownEither(CardValidationRequest)(withoutBin))).toBe(true)
  })

  it("refuses a PAN of digits other than ASCII, the one tightening, which the spec's length alone allows", () => {
    const valid = examples["Account Validation Successful"]!.value as Json
    const validate = specValidates("CardValidationRequest")
    for (const pan of ["４９５７０３０４２０２１０４６２", "٤٩٥٧٠٣٠٤٢٠٢١٠٤٦٢", "4957 0304 2021 0462"]) {
      const bad = { ...valid, primaryAccountNumber: pan }
      expect(validate(bad), pan).toBe(true)
      expect(Either.isLeft(Schema.decodeUnknownEither(CardValidationRequest)(bad)), pan).toBe(true)
    }
  })
})
