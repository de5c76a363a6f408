// The native classifier's logits in WebAssembly SIMD: the same sums as `computeLogits`, bit for bit, 1.9-2.5×
// faster (`npm run bench` prints both side by side).
//
// One small module is generated per model, with the model's shapes baked in as constants, and instantiated
// over a memory of its own that holds the weights (the only copy: the classifier keeps a view of it), the
// bias-initialized accumulators and a scratch area for one text's sparse vector:
//
//   [indices: i32 × scratch][values: f32 × scratch][out: f64 × classes][pad][weights: f32 × features × classes]
//
// The memory never grows, so views of it stay valid for the model's life. `score(n)` adds the first n
// entries of the scratch vector to `out`, class block by class block: a block of up to 16 classes keeps its
// sums in 8 f64x2 registers while it walks the n features. Each class still adds its terms one by one, in
// feature order, in float64, and the product of two float32 values is exact in float64: the same IEEE
// operations in the same order as `computeLogits`, so the same bits. Texts longer than the scratch area are
// added in slices, which continues the same sums in the same order.

import type { LinearWeights } from "./linear.js";

/** Entries of one text's sparse vector the scratch area holds; longer texts are scored in slices. */
const defaultScratchEntries = 4096;
const pageBytes = 65_536;
/** Larger models use the JavaScript path: wasm32 addresses 4 GiB, and some V8 builds cap a memory at 2 GiB. */
const maxMemoryBytes = 2 ** 31;

/** Where the module's data lives in its memory, in bytes. */
interface MemoryLayout {
  classCount: number;
  featureCount: number;
  scratchEntries: number;
  indicesAt: number;
  valuesAt: number;
  outAt: number;
  weightsAt: number;
  pages: number;
}

function memoryLayout(featureCount: number, classCount: number, scratchEntries: number): MemoryLayout {
  const indicesAt = 0;
  const valuesAt = scratchEntries * 4;
  const outAt = scratchEntries * 8;
  // 16-byte aligned weights (a habit of SIMD code; the loads here do not require it).
  const weightsAt = Math.ceil((outAt + classCount * 8) / 16) * 16;
  const bytes = weightsAt + featureCount * classCount * 4;
  return {
    classCount,
    featureCount,
    scratchEntries,
    indicesAt,
    valuesAt,
    outAt,
    weightsAt,
    pages: Math.max(1, Math.ceil(bytes / pageBytes)),
  };
}

// ---------------------------------------------------------------------------------------------------------
// A minimal WebAssembly encoder: only what `score` needs.

function unsignedLeb(value: number): number[] {
  const bytes: number[] = [];
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest !== 0);
  return bytes;
}

function signedLeb(value: number): number[] {
  const bytes: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...unsignedLeb(bytes.length), ...bytes];
}

function section(id: number, body: number[]): number[] {
  return [id, ...unsignedLeb(body.length), ...body];
}

/** A memory operand: log2 of the alignment hint, then the constant offset added to the address. */
function memarg(alignLog2: number, offset: number): number[] {
  return [alignLog2, ...unsignedLeb(offset)];
}

const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  f32Load: 0x2a,
  f64Load: 0x2b,
  i32Load8S: 0x2c,
  f32Store: 0x38,
  f64Store: 0x39,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32Shl: 0x74,
  f32Mul: 0x94,
  f64Add: 0xa0,
  f64Mul: 0xa2,
  f32ConvertI32S: 0xb2,
  f64PromoteF32: 0xbb,
  emptyBlockType: 0x40,
} as const;

/** SIMD instructions: the 0xfd prefix, then the instruction's number as unsigned LEB128. */
const simd = {
  v128Load: [0xfd, ...unsignedLeb(0x00)],
  v128Store: [0xfd, ...unsignedLeb(0x0b)],
  f64x2Splat: [0xfd, ...unsignedLeb(0x14)],
  v128Load64Zero: [0xfd, ...unsignedLeb(0x5d)],
  f64x2PromoteLowF32x4: [0xfd, ...unsignedLeb(0x5f)],
  f64x2Add: [0xfd, ...unsignedLeb(0xf0)],
  f64x2Mul: [0xfd, ...unsignedLeb(0xf2)],
  f32x4Splat: [0xfd, ...unsignedLeb(0x13)],
  v128Load32Zero: [0xfd, ...unsignedLeb(0x5c)],
  i16x8ExtendLowI8x16S: [0xfd, ...unsignedLeb(0x87)],
  i32x4ExtendLowI16x8S: [0xfd, ...unsignedLeb(0xa7)],
  f32x4ConvertI32x4S: [0xfd, ...unsignedLeb(0xfa)],
  f32x4Mul: [0xfd, ...unsignedLeb(0xe6)],
} as const;

// Locals of `score`: the parameter n, then i32 offset, end, row; the splatted value; 8 block sums (v128);
// the scalar value and sum (f64).
const local = { n: 0, offset: 1, end: 2, row: 3, value: 4, firstSum: 5, scalarSum: 13 } as const;
const maxPairs = 8;

/** The module's bytes: one export, `score(n: i32)`, over an imported memory of exactly `layout.pages` pages. */
function moduleBytes(layout: MemoryLayout): Uint8Array {
  const rowBytes = layout.classCount * 4;
  const code: number[] = [];
  // end = n × 4: the loops walk byte offsets into the indices and values.
  code.push(op.localGet, local.n, op.i32Const, ...signedLeb(2), op.i32Shl, op.localSet, local.end);

  /** The loop over the scratch vector's entries; `body` adds entry `offset`'s term (row: its weights row). */
  const overEntries = (body: () => void) => {
    code.push(op.i32Const, 0, op.localSet, local.offset);
    code.push(op.block, op.emptyBlockType, op.localGet, local.end, op.i32Eqz, op.brIf, 0);
    code.push(op.loop, op.emptyBlockType);
    code.push(op.localGet, local.offset, op.i32Load, ...memarg(2, layout.indicesAt));
    code.push(op.i32Const, ...signedLeb(rowBytes), op.i32Mul, op.localSet, local.row);
    body();
    code.push(op.localGet, local.offset, op.i32Const, 4, op.i32Add, op.localTee, local.offset);
    code.push(op.localGet, local.end, op.i32LtU, op.brIf, 0, op.end, op.end);
  };

  /** Classes first .. first + 2·pairs − 1, two per f64x2 register. */
  const block = (first: number, pairs: number) => {
    for (let pair = 0; pair < pairs; pair++) {
      code.push(op.i32Const, 0, ...simd.v128Load, ...memarg(3, layout.outAt + (first + 2 * pair) * 8));
      code.push(op.localSet, local.firstSum + pair);
    }
    overEntries(() => {
      code.push(op.localGet, local.offset, op.f32Load, ...memarg(2, layout.valuesAt), op.f64PromoteF32);
      code.push(...simd.f64x2Splat, op.localSet, local.value);
      for (let pair = 0; pair < pairs; pair++) {
        // sum = sum + value × float64(weight): two classes at once.
        code.push(op.localGet, local.firstSum + pair, op.localGet, local.value, op.localGet, local.row);
        code.push(...simd.v128Load64Zero, ...memarg(2, layout.weightsAt + (first + 2 * pair) * 4));
        code.push(...simd.f64x2PromoteLowF32x4, ...simd.f64x2Mul, ...simd.f64x2Add);
        code.push(op.localSet, local.firstSum + pair);
      }
    });
    for (let pair = 0; pair < pairs; pair++) {
      code.push(op.i32Const, 0, op.localGet, local.firstSum + pair);
      code.push(...simd.v128Store, ...memarg(3, layout.outAt + (first + 2 * pair) * 8));
    }
  };

  /** One class alone (an odd class count's last). */
  const single = (c: number) => {
    code.push(op.i32Const, 0, op.f64Load, ...memarg(3, layout.outAt + c * 8), op.localSet, local.scalarSum);
    overEntries(() => {
      code.push(op.localGet, local.scalarSum);
      code.push(op.localGet, local.offset, op.f32Load, ...memarg(2, layout.valuesAt), op.f64PromoteF32);
      code.push(op.localGet, local.row, op.f32Load, ...memarg(2, layout.weightsAt + c * 4), op.f64PromoteF32);
      code.push(op.f64Mul, op.f64Add, op.localSet, local.scalarSum);
    });
    code.push(op.i32Const, 0, op.localGet, local.scalarSum, op.f64Store, ...memarg(3, layout.outAt + c * 8));
  };

  let c = 0;
  for (const width of [2 * maxPairs, 8, 4, 2]) {
    while (layout.classCount - c >= width) {
      block(c, width / 2);
      c += width;
    }
  }
  if (c < layout.classCount) single(c);
  code.push(op.end);

  const locals = [3, ...unsignedLeb(3), i32, ...unsignedLeb(1 + maxPairs), v128, ...unsignedLeb(1), f64];
  const score = [...locals, ...code];
  const dequantize = dequantizeBody(layout);
  const memoryImport = [...name("env"), ...name("memory"), 0x02, 0x00, ...unsignedLeb(layout.pages)];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    // Types: 0 is (i32) → (), 1 is (i32, i32) → ().
    ...section(1, [2, 0x60, 1, i32, 0, 0x60, 2, i32, i32, 0]),
    ...section(2, [1, ...memoryImport]),
    ...section(3, [2, 0, 1]),
    ...section(7, [2, ...name("score"), 0x00, 0, ...name("dequantize"), 0x00, 1]),
    ...section(10, [
      2,
      ...unsignedLeb(score.length),
      ...score,
      ...unsignedLeb(dequantize.length),
      ...dequantize,
    ]),
  ]);
}

const i32 = 0x7f;
const f32 = 0x7d;
const f64 = 0x7c;
const v128 = 0x7b;

/**
 * `dequantize(firstRow, rows)`: the int8 rows staged in the scratch area (`rows` f32 scales at 0, then the rows'
 * bytes) become float32 weights of rows firstRow … firstRow + rows − 1: weight = scale × byte, four at a time.
 * The product of a float32 and an 8-bit integer is exact before its one rounding to float32, so these are the
 * bits of the JavaScript loop (float64 product, stored into a Float32Array), which the tests hold it to.
 */
function dequantizeBody(layout: MemoryLayout): number[] {
  const classes = layout.classCount;
  const vectorEnd = Math.floor(classes / 4) * 4;
  // Locals: the parameters firstRow and rows, then i32 row, column, source, target; f32 scale; v128 scales.
  const at = { firstRow: 0, rows: 1, row: 2, column: 3, source: 4, target: 5, scale: 6, scales: 7 } as const;
  const code: number[] = [op.block, op.emptyBlockType, op.loop, op.emptyBlockType];
  code.push(op.localGet, at.row, op.localGet, at.rows, op.i32GeU, op.brIf, 1);
  code.push(op.localGet, at.row, op.i32Const, 2, op.i32Shl, op.f32Load, ...memarg(2, layout.indicesAt));
  code.push(op.localTee, at.scale, ...simd.f32x4Splat, op.localSet, at.scales);
  // source = rows × 4 + row × classes (into the scratch area); target = (firstRow + row) × classes × 4.
  code.push(op.localGet, at.rows, op.i32Const, 2, op.i32Shl, op.localGet, at.row);
  code.push(op.i32Const, ...signedLeb(classes), op.i32Mul, op.i32Add, op.localSet, at.source);
  code.push(op.localGet, at.firstRow, op.localGet, at.row, op.i32Add, op.i32Const, ...signedLeb(classes * 4));
  code.push(op.i32Mul, op.localSet, at.target, op.i32Const, 0, op.localSet, at.column);
  if (vectorEnd > 0) {
    code.push(op.loop, op.emptyBlockType);
    code.push(op.localGet, at.target, op.localGet, at.column, op.i32Const, 2, op.i32Shl, op.i32Add);
    code.push(op.localGet, at.source, op.localGet, at.column, op.i32Add);
    code.push(...simd.v128Load32Zero, ...memarg(0, layout.indicesAt), ...simd.i16x8ExtendLowI8x16S);
    code.push(
      ...simd.i32x4ExtendLowI16x8S,
      ...simd.f32x4ConvertI32x4S,
      op.localGet,
      at.scales,
      ...simd.f32x4Mul,
    );
    code.push(...simd.v128Store, ...memarg(0, layout.weightsAt));
    code.push(op.localGet, at.column, op.i32Const, 4, op.i32Add, op.localTee, at.column);
    code.push(op.i32Const, ...signedLeb(vectorEnd), op.i32LtU, op.brIf, 0, op.end);
  }
  for (let column = vectorEnd; column < classes; column++) {
    code.push(op.localGet, at.target, op.localGet, at.source);
    code.push(
      op.i32Load8S,
      ...memarg(0, layout.indicesAt + column),
      op.f32ConvertI32S,
      op.localGet,
      at.scale,
    );
    code.push(op.f32Mul, op.f32Store, ...memarg(2, layout.weightsAt + column * 4));
  }
  code.push(
    op.localGet,
    at.row,
    op.i32Const,
    1,
    op.i32Add,
    op.localSet,
    at.row,
    op.br,
    0,
    op.end,
    op.end,
    op.end,
  );
  return [3, ...unsignedLeb(4), i32, ...unsignedLeb(1), f32, ...unsignedLeb(1), v128, ...code];
}

// ---------------------------------------------------------------------------------------------------------

/** The part of the WebAssembly API used here (TypeScript's lib for Node declares none of it). */
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}

const webAssembly = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
let simdSupport: boolean | undefined;

/** Whether this runtime runs WebAssembly SIMD (Node ≥ 16.4 does); checked once on a 2-class module. */
export function wasmSimdAvailable(): boolean {
  if (simdSupport === undefined) {
    try {
      simdSupport = webAssembly?.validate(moduleBytes(memoryLayout(1, 2, 1))) ?? false;
    } catch {
      simdSupport = false;
    }
  }
  return simdSupport;
}

export interface WasmLogitsOptions {
  /** Entries of a sparse vector scored in one call; longer ones go in slices. Default 4,096. */
  scratchEntries?: number;
}

/**
 * Instances from `allocate` not yet taken by a model, by their weights view: the first `create` given those weights
 * takes the instance as it is. Every later model of the same weights gets a memory of its own, as before.
 */
const unclaimed = new WeakMap<Float32Array, WasmLogits>();

/** A model's logits in WebAssembly; its `weights` are the model's weights, living in the module's memory. */
export class WasmLogits {
  /** The model's weights: `weights` is a view of the module's memory (the only copy), `bias` the model's. */
  readonly weights: LinearWeights;
  private readonly score: (entries: number) => void;
  private readonly dequantizeRows: (firstRow: number, rows: number) => void;
  /** The whole scratch area (the indices' and values' parts together), for staging int8 rows. */
  private readonly scratchFloats: Float32Array;
  private readonly scratchBytes: Int8Array;
  private readonly scratchIndices: Int32Array;
  private readonly scratchValues: Float32Array;
  private readonly sums: Float64Array;

  /**
   * Null when WebAssembly SIMD is missing or the model is too large for a wasm32 memory. Weights filled into an
   * `allocate`d instance, with the same bias, are taken in place the first time: no second copy.
   */
  static create(model: LinearWeights, options: WasmLogitsOptions = {}): WasmLogits | null {
    const filled = unclaimed.get(model.weights);
    if (filled !== undefined && filled.weights.bias === model.bias && options.scratchEntries === undefined) {
      unclaimed.delete(model.weights);
      return filled;
    }
    const instance = WasmLogits.make(model.featureCount, model.classCount, model.bias, options);
    instance?.weights.weights.set(model.weights);
    return instance;
  }

  /**
   * An instance whose weights (all zero) are for the caller to fill, through `weights.weights`, before the first
   * `computeInto`: a model read from bytes is written straight into the module's memory, without a copy on the
   * JavaScript heap first. Null where `create` would be.
   */
  static allocate(
    featureCount: number,
    classCount: number,
    bias: Float32Array,
    options: WasmLogitsOptions = {},
  ): WasmLogits | null {
    const instance = WasmLogits.make(featureCount, classCount, bias, options);
    if (instance !== null) unclaimed.set(instance.weights.weights, instance);
    return instance;
  }

  private static make(
    featureCount: number,
    classCount: number,
    bias: Float32Array,
    options: WasmLogitsOptions,
  ): WasmLogits | null {
    const layout = memoryLayout(featureCount, classCount, options.scratchEntries ?? defaultScratchEntries);
    if (layout.pages * pageBytes > maxMemoryBytes || !wasmSimdAvailable()) return null;
    try {
      return new WasmLogits({ featureCount, classCount, bias }, layout);
    } catch (error) {
      // A memory the runtime cannot reserve: the JavaScript path needs none beyond the weights it has.
      if (error instanceof RangeError) return null;
      throw error;
    }
  }

  private constructor(model: Omit<LinearWeights, "weights">, layout: MemoryLayout) {
    const api = webAssembly as WebAssemblyApi;
    const memory = new api.Memory({ initial: layout.pages, maximum: layout.pages });
    const instance = new api.Instance(new api.Module(moduleBytes(layout)), { env: { memory } });
    this.score = instance.exports.score as (entries: number) => void;
    this.dequantizeRows = instance.exports.dequantize as (firstRow: number, rows: number) => void;
    const { buffer } = memory;
    const weights = new Float32Array(buffer, layout.weightsAt, model.featureCount * model.classCount);
    this.weights = {
      featureCount: model.featureCount,
      classCount: model.classCount,
      weights,
      bias: model.bias,
    };
    this.scratchFloats = new Float32Array(buffer, layout.indicesAt, layout.scratchEntries * 2);
    this.scratchBytes = new Int8Array(buffer, layout.indicesAt, layout.scratchEntries * 8);
    this.scratchIndices = new Int32Array(buffer, layout.indicesAt, layout.scratchEntries);
    this.scratchValues = new Float32Array(buffer, layout.valuesAt, layout.scratchEntries);
    this.sums = new Float64Array(buffer, layout.outAt, model.classCount);
  }

  /**
   * Fills the weights with int8 rows dequantized (weight = scale × value, rounded to float32: the bits of the
   * JavaScript loop) in WebAssembly SIMD, staging as many rows at a time as the scratch area holds: a bundle's
   * 1.5 M banking77 weights in about a millisecond, where a cold JavaScript loop takes ten. False, with nothing
   * written, when one row does not fit the scratch area: the caller dequantizes in JavaScript.
   */
  dequantize(scales: Float32Array, values: Int8Array): boolean {
    const { classCount, featureCount } = this.weights;
    const perChunk = Math.floor(this.scratchBytes.length / (4 + classCount));
    if (perChunk < 1 || scales.length !== featureCount || values.length !== featureCount * classCount)
      return false;
    for (let first = 0; first < featureCount; first += perChunk) {
      const rows = Math.min(perChunk, featureCount - first);
      this.scratchFloats.set(scales.subarray(first, first + rows));
      this.scratchBytes.set(values.subarray(first * classCount, (first + rows) * classCount), rows * 4);
      this.dequantizeRows(first, rows);
    }
    return true;
  }

  /**
   * `out = bias + Σ values[k] · weights[indices[k]]` over k in [start, end), bit for bit as `computeLogits`;
   * with `withBias` false the sums start from zero instead (the pooled vector of `embed`).
   */
  computeInto(
    indices: Int32Array,
    values: Float32Array,
    start: number,
    end: number,
    out: Float64Array,
    withBias = true,
  ): void {
    const { sums, scratchIndices, scratchValues } = this;
    if (withBias) sums.set(this.weights.bias);
    else sums.fill(0);
    const slice = scratchIndices.length;
    for (let from = start; from < end; from += slice) {
      const to = Math.min(end, from + slice);
      scratchIndices.set(indices.subarray(from, to));
      scratchValues.set(values.subarray(from, to));
      this.score(to - from);
    }
    out.set(sums);
  }
}
