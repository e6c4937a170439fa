import {
  AuthenticationFailed,
  CardNotActive,
  CardNotFound,
  IncorrectCvv,
  InvalidRequest,
  invalidRequestFromParseError,
  StatusActionNotAllowed
} from "@cardkit/domain"
import { LedgerErrorCodes } from "@cardkit/ledger"
import { Either, Schema } from "effect"

/** What the fake ledger refuses a request with: each is one of the ledger's error codes. */
export const RefusalError = Schema.Union(
  InvalidRequest,
  CardNotFound,
  CardNotActive,
  IncorrectCvv,
  StatusActionNotAllowed,
  AuthenticationFailed
)
export type RefusalError = typeof RefusalError.Type

const provider = "ledger"

/** The wire's code and message for a refusal, spelled so the client reads the same error back. */
const wireOf = (error: RefusalError): readonly [code: string, message: string] => {
  switch (error._tag) {
    case "InvalidRequest":
      return [LedgerErrorCodes.invalidRequest, `${error.field}: ${error.reason}`]
    case "CardNotFound":
      return [LedgerErrorCodes.cardNotFound, "card not found"]
    case "CardNotActive":
      return [LedgerErrorCodes.cardNotActive, error.status]
    case "IncorrectCvv":
      return [LedgerErrorCodes.incorrectCvv, "INCORRECT CARD CVV"]
    case "StatusActionNotAllowed":
      // The client reads the status back from the message's end.
      return [
        LedgerErrorCodes.statusActionNotAllowed,
        `status action ${error.action} is not allowed for a card in status ${error.status}`
      ]
    case "AuthenticationFailed":
      return [LedgerErrorCodes.authentication, error.reason]
  }
}

/**
 * A refusal: HTTP 200 with `error { code, message }` on the wire, and the domain error the
 * client makes of that code, which the in-memory `FakeLedgerClient` fails with directly.
 */
export class LedgerFailure extends Schema.TaggedError<LedgerFailure>()("LedgerFailure", {
  code: Schema.String,
  message: Schema.String,
  error: RefusalError
}) {
  static readonly of = (error: RefusalError): LedgerFailure => {
    const [code, message] = wireOf(error)
    return new LedgerFailure({ code, message, error })
  }

  static readonly invalid = (field: string, reason: string): LedgerFailure =>
    LedgerFailure.of(new InvalidRequest({ field, reason }))

  static readonly denied: LedgerFailure = LedgerFailure.of(
    new AuthenticationFailed({ provider, reason: "authentication failed" })
  )

  /** An issuer's refusal about the payload: its field named by its path in the envelope. */
  static readonly ofPayload = (error: RefusalError): LedgerFailure =>
    LedgerFailure.of(
      error._tag === "InvalidRequest"
        ? new InvalidRequest({ field: `params.payload.${error.field}`, reason: error.reason })
        : error
    )
}

/** Decode `input`, refusing it with the first bad field named by its path in the envelope (`params.payload.cardId`). */
export const decodeOrRefuse =
  <A, I>(schema: Schema.Schema<A, I>, prefix?: string) =>
  (input: unknown): Either.Either<A, LedgerFailure> =>
    Either.mapLeft(Schema.decodeUnknownEither(schema, { errors: "first" })(input), (error) => {
      const problem = invalidRequestFromParseError(error, prefix ?? "request")
      return LedgerFailure.invalid(
        prefix === undefined || problem.field === prefix ? problem.field : `${prefix}.${problem.field}`,
        problem.reason
      )
    })
