import { Schema, type SchemaAST } from "effect"
import { CardValidationRequest } from "../CardValidationRequest.js"

/** Every member path of the wire request (`cardAcceptor.address.country`, …), from its schema. */
const pathsOf = (ast: SchemaAST.AST, prefix: string): ReadonlyArray<string> => {
  switch (ast._tag) {
    case "TypeLiteral":
      return ast.propertySignatures.flatMap((property) => {
        const path = `${prefix}${String(property.name)}`
        return [path, ...pathsOf(property.type, `${path}.`)]
      })
    case "TupleType":
      return ast.rest.flatMap((element) => pathsOf(element.type, prefix))
    case "Refinement":
      return pathsOf(ast.from, prefix)
    default:
      return []
  }
}

/** Longest first, so a message naming `cardAcceptor.address.city` is not read as `cardAcceptor`. */
export const requestFieldPaths: ReadonlyArray<string> = [
  ...pathsOf(Schema.encodedSchema(CardValidationRequest).ast, "")
].sort((a, b) => b.length - a.length)

const wordChar = /[A-Za-z0-9_.]/

/** The request member a Visa error text names, if it names one. */
export const fieldNamedIn = (text: string): string | undefined =>
  requestFieldPaths.find((path) => {
    let at = text.indexOf(path)
    while (at >= 0) {
      const before = text[at - 1]
      const after = text[at + path.length]
      if ((before === undefined || !wordChar.test(before)) && (after === undefined || !wordChar.test(after)))
        return true
      at = text.indexOf(path, at + 1)
    }
    return false
  })

// The wire members a domain request fills, by the domain field they come from. A `Map`: the path
// is the one a Visa error names.
const domainFields: ReadonlyMap<string, string> = new Map([
  ["primaryAccountNumber", "pan"],
  ["cardExpiryDate", "expiry"],
  ["cardCvv2Value", "cvv2"],
  ["tavv", "tavv"],
  ["addressVerificationResults", "billingAddress"],
  ["addressVerificationResults.street", "billingAddress.street"],
  ["addressVerificationResults.postalCode", "billingAddress.postalCode"],
  ["cardHolderNameVerification", "cardholderName"],
  ["cardHolderNameVerification.firstName", "cardholderName.first"],
  ["cardHolderNameVerification.middleName", "cardholderName.middle"],
  ["cardHolderNameVerification.lastName", "cardholderName.last"]
])

/** The domain field behind a wire member; members cardkit fills from configuration keep their wire path. */
export const domainFieldOf = (wirePath: string): string => domainFields.get(wirePath) ?? wirePath
