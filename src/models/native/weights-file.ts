// Reads and writes `weights.bin`, the native classifier's one binary file (layout in docs/model-format.md).

import { SlmkitError } from "../../errors.js";
import type { LinearWeights } from "./linear.js";
import type { Vocabulary } from "./vectorizer.js";

const magic = 0x4b4d4c53; // "SLMK" read as a little-endian u32
/** Version of the binary layout itself; the model directory has its own `formatVersion` in the manifest. */
export const weightsLayoutVersion = 1;
const headerBytes = 24;

export type WeightsPrecision = "float32" | "int8";

/**
 * Serializes vocabulary and weights, little-endian:
 * header (magic, layout version, precision 0|1, featureCount F, classCount C, reserved) · F×u32 hashes ·
 * F×f32 idf · F×u8 groups padded to 4 bytes · C×f32 bias · then float32: F×C f32 weights, row-major; or
 * int8: F×f32 row scales, then F×C i8 weights (weight = scale × q).
 */
export function encodeWeights(
  vocabulary: Vocabulary,
  model: LinearWeights,
  precision: WeightsPrecision,
): Uint8Array {
  const features = model.featureCount;
  const classes = model.classCount;
  const groupBytes = align4(features);
  const weightBytes = precision === "float32" ? features * classes * 4 : features * 4 + features * classes;
  const total = headerBytes + features * 8 + groupBytes + classes * 4 + weightBytes;
  const buffer = new ArrayBuffer(align4(total));
  const view = new DataView(buffer);
  view.setUint32(0, magic, true);
  view.setUint32(4, weightsLayoutVersion, true);
  view.setUint32(8, precision === "float32" ? 0 : 1, true);
  view.setUint32(12, features, true);
  view.setUint32(16, classes, true);
  let offset = headerBytes;
  for (let i = 0; i < features; i++, offset += 4)
    view.setUint32(offset, vocabulary.hashes[i] as number, true);
  for (let i = 0; i < features; i++, offset += 4) view.setFloat32(offset, vocabulary.idf[i] as number, true);
  new Uint8Array(buffer, offset, features).set(vocabulary.groups);
  offset += groupBytes;
  for (let c = 0; c < classes; c++, offset += 4) view.setFloat32(offset, model.bias[c] as number, true);
  if (precision === "float32") {
    for (let i = 0; i < features * classes; i++, offset += 4)
      view.setFloat32(offset, model.weights[i] as number, true);
  } else {
    const quantized = new Int8Array(buffer, offset + features * 4, features * classes);
    for (let f = 0; f < features; f++, offset += 4) {
      // One scale per feature row: rows differ in magnitude by orders (rare vs common n-grams).
      let largest = 0;
      for (let c = 0; c < classes; c++)
        largest = Math.max(largest, Math.abs(model.weights[f * classes + c] as number));
      const scale = largest / 127;
      view.setFloat32(offset, scale, true);
      for (let c = 0; c < classes; c++) {
        quantized[f * classes + c] =
          scale === 0 ? 0 : Math.round((model.weights[f * classes + c] as number) / scale);
      }
    }
  }
  return new Uint8Array(buffer);
}

/**
 * A weights file's contents as stored, before dequantization: what pruning edits (on a copy: a dense int8 file's
 * `values` are a view of the bytes it was read from). `values` holds each row's int8
 * numbers (weight = scale × value) or float32 weights; in a sparse file, a value not stored is 0.
 */
export interface StoredWeights {
  precision: WeightsPrecision;
  featureCount: number;
  classCount: number;
  hashes: Uint32Array;
  idf: Float32Array;
  groups: Uint8Array;
  bias: Float32Array;
  /** int8: one scale a feature row; null for float32. */
  scales: Float32Array | null;
  /** featureCount × classCount, row-major. */
  values: Int8Array | Float32Array;
}

/** Precision codes of the header: dense (layout 1) and sparse rows (layout 2, written only by pruning). */
const precisionCodes = { float32: 0, int8: 1, sparseInt8: 2, sparseFloat32: 3 } as const;
/** The newest layout this slmkit reads: 2 adds sparse rows; dense files are still written as layout 1. */
const newestLayoutVersion = 2;

/** Reads a weights file of either layout into its stored form; any inconsistency is MODEL_CORRUPT naming the file. */
export function readStoredWeights(bytes: Uint8Array, file: string): StoredWeights {
  const corrupt = (why: string): SlmkitError =>
    new SlmkitError(
      "MODEL_CORRUPT",
      `${why}. The model file is damaged or not an slmkit model: train it again.`,
      { file },
    );
  if (bytes.byteLength < headerBytes) throw corrupt("the weights file is shorter than its header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== magic)
    throw corrupt("the weights file does not start with the slmkit signature");
  const layout = view.getUint32(4, true);
  if (layout < 1 || layout > newestLayoutVersion) {
    throw new SlmkitError(
      "MODEL_VERSION",
      `weights layout version ${layout} is not supported by this slmkit (it reads versions 1 to ${newestLayoutVersion}); upgrade slmkit or retrain.`,
      { file },
    );
  }
  const code = view.getUint32(8, true);
  if (code > (layout === 1 ? precisionCodes.int8 : precisionCodes.sparseFloat32))
    throw corrupt(`unknown weight precision code ${code}`);
  const sparse = code >= precisionCodes.sparseInt8;
  const int8 = code === precisionCodes.int8 || code === precisionCodes.sparseInt8;
  const features = view.getUint32(12, true);
  const classes = view.getUint32(16, true);
  // Sparse files keep the count of stored values where dense ones have a reserved 0.
  const storedCount = sparse ? view.getUint32(20, true) : features * classes;
  const valueBytes = int8 ? 1 : 4;
  const bitmapBytes = Math.ceil(classes / 8);
  const weightBytes =
    (int8 ? features * 4 : 0) + (sparse ? align4(features * bitmapBytes) : 0) + storedCount * valueBytes;
  const expected = align4(headerBytes + features * 8 + align4(features) + classes * 4 + weightBytes);
  if (bytes.byteLength !== expected || storedCount > features * classes) {
    throw corrupt(`the weights file has ${bytes.byteLength} bytes where its header implies ${expected}`);
  }
  const stored: StoredWeights = {
    precision: int8 ? "int8" : "float32",
    featureCount: features,
    classCount: classes,
    hashes: new Uint32Array(features),
    idf: new Float32Array(features),
    groups: new Uint8Array(features),
    bias: new Float32Array(classes),
    scales: int8 ? new Float32Array(features) : null,
    values:
      int8 && !sparse
        ? new Int8Array(0)
        : int8
          ? new Int8Array(features * classes)
          : new Float32Array(features * classes),
  };
  let offset = headerBytes;
  readNumbers(bytes, view, offset, stored.hashes);
  offset += features * 4;
  readNumbers(bytes, view, offset, stored.idf);
  offset += features * 4;
  stored.groups.set(bytes.subarray(offset, offset + features));
  offset += align4(features);
  readNumbers(bytes, view, offset, stored.bias);
  offset += classes * 4;
  if (stored.scales !== null) {
    readNumbers(bytes, view, offset, stored.scales);
    offset += features * 4;
  }
  const { values } = stored;
  // Dense int8 values are a view of `bytes`, not a copy: they are read once, into the model's float32 weights.
  if (!sparse && int8)
    stored.values = new Int8Array(bytes.buffer, bytes.byteOffset + offset, features * classes);
  else if (!sparse) readNumbers(bytes, view, offset, values as Float32Array);
  else {
    // One bitmap a row (bit c: class c has a stored value), then the stored values, row by row.
    let at = offset + align4(features * bitmapBytes);
    let read = 0;
    for (let f = 0; f < features; f++) {
      for (let c = 0; c < classes; c++) {
        if (((bytes[offset + f * bitmapBytes + (c >> 3)] as number) & (1 << (c & 7))) === 0) continue;
        if (++read > storedCount) throw corrupt("the weights file's bitmaps mark more values than it stores");
        values[f * classes + c] = int8 ? view.getInt8(at) : view.getFloat32(at, true);
        at += valueBytes;
      }
    }
    if (read !== storedCount)
      throw corrupt(`the weights file's bitmaps mark ${read} values where it stores ${storedCount}`);
  }
  return stored;
}

/**
 * Writes stored weights: `dense` in layout 1 (the bytes `encodeWeights` writes for the same numbers), `sparse`
 * in layout 2, where each row has a bitmap of its non-zero values and only those are stored.
 */
export function writeStoredWeights(stored: StoredWeights, layout: "dense" | "sparse"): Uint8Array {
  const { featureCount: features, classCount: classes, values } = stored;
  const int8 = stored.precision === "int8";
  const sparse = layout === "sparse";
  let storedCount = features * classes;
  if (sparse) {
    storedCount = 0;
    for (const value of values) if (value !== 0) storedCount++;
  }
  const valueBytes = int8 ? 1 : 4;
  const bitmapBytes = Math.ceil(classes / 8);
  const weightBytes =
    (int8 ? features * 4 : 0) + (sparse ? align4(features * bitmapBytes) : 0) + storedCount * valueBytes;
  const bytes = new Uint8Array(
    align4(headerBytes + features * 8 + align4(features) + classes * 4 + weightBytes),
  );
  const view = new DataView(bytes.buffer);
  view.setUint32(0, magic, true);
  view.setUint32(4, sparse ? 2 : weightsLayoutVersion, true);
  const code = sparse ? (int8 ? precisionCodes.sparseInt8 : precisionCodes.sparseFloat32) : int8 ? 1 : 0;
  view.setUint32(8, code, true);
  view.setUint32(12, features, true);
  view.setUint32(16, classes, true);
  if (sparse) view.setUint32(20, storedCount, true);
  let offset = headerBytes;
  for (let i = 0; i < features; i++, offset += 4) view.setUint32(offset, stored.hashes[i] as number, true);
  for (let i = 0; i < features; i++, offset += 4) view.setFloat32(offset, stored.idf[i] as number, true);
  bytes.set(stored.groups, offset);
  offset += align4(features);
  for (let c = 0; c < classes; c++, offset += 4) view.setFloat32(offset, stored.bias[c] as number, true);
  if (stored.scales !== null)
    for (let f = 0; f < features; f++, offset += 4) view.setFloat32(offset, stored.scales[f] as number, true);
  let at = sparse ? offset + align4(features * bitmapBytes) : offset;
  for (let f = 0; f < features; f++) {
    for (let c = 0; c < classes; c++) {
      const value = values[f * classes + c] as number;
      if (sparse && value === 0) continue;
      if (sparse) {
        const bitmapAt = offset + f * bitmapBytes + (c >> 3);
        bytes[bitmapAt] = (bytes[bitmapAt] as number) | (1 << (c & 7));
      }
      if (int8) view.setInt8(at, value);
      else view.setFloat32(at, value, true);
      at += valueBytes;
    }
  }
  return bytes;
}

/**
 * The model of stored weights: int8 values dequantized (weight = scale × value, rounded to float32). With `into`
 * (featureCount × classCount floats, e.g. a WebAssembly memory's view from `WasmLogits.allocate`) the weights
 * are written there and nowhere else.
 */
export function dequantizeWeights(
  stored: StoredWeights,
  config: Vocabulary["config"],
  into?: Float32Array,
  /** Dequantizes int8 rows into `into` some faster way (WebAssembly); false leaves it to the JavaScript loop. */
  faster?: (scales: Float32Array, values: Int8Array) => boolean,
): { vocabulary: Vocabulary; model: LinearWeights } {
  const { featureCount: features, classCount: classes, scales, values } = stored;
  const vocabulary: Vocabulary = { config, hashes: stored.hashes, idf: stored.idf, groups: stored.groups };
  let weights: Float32Array;
  if (scales === null) {
    weights = into ?? (values as Float32Array);
    if (into !== undefined) into.set(values);
  } else if (into !== undefined && faster?.(scales, values as Int8Array) === true) {
    weights = into;
  } else {
    weights = into ?? new Float32Array(features * classes);
    for (let f = 0; f < features; f++) {
      const scale = scales[f] as number;
      const row = f * classes;
      for (let c = 0; c < classes; c++) weights[row + c] = scale * (values[row + c] as number);
    }
  }
  return { vocabulary, model: { featureCount: features, classCount: classes, weights, bias: stored.bias } };
}

/** Parses `weights.bin` (either layout) into a model; any inconsistency is a MODEL_CORRUPT error naming the file. */
export function decodeWeights(
  bytes: Uint8Array,
  file: string,
  config: Vocabulary["config"],
): { vocabulary: Vocabulary; model: LinearWeights; precision: WeightsPrecision } {
  const stored = readStoredWeights(bytes, file);
  return { ...dequantizeWeights(stored, config), precision: stored.precision };
}

/** Whether this machine stores numbers little-endian, as the files do (every platform slmkit runs on, in practice). */
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Fills `into` with the little-endian 32-bit numbers at `offset`: one block copy when the bytes are 4-aligned in
 * memory on a little-endian machine (a bundle's sections are), a DataView read each otherwise.
 */
function readNumbers(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  into: Uint32Array | Float32Array,
): void {
  const at = bytes.byteOffset + offset;
  if (littleEndian && at % 4 === 0) {
    into.set(
      into instanceof Uint32Array
        ? new Uint32Array(bytes.buffer, at, into.length)
        : new Float32Array(bytes.buffer, at, into.length),
    );
    return;
  }
  if (into instanceof Uint32Array)
    for (let i = 0; i < into.length; i++) into[i] = view.getUint32(offset + i * 4, true);
  else for (let i = 0; i < into.length; i++) into[i] = view.getFloat32(offset + i * 4, true);
}

function align4(bytes: number): number {
  return (bytes + 3) & ~3;
}
