import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { DemoServer } from "../src/index.js"
import {
  type Answer,
  apiKey,
  cardData,
  defectMessage,
  dyingCard,
  dyingPan,
  expectError,
  ledgerCard,
  logsOf,
  post,
  request,
  requestIdOf,
  TestServer,
  visaCard
} from "./support.js"

/*
 * Hostile input, one named case each, over HTTP and on both routes: each once answered a 500 (or
 * would, were the reader lenient) and must be a 4xx in the API's own error shape.
 */

const cvvPath = (cardId: string) => `/v1/cards/${cardId}/cvv`
const ledgerBody = { customerId: ledgerCard.customerId, accountNumber: ledgerCard.accountNumber }

interface Route {
  readonly name: string
  readonly path: string
  readonly document: Record<string, unknown>
  /** The member the route's schema reads first: where a refused body would otherwise be blamed. */
  readonly first: string
  readonly method?: "POST" | "PUT"
  /** The status the document is answered with; 200 unless said. */
  readonly ok?: number
  /**
   * A write whose answer depends on the card's status (lock, close, …): walked only by the cases the
   * server refuses before the provider, so the shared card keeps its status.
   */
  readonly stateful?: boolean
}

const ledgerCardPath = `/v1/cards/${ledgerCard.cardId}`

const plainRoutes: ReadonlyArray<Route> = [
  { name: "the CVV route", path: cvvPath(ledgerCard.cardId), document: ledgerBody, first: "customerId" },
  { name: "the account route", path: "/v1/account-validations", document: visaCard, first: "pan" },
  {
    name: "the issue route",
    path: "/v1/cards",
    document: { ...ledgerBody, type: "virtual" },
    first: "customerId",
    ok: 201
  },
  {
    name: "the CVV check route",
    path: `${ledgerCardPath}/cvv/validate`,
    document: { ...ledgerBody, cvv: "679" },
    first: "customerId"
  },
  {
    name: "the set-limit route",
    path: `${ledgerCardPath}/limits`,
    method: "PUT",
    document: { ...ledgerBody, kind: "amount", cycle: "day", value: "100.00" },
    first: "customerId"
  },
  ...["lock", "unlock", "report-lost", "close"].map(
    (action): Route => ({
      name: `the ${action} route`,
      path: `${ledgerCardPath}/${action}`,
      document: ledgerBody,
      first: "customerId",
      stateful: true
    })
  ),
  {
    name: "the activate route",
    path: `${ledgerCardPath}/activate`,
    document: { ...ledgerBody, cvv: "679" },
    first: "customerId",
    stateful: true
  },
  {
    name: "the replace route",
    path: `${ledgerCardPath}/replace`,
    document: { ...ledgerBody, reason: "damaged" },
    first: "customerId",
    stateful: true
  },
  {
    name: "the PIN route",
    path: `${ledgerCardPath}/pin`,
    method: "PUT",
    document: { ...ledgerBody, pin: "4821" },
    first: "customerId",
    stateful: true
  }
]

/** The operations a device may sign: each builds its payload from its plain route's body. */
const signableActions = ["/cvv", "/cvv/validate", "/pin", "/activate", "/replace"].map(
  (action) => ledgerCardPath + action
)

const routes: ReadonlyArray<Route> = [
  ...plainRoutes,
  // Building a payload changes no card, so these are walked by every case.
  ...plainRoutes
    .filter((route) => signableActions.includes(route.path))
    .map(
      (route): Route => ({
        name: `${route.name}'s signable payload`,
        path: `${route.path}/signable`,
        document: route.document,
        first: route.first,
        ok: 201
      })
    ),
  {
    // No payload of this id: the document is answered its 404 however often it is sent.
    name: "the signed route",
    path: "/v1/signed/6d1f5b8e-0000-4000-8000-000000000000",
    document: { signature: "AAAA", keyId: "device" },
    first: "signature",
    ok: 404
  }
]

/** The routes whose document the provider answers the same however often it is sent. */
const repeatable = routes.filter((route) => route.stateful !== true)

/** `route.document` as JSON text with `member` (JSON text, `"name":value`) added last. */
const withMember = (route: Route, member: string) => `${JSON.stringify(route.document).slice(0, -1)},${member}}`

/** `route.document` as UTF-8 bytes with `bytes` inside an added string member. */
const withBytes = (route: Route, bytes: ReadonlyArray<number>) => {
  const [before, after] = [withMember(route, '"extra":"'), '"}']
  return new Uint8Array([...Buffer.from(before.slice(0, -1)), ...bytes, ...Buffer.from(after)])
}

const nested = (levels: number, open: string, close: string, inner = "1") =>
  `${open.repeat(levels)}${inner}${close.repeat(levels)}`

const send = (route: Route, body: string | Uint8Array, headers: Record<string, string> = { "x-api-key": apiKey }) =>
  Effect.flatMap(DemoServer, ({ url }) =>
    route.method === "PUT"
      ? request(`${url}${route.path}`, {
          method: "PUT",
          headers: { "content-type": "application/json", ...headers },
          body
        })
      : post(`${url}${route.path}`, body, headers)
  )

/** A 400 naming `field`, with a message that starts with it and repeats none of the body. */
const expectInvalid = (answer: Answer, field: string, reason?: string) => {
  expectError(answer, 400, "InvalidRequest")
  expect(answer.json.error.field).toBe(field)
  expect(answer.json.error.message).toBe(`${field}: ${reason ?? answer.json.error.message.slice(field.length + 2)}`)
}

layer(TestServer, { excludeTestServices: true })("hostile input", (it) => {
  describe("bodies the reader refuses: a 400 naming body, not a 500", () => {
    const cases: ReadonlyArray<readonly [string, (route: Route) => string | Uint8Array, string]> = [
      ["a body nested 3,000 levels", () => nested(3000, "[", "]", ""), "nests deeper than 64 levels"],
      [
        "an object nested 2,000 levels inside a member",
        (route) => withMember(route, `"extra":${nested(2000, '{"a":', "}")}`),
        "nests deeper than 64 levels"
      ],
      [
        "a body nested 65 levels",
        (route) => withMember(route, `"extra":${nested(64, "[", "]")}`),
        "nests deeper than 64 levels"
      ],
      ["a body nested up to the 16 KiB limit", () => nested(8192, "[", "]", ""), "nests deeper than 64 levels"],
      [
        "a lone surrogate in a string",
        (route) => withMember(route, '"extra":"a\\ud800b"'),
        "holds a string with a lone surrogate"
      ],
      [
        "a lone surrogate in a member name",
        (route) => withMember(route, '"\\udc00":1'),
        "holds a string with a lone surrogate"
      ],
      [
        "a member given twice",
        (route) => withMember(route, `${JSON.stringify(route.first)}:"second"`),
        "names a member twice in one object"
      ],
      [
        "a number beyond 2^53 − 1",
        (route) => withMember(route, '"extra":9007199254740993'),
        "holds a number too large to read exactly"
      ],
      [
        "a number beyond a double",
        (route) => withMember(route, '"extra":-1e400'),
        "holds a number too large to read exactly"
      ],
      [
        "a byte order mark before the document",
        (route) => `\uFEFF${JSON.stringify(route.document)}`,
        "starts with a byte order mark"
      ],
      ["a byte that is not UTF-8", (route) => withBytes(route, [0xff]), "is not UTF-8 text"],
      ["an overlong UTF-8 encoding", (route) => withBytes(route, [0xc0, 0xaf]), "is not UTF-8 text"],
      ["a surrogate encoded as UTF-8", (route) => withBytes(route, [0xed, 0xa0, 0x80]), "is not UTF-8 text"],
      ["an empty body", () => "", "is not valid JSON"],
      ["a trailing comma", (route) => `${JSON.stringify(route.document).slice(0, -1)},}`, "is not valid JSON"],
      ["a comment", (route) => `/* hi */${JSON.stringify(route.document)}`, "is not valid JSON"],
      ["NaN", (route) => withMember(route, '"extra":NaN'), "is not valid JSON"]
    ]
    for (const [name, body, reason] of cases) {
      for (const route of routes) {
        it.effect(`${name} is a 400 naming body, not a 500 (${route.name})`, () =>
          Effect.map(send(route, body(route)), (answer) => expectInvalid(answer, "body", reason))
        )
      }
    }

    for (const route of routes) {
      it.effect(`a body nested 64 levels gets past the reader to the schema (${route.name})`, () =>
        Effect.map(
          send(route, JSON.stringify({ ...route.document, [route.first]: JSON.parse(nested(63, "[", "]")) })),
          (answer) => expectInvalid(answer, route.first)
        )
      )
    }
  })

  describe("a body not sent as application/json (UTF-8): a 415, not a 500", () => {
    const types: ReadonlyArray<readonly [string, Record<string, string>]> = [
      ["text/plain", { "content-type": "text/plain" }],
      ["a form", { "content-type": "application/x-www-form-urlencoded" }],
      ["multipart", { "content-type": "multipart/form-data; boundary=x" }],
      ["octets", { "content-type": "application/octet-stream" }],
      ["another JSON type", { "content-type": "application/json-patch+json" }],
      ["JSON in Latin-1", { "content-type": "application/json; charset=iso-8859-1" }],
      ["a prototype member's name", { "content-type": "constructor" }],
      ["no content type", {}]
    ]
    for (const [name, contentType] of types) {
      for (const route of routes) {
        it.effect(`${name} is a 415 UnsupportedMediaType (${route.name})`, () =>
          Effect.gen(function* () {
            const { url } = yield* DemoServer
            const answer = yield* request(`${url}${route.path}`, {
              method: route.method ?? "POST",
              // A Blob without a type: fetch sends no content type of its own.
              headers: { "x-api-key": apiKey, ...contentType },
              body: new Blob([JSON.stringify(route.document)])
            })
            expectError(answer, 415, "UnsupportedMediaType")
          })
        )
      }
    }

    for (const route of repeatable) {
      it.effect(`application/json with charset=utf-8 is read (${route.name})`, () =>
        Effect.map(
          send(route, JSON.stringify(route.document), {
            "x-api-key": apiKey,
            "content-type": "Application/JSON; charset=UTF-8"
          }),
          (answer) => expect(answer.status).toBe(route.ok ?? 200)
        )
      )
    }
  })

  describe("digits outside ASCII are not digits: a 400 naming the field", () => {
    const cases: ReadonlyArray<readonly [string, Route, Record<string, unknown>, string]> = [
      ["a full-width PAN", routes[1]!, { pan: "４９５７０３０４２０２１０４６２" }, "pan"],
      ["an Arabic-Indic PAN", routes[1]!, { pan: "٤٩٥٧٠٣٠٤٢٠٢١٠٤٦٢" }, "pan"],
      ["a PAN with one full-width digit", routes[1]!, { pan: "4957０30420210462" }, "pan"],
      ["a full-width expiry", routes[1]!, { expiry: "２０４０-１０" }, "expiry"],
      ["a full-width CVV2", routes[1]!, { cvv2: "０２２" }, "cvv2"],
      [
        "a full-width postal code",
        routes[1]!,
        { billingAddress: { street: "801 Metro Center Blv", postalCode: "９４４０４" } },
        "billingAddress.postalCode"
      ],
      ["a full-width customer id", routes[0]!, { customerId: "１００００００００００６００１" }, "customerId"],
      ["a full-width account number", routes[0]!, { accountNumber: "４００３２０５８８３４４６６２" }, "accountNumber"]
    ]
    for (const [name, route, change, field] of cases) {
      it.effect(`${name} is a 400 naming ${field}`, () =>
        Effect.map(send(route, JSON.stringify({ ...route.document, ...change })), (answer) =>
          expectInvalid(answer, field)
        )
      )
    }

    it.effect("a full-width card id in the path is a 400 naming cardId", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const answer = yield* post(
          `${url}${cvvPath(encodeURIComponent("０２５９５１７３４ff74c13a14137e02834fa00"))}`,
          ledgerBody
        )
        expectInvalid(answer, "cardId")
      })
    )
  })

  describe("prototype member names where the server looks a name up", () => {
    for (const cardId of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"]) {
      it.effect(`a card id ${cardId} is a 404 CardNotFound, not a 500`, () =>
        Effect.gen(function* () {
          const { url } = yield* DemoServer
          expectError(yield* post(`${url}${cvvPath(cardId)}`, ledgerBody), 404, "CardNotFound")
        })
      )
    }

    for (const channel of ["constructor", "__proto__", "toString"]) {
      it.effect(`a channel ${channel} is a 400 naming channel`, () =>
        Effect.map(send(routes[0]!, JSON.stringify({ ...ledgerBody, channel })), (answer) =>
          expectInvalid(answer, "channel")
        )
      )
    }

    it.effect("prototype names in every free-text member of the account route are answered, not a 500", () =>
      Effect.map(
        send(
          routes[1]!,
          JSON.stringify({
            ...visaCard,
            billingAddress: { street: "constructor", postalCode: "valueOf" },
            cardholderName: { first: "__proto__", middle: "toString", last: "hasOwnProperty" }
          })
        ),
        (answer) => expect(answer.status).toBe(200)
      )
    )

    it.effect("prototype names as product, program and reference are answered, not a 500", () =>
      Effect.map(
        send(
          routes[0]!,
          JSON.stringify({ ...ledgerBody, product: "__proto__", program: "constructor", reference: "toString" })
        ),
        (answer) => expect([200, 404]).toContain(answer.status)
      )
    )

    for (const route of routes) {
      it.effect(`a document hidden under __proto__ is not read: a 400 naming the member (${route.name})`, () =>
        Effect.map(send(route, JSON.stringify({ ["__proto__"]: route.document })), (answer) =>
          expectInvalid(answer, route.first, "is missing")
        )
      )

      if (route.stateful !== true) {
        it.effect(`members named after the prototype beside the document are ignored (${route.name})`, () =>
          Effect.map(
            send(route, withMember(route, '"__proto__":{"admin":true},"constructor":1,"toString":"x","valueOf":[]')),
            (answer) => expect(answer.status).toBe(route.ok ?? 200)
          )
        )
      }

      for (const headers of [
        { "x-api-key": "__proto__" },
        { "x-api-key": "constructor" },
        { authorization: "Bearer toString" }
      ]) {
        it.effect(`an API key ${JSON.stringify(headers)} is a 401 (${route.name})`, () =>
          Effect.map(send(route, JSON.stringify(route.document), headers), (answer) =>
            expectError(answer, 401, "Unauthorized")
          )
        )
      }
    }
    for (const route of repeatable) {
      it.effect(`prototype names in the query string change nothing (${route.name})`, () =>
        Effect.gen(function* () {
          const answer = yield* Effect.flatMap(DemoServer, ({ url }) =>
            request(`${url}${route.path}?__proto__=1&__proto__=2&constructor=3&toString=4`, {
              method: route.method ?? "POST",
              headers: { "content-type": "application/json", "x-api-key": apiKey },
              body: JSON.stringify(route.document)
            })
          )
          expect(answer.status).toBe(route.ok ?? 200)
        })
      )
    }

    for (const path of ["/constructor", "/__proto__", "/v1/__proto__", "/v1/cards/x/constructor", "/toString"]) {
      it.effect(`an unknown route ${path} is a JSON 404, by GET and by POST`, () =>
        Effect.gen(function* () {
          const { url } = yield* DemoServer
          expectError(yield* request(`${url}${path}`), 404, "NotFound")
          expectError(yield* post(`${url}${path}`, ledgerBody), 404, "NotFound")
        })
      )
    }
  })

  describe("hostile query strings on the GET routes: only the named members are read", () => {
    const account = `customerId=${ledgerCard.customerId}&accountNumber=${ledgerCard.accountNumber}`
    const getRoutes: ReadonlyArray<{ readonly name: string; readonly path: string; readonly query: string }> = [
      { name: "the card route", path: ledgerCardPath, query: account },
      { name: "the limits route", path: `${ledgerCardPath}/limits`, query: account },
      {
        name: "the card list route",
        path: `/v1/customers/${ledgerCard.customerId}/cards`,
        query: `accountNumber=${ledgerCard.accountNumber}`
      }
    ]
    const get = (path: string) =>
      Effect.flatMap(DemoServer, ({ url }) => request(`${url}${path}`, { headers: { "x-api-key": apiKey } }))
    for (const route of getRoutes) {
      const first = route.query.slice(0, route.query.indexOf("="))
      const answered: ReadonlyArray<readonly [string, string]> = [
        ["__proto__ beside the members", `__proto__=1&${route.query}`],
        ["__proto__ given twice and as an object", `__proto__=1&__proto__=2&__proto__[admin]=true&${route.query}`],
        ["prototype names beside the members", `constructor=1&toString=2&valueOf=3&hasOwnProperty=4&${route.query}`],
        ["an unknown member", `${route.query}&admin=true`]
      ]
      for (const [name, query] of answered) {
        it.effect(`${name} changes nothing (${route.name})`, () =>
          Effect.map(get(`${route.path}?${query}`), (answer) => expect(answer.status).toBe(200))
        )
      }
      const refused: ReadonlyArray<readonly [string, string]> = [
        ["no query", ""],
        ["the members hidden under __proto__", route.query.replace(/(\w+)=/g, "__proto__[$1]=")],
        ["the member given twice", `${route.query}&${route.query}`],
        ["the member as an object", route.query.replace(`${first}=`, `${first}[a]=`)],
        ["a full-width value", route.query.replace(/=\d/, "=\uff11")],
        ["a NUL in the value", route.query.replace("=", "=%00")]
      ]
      it.effect(`a prototype name as the value is answered, not a 500 (${route.name})`, () =>
        Effect.map(get(`${route.path}?${route.query.replace(/=\d+/, "=constructor")}`), (answer) =>
          expect(answer.status).toBeLessThan(500)
        )
      )
      for (const [name, query] of refused) {
        it.effect(`${name} is a 400 naming ${first} (${route.name})`, () =>
          Effect.map(get(`${route.path}?${query}`), (answer) => expectInvalid(answer, first))
        )
      }
    }
  })

  describe("request ids", () => {
    it.effect("every answer carries its own x-request-id: successes, errors, 404s, pages and docs", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        const answers = [
          yield* request(`${url}/health`),
          yield* request(`${url}/openapi.json`),
          yield* request(`${url}/docs`),
          yield* request(`${url}/docs/scalar.js`),
          yield* request(`${url}/`),
          yield* request(`${url}/no-such-page`),
          yield* request(`${url}/health`, { method: "HEAD" }),
          yield* post(`${url}${cvvPath(ledgerCard.cardId)}`, ledgerBody),
          yield* post(`${url}/v1/account-validations`, visaCard),
          yield* post(`${url}/v1/account-validations`, { ...visaCard, pan: "1" }),
          yield* post(`${url}/v1/account-validations`, visaCard, { "x-api-key": "wrong" }),
          yield* post(`${url}/v1/account-validations`, visaCard, { "x-api-key": apiKey, "content-type": "text/plain" }),
          yield* post(`${url}/v1/account-validations`, nested(3000, "[", "]", "")),
          yield* post(`${url}/v1/account-validations`, { ...visaCard, padding: "x".repeat(20_000) }),
          yield* post(`${url}${cvvPath(dyingCard)}`, ledgerBody)
        ]
        expect(answers.map((answer) => answer.status)).toEqual([
          200, 200, 200, 200, 200, 404, 200, 200, 200, 400, 401, 415, 400, 400, 500
        ])
        const ids = answers.map(requestIdOf)
        expect(new Set(ids).size).toBe(ids.length)
      })
    )

    for (const id of ["a", "req-42", "trace.A_b:c-d", "a0".repeat(64), "constructor", "__proto__"]) {
      it.effect(
        `a well-formed x-request-id ${id.length > 20 ? `of ${id.length} characters` : id} is echoed, on a success and on an error`,
        () =>
          Effect.gen(function* () {
            const { url } = yield* DemoServer
            const ok = yield* post(`${url}${cvvPath(ledgerCard.cardId)}`, ledgerBody, {
              "x-api-key": apiKey,
              "x-request-id": id
            })
            expect(ok.status).toBe(200)
            expect(requestIdOf(ok)).toBe(id)
            const refused = yield* post(`${url}/v1/account-validations`, "[", {
              "x-api-key": apiKey,
              "x-request-id": id
            })
            expectInvalid(refused, "body")
            expect(requestIdOf(refused)).toBe(id)
          })
      )
    }

    const malformed: ReadonlyArray<readonly [string, Record<string, string> | Headers]> = [
      ["129 characters long", { "x-request-id": "a".repeat(129) }],
      ["with a space", { "x-request-id": "two words" }],
      ["with a slash", { "x-request-id": "a/b" }],
      ["with a byte outside ASCII", { "x-request-id": "caf\u00e9" }],
      ["that holds a card number", { "x-request-id": "req-4957030420210462" }],
      [
        "given twice",
        new Headers([
          ["x-request-id", "one"],
          ["x-request-id", "two"]
        ])
      ]
    ]
    for (const [name, headers] of malformed) {
      it.effect(`an x-request-id ${name} is not echoed: the answer gets a fresh one`, () =>
        Effect.gen(function* () {
          const { url } = yield* DemoServer
          const sent = new Headers(headers)
          const answer = yield* request(`${url}/health`, { headers: sent })
          expect(answer.status).toBe(200)
          expect(requestIdOf(answer)).not.toBe(sent.get("x-request-id"))
        })
      )
    }

    it.effect("the request id is on every line the request logs, refusals included", () =>
      Effect.gen(function* () {
        const { url } = yield* DemoServer
        yield* post(`${url}${cvvPath(ledgerCard.cardId)}`, ledgerBody, {
          "x-api-key": apiKey,
          "x-request-id": "trace-cvv-1"
        })
        expect(logsOf("trace-cvv-1")).toEqual([expect.stringContaining(`reveal-cvv card=${ledgerCard.cardId} ok`)])
        yield* post(`${url}/v1/account-validations`, "[", { "x-api-key": apiKey, "x-request-id": "trace-refused-1" })
        expect(logsOf("trace-refused-1")).toEqual([expect.stringContaining("request refused: InvalidRequest body:")])
        yield* post(`${url}/v1/account-validations`, visaCard, { "x-api-key": "wrong", "x-request-id": "trace-401" })
        expect(logsOf("trace-401")).toEqual([expect.stringContaining("request refused: Unauthorized")])
        yield* post(`${url}/v1/account-validations`, visaCard, {
          "content-type": "text/plain",
          "x-request-id": "trace-415"
        })
        expect(logsOf("trace-415")).toEqual([expect.stringContaining("request refused: UnsupportedMediaType")])
        yield* request(`${url}/nowhere`, { headers: { "x-request-id": "trace-404" } })
        expect(logsOf("trace-404")).toEqual([expect.stringContaining("request refused: NotFound")])
      })
    )
  })

  describe("the last resort", () => {
    const dying: ReadonlyArray<readonly [string, string, unknown, string]> = [
      ["the CVV route", cvvPath(dyingCard), ledgerBody, "defect-cvv"],
      ["the account route", "/v1/account-validations", { ...visaCard, pan: dyingPan }, "defect-account"]
    ]
    for (const [name, path, body, requestId] of dying) {
      it.effect(`a defect is the InternalError 500 with a body and no stack trace (${name})`, () =>
        Effect.gen(function* () {
          const { url } = yield* DemoServer
          const answer = yield* post(`${url}${path}`, body)
          expectError(answer, 500, "InternalError")
          expect(answer.headers.get("content-type")).toBe("application/json")
          expect(answer.text).not.toContain("TypeError")
        })
      )

      it.effect(
        `a defect is logged at Error with the request id, the error's name and message, no card data (${name})`,
        () =>
          Effect.gen(function* () {
            const { url } = yield* DemoServer
            const answer = yield* post(`${url}${path}`, body, { "x-api-key": apiKey, "x-request-id": requestId })
            expect(requestIdOf(answer)).toBe(requestId)
            const lines = logsOf(requestId)
            expect(lines).toEqual([
              expect.stringMatching(/^ERROR .*request failed unexpectedly: TypeError: a provider bug/)
            ])
            expect(lines[0]).not.toContain(defectMessage)
            for (const secret of [...cardData, new RegExp(dyingPan)]) expect(lines[0]).not.toMatch(secret)
            expect(lines[0]).not.toMatch(/\bat .*\.(ts|js):\d+/)
          })
      )
    }
  })
})
