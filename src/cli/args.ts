/**
 * Command-line parsing for `gradlens`. Each command's flags are one table, read by the parser, the
 * help text and the "did you mean" of a mistyped flag. Bad input is a UsageError: one short
 * message naming what was wrong (and the closest flag), never the whole help (exit 2).
 */

import { editDistance } from "../../engine/options";

export type Command = "lint" | "trace" | "run" | "lsp" | "python-path";

export class UsageError extends Error {
  constructor(message: string, readonly command?: Command) {
    super(message);
  }
}

export type Format = "stylish" | "json" | "sarif";
export type Placement = "after-step" | "loop-start";

export interface LintArgs {
  command: "lint";
  paths: string[];
  format: Format;
  fix: boolean;
  placement: Placement;
  engineModules: string[];
  color: boolean;
}

/** `gradlens run <file>` (no tracing) and `gradlens trace <file>`, or either with `-- <command…>`. */
export interface RunArgs {
  command: "run" | "trace";
  /** The script; with `launch`, the first `.py` file the command names (or ""). */
  file: string;
  /** The script's own arguments: after `--`, or after the script. */
  scriptArgs: string[];
  /** `gradlens trace [options] -- torchrun …`: a command run as given, every Python process in it traced. */
  launch?: string[];
  /** The interpreter for a `.py` script. */
  python?: string;
  steps?: number;
  timeoutSeconds?: number;
  memoryMb?: number;
  logEvery?: number;
  explodingNorm?: number;
  vanishingNorm?: number;
  json?: string;
  out?: string;
  color: boolean;
}

export type Args = LintArgs | RunArgs | { command: "help"; topic?: Command } | { command: "version" } | { command: "python-path" };

interface Flag {
  name: string;
  /** The value's placeholder; absent for a switch. */
  value?: string;
  help: string;
}

const COMMON: Flag[] = [
  { name: "--no-color", help: "plain output" },
  { name: "--help", help: "show this help" },
];

const RUN_FLAGS: Flag[] = [
  { name: "--timeout", value: "S", help: "stop the script after S seconds (default: no limit)" },
  { name: "--memory", value: "MB", help: "a TypeScript script's heap limit in MB (default: Node's own)" },
  { name: "--python", value: "PATH", help: "the interpreter for a .py script (default: GRADLENS_PYTHON, then python3 on PATH)" },
];

export const FLAGS: Record<Command, Flag[]> = {
  lint: [
    { name: "--format", value: "stylish|json|sarif", help: "output format (default: stylish)" },
    { name: "--fix", help: "apply fixes in place (the zero right after step())" },
    { name: "--fix-placement", value: "after-step|loop-start", help: "where --fix inserts the zero when a finding offers both" },
    { name: "--engine-module", value: "NAME", help: "also treat files importing NAME as training scripts (repeatable)" },
    { name: "--color", help: "colour even when not writing to a terminal" },
    ...COMMON,
  ],
  trace: [
    { name: "--steps", value: "N", help: "stop after N optimizer steps (default: no limit)" },
    ...RUN_FLAGS,
    { name: "--log-every", value: "N", help: "per-parameter statistics every N steps (the first 100 always; default 1)" },
    { name: "--exploding-norm", value: "X", help: "alert when a gradient's L2 norm exceeds X (default 10000)" },
    { name: "--vanishing-norm", value: "X", help: "alert when every gradient norm is below X (default 1e-8)" },
    { name: "--json", value: "FILE", help: "write the trace as JSON" },
    { name: "--out", value: "FILE", help: "write the trace view as a self-contained HTML report" },
    ...COMMON,
  ],
  run: [...RUN_FLAGS, ...COMMON],
  lsp: [{ name: "--stdio", help: "talk LSP over stdin/stdout (the default)" }, { name: "--node-ipc", help: "talk LSP over Node IPC" }, { name: "--help", help: "show this help" }],
  "python-path": [{ name: "--help", help: "show this help" }],
};

const SYNOPSIS: Record<Command, [string, string]> = {
  lint: ["gradlens lint [options] [paths or globs...]", "Check training loops (TypeScript, Python, notebooks) for missing or misplaced zeroGrad() /\nzero_grad() calls. Paths default to the current folder; files listed in .gitignore are skipped."],
  trace: ["gradlens trace [options] <script> [script args...]\n       gradlens trace [options] -- <command...>", "Run a training script (TypeScript on the bundled engine, or Python on the PyTorch of the\ninterpreter) and record its loss and per-parameter gradients at every step, with alerts for\ngradient bugs confirmed at runtime. After --, any command that starts Python is traced in every\nprocess it starts: torchrun, accelerate launch, python -m pkg.train."],
  run: ["gradlens run [options] <script> [script args...]\n       gradlens run [options] -- <command...>", "Run a training script without tracing (TypeScript with the bundled engine)."],
  lsp: ["gradlens lsp [--stdio]", "The language server, for editors."],
  "python-path": ["gradlens python-path", "Print the folder of the Python tracer (the gradlens package, for PYTHONPATH or pip install)."],
};

export const EXIT_CODES = `exit codes:
  lint    0 no findings, 1 findings or files that failed to parse, 2 usage error
  trace   0 the script finished with no alert, 1 alerts, or the script failed or was stopped
          (a failing script's own code when it has one), 2 usage error or no such script
  run     the script's own exit code, 2 usage error or no such script`;

const flagLine = (f: Flag) => `  ${`${f.name}${f.value !== undefined ? ` <${f.value}>` : ""}`.padEnd(38)} ${f.help}`;

export function commandHelp(command: Command): string {
  const [synopsis, what] = SYNOPSIS[command];
  return `usage: ${synopsis}\n\n${what}\n\noptions:\n${FLAGS[command].map(flagLine).join("\n")}\n\n${EXIT_CODES}`;
}

export const USAGE = `usage: gradlens <command> [options]

commands:
  lint          check training loops for missing or misplaced zeroGrad() / zero_grad() (files, folders, globs)
  trace         run a training script and record loss and gradients per step
  run           run a training script (no tracing)
  lsp           the language server, for editors
  python-path   print the folder of the Python tracer (for a notebook kernel's PYTHONPATH)

Run "gradlens <command> --help" for a command's options.
  -h, --help       show this help
  -v, --version    print the version

${EXIT_CODES}`;

/** The closest of `known` to `typed`, when it is close enough to be a typo. */
export function closest(typed: string, known: readonly string[]): string | null {
  let best: string | null = null, bestD = Infinity;
  for (const k of known) {
    const d = editDistance(typed, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== null && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : null;
}

function unknownFlag(command: Command, a: string, hint = ""): UsageError {
  const typed = a.split("=")[0];
  const own = FLAGS[command].map((f) => f.name);
  const near = closest(typed, own);
  // A flag of another command: say whose it is.
  const elsewhere = (Object.keys(FLAGS) as Command[]).find((c) => c !== command && FLAGS[c].some((f) => f.name === typed));
  const why = near !== null ? `; did you mean ${near}?` : elsewhere !== undefined ? ` (it is an option of gradlens ${elsewhere})` : hint;
  return new UsageError(`unknown option ${typed} for gradlens ${command}${why}`, command);
}

function takeValue(argv: string[], i: number, command: Command, flag: string, allowed?: readonly string[]): string {
  const eq = argv[i].indexOf("=");
  const value = eq >= 0 ? argv[i].slice(eq + 1) : argv[i + 1];
  if (value === undefined || value === "" || (eq < 0 && value.startsWith("-") && !/^-\d/.test(value))) throw new UsageError(`${flag} needs a value${allowed ? ` (one of ${allowed.join(", ")})` : ""}`, command);
  if (allowed && !allowed.includes(value)) {
    const near = closest(value, allowed);
    throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}${near !== null ? `; did you mean ${near}?` : ""}`, command);
  }
  return value;
}

const COMMANDS: Command[] = ["lint", "trace", "run", "lsp", "python-path"];

export function parseArgs(argv: string[], isTTY: boolean): Args {
  if (argv.length === 0 || argv[0] === "-h" || argv[0] === "--help") return { command: "help" };
  if (argv[0] === "help") return { command: "help", topic: COMMANDS.find((c) => c === argv[1]) };
  if (argv[0] === "-v" || argv[0] === "--version") return { command: "version" };
  const [command, ...rest] = argv;
  if (command === "run" || command === "trace") return parseRunArgs(command, rest, isTTY);
  if (command === "python-path") {
    if (rest.includes("--help") || rest.includes("-h")) return { command: "help", topic: "python-path" };
    if (rest.length > 0) throw new UsageError(`gradlens python-path takes no arguments, got ${JSON.stringify(rest[0])}`, "python-path");
    return { command: "python-path" };
  }
  if (command === "lsp") {
    if (rest.includes("--help") || rest.includes("-h")) return { command: "help", topic: "lsp" };
    throw new UsageError("gradlens lsp runs the language server; start it from main", "lsp");
  }
  if (command !== "lint") {
    const near = closest(command, COMMANDS);
    throw new UsageError(`unknown command ${JSON.stringify(command)}${near !== null ? `; did you mean ${near}?` : ` (expected ${COMMANDS.join(", ")})`}`);
  }
  const args: LintArgs = {
    command: "lint", paths: [], format: "stylish", fix: false, placement: "after-step", engineModules: ["gradlens"],
    color: isTTY && !process.env.NO_COLOR,
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const flag = a.split("=")[0];
    const consumes = !a.includes("=");
    switch (flag) {
      case "--format": args.format = takeValue(rest, i, "lint", flag, ["stylish", "json", "sarif"]) as Format; if (consumes) i++; break;
      case "--fix": args.fix = true; break;
      case "--fix-placement": args.placement = takeValue(rest, i, "lint", flag, ["after-step", "loop-start"]) as Placement; if (consumes) i++; break;
      case "--engine-module": args.engineModules.push(takeValue(rest, i, "lint", flag)); if (consumes) i++; break;
      case "--no-color": args.color = false; break;
      case "--color": args.color = true; break;
      case "-h": case "--help": return { command: "help", topic: "lint" };
      default:
        if (a.startsWith("-") && a !== "-") throw unknownFlag("lint", a);
        args.paths.push(a);
    }
  }
  if (args.paths.length === 0) args.paths.push(".");
  return args;
}

function positiveInt(value: string, command: Command, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive whole number, got ${JSON.stringify(value)}`, command);
  return n;
}

function positiveNumber(value: string, command: Command, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, got ${JSON.stringify(value)}`, command);
  return n;
}

function parseRunArgs(command: "run" | "trace", rest: string[], isTTY: boolean): RunArgs | { command: "help"; topic: Command } {
  const args: RunArgs = { command, file: "", scriptArgs: [], color: isTTY && !process.env.NO_COLOR };
  const traceOnly = (flag: string) => {
    if (command === "run") throw new UsageError(`${flag} is an option of gradlens trace (gradlens run only runs the script)`, command);
  };
  // Trace's flags given to run still get run's "that is an option of gradlens trace".
  const own = [...new Set([...FLAGS.trace, ...FLAGS.run].map((f) => f.name))];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "--") {
      // Before the script: a command to run as given. After it: the script's own arguments.
      if (args.file === "") {
        args.launch = rest.slice(i + 1);
        if (args.launch.length === 0) throw new UsageError(`gradlens ${command} -- needs a command to run (e.g. torchrun --nproc_per_node 2 train.py)`, command);
        args.file = args.launch.find((w) => /\.py$/i.test(w)) ?? "";
      } else {
        args.scriptArgs.push(...rest.slice(i + 1));
      }
      return args;
    }
    const flag = a.split("=")[0];
    const consumes = !a.includes("=");
    const value = () => takeValue(rest, i, command, flag);
    // After the script, a flag that isn't GradLens's (nor a typo of one) starts the script's own arguments.
    if (args.file !== "" && a.startsWith("-") && !own.includes(flag) && flag !== "-h" && closest(flag, own) === null) {
      args.scriptArgs.push(...rest.slice(i));
      return args;
    }
    switch (flag) {
      case "--steps": traceOnly(flag); args.steps = positiveInt(value(), command, flag); if (consumes) i++; break;
      case "--timeout": args.timeoutSeconds = positiveNumber(value(), command, flag); if (consumes) i++; break;
      case "--memory": args.memoryMb = positiveInt(value(), command, flag); if (consumes) i++; break;
      case "--python": args.python = value(); if (consumes) i++; break;
      case "--log-every": traceOnly(flag); args.logEvery = positiveInt(value(), command, flag); if (consumes) i++; break;
      case "--exploding-norm": traceOnly(flag); args.explodingNorm = positiveNumber(value(), command, flag); if (consumes) i++; break;
      case "--vanishing-norm": traceOnly(flag); args.vanishingNorm = positiveNumber(value(), command, flag); if (consumes) i++; break;
      case "--json": traceOnly(flag); args.json = value(); if (consumes) i++; break;
      case "--out": traceOnly(flag); args.out = value(); if (consumes) i++; break;
      case "--no-color": args.color = false; break;
      case "-h": case "--help": return { command: "help", topic: command };
      default:
        if (a.startsWith("-")) throw unknownFlag(command, a, " (a command to run goes after --)");
        if (args.file !== "") {
          // `gradlens trace train.py data.txt --epochs 3`: the rest is the script's.
          args.scriptArgs.push(...rest.slice(i));
          return args;
        }
        args.file = a;
    }
  }
  if (args.file === "") throw new UsageError(`gradlens ${command} needs a script to run (or -- and a command)`, command);
  return args;
}

/** What a usage error prints: the message and where to read more (never the whole help). */
export function usageErrorText(e: UsageError): string {
  return `gradlens: ${e.message}\nRun "gradlens ${e.command !== undefined ? `${e.command} ` : ""}--help" for usage.\n`;
}
