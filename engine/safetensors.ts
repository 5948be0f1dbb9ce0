/**
 * The safetensors format, both ways, as pure functions over bytes (no file system here; see
 * "gradlens/node" for files). Layout: an 8-byte little-endian header length, a JSON header
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}, then
 * the tensors' bytes, little-endian, row-major. A state dict saved here loads in PyTorch with
 * `safetensors.torch.load_file`, and PyTorch's `save_file` output loads here.
 */
import { Tensor } from "./tensor";
import { allocate, DType } from "./dtype";
import { fmt, numel } from "./shape";

/** Element types read (the float ones to their own dtype, the rest converted to float32/float64 values). */
const READERS: Record<string, { bytes: number; to: DType; read: (v: DataView, at: number) => number }> = {
  F64: { bytes: 8, to: "float64", read: (v, at) => v.getFloat64(at, true) },
  F32: { bytes: 4, to: "float32", read: (v, at) => v.getFloat32(at, true) },
  F16: { bytes: 2, to: "float32", read: (v, at) => halfToFloat(v.getUint16(at, true)) },
  BF16: { bytes: 2, to: "float32", read: (v, at) => bfloat16ToFloat(v.getUint16(at, true)) },
  I64: { bytes: 8, to: "float64", read: (v, at) => exactInt(v.getBigInt64(at, true)) },
  I32: { bytes: 4, to: "float64", read: (v, at) => v.getInt32(at, true) },
  I16: { bytes: 2, to: "float32", read: (v, at) => v.getInt16(at, true) },
  I8: { bytes: 1, to: "float32", read: (v, at) => v.getInt8(at) },
  U8: { bytes: 1, to: "float32", read: (v, at) => v.getUint8(at) },
  BOOL: { bytes: 1, to: "float32", read: (v, at) => (v.getUint8(at) !== 0 ? 1 : 0) },
};

function exactInt(v: bigint): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`loadSafetensors: the integer ${v} can't be held exactly (beyond ±2^53)`);
  return n;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function bfloat16ToFloat(b: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, b << 16, true);
  return view.getFloat32(0, true);
}

/** A state dict (or any named tensors) as safetensors bytes; `metadata` goes into "__metadata__". */
export function saveSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  if (tensors === null || typeof tensors !== "object") throw new TypeError("saveSafetensors: expected an object of named tensors (e.g. model.stateDict())");
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== "string") throw new TypeError(`saveSafetensors: metadata values must be strings; "${k}" is ${typeof v}`);
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    if (!(t instanceof Tensor)) throw new TypeError(`saveSafetensors: "${name}" is not a Tensor`);
    if (name === "__metadata__") throw new RangeError('saveSafetensors: "__metadata__" is reserved for metadata');
    const bytes = t.numel() * (t.dtype === "float64" ? 8 : 4);
    header[name] = { dtype: t.dtype === "float64" ? "F64" : "F32", shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  // The header is padded with spaces so the data starts 8-byte aligned (as the reference writer does).
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const name of names) {
    const t = tensors[name], d = t.data;
    if (t.dtype === "float64") for (let i = 0; i < d.length; i++, at += 8) view.setFloat64(at, d[i], true);
    else for (let i = 0; i < d.length; i++, at += 4) view.setFloat32(at, d[i], true);
  }
  return out;
}

export interface SafetensorsContents {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** Parses safetensors bytes: each tensor (a new storage, float32 or float64) and the metadata. */
export function readSafetensors(bytes: Uint8Array): SafetensorsContents {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("loadSafetensors: expected the file's bytes as a Uint8Array");
  if (bytes.length < 8) throw new RangeError(`loadSafetensors: ${bytes.length} bytes is too short for a safetensors file (the 8-byte header length is missing)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) throw new RangeError(`loadSafetensors: the header claims ${headerLength} bytes, but the file has ${bytes.length - 8} after the length (not a safetensors file, or truncated)`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    throw new SyntaxError(`loadSafetensors: the header is not valid JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + headerLength, dataLength = bytes.length - dataStart;
  const tensors: Record<string, Tensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") { metadata = entry as Record<string, string>; continue; }
    const { dtype, shape, data_offsets: offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const reader = READERS[dtype];
    if (reader === undefined) throw new RangeError(`loadSafetensors: "${name}" has dtype ${dtype}, which gradlens can't read (it reads ${Object.keys(READERS).join(", ")})`);
    if (!Array.isArray(shape) || shape.some((s) => !Number.isInteger(s) || s < 0)) throw new RangeError(`loadSafetensors: "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    const [begin, end] = offsets ?? [];
    const count = numel(shape);
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end > dataLength || end - begin !== count * reader.bytes) {
      throw new RangeError(`loadSafetensors: "${name}" (${dtype} ${fmt(shape)}) has data offsets ${JSON.stringify(offsets)} that don't fit its size (${count * reader.bytes} bytes) within the ${dataLength} data bytes`);
    }
    const data = allocate(reader.to, count);
    const at0 = dataStart + begin;
    for (let i = 0; i < count; i++) data[i] = reader.read(view, at0 + i * reader.bytes);
    tensors[name] = Tensor.fromData(data, shape, reader.to);
  }
  return { tensors, metadata };
}

/** Parses safetensors bytes into named tensors (e.g. for `model.loadStateDict`). */
export function loadSafetensors(bytes: Uint8Array): Record<string, Tensor> {
  return readSafetensors(bytes).tensors;
}
