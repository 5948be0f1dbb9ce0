// `npm run package`: the minified bundles, then gradlens-<version>.vsix with @vscode/vsce. Only
// what .vscodeignore whitelists goes in, and no node_modules (the bundles carry their
// dependencies). Packaged from a staging folder because package.json's "files" (the npm package:
// engine + CLI) and .vscodeignore can't both be given to vsce. Prints the size.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const require = createRequire(import.meta.url);
const manifest = JSON.parse(readFileSync("package.json", "utf8"));
const at = process.argv.indexOf("--out");
const out = resolve(at >= 0 ? process.argv[at + 1] : `gradlens-${manifest.version}.vsix`);
const LIMIT = 2.5 * 1024 * 1024;

if (!process.argv.includes("--no-build")) execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
const stage = mkdtempSync(join(tmpdir(), "gradlens-vsix-"));
try {
  for (const f of [".vscodeignore", "README.md", "LICENSE", "CHANGELOG.md", "ARCHITECTURE.md", "docs", "media", "dist/extension.js", "dist/server.js", "dist/engine.js", "dist/engine.mjs", "dist/web-tree-sitter.wasm", "dist/tree-sitter-python.wasm", "dist/python"]) cpSync(f, join(stage, f), { recursive: true });
  // The extension's manifest: no npm-package fields, no scripts (vsce would run "vscode:prepublish").
  const { files, scripts, devDependencies, exports, types, bin, ...vsix } = manifest;
  writeFileSync(join(stage, "package.json"), JSON.stringify(vsix, null, 2));
  const vsce = require.resolve("@vscode/vsce/vsce");
  // README links are relative to the repository; vsce would otherwise rewrite them to a guessed URL.
  execFileSync(process.execPath, [vsce, "package", "--no-dependencies", "--no-rewrite-relative-links", "--out", out], { cwd: stage, stdio: "inherit" });
} finally {
  rmSync(stage, { recursive: true, force: true });
}
const bytes = statSync(out).size;
console.log(`${out}: ${(bytes / 1024 / 1024).toFixed(2)} MB (${bytes.toLocaleString("en")} bytes)`);
if (bytes > LIMIT) {
  console.error(`the VSIX is over the 2.5 MB limit`);
  process.exitCode = 1;
}
