import forge from "node-forge"

/**
 * The Visa card verification value algorithm (CVV, CVV2, iCVV), as payment HSMs implement it.
 *
 * The algorithm is hand-written on purpose: no maintained npm package implements it, and it is a
 * few lines over DES. DES itself is node-forge's (a dependency already): its block transform works
 * on 32-bit words in plain JavaScript, where node:crypto's `Cipher.update` pays binding and Buffer
 * overhead on every call and a CVV needs two (the `fake` bench row measures the difference).
 * node:crypto stays the oracle: `referenceCvv` (in `@cardkit/fake/testing`) is checked against this
 * calculator for random keys and inputs. The algorithm's DES_A(DES⁻¹_B(DES_A(x))) step is exactly
 * two-key triple DES with the key A‖B‖A.
 */

/** A card verification key pair: two single-length DES keys, 16 hex digits each. */
export interface CvkPair {
  readonly a: string
  readonly b: string
}

/**
 * A CVK pair for tests and the fake only — the widely published example pair (never a real key).
 * Override it with `FakeIssuer.layer({ cvk })`.
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
}

export interface CvvCalculatorOptions {
  readonly expiryOrder?: ExpiryOrder
  /** Digits of the decimalized result to keep: 3 for Visa; some schemes print 4. */
  readonly digits?: number
}

/** The one-block transform behind a forge cipher: two 32-bit big-endian words in, two out. */
interface BlockTransform {
  readonly encrypt: (input: ArrayLike<number>, output: Array<number>) => void
}

/**
 * forge's modes drive the algorithm through this one-block interface; calling it directly skips
 * the byte-string buffers (and their per-call allocations) that forge's public `update` uses.
 */
const blockTransform = (algorithm: "DES-ECB" | "3DES-ECB", key: string): BlockTransform =>
  (
    forge.cipher.createCipher(algorithm, forge.util.createBuffer(forge.util.hexToBytes(key))).mode as unknown as {
      readonly cipher: BlockTransform
    }
  ).cipher

/** Decimalization: the decimal digits of the block left to right, then its letters A–F as 0–5. */
const decimalize = (high: number, low: number, length: number): string => {
  let out = ""
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < 16; i++) {
      const nibble = ((i < 8 ? high : low) >>> (28 - 4 * (i & 7))) & 15
      if (pass === 0 ? nibble < 10 : nibble >= 10) {
        out += pass === 0 ? nibble : nibble - 10
        if (out.length === length) return out
      }
    }
  }
  return out
}

/**
 * A calculator bound to one CVK pair, its DES key schedules expanded once. `compute` is
 * synchronous and reuses one scratch array, so no two calls ever share it.
 */
export const makeCvvCalculator = (cvk: CvkPair = testCvk, options: CvvCalculatorOptions = {}): CvvCalculator => {
  const { expiryOrder = "YYMM", digits = 3 } = options
  if (!/^[0-9A-Fa-f]{16}$/.test(cvk.a) || !/^[0-9A-Fa-f]{16}$/.test(cvk.b)) {
    throw new Error("a CVK is 16 hexadecimal digits")
  }
  const singleA = blockTransform("DES-ECB", cvk.a)
  const tripleABA = blockTransform("3DES-ECB", cvk.a + cvk.b + cvk.a)
  // PAN ‖ expiry ‖ service code as 32 nibbles, right-padded with 0: blocks B1 (words 0–1) and B2 (2–3).
  const words = [0, 0, 0, 0]
  const block = [0, 0]

  const compute = ({ pan, yymm, serviceCode }: CvvInput): string => {
    const data = pan + (expiryOrder === "YYMM" ? yymm : yymm.slice(2) + yymm.slice(0, 2)) + serviceCode
    if (data.length > 32) throw new Error("CVV input longer than 32 digits")
    words.fill(0)
    for (let i = 0; i < data.length; i++) {
      const nibble = data.charCodeAt(i) - 48
      if (nibble < 0 || nibble > 9) throw new Error("CVV input must be digits only")
      words[i >> 3] = words[i >> 3]! | (nibble << (28 - 4 * (i & 7)))
    }
    singleA.encrypt(words, block)
    block[0] = block[0]! ^ words[2]!
    block[1] = block[1]! ^ words[3]!
    tripleABA.encrypt(block, block)
    return decimalize(block[0]!, block[1]!, digits)
  }

  return { compute }
}
