/** The Python that imports torch, for suites that trace real PyTorch runs (Debian's python3-torch in CI). */
import { spawnSync } from "node:child_process";

let cached: { python: string; missing: string | null } | null = null;

export function torchPython(): { python: string; missing: string | null } {
  if (cached !== null) return cached;
  const python = process.env.GRADLENS_PYTHON ?? "/usr/bin/python3";
  const r = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
  cached = { python, missing: r.status === 0 ? null : `${python} cannot import torch (apt-get install python3-torch, or set GRADLENS_PYTHON): ${(r.stderr ?? String(r.error)).trim().split("\n").pop()}` };
  return cached;
}
