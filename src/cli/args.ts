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

export type Args = LintArgs | { command: "help" } | { command: "version" };

export const USAGE = `usage: gradlens lint [options] [paths or globs...]
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
  if (command !== "lint") throw new UsageError(`unknown command ${JSON.stringify(command)} (expected "lint" or "lsp")`);
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
