// The model bundle's container (docs/model-format.md, "The model bundle"): header, section table, sections, then
// the sha256 of all that and an optional Ed25519 signature. Writes and reads bytes only; no Node API.

import { SlmkitError } from "../../errors.js";
import { sha256Digest, toBase64, toHex, verifyEd25519 } from "./digest.js";

/** "SLMB" read as a little-endian u32. */
const magic = 0x424d4c53;
/** The container layout this slmkit writes and the newest it reads. */
export const bundleFormatVersion = 1;
const headerBytes = 32;
const entryBytes = 16;
const digestBytes = 32;
const publicKeyBytes = 32;
const signatureBytes = 64;
const signedFlag = 1;
/** Sections start at multiples of 8 bytes, so a reader may view their numbers in place. */
const sectionAlignment = 8;
/** What a signature signs, before the digest: a reader never takes another protocol's signature for a bundle's. */
const signatureContext = new TextEncoder().encode("slmkit-bundle-v1");

/** The four-letter section kinds; a reader skips kinds it does not know (new optional sections need no new version). */
export const sectionKinds = {
  /** The bundle manifest, UTF-8 JSON. Required. */
  manifest: "MANI",
  /** The weights: a classifier's `weights.bin` or an extractor's, byte for byte in their own layouts. Required. */
  weights: "WGHT",
  /** An answer model's FAQ: answers, slots, retrieval documents and settings, UTF-8 JSON (faq.json's shape). */
  faq: "FAQS",
  /** The drift monitor's reference profile, UTF-8 JSON (monitor-reference.json). */
  monitor: "MONI",
} as const;

export interface BundleSection {
  /** Four ASCII letters, e.g. "MANI". */
  kind: string;
  bytes: Uint8Array;
}

/** Signs the bundle's signed message; `slmkit bundle --sign` signs with an Ed25519 key file. */
export type BundleSigner = (message: Uint8Array) => Promise<{ publicKey: Uint8Array; signature: Uint8Array }>;

function kindCode(kind: string): number {
  if (!/^[A-Z]{4}$/.test(kind))
    throw new SlmkitError("INVALID_INPUT", `section kind "${kind}" is not 4 capitals.`);
  return (
    kind.charCodeAt(0) | (kind.charCodeAt(1) << 8) | (kind.charCodeAt(2) << 16) | (kind.charCodeAt(3) << 24)
  );
}

function kindName(code: number): string {
  return String.fromCharCode(code & 0xff, (code >>> 8) & 0xff, (code >>> 16) & 0xff, code >>> 24);
}

const align = (offset: number): number => Math.ceil(offset / sectionAlignment) * sectionAlignment;

/** The message a bundle's signature signs: the context string, then the content's sha256. */
export function signedMessage(digest: Uint8Array): Uint8Array {
  const message = new Uint8Array(signatureContext.length + digest.length);
  message.set(signatureContext);
  message.set(digest, signatureContext.length);
  return message;
}

/**
 * Lays out `sections` with their header and table, appends the sha256 of all that and, with `signer`, the
 * signer's public key and its signature of `signedMessage(sha256)`.
 */
export async function encodeBundle(
  sections: readonly BundleSection[],
  signer?: BundleSigner,
): Promise<Uint8Array> {
  let offset = headerBytes + sections.length * entryBytes;
  const placed = sections.map((section) => {
    const at = align(offset);
    offset = at + section.bytes.length;
    return { ...section, at };
  });
  const contentLength = align(offset);
  const trailer = digestBytes + (signer === undefined ? 0 : publicKeyBytes + signatureBytes);
  const bytes = new Uint8Array(contentLength + trailer);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, magic, true);
  view.setUint32(4, bundleFormatVersion, true);
  view.setUint32(8, sections.length, true);
  view.setUint32(12, contentLength, true);
  view.setUint32(16, signer === undefined ? 0 : signedFlag, true);
  placed.forEach((section, index) => {
    const entry = headerBytes + index * entryBytes;
    view.setUint32(entry, kindCode(section.kind), true);
    view.setUint32(entry + 4, section.at, true);
    view.setUint32(entry + 8, section.bytes.length, true);
    bytes.set(section.bytes, section.at);
  });
  const digest = await sha256Digest(bytes.subarray(0, contentLength));
  bytes.set(digest, contentLength);
  if (signer !== undefined) {
    const { publicKey, signature } = await signer(signedMessage(digest));
    if (publicKey.length !== publicKeyBytes || signature.length !== signatureBytes)
      throw new SlmkitError("INVALID_INPUT", "the signer did not give an Ed25519 public key and signature.");
    bytes.set(publicKey, contentLength + digestBytes);
    bytes.set(signature, contentLength + digestBytes + publicKeyBytes);
  }
  return bytes;
}

export interface ReadBundleOptions {
  /**
   * The Ed25519 public key (32 raw bytes, or their base64) the bundle must be signed with. Default none: a
   * signed bundle's signature is still checked against the key it carries (that catches damage, not forgery).
   */
  publicKey?: Uint8Array | string;
}

export interface BundleContainer {
  /** Sections by kind (the first of a kind; views into the bundle's bytes). */
  sections: Map<string, Uint8Array>;
  /** The content's sha256, hex: the bundle's identity, and the ETag the gateway serves it under. */
  sha256: string;
  /** The base64 public key that signed the bundle, or null when it is unsigned. */
  signedBy: string | null;
  byteLength: number;
}

function corrupt(why: string): SlmkitError {
  return new SlmkitError(
    "MODEL_CORRUPT",
    `${why}. The bundle is damaged, cut short or not an slmkit bundle: download it again or rebuild it with \`slmkit bundle\`.`,
  );
}

/** The header's fields after the checks that need no digest: signature, version, lengths. */
function readHeader(
  view: DataView,
  byteLength: number,
): { count: number; contentLength: number; signed: boolean } {
  if (byteLength < headerBytes) throw corrupt(`the bundle has ${byteLength} bytes, fewer than its header`);
  if (view.getUint32(0, true) !== magic) throw corrupt("the bundle does not start with the signature SLMB");
  const version = view.getUint32(4, true);
  if (version > bundleFormatVersion) {
    throw new SlmkitError(
      "MODEL_VERSION",
      `this bundle has format version ${version}, made by a newer slmkit; this runtime reads up to version ${bundleFormatVersion}. Update the app's slmkit runtime, or build the bundle with the slmkit it ships.`,
    );
  }
  if (version === 0) throw corrupt("the bundle's format version is 0");
  const count = view.getUint32(8, true);
  const contentLength = view.getUint32(12, true);
  const flags = view.getUint32(16, true);
  if ((flags & ~signedFlag) !== 0) throw corrupt(`the bundle has unknown flags ${flags}`);
  const signed = (flags & signedFlag) !== 0;
  const expected = contentLength + digestBytes + (signed ? publicKeyBytes + signatureBytes : 0);
  if (contentLength < headerBytes + count * entryBytes || byteLength !== expected)
    throw corrupt(`the bundle has ${byteLength} bytes where its header implies ${expected}`);
  return { count, contentLength, signed };
}

/**
 * Checks a bundle and returns its sections, in this order: header (MODEL_CORRUPT unless it is an slmkit bundle of
 * exactly the size its header implies; MODEL_VERSION when a newer slmkit made it), sha256 of the content, the
 * signature (when signed, and when `publicKey` requires one), then the section table.
 */
export async function readBundle(
  input: Uint8Array | ArrayBuffer,
  options: ReadBundleOptions = {},
): Promise<BundleContainer> {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { count, contentLength, signed } = readHeader(view, bytes.length);
  const digest = await sha256Digest(bytes.subarray(0, contentLength));
  const stored = bytes.subarray(contentLength, contentLength + digestBytes);
  if (digest.some((byte, index) => byte !== stored[index]))
    throw corrupt("the bundle's sha256 does not match its content (changed or damaged after it was built)");
  const signedBy = signed ? await checkSignature(bytes, contentLength, digest, options.publicKey) : null;
  if (!signed && options.publicKey !== undefined)
    throw corrupt(
      "the bundle is not signed, but this app requires a signed one; build it with `slmkit bundle --sign <key>`",
    );
  const sections = new Map<string, Uint8Array>();
  for (let index = 0; index < count; index++) {
    const entry = headerBytes + index * entryBytes;
    const kind = kindName(view.getUint32(entry, true));
    const at = view.getUint32(entry + 4, true);
    const length = view.getUint32(entry + 8, true);
    if (at < headerBytes + count * entryBytes || at + length > contentLength)
      throw corrupt(`section ${kind} lies outside the bundle's content`);
    if (!sections.has(kind)) sections.set(kind, bytes.subarray(at, at + length));
  }
  return { sections, sha256: toHex(digest), signedBy, byteLength: bytes.length };
}

async function checkSignature(
  bytes: Uint8Array,
  contentLength: number,
  digest: Uint8Array,
  required: Uint8Array | string | undefined,
): Promise<string> {
  const keyAt = contentLength + digestBytes;
  const publicKey = bytes.subarray(keyAt, keyAt + publicKeyBytes);
  const signature = bytes.subarray(keyAt + publicKeyBytes, keyAt + publicKeyBytes + signatureBytes);
  const signer = toBase64(publicKey);
  if (required !== undefined) {
    const trusted = typeof required === "string" ? required : toBase64(required);
    if (trusted.replace(/=+$/, "") !== signer.replace(/=+$/, ""))
      throw corrupt(`the bundle is signed by key ${signer}, not by the key this app trusts (${trusted})`);
  }
  let valid: boolean;
  try {
    valid = await verifyEd25519(publicKey, signature, signedMessage(digest));
  } catch (error) {
    // No Ed25519 here: when nothing requires the signature, the sha256 above has still caught any damage.
    if (required === undefined) return signer;
    throw error;
  }
  if (!valid) throw corrupt("the bundle's signature does not verify (it was changed after it was signed)");
  return signer;
}
