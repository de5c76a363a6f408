// SHA-256 and Ed25519 for the model bundle, through WebCrypto where it exists (Node 20, browsers, workers, Deno),
// with a JavaScript SHA-256 where it does not (React Native, pages served over plain http).

import { SlmkitError } from "../../errors.js";

/** The part of WebCrypto used here (TypeScript's lib for Node declares none of it). */
interface SubtleCryptoApi {
  digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>;
  importKey(
    format: "raw",
    key: Uint8Array,
    algorithm: { name: string },
    extractable: boolean,
    usages: string[],
  ): Promise<object>;
  verify(algorithm: { name: string }, key: object, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}

function subtleCrypto(): SubtleCryptoApi | undefined {
  return (globalThis as { crypto?: { subtle?: SubtleCryptoApi } }).crypto?.subtle;
}

/** The SHA-256 digest of `bytes`: WebCrypto's, or the JavaScript one where WebCrypto is missing. */
export async function sha256Digest(bytes: Uint8Array): Promise<Uint8Array> {
  const subtle = subtleCrypto();
  if (subtle !== undefined) return new Uint8Array(await subtle.digest("SHA-256", bytes));
  return sha256Portable(bytes);
}

const roundConstants = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

/** SHA-256 (FIPS 180-4) in JavaScript: about 100 MB/s in V8, so a 2 MB bundle costs some 20 ms. */
export function sha256Portable(bytes: Uint8Array): Uint8Array {
  const bitLength = bytes.length * 8;
  // The message, a 1 bit, zeros, then its length in bits as a big-endian 64-bit number, to a multiple of 64 bytes.
  const padded = new Uint8Array((((bytes.length + 8) >> 6) + 1) * 64);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bitLength / 2 ** 32));
  view.setUint32(padded.length - 4, bitLength >>> 0);
  const state = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  const schedule = new Uint32Array(64);
  const rotate = (value: number, count: number): number => (value >>> count) | (value << (32 - count));
  for (let block = 0; block < padded.length; block += 64) {
    for (let t = 0; t < 16; t++) schedule[t] = view.getUint32(block + t * 4);
    for (let t = 16; t < 64; t++) {
      const early = schedule[t - 15] as number;
      const late = schedule[t - 2] as number;
      const s0 = rotate(early, 7) ^ rotate(early, 18) ^ (early >>> 3);
      const s1 = rotate(late, 17) ^ rotate(late, 19) ^ (late >>> 10);
      schedule[t] = (schedule[t - 16] as number) + s0 + (schedule[t - 7] as number) + s1;
    }
    let a = state[0] as number;
    let b = state[1] as number;
    let c = state[2] as number;
    let d = state[3] as number;
    let e = state[4] as number;
    let f = state[5] as number;
    let g = state[6] as number;
    let h = state[7] as number;
    for (let t = 0; t < 64; t++) {
      const e1 = rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25);
      const choice = (e & f) ^ (~e & g);
      const first = (h + e1 + choice + (roundConstants[t] as number) + (schedule[t] as number)) | 0;
      const second = ((rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + first) | 0;
      d = c;
      c = b;
      b = a;
      a = (first + second) | 0;
    }
    const sums = [a, b, c, d, e, f, g, h];
    for (let i = 0; i < 8; i++) state[i] = (state[i] as number) + (sums[i] as number);
  }
  const digest = new Uint8Array(32);
  const out = new DataView(digest.buffer);
  for (let i = 0; i < 8; i++) out.setUint32(i * 4, state[i] as number);
  return digest;
}

/**
 * Whether `signature` is `publicKey`'s Ed25519 signature of `message`, checked by WebCrypto; a key that is not a
 * valid Ed25519 key verifies nothing. Where WebCrypto has no Ed25519 (React Native without a polyfill, older
 * browsers) this is NOT_SUPPORTED: a signature that cannot be checked must not pass for a checked one.
 */
export async function verifyEd25519(
  publicKey: Uint8Array,
  signature: Uint8Array,
  message: Uint8Array,
): Promise<boolean> {
  const subtle = subtleCrypto();
  let key: object;
  try {
    if (subtle === undefined) throw new SlmkitError("NOT_SUPPORTED", "no crypto.subtle");
    key = await subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  } catch (error) {
    const name = (error as { name?: unknown } | null)?.name;
    if (SlmkitError.isInstance(error) || name === "NotSupportedError") {
      throw new SlmkitError(
        "NOT_SUPPORTED",
        "this runtime's WebCrypto cannot verify Ed25519 signatures; run on a platform that can (Node 20, current browsers) or install a WebCrypto polyfill.",
        { cause: error },
      );
    }
    return false;
  }
  try {
    return await subtle.verify({ name: "Ed25519" }, key, signature, message);
  } catch {
    return false;
  }
}

export function toHex(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += (byte < 16 ? "0" : "") + byte.toString(16);
  return text;
}

const base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 with padding (no `btoa`: it is missing in some runtimes and takes only Latin-1 strings). */
export function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = ((bytes[i] as number) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    for (let j = 0; j < 4; j++) {
      text += i * 8 + j * 6 < bytes.length * 8 ? base64Alphabet[(chunk >> (18 - j * 6)) & 63] : "=";
    }
  }
  return text;
}

/** Decodes standard or URL-safe base64 (padding optional); undefined when `text` is not base64. */
export function fromBase64(text: string): Uint8Array | undefined {
  const clean = text.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (/[^A-Za-z0-9+/]/.test(clean) || clean.length % 4 === 1) return undefined;
  const bytes = new Uint8Array(Math.floor((clean.length * 6) / 8));
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const character of clean) {
    value = (value << 6) | base64Alphabet.indexOf(character);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[index++] = (value >> bits) & 0xff;
    }
  }
  return bytes;
}
