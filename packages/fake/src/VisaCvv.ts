import { type Cipher, createCipheriv } from "node:crypto"

/**
 * The Visa card verification value algorithm (CVV, CVV2, iCVV), as payment HSMs implement it.
 *
 * Hand-written on purpose: no maintained npm package implements it, and it is a few lines over
 * node:crypto's DES. `des-ecb` is not available on OpenSSL 3, so single DES runs as `des-ede-ecb`
 * with the key A‖A (EDE with equal halves is single DES), and the algorithm's
 * DES_A(DES⁻¹_B(DES_A(x))) step is exactly two-key triple DES with the key A‖B.
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

/** The magnetic-stripe service code of the fake's cards, and the fixed codes of CVV2 and iCVV. */
export const serviceCodes = { magneticStripe: "101", cvv2: "000", icvv: "999" } as const

export interface CvvInput {
  /** 13 to 19 digits. */
  readonly pan: string
  /** Expiry as YYMM (the order applied is the calculator's `expiryOrder`). */
  readonly yymm: string
  /** Magnetic-stripe service code for CVV, `000` for CVV2, `999` for iCVV. */
  readonly serviceCode: string
}

export interface CvvCalculator {
  /** The CVV for the input: 3 digits unless the calculator was made for another length. */
  readonly compute: (input: CvvInput) => string
  /** The CVVs of many inputs, in order, with two DES calls in all: the way to derive them in bulk. */
  readonly computeMany: (inputs: ReadonlyArray<CvvInput>) => Array<string>
}

export interface CvvCalculatorOptions {
  readonly expiryOrder?: ExpiryOrder
  /** Digits of the decimalized result to keep: 3 for Visa; some schemes print 4. */
  readonly digits?: number
}

const ecb = (key: Buffer): Cipher => {
  const cipher = createCipheriv("des-ede-ecb", key, null)
  cipher.setAutoPadding(false)
  return cipher
}

/** Write input `k`'s 32 nibbles (PAN ‖ expiry ‖ service code, right-padded with 0) as block B1 into `left`, B2 into `right`. */
const pack = (left: Buffer, right: Buffer, k: number, digits: string) => {
  if (digits.length > 32) throw new Error("CVV input longer than 32 digits")
  left.fill(0, 8 * k, 8 * k + 8)
  right.fill(0, 8 * k, 8 * k + 8)
  for (let i = 0; i < digits.length; i++) {
    const nibble = digits.charCodeAt(i) - 48
    if (nibble < 0 || nibble > 9) throw new Error("CVV input must be digits only")
    const target = i < 16 ? left : right
    const at = 8 * k + ((i & 15) >> 1)
    target[at] = (i & 1) === 0 ? nibble << 4 : target[at]! | nibble
  }
}

/** Decimalization: the decimal digits of the block left to right, then its letters A–F as 0–5. */
const decimalize = (block: Buffer, base: number, length: number): string => {
  let out = ""
  for (let pass = 0; pass < 2 && out.length < length; pass++) {
    for (let i = 0; i < 16 && out.length < length; i++) {
      const byte = block[base + (i >> 1)]!
      const nibble = (i & 1) === 0 ? byte >> 4 : byte & 15
      if (pass === 0 && nibble < 10) out += nibble
      else if (pass === 1 && nibble >= 10) out += nibble - 10
    }
  }
  return out
}

/**
 * A calculator bound to one CVK pair. Its two DES contexts are made once and reused: ECB keeps no
 * state between blocks and `final` is never called, so each `update` is a pure block transform —
 * several times cheaper than creating ciphers per call (the tests check reuse stays correct).
 */
export const makeCvvCalculator = (cvk: CvkPair = testCvk, options: CvvCalculatorOptions = {}): CvvCalculator => {
  const { expiryOrder = "YYMM", digits = 3 } = options
  const keyA = Buffer.from(cvk.a, "hex")
  const keyB = Buffer.from(cvk.b, "hex")
  if (!/^[0-9A-Fa-f]{16}$/.test(cvk.a) || !/^[0-9A-Fa-f]{16}$/.test(cvk.b)) {
    throw new Error("a CVK is 16 hexadecimal digits")
  }
  const singleA = ecb(Buffer.concat([keyA, keyA]))
  const tripleAB = ecb(Buffer.concat([keyA, keyB]))
  const inputDigits = ({ pan, yymm, serviceCode }: CvvInput) =>
    pan + (expiryOrder === "YYMM" ? yymm : yymm.slice(2) + yymm.slice(0, 2)) + serviceCode

  const computeMany = (inputs: ReadonlyArray<CvvInput>): Array<string> => {
    const left = Buffer.allocUnsafe(8 * inputs.length)
    const right = Buffer.allocUnsafe(8 * inputs.length)
    for (let k = 0; k < inputs.length; k++) pack(left, right, k, inputDigits(inputs[k]!))
    const mixed = singleA.update(left)
    for (let i = 0; i < mixed.length; i++) mixed[i] = mixed[i]! ^ right[i]!
    const result = tripleAB.update(mixed)
    return inputs.map((_, k) => decimalize(result, 8 * k, digits))
  }

  // One input reuses its scratch blocks: compute is synchronous, so no two calls ever share them.
  const left = Buffer.alloc(8)
  const right = Buffer.alloc(8)
  const compute = (input: CvvInput): string => {
    pack(left, right, 0, inputDigits(input))
    const mixed = singleA.update(left)
    for (let i = 0; i < 8; i++) mixed[i] = mixed[i]! ^ right[i]!
    return decimalize(tripleAB.update(mixed), 0, digits)
  }

  return { compute, computeMany }
}
