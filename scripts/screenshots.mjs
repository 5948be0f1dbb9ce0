// `npm run screenshots`: the README's screenshots, from the last test run (the VS Code end-to-end
// suite writes them to test-output/e2e-vscode/). Run `npm test` first.
import { copyFileSync, existsSync } from "node:fs";

const SHOTS = {
  "media/screenshots/quick-fix.png": "test-output/e2e-vscode/2-quick-fixes.png",
  "media/screenshots/trace-panel.png": "test-output/e2e-vscode/trace-panel.png",
  "media/screenshots/trace-gan.png": "test-output/e2e-vscode/trace-gan.png",
  "media/screenshots/notebook-quick-fix.png": "test-output/e2e-vscode/p2-notebook-quick-fix.png",
  "media/screenshots/trace-pytorch.png": "test-output/e2e-vscode/p3-python-trace.png",
  "media/screenshots/trace-notebook-cell.png": "test-output/trace-view/notebook-cell.png",
};
const missing = Object.values(SHOTS).filter((f) => !existsSync(f));
if (missing.length > 0) {
  console.error(`no screenshot at ${missing.join(", ")}: run npm test (with the end-to-end suites) first`);
  process.exit(1);
}
for (const [to, from] of Object.entries(SHOTS)) {
  copyFileSync(from, to);
  console.log(`${from} → ${to}`);
}
