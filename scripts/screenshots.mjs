// `npm run screenshots`: the README's screenshots, from the last test run (the VS Code end-to-end
// suite writes them to test-output/e2e-vscode/). Run `npm test` first.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, statSync } from "node:fs";

// Screenshots are UI: 256 colours lose nothing visible and halve them (the VSIX carries them).
// Debian's Pillow does it; without it they are copied as they are.
const QUANTIZE = `import sys
from PIL import Image
Image.open(sys.argv[1]).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(sys.argv[2], optimize=True)`;
let quantize = true;

const SHOTS = {
  "media/screenshots/quick-fix.png": "test-output/e2e-vscode/2-quick-fixes.png",
  "media/screenshots/trace-panel.png": "test-output/e2e-vscode/trace-panel.png",
  "media/screenshots/trace-gan.png": "test-output/e2e-vscode/trace-gan.png",
  "media/screenshots/notebook-quick-fix.png": "test-output/e2e-vscode/p2-notebook-quick-fix.png",
  "media/screenshots/trace-pytorch.png": "test-output/e2e-vscode/p3-python-trace.png",
  "media/screenshots/trace-notebook-cell.png": "test-output/trace-view/notebook-cell.png",
  "media/screenshots/demo-cnn.png": "test-output/trace-view/demo-cnn-digits.png",
  "media/screenshots/demo-gpt.png": "test-output/trace-view/demo-tiny-gpt.png",
};
const missing = Object.values(SHOTS).filter((f) => !existsSync(f));
if (missing.length > 0) {
  console.error(`no screenshot at ${missing.join(", ")}: run npm test (with the end-to-end suites) first`);
  process.exit(1);
}
for (const [to, from] of Object.entries(SHOTS)) {
  if (quantize) {
    try {
      execFileSync("/usr/bin/python3", ["-c", QUANTIZE, from, to], { stdio: ["ignore", "ignore", "pipe"] });
    } catch (e) {
      quantize = false;
      console.warn(`not quantizing (no Pillow for /usr/bin/python3: apt-get install python3-pil): ${String(e.stderr ?? e).trim().split("\n").pop()}`);
    }
  }
  if (!quantize) copyFileSync(from, to);
  console.log(`${from} → ${to} (${Math.round(statSync(to).size / 1024)} KB)`);
}
