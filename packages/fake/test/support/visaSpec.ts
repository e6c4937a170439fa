import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import type { CardValidationRequestJson } from "@cardkit/visa-pav"
import { Ajv } from "ajv"
import { parse } from "yaml"

type ExampleName =
  | "Account Validation Successful"
  | "Account Validation Unsuccessful"
  | "Account validation using Token Successful"

/** The parts of the document the tests read. */
interface PavSpec {
  readonly paths: {
    readonly "/pav/v1/cardvalidation": {
      readonly post: {
        readonly requestBody: {
          readonly content: {
            readonly "application/json": {
              readonly examples: Record<ExampleName, { readonly value: CardValidationRequestJson }>
            }
          }
        }
        readonly "x-samplePayload": Record<string, unknown>
      }
    }
  }
}

/** Visa's PAV OpenAPI document as @cardkit/visa-pav vendors it (`@cardkit/visa-pav/spec`). */
const spec = parse(readFileSync(createRequire(import.meta.url).resolve("@cardkit/visa-pav/spec"), "utf8")) as PavSpec

const operation = spec.paths["/pav/v1/cardvalidation"].post

/** The spec's request examples, verbatim. */
export const examples = operation.requestBody.content["application/json"].examples

/** The spec's `x-samplePayload`, which breaks the spec's own request schema. */
export const samplePayload = operation["x-samplePayload"]

const ajv = new Ajv({ strict: false, allErrors: true })
ajv.addSchema({ ...spec, $id: "pav" })

/** The spec's response schema, compiled by ajv. */
export const specResponse = ajv.getSchema("pav#/components/schemas/CardValidationResponse")!
