"use strict";
// Root hook: the Python parser is WebAssembly, loaded once (asynchronously) before any test lints Python.
const { loadPython } = require("../../src/analysis/lint");

exports.mochaHooks = {
  beforeAll() {
    return loadPython();
  },
};
