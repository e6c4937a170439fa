export * from "./Credential.js"
/** The ledger's cards and limits in the domain's terms. */
export * as LedgerCards from "./LedgerCards.js"
export {
  type CardholderChannel,
  type CardholderOperation,
  LedgerCardLifecycle,
  type LedgerCardLifecycleOptions
} from "./LedgerCardLifecycle.js"
export { LedgerCardSecrets } from "./LedgerCardSecrets.js"
export {
  type CallInput,
  LedgerClient,
  type LedgerCall,
  type LedgerClientOptions,
  type LedgerError,
  type KeyIdPlacement,
  type OperationCall,
  type PresignedPayload,
  type Signer
} from "./LedgerClient.js"
export * from "./LedgerConfig.js"
export {
  type DeviceCredentials,
  LedgerDeviceSignedOperations,
  type LedgerDeviceSignedOptions
} from "./LedgerDeviceSignedOperations.js"
export * from "./LedgerOperations.js"
export * from "./LedgerWire.js"
export * from "./Signing.js"
/** The ledger's card statuses in the domain's terms. */
export * as LedgerStatus from "./LedgerStatus.js"
export * from "./LedgerHealth.js"
