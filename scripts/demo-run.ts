// One of the two runs of examples/missing-zero-grad.ts, for `npm run demo` to trace: `with` or `without`.
import { trainWithZeroGrad, trainWithoutZeroGrad } from "../examples/missing-zero-grad";

const which = process.argv[2];
if (which !== "with" && which !== "without") throw new Error(`usage: demo-run.ts with|without (got ${JSON.stringify(which)})`);
(which === "with" ? trainWithZeroGrad : trainWithoutZeroGrad)();
