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
process.argv.splice(1, 1);
require(path.resolve(file));
