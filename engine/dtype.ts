/** Floating-point element types. float32 is the default, float64 is what gradient checks use. */
export type DType = "float32" | "float64";
export type Data = Float32Array | Float64Array;

export const DEFAULT_DTYPE: DType = "float32";

export function allocate(dtype: DType, size: number): Data {
  return dtype === "float64" ? new Float64Array(size) : new Float32Array(size);
}

export function dtypeOf(data: Data): DType {
  return data instanceof Float64Array ? "float64" : "float32";
}

/** Result type of a binary op: float64 wins, as in PyTorch's type promotion for floats. */
export function promote(a: DType, b: DType): DType {
  return a === "float64" || b === "float64" ? "float64" : "float32";
}

export function checkDType(dtype: unknown, where: string): DType {
  if (dtype === undefined) return DEFAULT_DTYPE;
  if (dtype === "float32" || dtype === "float64") return dtype;
  throw new TypeError(`${where}: unsupported dtype ${JSON.stringify(dtype)} (expected "float32" or "float64")`);
}
