"use strict";
require("../../scripts/ts-hook.cjs");
