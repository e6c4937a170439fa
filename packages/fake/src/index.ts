export * from "./Decision.js"
export * from "./FakeIssuer.js"
export * from "./FakeProvider.js"
export * from "./Faults.js"
export * from "./VisaCvv.js"
export { WireServer, WireServerConfig, type WireServerOptions, type WireServerTls } from "./WireServer.js"
export { documentCards, ledgerDocumentCard, visaDocumentCard } from "./internal/documents.js"
export * from "./VisaServer.js"
export {
  type DevLedgerClient,
  FakeLedgerRoleConfig,
  type FakeLedgerOptions,
  FakeLedgerServer,
  type FakeLedgerServerOptions,
  type LedgerClientRegistration,
  makeDevLedgerClient,
  makeLedgerRsaKeys
} from "./LedgerServer.js"
export * from "./FakeLedgerClient.js"
export * from "./CardholderDevice.js"
export * from "./FakeWireServers.js"
