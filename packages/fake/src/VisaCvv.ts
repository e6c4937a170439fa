import { type Cipher, createCipheriv, createDecipheriv, type Decipher } from "node:crypto"

/**
 * The Visa card verification value algorithm (CVV, CVV2, iCVV), as payment HSMs implement it.
 *
 * Hand-written on purpose: no maintained npm package implements it, and it is ten lines over
 * node:crypto's DES. `des-ecb` is not available on OpenSSL 3, so single DES runs as `des-ede-ecb`
 * with the key K‖K (EDE with equal halves is single DES).
 */

/** A card verification key pair: two single-length DES keys, 16 hex digits each. */
export interface CvkPair {
  readonly a: string
  readonly b: string
}

/**
 * A CVK pair for tests and the fake only — the widely published example pair (never a real key).
 * Override it with `FakeIssuer.layerWith({ cvk })`.
 */
export const testCvk: CvkPair = { a: "0123456789ABCDEF", b: "FEDCBA9876543210" }

/** Which order the issuer wrote the expiry into the CVV input when the card was made. */
export type ExpiryOrder = "YYMM" | "MMYY"

export interface CvvInput {
  readonly pan: string
  /** Expiry as YYMM (the order applied is the calculator's `expiryOrder`). */
  readonly yymm: string
  /** Magnetic-stripe service code for CVV, `000` for CVV2, `999` for iCVV. */
  readonly serviceCode: string
}

export interface CvvCalculator {
  /** The CVV for the input: 3 digits unless the calculator was made for another length. */
  readonly compute: (input: CvvInput) => string
}

export interface CvvCalculatorOptions {
  readonly expiryOrder?: ExpiryOrder
  /** Digits of the decimalized result to keep: 3 for Visa; some schemes print 4. */
  readonly digits?: number
}

const singleDes = (key: Buffer, encrypt: boolean): Cipher | Decipher => {
  const doubled = Buffer.concat([key, key])
  const cipher = encrypt ? createCipheriv("des-ede-ecb", doubled, null) : createDecipheriv("des-ede-ecb", doubled, null)
  cipher.setAutoPadding(false)
  return cipher
}

const decimalize = (hex: string, length: number): string => {
  let digits = ""
  for (const c of hex) if (c <= "9") digits += c
  if (digits.length < length) for (const c of hex) if (c > "9") digits += String(c.charCodeAt(0) - 55)
  return digits.slice(0, length)
}

/**
 * A calculator bound to one CVK pair. Its DES contexts are made once and reused (ECB keeps no
 * state between blocks, and `final` is never called), which makes a CVV several times cheaper
 * than creating ciphers per call.
 */
export const makeCvvCalculator = (cvk: CvkPair = testCvk, options: CvvCalculatorOptions = {}): CvvCalculator => {
  const { expiryOrder = "YYMM", digits = 3 } = options
  const keyA = Buffer.from(cvk.a, "hex")
  const keyB = Buffer.from(cvk.b, "hex")
  if (keyA.length !== 8 || keyB.length !== 8) throw new Error("a CVK is 16 hexadecimal digits")
  const encryptA = singleDes(keyA, true)
  const decryptB = singleDes(keyB, false)
  const block = Buffer.alloc(8)
  return {
    compute: ({ pan, yymm, serviceCode }) => {
      const expiry = expiryOrder === "YYMM" ? yymm : yymm.slice(2) + yymm.slice(0, 2)
      const data = (pan + expiry + serviceCode).padEnd(32, "0")
      block.write(data.slice(0, 16), "hex")
      const left = encryptA.update(block)
      const right = Buffer.from(data.slice(16, 32), "hex")
      for (let i = 0; i < 8; i++) block[i] = left[i]! ^ right[i]!
      const result = encryptA.update(decryptB.update(encryptA.update(block)))
      return decimalize(result.toString("hex").toUpperCase(), digits)
    }
  }
}
