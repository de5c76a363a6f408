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

/** Parses `weights.bin`; any inconsistency is a MODEL_CORRUPT error naming the file. */
export function decodeWeights(
  bytes: Uint8Array,
  file: string,
  config: Vocabulary["config"],
): { vocabulary: Vocabulary; model: LinearWeights; precision: WeightsPrecision } {
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
  if (layout !== weightsLayoutVersion) {
    throw new SlmkitError(
      "MODEL_VERSION",
      `weights layout version ${layout} is not supported by this slmkit (it reads version ${weightsLayoutVersion}); upgrade slmkit or retrain.`,
      { file },
    );
  }
  const precisionCode = view.getUint32(8, true);
  if (precisionCode > 1) throw corrupt(`unknown weight precision code ${precisionCode}`);
  const precision: WeightsPrecision = precisionCode === 0 ? "float32" : "int8";
  const features = view.getUint32(12, true);
  const classes = view.getUint32(16, true);
  const weightBytes = precision === "float32" ? features * classes * 4 : features * 4 + features * classes;
  const expected = align4(headerBytes + features * 8 + align4(features) + classes * 4 + weightBytes);
  if (bytes.byteLength !== expected) {
    throw corrupt(`the weights file has ${bytes.byteLength} bytes where its header implies ${expected}`);
  }
  const vocabulary: Vocabulary = {
    config,
    hashes: new Uint32Array(features),
    idf: new Float32Array(features),
    groups: new Uint8Array(features),
  };
  let offset = headerBytes;
  for (let i = 0; i < features; i++, offset += 4) vocabulary.hashes[i] = view.getUint32(offset, true);
  for (let i = 0; i < features; i++, offset += 4) vocabulary.idf[i] = view.getFloat32(offset, true);
  vocabulary.groups.set(bytes.subarray(offset, offset + features));
  offset += align4(features);
  const model: LinearWeights = {
    featureCount: features,
    classCount: classes,
    weights: new Float32Array(features * classes),
    bias: new Float32Array(classes),
  };
  for (let c = 0; c < classes; c++, offset += 4) model.bias[c] = view.getFloat32(offset, true);
  if (precision === "float32") {
    for (let i = 0; i < features * classes; i++, offset += 4)
      model.weights[i] = view.getFloat32(offset, true);
  } else {
    const quantized = new Int8Array(
      bytes.buffer,
      bytes.byteOffset + offset + features * 4,
      features * classes,
    );
    for (let f = 0; f < features; f++, offset += 4) {
      const scale = view.getFloat32(offset, true);
      for (let c = 0; c < classes; c++)
        model.weights[f * classes + c] = scale * (quantized[f * classes + c] as number);
    }
  }
  return { vocabulary, model, precision };
}

function align4(bytes: number): number {
  return (bytes + 3) & ~3;
}
