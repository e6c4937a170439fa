import { constants, createPublicKey, generateKeyPairSync, publicEncrypt } from "node:crypto"
import { existsSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { makeTestPki } from "@cardkit/fake/testing"
import {
  alone,
  cardkit,
  ledgerCard,
  lines,
  type Running,
  start,
  unknownCard,
  visaAddress,
  visaCard,
  visaInput,
  visaPan,
  withInput
} from "./support.js"

const running: Array<Running> = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop()))
})

const expectNoFullPan = (text: string, pan: string) => {
  expect(text).not.toContain(pan)
}

describe("cardkit on the fake", () => {
  it("cvv prints the ledger document's CVV and nothing else", async () => {
    const { code, stdout, stderr } = await cardkit(["cvv", ...ledgerCard])
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: "679\n", stderr: "" })
  })

  it("cvv --json prints the domain result with the flags and the ack", async () => {
    const { code, stdout } = await cardkit(["cvv", ...ledgerCard, "--reference", "visadps100013", "--json"])
    expect(code).toBe(0)
    const result = JSON.parse(stdout)
    expect(result).toMatchObject({
      cardId: "025951734ff74c13a14137e02834fa00",
      cvv: "679",
      flags: { allowAtm: false, isReplace: false },
      postedDate: "2024-11-20T06:56:11.399Z",
      ack: { type: "GET_CVV_ACK", reference: "REFvisadps100013", originalReference: "visadps100013" }
    })
  })

  it("validate says approved for Visa's example card, with each check, and masks the PAN", async () => {
    const { code, stdout, stderr } = await withInput(["validate", ...visaCard, ...visaAddress], visaInput)
    expect(code).toBe(0)
    expect(stdout).toMatch(/^495703\*{6}0462: approved, action code 00/)
    expect(stdout).toMatch(/CVV2\s+match/)
    expect(stdout).toMatch(/address\s+match/)
    expectNoFullPan(stdout + stderr, visaPan)
  })

  it("validate says declined 54 for the expired example and still exits 0", async () => {
    const { code, stdout } = await withInput(["validate", "--pan", "-", "--expiry", "2020-10"], lines(visaPan))
    expect(code).toBe(0)
    expect(stdout).toMatch(/declined, action code 54 \(expired card\)/)
  })

  it("validate --json prints the domain result", async () => {
    const { code, stdout } = await withInput(["validate", ...visaCard, "--json"], visaInput)
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({
      approved: true,
      actionCode: "00",
      cvv2: "match",
      raw: { actionCode: "00" }
    })
    expectNoFullPan(stdout, visaPan)
  })
})

describe("exit codes and messages", () => {
  it("a PAN failing the Luhn check exits 2 with one line naming --pan, without the PAN", async () => {
    const bad = "4957030420210463"
    const { code, stdout, stderr } = await withInput(["validate", "--pan", "-"], lines(bad))
    expect(code).toBe(2)
    expect(stdout).toBe("")
    expect(stderr).toBe("cardkit: --pan: fails the Luhn check\n")
    expectNoFullPan(stderr, bad)
  })

  it("a bad nested field names its flag", async () => {
    const { code, stderr } = await withInput(
      ["validate", "--pan", "-", "--street", "801 Metro Center Blv"],
      lines(visaPan)
    )
    expect(code).toBe(2)
    expect(stderr).toMatch(/^cardkit: --postal-code: /)
  })

  it("--json reports a bad input as JSON naming the field", async () => {
    const { code, stderr } = await withInput(["validate", "--pan", "-", "--json"], lines("12"))
    expect(code).toBe(2)
    expect(JSON.parse(stderr)).toMatchObject({ error: { code: "InvalidRequest", field: "pan" } })
  })

  it("a PAN given where no argument belongs is echoed masked", async () => {
    const { code, stderr } = await withInput(["validate", "--pan", "-", visaPan], lines(visaPan))
    expect(code).toBe(2)
    expect(stderr).toContain("495703******0462")
    expectNoFullPan(stderr, visaPan)
  })

  it("a missing option exits 2 naming it", async () => {
    const { code, stderr } = await cardkit(["cvv", "--card-id", "025951734ff74c13a14137e02834fa00"])
    expect(code).toBe(2)
    expect(stderr).toContain("--customer-id")
  })

  it("an unknown card is the provider refusing: exit 1, one line, no stack", async () => {
    const { code, stdout, stderr } = await cardkit(["cvv", ...unknownCard])
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" })
    expect(stderr).toBe("cardkit: card nosuchcard was not found\n")
  })

  it("--provider live without settings exits 2 naming the missing setting", async () => {
    const { code, stderr } = await cardkit(["cvv", ...ledgerCard, "--provider", "live"])
    expect(code).toBe(2)
    expect(stderr).toContain("CARDKIT_LEDGER_URL")
    expect(stderr.trim().split("\n")).toHaveLength(1)
  })
})

describe("help and completions", () => {
  it("--help lists the commands", async () => {
    const { code, stdout } = await cardkit(["--help"])
    expect(code).toBe(0)
    for (const command of ["cvv", "validate", "fake", "demo"]) expect(stdout).toMatch(new RegExp(`- ${command}\\b`))
    expect(stdout).not.toContain("\u001b[")
  })

  it.each([
    [["cvv"], "--card-id"],
    [["validate"], "--postal-code"],
    [["fake", "serve"], "--open"],
    [["demo"], "--provider"]
  ])("%s --help describes its options", async (command, option) => {
    const { code, stdout } = await cardkit([...command, "--help"])
    expect(code).toBe(0)
    expect(stdout).toContain(option)
  })

  it("--completions bash prints a completion script", async () => {
    const { code, stdout } = await cardkit(["--completions", "bash"])
    expect(code).toBe(0)
    expect(stdout).toContain("complete")
    expect(stdout).toContain("cardkit")
  })
})

describe("fake serve and --provider live", () => {
  const serve = async (args: ReadonlyArray<string> = []) => {
    const server = start(["fake", "serve", "--port", "0", "--json", ...args])
    running.push(server)
    const [line] = await server.waitFor(/^\{.*\}$/m)
    return { ...(JSON.parse(line) as { url: string; env: Record<string, string> }), server }
  }

  it("prints its URL and a development client, and cvv --provider live gets 679 through the ledger transport", async () => {
    const { url, env } = await serve()
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining([
        "CARDKIT_LEDGER_URL",
        "CARDKIT_LEDGER_API_KEY",
        "CARDKIT_LEDGER_KEY_ID",
        "CARDKIT_LEDGER_PRIVATE_KEY_FILE",
        "CARDKIT_LEDGER_RSA_PUBLIC_KEY_FILE",
        "CARDKIT_VISA_USER_ID",
        "CARDKIT_VISA_PASSWORD"
      ])
    )
    const { code, stdout, stderr } = await cardkit(["cvv", ...ledgerCard, "--provider", "live"], env)
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: "679\n", stderr: "" })
  })

  it("takes the live settings from flags as well", async () => {
    const { env } = await serve()
    const { code, stdout } = await cardkit([
      "cvv",
      ...ledgerCard,
      "--provider",
      "live",
      "--ledger-url",
      env.CARDKIT_LEDGER_URL!,
      "--ledger-api-key",
      env.CARDKIT_LEDGER_API_KEY!,
      "--ledger-key-id",
      env.CARDKIT_LEDGER_KEY_ID!,
      "--ledger-private-key-file",
      env.CARDKIT_LEDGER_PRIVATE_KEY_FILE!,
      "--ledger-username",
      env.CARDKIT_LEDGER_USERNAME!
    ])
    expect({ code, stdout }).toEqual({ code: 0, stdout: "679\n" })
  })

  it("verifies signatures: a key the ledger does not know is refused with exit 1", async () => {
    const first = await serve()
    const second = await serve()
    // The second server's key signs; the first server knows only its own client's key.
    const env = { ...first.env, CARDKIT_LEDGER_PRIVATE_KEY_FILE: second.env.CARDKIT_LEDGER_PRIVATE_KEY_FILE! }
    const { code, stdout, stderr } = await cardkit(["cvv", ...ledgerCard, "--provider", "live"], env)
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" })
    expect(stderr).toMatch(/^cardkit: ledger refused the credentials/)
  })

  it("validate --provider live goes through the Visa transport: approved, and declined 54 when expired", async () => {
    const { env } = await serve()
    const approved = await withInput(["validate", ...visaCard, ...visaAddress, "--provider", "live"], visaInput, env)
    expect(approved.code).toBe(0)
    expect(approved.stdout).toMatch(/approved, action code 00/)
    expect(approved.stdout).toMatch(/CVV2\s+match/)
    const expired = await withInput(
      ["validate", "--pan", "-", "--expiry", "2020-10", "--provider", "live"],
      lines(visaPan),
      env
    )
    expect(expired.code).toBe(0)
    expect(expired.stdout).toMatch(/declined, action code 54/)
  })

  it("refuses wrong Visa credentials with exit 1", async () => {
    const { env } = await serve()
    const { code, stderr } = await withInput(["validate", ...visaCard, "--provider", "live"], visaInput, {
      ...env,
      CARDKIT_VISA_PASSWORD: "wrong"
    })
    expect(code).toBe(1)
    expect(stderr).toMatch(/^cardkit: /)
    expectNoFullPan(stderr, visaPan)
  })

  it("prints the ledger's RSA public key, which a CVV is encrypted to, in a file removed when it stops", async () => {
    const { url, env, server } = await serve(["--open"])
    const keyFile = env.CARDKIT_LEDGER_RSA_PUBLIC_KEY_FILE!
    const key = createPublicKey(await readFile(keyFile, "utf8"))
    expect(key.asymmetricKeyType).toBe("rsa")
    const cardCvv = publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from("679")).toString("base64")
    const payload = {
      transactionType: "VALIDATE_CVV",
      product: "DEFAULT",
      channel: "VISA_DPS",
      program: "DEFAULT",
      cardId: "025951734ff74c13a14137e02834fa00",
      cardCvv,
      isEncrypt: true
    }
    const answer = await fetch(`${url}/cardv2`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        method: "ledger.CARD.request",
        id: "1",
        params: { payload, api: { credential: "any", signature: "any", apiKey: "any" } }
      })
    })
    expect(await answer.json()).toMatchObject({ result: { message: "CVV has been validated successfully" } })
    expect(await server.stop()).toBe(0)
    expect(existsSync(keyFile)).toBe(false)
  })

  it("--open accepts any credentials and any signing key", async () => {
    const { url, env } = await serve(["--open"])
    expect(Object.keys(env)).toEqual(["CARDKIT_LEDGER_RSA_PUBLIC_KEY_FILE"])
    const directory = await mkdtemp(join(tmpdir(), "cardkit-cli-test-"))
    const keyFile = join(directory, "any-key.pem")
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" })
    await writeFile(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }))
    try {
      const anyone = {
        CARDKIT_LEDGER_URL: url,
        CARDKIT_LEDGER_API_KEY: "any",
        CARDKIT_LEDGER_KEY_ID: "any",
        CARDKIT_LEDGER_PRIVATE_KEY_FILE: keyFile,
        CARDKIT_LEDGER_USERNAME: "any"
      }
      const { code, stdout } = await cardkit(["cvv", ...ledgerCard, "--provider", "live"], anyone)
      expect({ code, stdout }).toEqual({ code: 0, stdout: "679\n" })
    } finally {
      await rm(directory, { recursive: true, force: true })
    }
  })

  it("serves two-way TLS: the Visa transport gets through with the client certificate, not without", async () => {
    const pki = await makeTestPki()
    const directory = await mkdtemp(join(tmpdir(), "cardkit-cli-test-"))
    const file = async (name: string, pem: string) => {
      await writeFile(join(directory, name), pem)
      return join(directory, name)
    }
    try {
      const serverCert = await file("server.pem", pki.serverCert)
      const serverKey = await file("server.key", pki.serverKey)
      const { url, env } = await serve(["--tls-cert", serverCert, "--tls-key", serverKey, "--client-ca", serverCert])
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      const trusting = { ...env, CARDKIT_VISA_CA_FILE: serverCert }
      const withCertificate = {
        ...trusting,
        CARDKIT_VISA_CLIENT_CERT_FILE: await file("client.pem", pki.clientCert),
        CARDKIT_VISA_CLIENT_KEY_FILE: await file("client.key", pki.clientKey)
      }
      const approved = await withInput(["validate", ...visaCard, "--provider", "live"], visaInput, withCertificate)
      expect(approved.code).toBe(0)
      expect(approved.stdout).toMatch(/approved, action code 00/)
      const refused = await withInput(["validate", ...visaCard, "--provider", "live"], visaInput, trusting)
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(/^cardkit: /)
    } finally {
      await rm(directory, { recursive: true, force: true })
    }
  })

  it("stops on SIGTERM with exit 0", async () => {
    const server = start(["fake", "serve", "--port", "0"])
    await server.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/)
    expect(await server.stop()).toBe(0)
  })
})

describe("demo", () => {
  it("starts the demo app on the fake", async () => {
    const demo = start(["demo", "--port", "0"], { CARDKIT_DEMO_API_KEYS: "test-key" })
    running.push(demo)
    const [, url] = await demo.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/)
    const health = await fetch(`${url}/health`)
    expect(await health.json()).toEqual({ status: "ok", provider: "fake" })
    const revealed = await fetch(`${url}/v1/cards/025951734ff74c13a14137e02834fa00/cvv`, {
      method: "POST",
      headers: { "x-api-key": "test-key", "content-type": "application/json" },
      body: JSON.stringify({ customerId: "100000000006001", accountNumber: "400320588344662" })
    })
    expect(await revealed.json()).toMatchObject({ cvv: "679" })
    // Served from a file the demo finds at run time, which the bundle must still find.
    const docs = await fetch(`${url}/docs/scalar.js`)
    expect(docs.status).toBe(200)
  })

  it("exports its spans to an OTLP endpoint from the export thread the bundle finds at run time", async () => {
    const bodies: Array<string> = []
    const collector = createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        if (request.url === "/v1/traces") bodies.push(Buffer.concat(chunks).toString("utf8"))
        response.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    await new Promise<void>((listening) => collector.listen(0, "127.0.0.1", listening))
    try {
      const { port } = collector.address() as AddressInfo
      const demo = start(["demo", "--port", "0"], {
        CARDKIT_DEMO_API_KEYS: "test-key",
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_SERVICE_NAME: "cardkit-cli-test"
      })
      const [, url] = await demo.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/)
      const revealed = await fetch(`${url}/v1/cards/025951734ff74c13a14137e02834fa00/cvv`, {
        method: "POST",
        headers: { "x-api-key": "test-key", "content-type": "application/json" },
        body: JSON.stringify({ customerId: "100000000006001", accountNumber: "400320588344662" })
      })
      expect(revealed.status).toBe(200)
      // SIGTERM: the export thread flushes its batch before the process exits.
      expect(await demo.stop()).toBe(0)
      const exported = bodies.join("\n")
      expect(exported).toContain("cardkit-cli-test")
      expect(exported).toContain("POST /v1/cards/{cardId}/cvv")
      expect(exported).toContain("cardkit.getCvv")
      expect(exported).not.toMatch(alone("679"))
      expect(demo.errorOutput()).not.toContain("exporting spans failed")
    } finally {
      collector.close()
    }
  })
})
