import { FakeProvider } from "@cardkit/fake"
import { Effect } from "effect"
import { revealAndValidate } from "./reveal.js"

const program = revealAndValidate({
  cardRequest: {
    cardId: "025951734ff74c13a14137e02834fa00",
    customerId: "100000000006001",
    accountNumber: "400320588344662",
    reference: "visadps100013"
  },
  validation: {
    pan: "4957030420210462",
    expiry: "2040-10",
    cvv2: "022",
    billingAddress: { street: "801 Metro Center Blv", postalCode: "94404" }
  }
})

Effect.runPromise(program.pipe(Effect.provide(FakeProvider.layer()))).then(
  (result) => console.log(JSON.stringify(result, null, 2)),
  (error: unknown) => {
    console.error(String(error))
    process.exitCode = 1
  }
)
