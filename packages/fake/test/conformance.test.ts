import { Layer } from "effect"
import {
  accountValidationConformance,
  cardLifecycleConformance,
  cardSecretsConformance,
  ledgerConformance
} from "../src/conformance.js"
import { FakeIssuer, FakeLedgerClient, FakeProvider, makeLedgerRsaKeys } from "../src/index.js"

cardSecretsConformance("in-memory fake", FakeProvider.layer())
accountValidationConformance("in-memory fake", FakeProvider.layer())
cardLifecycleConformance("in-memory fake", FakeProvider.layer())

const rsa = makeLedgerRsaKeys()
ledgerConformance(
  "in-memory FakeLedgerClient",
  FakeLedgerClient.layer({ rsaPrivateKey: rsa.privateKeyPem }).pipe(Layer.provideMerge(FakeIssuer.layer())),
  { rsaPublicKey: rsa.publicKeyPem }
)
ledgerConformance(
  "in-memory FakeLedgerClient, a device sending its CVV and PIN unencrypted",
  FakeLedgerClient.layer().pipe(Layer.provideMerge(FakeIssuer.layer()))
)
