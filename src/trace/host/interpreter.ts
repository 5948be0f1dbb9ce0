/**
 * Which Python runs a traced PyTorch script: the first candidate, in the order the user set them,
 * that imports torch. Asked asynchronously (importing torch takes seconds on a busy machine, and
 * the VS Code client must not block on it). When none does, the error lists every interpreter
 * tried and what each lacked.
 */
import { execFile } from "node:child_process";

export interface InterpreterCandidate {
  /** The interpreter's path or command name. */
  command: string;
  /** Where the choice came from, as the user would name it: "--python", "GRADLENS_PYTHON", "python3 on PATH". */
  source: string;
  /** An explicit choice is final: when it lacks torch, the search stops there. */
  explicit?: boolean;
}

export interface FoundInterpreter {
  command: string;
  source: string;
  torch: string;
}

export class InterpreterError extends Error {}

/** The candidates in search order: an explicit flag, the environment, the editor's settings, then PATH. */
export function interpreterCandidates(choice: { flag?: string; setting?: string; pythonExtension?: string; env?: NodeJS.ProcessEnv }): InterpreterCandidate[] {
  const env = choice.env ?? process.env;
  const out: InterpreterCandidate[] = [];
  if (choice.flag) out.push({ command: choice.flag, source: "--python", explicit: true });
  if (env.GRADLENS_PYTHON) out.push({ command: env.GRADLENS_PYTHON, source: "GRADLENS_PYTHON", explicit: true });
  if (choice.setting) out.push({ command: choice.setting, source: "the gradlens.python.path setting", explicit: true });
  if (choice.pythonExtension) out.push({ command: choice.pythonExtension, source: "the Python extension's selected interpreter" });
  out.push({ command: "python3", source: "python3 on PATH" }, { command: "python", source: "python on PATH" });
  return out;
}

const PROBE = "import sys\ntry:\n import torch\nexcept Exception as e:\n print('!' + type(e).__name__ + ': ' + str(e)); sys.exit(0)\nprint(torch.__version__)";

/** What one interpreter says about torch: its version, or why it has none. */
function probe(command: string, timeoutMs: number): Promise<{ torch: string } | { lacks: string }> {
  return new Promise((resolve) => {
    execFile(command, ["-c", PROBE], { timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
      if (error !== null) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") return resolve({ lacks: "not found" });
        if (error.killed) return resolve({ lacks: `no answer within ${Math.round(timeoutMs / 1000)} s` });
        return resolve({ lacks: (stderr.trim().split("\n").pop() ?? "") || error.message });
      }
      const line = stdout.trim().split("\n").pop() ?? "";
      resolve(line.startsWith("!") ? { lacks: `cannot import torch (${line.slice(1)})` } : line === "" ? { lacks: "cannot import torch" } : { torch: line });
    });
  });
}

/**
 * Interpreters already seen to import torch, and their version: importing torch takes seconds, and
 * the editor would otherwise pay it before every run. Failures aren't kept (torch may be installed
 * next), so a fix is seen at once.
 */
const withTorch = new Map<string, string>();

export async function findTorchInterpreter(candidates: readonly InterpreterCandidate[], timeoutMs = 120_000): Promise<FoundInterpreter> {
  const tried: string[] = [];
  for (const c of candidates) {
    const known = withTorch.get(c.command);
    const answer = known !== undefined ? { torch: known } : await probe(c.command, timeoutMs);
    if ("torch" in answer) {
      withTorch.set(c.command, answer.torch);
      return { command: c.command, source: c.source, torch: answer.torch };
    }
    tried.push(`  ${c.command} (${c.source}): ${answer.lacks}`);
    if (c.explicit) break;
  }
  throw new InterpreterError(
    `no Python interpreter with torch was found. Tried:\n${tried.join("\n")}\n` +
    "Choose one with --python, the GRADLENS_PYTHON environment variable or the gradlens.python.path setting.",
  );
}
