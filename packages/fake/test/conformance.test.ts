import { accountValidationConformance, cardSecretsConformance } from "../src/conformance.js"
import { FakeProvider } from "../src/index.js"

cardSecretsConformance("in-memory fake", FakeProvider.layer())
accountValidationConformance("in-memory fake", FakeProvider.layer())
