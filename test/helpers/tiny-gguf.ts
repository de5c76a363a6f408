// Writes a tiny, valid GGUF v3 llama model (random F32 weights, byte-level BPE vocabulary) for tests.

import { writeFile } from "node:fs/promises";

export interface TinyGgufOptions {
  /** Seed of the weights' pseudo-random generator: the same seed gives the same file, byte for byte. */
  seed: number;
  /** The tokenizer. Only GPT-2's byte-level BPE for now. Default "byte-bpe". */
  vocabulary?: "byte-bpe";
  /** Transformer blocks. Default 1. */
  layers?: number;
  /** Embedding width; a multiple of `heads`. Default 32. */
  embedding?: number;
  /** Attention heads (and key-value heads). Default 2. */
  heads?: number;
  /** Training context length written to the metadata. Default 256. */
  contextLength?: number;
  /** `general.license`, e.g. "mit". Default: not written (the file does not say). */
  license?: string;
  /** `general.parameter_count` (uint64). Default: not written (a reader computes it from the tensor shapes). */
  parameterCount?: number;
}

/** GGUF metadata value types (ggml docs/gguf.md, `gguf_metadata_value_type`). */
const valueType = { uint32: 4, float32: 6, string: 8, array: 9, int32: 5, uint64: 10 } as const;
/** ggml tensor type of plain 32-bit floats. */
const ggmlTypeF32 = 0;
/** llama.cpp token types: normal text and control (special) tokens. */
const tokenTypeNormal = 1;
const tokenTypeControl = 3;
const alignment = 32;

type MetadataValue =
  | { type: "uint32"; value: number }
  | { type: "uint64"; value: number }
  | { type: "int32"; value: number }
  | { type: "float32"; value: number }
  | { type: "string"; value: string }
  | { type: "string[]"; value: readonly string[] }
  | { type: "int32[]"; value: readonly number[] };

interface TensorSpec {
  name: string;
  /** ggml order: the first dimension is the one that varies fastest. */
  dimensions: readonly number[];
  data: Float32Array;
}

/**
 * GPT-2's byte-to-unicode table: printable bytes stand for themselves, the others are shifted to 256+
 * so every byte has a visible, distinct one-character token (the space becomes "Ġ", newline "Ċ").
 */
export function gpt2ByteTokens(): string[] {
  const printable = (byte: number) =>
    (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || (byte >= 174 && byte <= 255);
  const tokens: string[] = [];
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) {
    tokens.push(String.fromCodePoint(printable(byte) ? byte : 256 + shifted++));
  }
  return tokens;
}

/** A few merges so the BPE tokenizer has real work to do; each result is itself a token. */
const merges = ["Ġ t", "h e", "Ġt he", "i n", "e r", "a n", "o n", "Ġ a", "r e", "Ġ s"] as const;

/** mulberry32: a small, fast, seedable generator; quality is ample for random weights. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class ByteWriter {
  private readonly chunks: Buffer[] = [];
  length = 0;

  private push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  uint32(value: number): void {
    const chunk = Buffer.alloc(4);
    chunk.writeUInt32LE(value);
    this.push(chunk);
  }

  int32(value: number): void {
    const chunk = Buffer.alloc(4);
    chunk.writeInt32LE(value);
    this.push(chunk);
  }

  uint64(value: number): void {
    const chunk = Buffer.alloc(8);
    chunk.writeBigUInt64LE(BigInt(value));
    this.push(chunk);
  }

  float32(value: number): void {
    const chunk = Buffer.alloc(4);
    chunk.writeFloatLE(value);
    this.push(chunk);
  }

  string(value: string): void {
    const bytes = Buffer.from(value, "utf8");
    this.uint64(bytes.length);
    this.push(bytes);
  }

  bytes(value: Uint8Array): void {
    this.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }

  padTo(multiple: number): void {
    const padding = (multiple - (this.length % multiple)) % multiple;
    if (padding > 0) this.push(Buffer.alloc(padding));
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function writeMetadataValue(writer: ByteWriter, entry: MetadataValue): void {
  switch (entry.type) {
    case "uint32":
      writer.uint32(valueType.uint32);
      writer.uint32(entry.value);
      return;
    case "uint64":
      writer.uint32(valueType.uint64);
      writer.uint64(entry.value);
      return;
    case "int32":
      writer.uint32(valueType.int32);
      writer.int32(entry.value);
      return;
    case "float32":
      writer.uint32(valueType.float32);
      writer.float32(entry.value);
      return;
    case "string":
      writer.uint32(valueType.string);
      writer.string(entry.value);
      return;
    case "string[]":
      writer.uint32(valueType.array);
      writer.uint32(valueType.string);
      writer.uint64(entry.value.length);
      for (const item of entry.value) writer.string(item);
      return;
    case "int32[]":
      writer.uint32(valueType.array);
      writer.uint32(valueType.int32);
      writer.uint64(entry.value.length);
      for (const item of entry.value) writer.int32(item);
      return;
  }
}

/** The vocabulary: 256 byte tokens, the merges' results, then BOS and EOS (control tokens). */
function byteBpeVocabulary(): { tokens: string[]; types: number[]; bos: number; eos: number } {
  const tokens = gpt2ByteTokens();
  for (const merge of merges) tokens.push(merge.replace(" ", ""));
  const types = tokens.map(() => tokenTypeNormal);
  const bos = tokens.push("<|bos|>") - 1;
  const eos = tokens.push("<|endoftext|>") - 1;
  types.push(tokenTypeControl, tokenTypeControl);
  return { tokens, types, bos, eos };
}

/** Builds the GGUF file's bytes. */
export function buildTinyGguf(options: TinyGgufOptions): Buffer {
  const layers = options.layers ?? 1;
  const embedding = options.embedding ?? 32;
  const heads = options.heads ?? 2;
  const contextLength = options.contextLength ?? 256;
  if (embedding % heads !== 0) throw new Error(`embedding ${embedding} is not a multiple of heads ${heads}`);
  const feedForward = embedding * 2;
  const vocabulary = byteBpeVocabulary();
  const vocabularySize = vocabulary.tokens.length;
  const random = createRandom(options.seed);

  // Uniform in ±scale; 1/√fan-in keeps activations O(1) so the logits differ between tokens.
  const randomMatrix = (inputs: number, outputs: number): Float32Array => {
    const values = new Float32Array(inputs * outputs);
    const scale = Math.sqrt(3 / inputs);
    for (let index = 0; index < values.length; index++) values[index] = (random() * 2 - 1) * scale;
    return values;
  };
  const ones = (size: number) => new Float32Array(size).fill(1);

  const tensors: TensorSpec[] = [
    {
      name: "token_embd.weight",
      dimensions: [embedding, vocabularySize],
      data: randomMatrix(embedding, vocabularySize),
    },
  ];
  for (let block = 0; block < layers; block++) {
    const prefix = `blk.${block}`;
    tensors.push(
      { name: `${prefix}.attn_norm.weight`, dimensions: [embedding], data: ones(embedding) },
      {
        name: `${prefix}.attn_q.weight`,
        dimensions: [embedding, embedding],
        data: randomMatrix(embedding, embedding),
      },
      {
        name: `${prefix}.attn_k.weight`,
        dimensions: [embedding, embedding],
        data: randomMatrix(embedding, embedding),
      },
      {
        name: `${prefix}.attn_v.weight`,
        dimensions: [embedding, embedding],
        data: randomMatrix(embedding, embedding),
      },
      {
        name: `${prefix}.attn_output.weight`,
        dimensions: [embedding, embedding],
        data: randomMatrix(embedding, embedding),
      },
      { name: `${prefix}.ffn_norm.weight`, dimensions: [embedding], data: ones(embedding) },
      {
        name: `${prefix}.ffn_gate.weight`,
        dimensions: [embedding, feedForward],
        data: randomMatrix(embedding, feedForward),
      },
      {
        name: `${prefix}.ffn_up.weight`,
        dimensions: [embedding, feedForward],
        data: randomMatrix(embedding, feedForward),
      },
      {
        name: `${prefix}.ffn_down.weight`,
        dimensions: [feedForward, embedding],
        data: randomMatrix(feedForward, embedding),
      },
    );
  }
  tensors.push(
    { name: "output_norm.weight", dimensions: [embedding], data: ones(embedding) },
    {
      name: "output.weight",
      dimensions: [embedding, vocabularySize],
      data: randomMatrix(embedding, vocabularySize),
    },
  );

  const metadata: [string, MetadataValue][] = [
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.name", { type: "string", value: "slmkit-tiny-test" }],
    ["general.alignment", { type: "uint32", value: alignment }],
    ...(options.license === undefined
      ? []
      : [["general.license", { type: "string", value: options.license }] as [string, MetadataValue]]),
    ...(options.parameterCount === undefined
      ? []
      : [
          ["general.parameter_count", { type: "uint64", value: options.parameterCount }] as [
            string,
            MetadataValue,
          ],
        ]),
    ["llama.context_length", { type: "uint32", value: contextLength }],
    ["llama.embedding_length", { type: "uint32", value: embedding }],
    ["llama.block_count", { type: "uint32", value: layers }],
    ["llama.feed_forward_length", { type: "uint32", value: feedForward }],
    ["llama.attention.head_count", { type: "uint32", value: heads }],
    ["llama.attention.head_count_kv", { type: "uint32", value: heads }],
    ["llama.rope.dimension_count", { type: "uint32", value: embedding / heads }],
    ["llama.attention.layer_norm_rms_epsilon", { type: "float32", value: 1e-5 }],
    ["tokenizer.ggml.model", { type: "string", value: "gpt2" }],
    ["tokenizer.ggml.pre", { type: "string", value: "gpt-2" }],
    ["tokenizer.ggml.tokens", { type: "string[]", value: vocabulary.tokens }],
    ["tokenizer.ggml.token_type", { type: "int32[]", value: vocabulary.types }],
    ["tokenizer.ggml.merges", { type: "string[]", value: merges }],
    ["tokenizer.ggml.bos_token_id", { type: "uint32", value: vocabulary.bos }],
    ["tokenizer.ggml.eos_token_id", { type: "uint32", value: vocabulary.eos }],
  ];

  const writer = new ByteWriter();
  writer.bytes(Buffer.from("GGUF", "ascii"));
  writer.uint32(3);
  writer.uint64(tensors.length);
  writer.uint64(metadata.length);
  for (const [key, value] of metadata) {
    writer.string(key);
    writeMetadataValue(writer, value);
  }
  // Tensor infos: offsets are relative to the start of the (aligned) data section, each one aligned too.
  let offset = 0;
  for (const tensor of tensors) {
    writer.string(tensor.name);
    writer.uint32(tensor.dimensions.length);
    for (const dimension of tensor.dimensions) writer.uint64(dimension);
    writer.uint32(ggmlTypeF32);
    writer.uint64(offset);
    offset += Math.ceil(tensor.data.byteLength / alignment) * alignment;
  }
  writer.padTo(alignment);
  for (const tensor of tensors) {
    writer.bytes(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
    writer.padTo(alignment);
  }
  return writer.toBuffer();
}

/** Elements of every tensor `buildTinyGguf` writes for these options: the model's parameter count. */
export function tinyGgufParameterCount(options: Omit<TinyGgufOptions, "seed">): number {
  const layers = options.layers ?? 1;
  const embedding = options.embedding ?? 32;
  const vocabularySize = byteBpeVocabulary().tokens.length;
  const feedForward = embedding * 2;
  const perBlock = 2 * embedding + 4 * embedding * embedding + 3 * embedding * feedForward;
  return 2 * embedding * vocabularySize + layers * perBlock + embedding;
}

/** Writes a tiny llama GGUF model to `path` (see `TinyGgufOptions`); returns its size in bytes. */
export async function writeTinyGguf(path: string, options: TinyGgufOptions): Promise<number> {
  const bytes = buildTinyGguf(options);
  await writeFile(path, bytes);
  return bytes.length;
}
