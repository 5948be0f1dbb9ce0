/**
 * "gradlens/node": safetensors files on disk, for Node (the engine itself stays free of Node APIs).
 *   import { saveFile, loadFile } from "gradlens/node";
 *   saveFile(model.stateDict(), "model.safetensors");      // loads in PyTorch with safetensors.torch.load_file
 *   model.loadStateDict(loadFile("from-pytorch.safetensors"));
 */
import * as fs from "node:fs";
import * as path from "node:path";
// From the package itself (external in the bundle), so tensors are the same class as the user's.
import { readSafetensors, saveSafetensors } from "gradlens";
import type { SafetensorsContents, Tensor } from "gradlens";

/**
 * Writes named tensors to `file` in the safetensors format. The bytes go to a temporary file in
 * the same folder first and replace `file` only once complete, so a crash never leaves half a checkpoint.
 */
export function saveFile(tensors: Record<string, Tensor>, file: string, metadata?: Record<string, string>): void {
  const bytes = saveSafetensors(tensors, metadata);
  const temp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(temp, bytes);
    fs.renameSync(temp, file);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw e;
  }
}

/** Reads a safetensors file into named tensors (e.g. for `model.loadStateDict`). */
export function loadFile(file: string): Record<string, Tensor> {
  return readFile(file).tensors;
}

/** Reads a safetensors file: its tensors and its "__metadata__". */
export function readFile(file: string): SafetensorsContents {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`loadFile: can't read ${file}${code === "ENOENT" ? " (no such file)" : `: ${(e as Error).message}`}`);
  }
  try {
    return readSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    (e as Error).message = `${file}: ${(e as Error).message}`;
    throw e;
  }
}
