// Prints both loss curves of examples/missing-zero-grad.ts as JSON for the demo.
import { trainWithZeroGrad, trainWithoutZeroGrad } from "../examples/missing-zero-grad";

console.log(JSON.stringify({ with: trainWithZeroGrad().losses, without: trainWithoutZeroGrad().losses }));
