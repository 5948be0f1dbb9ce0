#!/usr/bin/env node
// Runs a TypeScript file (example, benchmark) with the engine importable as "gradlens".
"use strict";
const path = require("path");
require("./ts-hook.cjs");
const file = process.argv[2];
if (!file) {
  console.error("usage: node scripts/run-ts.cjs <file.ts> [args...]");
  process.exit(2);
}
// Run it as the main module, so `require.main === module` holds in the script.
process.argv.splice(1, 2, path.resolve(file));
require("module").runMain();
