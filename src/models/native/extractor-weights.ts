// Reads and writes the extractor's `weights.bin`: transitions plus the non-zero rows of the hashed emission table.

import { SlmkitError } from "../../errors.js";
import type { ChainWeights } from "./extractor-decoder.js";
import { transitionLength } from "./extractor-decoder.js";

const magic = 0x584d4c53; // "SLMX" read as a little-endian u32
/** Version of this binary layout; the model directory has its own `formatVersion` in the manifest. */
export const extractorWeightsLayoutVersion = 1;
const headerBytes = 32;

/**
 * Serializes the tagger's weights, little-endian:
 * header (magic "SLMX", layout version, hashBits B, tagCount T, stored rows R, transition count N, 2 reserved
 * u32) · N×f32 transitions ((T + 1) × T from-to scores, the last row from the start, then T end scores) ·
 * R×u32 row indices, ascending · R×T f32 emission scores, row-major. Rows whose scores are all zero are
 * left out: most of the 2^B hashed rows are never hit, so the file holds only what training touched.
 */
export function encodeExtractorWeights(weights: ChainWeights, hashBits: number): Uint8Array {
  const tagCount = weights.tagCount;
  const rows = weights.emission.length / tagCount;
  const stored: number[] = [];
  for (let row = 0; row < rows; row++) {
    for (let tag = 0; tag < tagCount; tag++) {
      if (weights.emission[row * tagCount + tag] !== 0) {
        stored.push(row);
        break;
      }
    }
  }
  const transitions = weights.transition.length;
  const total = headerBytes + transitions * 4 + stored.length * 4 + stored.length * tagCount * 4;
  const buffer = new ArrayBuffer(total);
  const view = new DataView(buffer);
  view.setUint32(0, magic, true);
  view.setUint32(4, extractorWeightsLayoutVersion, true);
  view.setUint32(8, hashBits, true);
  view.setUint32(12, tagCount, true);
  view.setUint32(16, stored.length, true);
  view.setUint32(20, transitions, true);
  let offset = headerBytes;
  for (let index = 0; index < transitions; index++, offset += 4)
    view.setFloat32(offset, weights.transition[index] as number, true);
  for (const row of stored) {
    view.setUint32(offset, row, true);
    offset += 4;
  }
  for (const row of stored) {
    for (let tag = 0; tag < tagCount; tag++, offset += 4)
      view.setFloat32(offset, weights.emission[row * tagCount + tag] as number, true);
  }
  return new Uint8Array(buffer);
}

/** Parses the extractor's `weights.bin`; any inconsistency is a MODEL_CORRUPT error naming the file. */
export function decodeExtractorWeights(
  bytes: Uint8Array,
  file: string,
  expected: { hashBits: number; tagCount: number },
): ChainWeights {
  const corrupt = (why: string): SlmkitError =>
    new SlmkitError(
      "MODEL_CORRUPT",
      `${why}. The model file is damaged or not an slmkit extractor: train it again.`,
      {
        file,
      },
    );
  if (bytes.byteLength < headerBytes) throw corrupt("the weights file is shorter than its header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== magic)
    throw corrupt("the weights file does not start with the extractor signature");
  const layout = view.getUint32(4, true);
  if (layout !== extractorWeightsLayoutVersion) {
    throw new SlmkitError(
      "MODEL_VERSION",
      `extractor weights layout version ${layout} is not supported by this slmkit (it reads version ${extractorWeightsLayoutVersion}); upgrade slmkit or retrain.`,
      { file },
    );
  }
  const hashBits = view.getUint32(8, true);
  const tagCount = view.getUint32(12, true);
  const stored = view.getUint32(16, true);
  const transitions = view.getUint32(20, true);
  if (hashBits !== expected.hashBits || tagCount !== expected.tagCount) {
    throw corrupt(
      `the weights have hashBits ${hashBits} and ${tagCount} tags where the manifest implies ${expected.hashBits} and ${expected.tagCount}`,
    );
  }
  if (transitions !== transitionLength(tagCount))
    throw corrupt(`the weights hold ${transitions} transition scores for ${tagCount} tags`);
  const size = headerBytes + transitions * 4 + stored * 4 + stored * tagCount * 4;
  if (bytes.byteLength !== size)
    throw corrupt(`the weights file has ${bytes.byteLength} bytes where its header implies ${size}`);
  const rows = 2 ** hashBits;
  const weights: ChainWeights = {
    tagCount,
    emission: new Float32Array(rows * tagCount),
    transition: new Float32Array(transitions),
  };
  let offset = headerBytes;
  for (let index = 0; index < transitions; index++, offset += 4)
    weights.transition[index] = view.getFloat32(offset, true);
  let valueOffset = offset + stored * 4;
  for (let index = 0; index < stored; index++, offset += 4) {
    const row = view.getUint32(offset, true);
    if (row >= rows) throw corrupt(`row index ${row} is outside the table of ${rows} rows`);
    for (let tag = 0; tag < tagCount; tag++, valueOffset += 4)
      weights.emission[row * tagCount + tag] = view.getFloat32(valueOffset, true);
  }
  return weights;
}
