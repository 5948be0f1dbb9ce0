// `npm run try`: VS Code in the browser with the extension installed and examples/ open. Packs
// the VSIX, installs the pinned code-server if needed (scripts/setup-code-server.sh), starts it on
// 127.0.0.1 and prints the URL. Ctrl+C stops it.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const codeServer = join(root, ".cache/code-server/node_modules/.bin/code-server");
execFileSync("bash", [join(root, "scripts/setup-code-server.sh")], { stdio: "inherit" });
const dir = mkdtempSync(join(tmpdir(), "gradlens-try-"));
const vsix = join(dir, "gradlens.vsix");
execFileSync(process.execPath, [join(root, "scripts/package.mjs"), "--out", vsix], { cwd: root, stdio: "inherit" });

// A copy of the examples, so trying the quick fixes doesn't change the repository's files.
const folder = join(dir, "examples");
cpSync(join(root, "examples"), folder, { recursive: true });
const data = join(dir, "data");
mkdirSync(join(data, "User"), { recursive: true });
writeFileSync(join(data, "User/settings.json"), JSON.stringify({ "workbench.startupEditor": "none", "typescript.validate.enable": false }, null, 2));
const common = ["--extensions-dir", join(dir, "ext"), "--user-data-dir", data];
execFileSync(codeServer, [...common, "--install-extension", vsix], { stdio: "ignore" });

const port = Number(process.env.PORT) || (await new Promise((ok) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => ok(port)); });
}));
// Its own process group, so stopping takes its extension host and language server along.
const child = spawn(codeServer, ["--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", ...common, folder], { stdio: ["ignore", "ignore", "inherit"], detached: true });
console.log(`\nGradLens in VS Code: http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}\nOpen missing-zero-grad.ts and press Ctrl+. on the squiggle. Ctrl+C stops the server.\n`);
const stop = () => {
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // already gone
  }
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, stop);
child.on("exit", (code) => {
  rmSync(dir, { recursive: true, force: true });
  process.exit(code ?? 0);
});
