/** Command-line parsing for `gradlens`. Bad input is a UsageError naming what was wrong (exit 2). */

export class UsageError extends Error {}

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

/** `gradlens run <file>` (no tracing) and `gradlens trace <file>`. */
export interface RunArgs {
  command: "run" | "trace";
  file: string;
  /** After `--`: the script's own arguments. */
  scriptArgs: string[];
  steps?: number;
  timeoutSeconds?: number;
  logEvery?: number;
  json?: string;
  out?: string;
  color: boolean;
}

export type Args = LintArgs | RunArgs | { command: "help" } | { command: "version" };

export const USAGE = `usage: gradlens lint [options] [paths or globs...]
       gradlens trace <file> [--steps N] [--timeout S] [--log-every N] [--json F] [--out F] [-- args]
                                     run a training script and record loss and gradients per step
       gradlens run <file> [-- args]  run a TypeScript or JavaScript training script (no tracing)
       gradlens lsp [--stdio]        the language server, for editors (LSP over stdio)

Checks training loops for missing or misplaced zeroGrad() calls.
Paths default to the current folder (files listed in .gitignore are skipped).

options:
  --format <stylish|json|sarif>          output format (default: stylish)
  --fix                                  apply fixes in place (zeroGrad() right after step())
  --fix-placement <after-step|loop-start>
                                         where --fix inserts zeroGrad() when a finding offers both
  --engine-module <name>                 also treat files importing <name> as training scripts
                                         (repeatable; "gradlens" is always included)
  --no-color                             plain output
  -h, --help                             show this help
  -v, --version                          print the version

exit codes: 0 no findings, 1 findings or files that failed to parse, 2 usage error`;

function takeValue(argv: string[], i: number, flag: string, allowed?: readonly string[]): string {
  const eq = argv[i].indexOf("=");
  const value = eq >= 0 ? argv[i].slice(eq + 1) : argv[i + 1];
  if (value === undefined || value === "" || (eq < 0 && value.startsWith("-"))) throw new UsageError(`${flag} needs a value${allowed ? ` (one of ${allowed.join(", ")})` : ""}`);
  if (allowed && !allowed.includes(value)) throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  return value;
}

export function parseArgs(argv: string[], isTTY: boolean): Args {
  if (argv.length === 0 || argv[0] === "-h" || argv[0] === "--help" || argv[0] === "help") return { command: "help" };
  if (argv[0] === "-v" || argv[0] === "--version") return { command: "version" };
  const [command, ...rest] = argv;
  if (command === "run" || command === "trace") return parseRunArgs(command, rest, isTTY);
  if (command !== "lint") throw new UsageError(`unknown command ${JSON.stringify(command)} (expected "lint", "trace", "run" or "lsp")`);
  const args: LintArgs = {
    command: "lint", paths: [], format: "stylish", fix: false, placement: "after-step", engineModules: ["gradlens"],
    color: isTTY && !process.env.NO_COLOR,
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const flag = a.split("=")[0];
    const consumes = !a.includes("=");
    switch (flag) {
      case "--format": args.format = takeValue(rest, i, flag, ["stylish", "json", "sarif"]) as Format; if (consumes) i++; break;
      case "--fix": args.fix = true; break;
      case "--fix-placement": args.placement = takeValue(rest, i, flag, ["after-step", "loop-start"]) as Placement; if (consumes) i++; break;
      case "--engine-module": args.engineModules.push(takeValue(rest, i, flag)); if (consumes) i++; break;
      case "--no-color": args.color = false; break;
      case "--color": args.color = true; break;
      case "-h": case "--help": return { command: "help" };
      default:
        if (a.startsWith("-") && a !== "-") throw new UsageError(`unknown option ${JSON.stringify(a)}`);
        args.paths.push(a);
    }
  }
  if (args.paths.length === 0) args.paths.push(".");
  return args;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}

function parseRunArgs(command: "run" | "trace", rest: string[], isTTY: boolean): RunArgs {
  const dashes = rest.indexOf("--");
  const own = dashes >= 0 ? rest.slice(0, dashes) : rest;
  const args: RunArgs = { command, file: "", scriptArgs: dashes >= 0 ? rest.slice(dashes + 1) : [], color: isTTY && !process.env.NO_COLOR };
  const traceOnly = (flag: string) => {
    if (command === "run") throw new UsageError(`${flag} is an option of gradlens trace (gradlens run only runs the script)`);
  };
  for (let i = 0; i < own.length; i++) {
    const a = own[i];
    const flag = a.split("=")[0];
    const consumes = !a.includes("=");
    switch (flag) {
      case "--steps": traceOnly(flag); args.steps = positiveInt(takeValue(own, i, flag), flag); if (consumes) i++; break;
      case "--timeout": args.timeoutSeconds = positiveInt(takeValue(own, i, flag), flag); if (consumes) i++; break;
      case "--log-every": traceOnly(flag); args.logEvery = positiveInt(takeValue(own, i, flag), flag); if (consumes) i++; break;
      case "--json": traceOnly(flag); args.json = takeValue(own, i, flag); if (consumes) i++; break;
      case "--out": traceOnly(flag); args.out = takeValue(own, i, flag); if (consumes) i++; break;
      case "--no-color": args.color = false; break;
      case "-h": case "--help": throw new UsageError(`gradlens ${command} <file>: see the usage below`);
      default:
        if (a.startsWith("-")) throw new UsageError(`unknown option ${JSON.stringify(a)} (the script's own arguments go after --)`);
        if (args.file !== "") throw new UsageError(`gradlens ${command} takes one script, got ${JSON.stringify(args.file)} and ${JSON.stringify(a)} (the script's own arguments go after --)`);
        args.file = a;
    }
  }
  if (args.file === "") throw new UsageError(`gradlens ${command} needs a script to run`);
  return args;
}
