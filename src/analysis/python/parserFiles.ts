/**
 * Finding the parser's two WebAssembly files on disk (Node only): beside the running bundle in
 * `dist/` (the VSIX and the npm package ship them there), else in node_modules (tests, `tsx`).
 * Kept apart from the analysis, which takes the bytes and never touches the file system itself.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { PythonParserFiles } from "./parse";

const RUNTIME = "web-tree-sitter.wasm";
const GRAMMAR = "tree-sitter-python.wasm";

function locate(file: string, packageName: string): string {
  const besideBundle = path.join(__dirname, file);
  if (existsSync(besideBundle)) return besideBundle;
  try {
    return require.resolve(`${packageName}/${file}`);
  } catch {
    throw new Error(`the Python parser's ${file} was found neither beside ${__dirname} nor in the ${packageName} package: reinstall gradlens`);
  }
}

export function pythonParserFiles(): PythonParserFiles {
  return { runtime: readFileSync(locate(RUNTIME, "web-tree-sitter")), grammar: readFileSync(locate(GRAMMAR, "tree-sitter-python")) };
}
