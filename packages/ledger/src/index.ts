export * from "./Credential.js"
export { LedgerCardSecrets } from "./LedgerCardSecrets.js"
export {
  LedgerClient,
  type LedgerCall,
  type LedgerClientOptions,
  type LedgerError,
  type KeyIdPlacement,
  type PresignedPayload
} from "./LedgerClient.js"
export * from "./LedgerConfig.js"
export * from "./LedgerWire.js"
export * from "./Signing.js"
