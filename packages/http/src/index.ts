/**
 * An `@effect/platform` `HttpClient` over an undici dispatcher, lean enough for the transports'
 * hot path.
 */
export * as UndiciHttpClient from "./UndiciHttpClient.js"
/** Reading why a request got no answer from undici's and Node's error codes. */
export * as TransportErrors from "./TransportErrors.js"
/** A jittered exponential retry that costs nothing until an attempt fails. */
export * from "./Retry.js"
/** A PEM read from `NAME` or from the file `NAME_FILE`, refusing both: the transports' one rule. */
export * as PemConfig from "./PemConfig.js"
/** Where a server listens: `HOST` and `PORT`, 0 allowed for any free port. */
export * as ListenConfig from "./ListenConfig.js"
