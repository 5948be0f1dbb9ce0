/**
 * A throwaway code-server (VS Code in the browser, pinned by scripts/setup-code-server.sh) with the
 * packaged extension installed, driven from Debian's Chromium through playwright-core.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");
export const CODE_SERVER = path.join(ROOT, ".cache/code-server/node_modules/.bin/code-server");
export const CHROMIUM = "/usr/bin/chromium";

/** Why the VS Code suite cannot run here (null: it can). */
export function missingPrerequisite(): string | null {
  if (!fs.existsSync(CODE_SERVER)) return "code-server is not installed (scripts/setup-code-server.sh)";
  if (!fs.existsSync(CHROMIUM)) return "Chromium is not installed (apt-get install -y chromium)";
  try {
    require.resolve("playwright-core");
  } catch {
    return "playwright-core is not installed (npm ci)";
  }
  return null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitForPort(port: number, ms: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}):\n${log()}`);
    const up = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, "127.0.0.1", () => { sock.end(); resolve(true); });
      sock.on("error", () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not listen on ${port} within ${ms} ms:\n${log()}`);
}

export interface CodeServer {
  url: string;
  port: number;
  /** The user settings folder (User/settings.json). */
  dataDir: string;
  stop(): void;
  log(): string;
}

/** Packs the extension into `dir` (from the bundles `npm run build` made) and returns the VSIX path. */
export function packageExtension(dir: string): string {
  execFileSync(process.execPath, [path.join(ROOT, "scripts/package.mjs"), "--no-build", "--out", path.join(dir, "gradlens.vsix")], { cwd: ROOT, stdio: "pipe" });
  return path.join(dir, "gradlens.vsix");
}

/** Installs the VSIX into a fresh extensions folder and starts code-server on a free port. */
export async function startCodeServer(opts: { vsix: string; userSettings: Record<string, unknown>; trust?: boolean }): Promise<CodeServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-code-server-"));
  const ext = path.join(dir, "ext");
  const data = path.join(dir, "data");
  fs.mkdirSync(path.join(data, "User"), { recursive: true });
  fs.writeFileSync(path.join(data, "User/settings.json"), JSON.stringify(opts.userSettings, null, 2));
  const common = ["--extensions-dir", ext, "--user-data-dir", data];
  execFileSync(CODE_SERVER, [...common, "--install-extension", opts.vsix], { stdio: "pipe" });
  const port = await freePort();
  let out = "";
  const args = ["--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-telemetry", "--disable-update-check", ...common];
  if (opts.trust === false) {
    // Workspace trust on: the folder opens in restricted mode.
  } else {
    args.push("--disable-workspace-trust");
  }
  const child = spawn(CODE_SERVER, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, HOME: dir } });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  await waitForPort(port, 60_000, child, () => out);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir: data,
    log: () => out,
    stop: () => {
      try {
        process.kill(-child.pid!, "SIGKILL"); // the process group: code-server and its extension host
      } catch {
        // already gone
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
