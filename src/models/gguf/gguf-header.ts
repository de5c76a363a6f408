// Reads a GGUF file's header (metadata and tensor shapes) without node-llama-cpp: what `baseline` reports per model.

import { open } from "node:fs/promises";
import { SlmkitError } from "../../errors.js";

/**
 * A metadata value as the header holds it. Integers wider than 53 bits stay exact as bigint; arrays are kept as
 * their item type and length only (a tokenizer's vocabulary runs to megabytes and no report needs its items).
 */
export type GgufValue =
  | number
  | bigint
  | boolean
  | string
  | { type: "array"; itemType: GgufValueTypeName; length: number };

export type GgufValueTypeName =
  | "uint8"
  | "int8"
  | "uint16"
  | "int16"
  | "uint32"
  | "int32"
  | "float32"
  | "bool"
  | "string"
  | "array"
  | "uint64"
  | "int64"
  | "float64";

/** What a GGUF header says about the model, the figures `baseline` reports and where each came from. */
export interface GgufHeader {
  /** The format version: 2 or 3 (version 1, of 2023, is refused). */
  version: number;
  tensorCount: number;
  /** Every metadata key → value (arrays as type and length only). */
  metadata: ReadonlyMap<string, GgufValue>;
  /** `general.architecture`, e.g. "llama", "phi3"; undefined when absent. */
  architecture: string | undefined;
  /** `general.name`. */
  name: string | undefined;
  /** `general.license`, e.g. "mit", "apache-2.0"; undefined when the file does not say. */
  license: string | undefined;
  /** `<architecture>.context_length`: the context the model was trained for, in tokens. */
  contextLength: number | undefined;
  /** `general.parameter_count` when the file records it, else the sum of every tensor's element count. */
  parameters: number;
  parametersSource: "metadata" | "tensors";
  /** Bytes of the header (magic through the last tensor info), before alignment padding and tensor data. */
  headerBytes: number;
}

/** GGUF value types (ggml docs/gguf.md, `gguf_metadata_value_type`), by their number in the file. */
const typeNames: readonly GgufValueTypeName[] = [
  "uint8",
  "int8",
  "uint16",
  "int16",
  "uint32",
  "int32",
  "float32",
  "bool",
  "string",
  "array",
  "uint64",
  "int64",
  "float64",
];
/** Bytes of each fixed-size type; strings and arrays have none. */
const fixedSizes: Partial<Record<GgufValueTypeName, number>> = {
  uint8: 1,
  int8: 1,
  bool: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  uint64: 8,
  int64: 8,
  float64: 8,
};
/** Larger strings or counts than these mean a corrupt file, not a model: no real key, name or template is 64 MB. */
const maxStringBytes = 64 * 1024 * 1024;
const maxCount = 2 ** 40;
const maxDimensions = 8;
/** Bytes read from the file at a time, by default. */
const defaultChunkBytes = 1024 * 1024;

export interface ReadGgufHeaderOptions {
  /** Bytes read from the file at a time. Default 1 MB (1,048,576). */
  chunkBytes?: number;
}

/**
 * Reads the header of the GGUF file at `path`: version, metadata and tensor shapes, streaming the file in 1 MB
 * chunks and skipping the vocabulary arrays item by item, so a multi-gigabyte model costs a few megabytes of
 * reading. Throws MODEL_NOT_FOUND when the file cannot be opened and MODEL_CORRUPT when it is not a GGUF file
 * of version 2 or 3, or ends inside its header.
 */
export async function readGgufHeader(path: string, options: ReadGgufHeaderOptions = {}): Promise<GgufHeader> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw new SlmkitError("MODEL_NOT_FOUND", `cannot open the GGUF file ${path}; check the path.`, {
      file: path,
      cause: error,
    });
  }
  try {
    const reader = new ChunkReader(
      path,
      (buffer, position) =>
        handle.read(buffer, 0, buffer.length, position).then((result) => result.bytesRead),
      options.chunkBytes ?? defaultChunkBytes,
    );
    return await parseHeader(reader, path);
  } finally {
    await handle.close();
  }
}

async function parseHeader(reader: ChunkReader, path: string): Promise<GgufHeader> {
  const magic = (await reader.bytes(4)).toString("latin1");
  if (magic !== "GGUF") {
    throw new SlmkitError(
      "MODEL_CORRUPT",
      `${path} is not a GGUF file (it does not start with "GGUF"); convert the model with llama.cpp's convert_hf_to_gguf.py.`,
      { file: path },
    );
  }
  const version = await reader.uint32();
  if (version !== 2 && version !== 3) {
    throw new SlmkitError(
      "MODEL_CORRUPT",
      `${path} is GGUF version ${version}; slmkit reads versions 2 and 3. Convert it again with a current llama.cpp.`,
      { file: path },
    );
  }
  const tensorCount = await reader.count();
  const metadataCount = await reader.count();
  const metadata = new Map<string, GgufValue>();
  for (let index = 0; index < metadataCount; index++) {
    const key = await reader.string();
    metadata.set(key, await readValue(reader, await reader.typeName()));
  }
  let tensorParameters = 0;
  for (let index = 0; index < tensorCount; index++) {
    await reader.string();
    const dimensionCount = await reader.uint32();
    if (dimensionCount > maxDimensions) reader.corrupt(`a tensor with ${dimensionCount} dimensions`);
    let elements = 1;
    for (let dimension = 0; dimension < dimensionCount; dimension++) elements *= await reader.count();
    tensorParameters += elements;
    await reader.skip(4 + 8); // the ggml type and the data offset
  }
  const architecture = stringOf(metadata.get("general.architecture"));
  const recorded = countOf(metadata.get("general.parameter_count"));
  return {
    version,
    tensorCount,
    metadata,
    architecture,
    name: stringOf(metadata.get("general.name")),
    license: stringOf(metadata.get("general.license")),
    contextLength:
      architecture === undefined ? undefined : countOf(metadata.get(`${architecture}.context_length`)),
    parameters: recorded ?? tensorParameters,
    parametersSource: recorded === undefined ? "tensors" : "metadata",
    headerBytes: reader.position,
  };
}

async function readValue(reader: ChunkReader, type: GgufValueTypeName): Promise<GgufValue> {
  switch (type) {
    case "string":
      return reader.string();
    case "array": {
      const itemType = await reader.typeName();
      const length = await reader.count();
      const size = fixedSizes[itemType];
      if (size !== undefined) await reader.skip(size * length);
      else for (let index = 0; index < length; index++) await readValue(reader, itemType);
      return { type: "array", itemType, length };
    }
    default:
      return reader.scalar(type);
  }
}

function stringOf(value: GgufValue | undefined): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** A non-negative integer metadata value as a number (a bigint beyond 2^53 loses only precision no report shows). */
function countOf(value: GgufValue | undefined): number | undefined {
  if (typeof value === "bigint") return value >= 0n ? Number(value) : undefined;
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** Sequential reads over a file, one chunk in memory at a time. */
class ChunkReader {
  position = 0;
  #buffer = Buffer.alloc(0);
  /** File offset of `#buffer[0]`. */
  #start = 0;

  constructor(
    private readonly path: string,
    private readonly read: (buffer: Buffer, position: number) => Promise<number>,
    private readonly chunkBytes: number,
  ) {}

  corrupt(what: string): never {
    throw new SlmkitError(
      "MODEL_CORRUPT",
      `${this.path} is not a valid GGUF file: ${what} at byte ${this.position}. Download or convert it again.`,
      { file: this.path },
    );
  }

  /** The next `length` bytes (a view valid until the next read). */
  async bytes(length: number): Promise<Buffer> {
    const end = this.position + length;
    if (end > this.#start + this.#buffer.length) {
      const chunk = Buffer.alloc(Math.max(length, this.chunkBytes));
      const read = await this.read(chunk, this.position);
      if (read < length) this.corrupt(`the file ends inside its header (${length} bytes wanted)`);
      this.#buffer = chunk.subarray(0, read);
      this.#start = this.position;
    }
    const offset = this.position - this.#start;
    this.position = end;
    return this.#buffer.subarray(offset, offset + length);
  }

  async skip(length: number): Promise<void> {
    if (length === 0) return;
    if (this.position + length <= this.#start + this.#buffer.length) this.position += length;
    else {
      // Past the chunk: the byte before the next field must exist, or the file ends inside the header.
      this.position += length - 1;
      await this.bytes(1);
    }
  }

  async uint32(): Promise<number> {
    return (await this.bytes(4)).readUInt32LE(0);
  }

  /** A uint64 count or length, refused when no real file could hold that many. */
  async count(): Promise<number> {
    const value = (await this.bytes(8)).readBigUInt64LE(0);
    if (value > BigInt(maxCount)) this.corrupt(`a count of ${value}`);
    return Number(value);
  }

  async typeName(): Promise<GgufValueTypeName> {
    const code = await this.uint32();
    const name = typeNames[code];
    if (name === undefined) this.corrupt(`unknown value type ${code}`);
    return name;
  }

  async string(): Promise<string> {
    const length = await this.count();
    if (length > maxStringBytes) this.corrupt(`a string of ${length} bytes`);
    return (await this.bytes(length)).toString("utf8");
  }

  async scalar(type: GgufValueTypeName): Promise<number | bigint | boolean> {
    const size = fixedSizes[type] ?? 0;
    const bytes = await this.bytes(size);
    switch (type) {
      case "uint8":
        return bytes.readUInt8(0);
      case "int8":
        return bytes.readInt8(0);
      case "bool":
        return bytes.readUInt8(0) !== 0;
      case "uint16":
        return bytes.readUInt16LE(0);
      case "int16":
        return bytes.readInt16LE(0);
      case "uint32":
        return bytes.readUInt32LE(0);
      case "int32":
        return bytes.readInt32LE(0);
      case "float32":
        return bytes.readFloatLE(0);
      case "float64":
        return bytes.readDoubleLE(0);
      case "uint64": {
        const value = bytes.readBigUInt64LE(0);
        return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
      }
      case "int64": {
        const value = bytes.readBigInt64LE(0);
        return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
          ? Number(value)
          : value;
      }
      default:
        return this.corrupt(`a ${type} where a number was expected`);
    }
  }
}
