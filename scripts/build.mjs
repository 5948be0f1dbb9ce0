// One build for everything: the extension (vscode external), the engine as a library
// (CommonJS + ESM, plus .d.ts), and the CLI. `--watch` rebuilds on change.
import * as esbuild from "esbuild";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

const watch = process.argv.includes("--watch");
const common = { bundle: true, sourcemap: true, target: "node20", logLevel: "warning" };

const builds = [
  // The VS Code extension: the thin client (vscode-languageclient bundled, vscode external)...
  { ...common, entryPoints: ["src/extension.ts"], outfile: "dist/extension.js", platform: "node", format: "cjs", external: ["vscode"], minify: true, sourcesContent: false },
  // ...and the language server it starts, parser included (also loaded on its analysis worker).
  {
    ...common,
    entryPoints: ["src/server/main.ts"],
    outfile: "dist/server.js",
    platform: "node",
    format: "cjs",
    define: { "import.meta.url": "__gradlensImportMetaUrl" },
    banner: { js: 'const __gradlensImportMetaUrl = require("url").pathToFileURL(__filename).href;' },
    minify: true,
    sourcesContent: false,
  },
  { ...common, entryPoints: ["engine/index.ts"], outfile: "dist/engine.js", platform: "neutral", format: "cjs", mainFields: ["module", "main"] },
  { ...common, entryPoints: ["engine/index.ts"], outfile: "dist/engine.mjs", platform: "neutral", format: "esm", mainFields: ["module", "main"] },
  {
    ...common,
    entryPoints: ["src/cli/main.ts"],
    outfile: "dist/cli.js",
    platform: "node",
    format: "cjs",
    // Self-contained: the parser (typescript-estree and TypeScript) is bundled, so installing the
    // engine doesn't add the linter's dependencies to a user's project. ESM dependencies that
    // read import.meta.url get this file's URL (a CommonJS bundle has no import.meta).
    define: { "import.meta.url": "__gradlensImportMetaUrl" },
    // Mapped lines for stack traces, without embedding the bundled dependencies' sources.
    sourcesContent: false,
    minifyWhitespace: true,
    banner: { js: '#!/usr/bin/env node\nconst __gradlensImportMetaUrl = require("url").pathToFileURL(__filename).href;' },
  },
  // The trace view (webview and HTML report): browser code with uPlot bundled in.
  { ...common, entryPoints: ["media/traceView.ts"], outfile: "media/build/traceView.js", platform: "browser", format: "iife", minify: true, sourcemap: false },
];

/** The view's styles: uPlot's, then ours. */
function buildStyles() {
  mkdirSync("media/build", { recursive: true });
  writeFileSync("media/build/traceView.css", readFileSync("node_modules/uplot/dist/uPlot.min.css", "utf8") + "\n" + readFileSync("media/traceView.css", "utf8"));
}

if (watch) {
  buildStyles();
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log("watching for changes...");
} else {
  rmSync("dist", { recursive: true, force: true });
  rmSync("media/build", { recursive: true, force: true });
  buildStyles();
  await Promise.all(builds.map((b) => esbuild.build(b)));
  chmodSync("dist/cli.js", 0o755);
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.types.json"], { stdio: "inherit" });
}
