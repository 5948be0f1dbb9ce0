"use strict";
require("../../scripts/ts-hook.cjs");
// Worker threads started by the analysis (deeply nested files) load TypeScript sources too.
process.env.GRADLENS_TS_HOOK = require.resolve("../../scripts/ts-hook.cjs");
