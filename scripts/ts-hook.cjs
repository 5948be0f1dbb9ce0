// Lets Node require TypeScript sources directly (tests, examples, benchmarks).
// Each .ts file is transformed by esbuild on load; the bare specifier "gradlens"
// resolves to the engine's source so examples read exactly like user code.
"use strict";
const fs = require("fs");
const path = require("path");
const Module = require("module");
const esbuild = require("esbuild");

const engineEntry = path.resolve(__dirname, "..", "engine", "index.ts");
const originalResolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "gradlens") return engineEntry;
  return originalResolve.call(this, request, ...rest);
};

function compile(module, filename) {
  const source = fs.readFileSync(filename, "utf8");
  const { code } = esbuild.transformSync(source, {
    loader: filename.endsWith("x") ? "tsx" : "ts",
    format: "cjs",
    target: "node20",
    sourcefile: filename,
    sourcemap: "inline",
  });
  module._compile(code, filename);
}
for (const ext of [".ts", ".tsx", ".mts", ".cts"]) require.extensions[ext] = compile;
process.setSourceMapsEnabled?.(true);
