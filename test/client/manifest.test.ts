/**
 * The extension's manifest against the code: contributed commands are the registered ones,
 * setting defaults are the server's, the rules are the analysis's; and the packaged VSIX holds
 * only the bundles, media and docs, under 2 MB.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inflateRawSync } from "node:zlib";
import { RULES } from "../../src/analysis/rules";
import { DEFAULT_SETTINGS } from "../../src/server/settings";
import { DOCUMENT_SELECTOR } from "../../src/client/documentSelector";

const root = path.resolve(__dirname, "../..");
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));

/** Entry names and uncompressed contents of a zip (the central directory, stored or deflated). */
function readZip(file: string): Map<string, Buffer> {
  const buf = fs.readFileSync(file);
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, "not a zip: no end of central directory");
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50, "bad central directory entry");
    const method = buf.readUInt16LE(at + 10), compressedSize = buf.readUInt32LE(at + 20), size = buf.readUInt32LE(at + 24);
    const nameLen = buf.readUInt16LE(at + 28), extraLen = buf.readUInt16LE(at + 30), commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString("utf8", at + 46, at + 46 + nameLen);
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const compressed = buf.subarray(dataAt, dataAt + compressedSize);
    out.set(name, method === 0 ? compressed : inflateRawSync(compressed));
    assert.equal(out.get(name)!.length, size, `size of ${name}`);
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

describe("the VS Code extension's manifest and package", () => {
  it("contributes exactly the commands the extension registers (the CodeLens command hidden from the palette)", () => {
    const code = ["src/extension.ts", "src/server/protocol.ts", ...fs.readdirSync(path.join(root, "src/client")).map((f) => `src/client/${f}`)].map((f) => fs.readFileSync(path.join(root, f), "utf8")).join("\n");
    // Literal ids, and ids registered through a constant (`export const X = "gradlens.…"`).
    const constants = new Map([...code.matchAll(/export const (\w+) = "(gradlens\.[^"]+)"/g)].map((m) => [m[1], m[2]]));
    const registered = new Set([...code.matchAll(/registerCommand\((?:"([^"]+)"|(\w+))/g)].map((m) => m[1] ?? constants.get(m[2]) ?? `<unknown ${m[2]}>`));
    const contributed = new Set((manifest.contributes.commands as { command: string; category: string }[]).map((c) => c.command));
    assert.deepEqual([...contributed].filter((c) => !registered.has(c)), [], "contributed but not registered");
    assert.deepEqual([...registered].filter((c) => !contributed.has(c) && c !== "gradlens.revealProblems"), [], "registered but not contributed");
    assert.ok(manifest.contributes.commands.every((c: { category: string }) => c.category === "GradLens"));
    assert.deepEqual(manifest.contributes.menus.commandPalette, [{ command: "gradlens.revealProblems", when: "false" }, { command: "gradlens.traceNotebook", when: "notebookType == jupyter-notebook" }]);
    assert.deepEqual(manifest.contributes.menus["notebook/toolbar"].map((m: { command: string }) => m.command), ["gradlens.traceNotebook"]);
  });

  it("declares the server's settings with the server's defaults, and the analysis's rules", () => {
    const props = manifest.contributes.configuration.properties;
    assert.equal(props["gradlens.lint.enable"].default, DEFAULT_SETTINGS.lint.enable);
    assert.equal(props["gradlens.lint.run"].default, DEFAULT_SETTINGS.lint.run);
    assert.equal(props["gradlens.lint.timeBudgetMs"].default, DEFAULT_SETTINGS.lint.timeBudgetMs);
    assert.deepEqual(props["gradlens.engineModules"].default, DEFAULT_SETTINGS.engineModules);
    assert.equal(props["gradlens.codeLens.enable"].default, DEFAULT_SETTINGS.codeLens.enable);
    assert.deepEqual(Object.keys(props["gradlens.rules"].properties).sort(), Object.keys(RULES).sort());
    for (const p of Object.values(props) as { scope: string }[]) assert.equal(p.scope, "resource");
  });

  it("works in untrusted workspaces (limited) and runs on the VS Code code-server provides", () => {
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, "limited");
    assert.match(manifest.engines.vscode, /^\^1\.(\d+)\./);
    assert.ok(Number(/^\^1\.(\d+)\./.exec(manifest.engines.vscode)![1]) <= 100, "code-server 4.100 ships VS Code 1.100");
    for (const lang of ["typescript", "javascript", "typescriptreact", "javascriptreact", "python"]) assert.ok(manifest.activationEvents.includes(`onLanguage:${lang}`), lang);
    assert.ok(manifest.activationEvents.includes("onNotebook:jupyter-notebook"), "Jupyter notebooks activate the extension");
  });

  it("selects Python files and notebooks' Python cells for the language client", () => {
    const selected = (scheme: string, language: string) => DOCUMENT_SELECTOR.some((d) => d.scheme === scheme && d.language === language);
    assert.ok(selected("file", "python") && selected("untitled", "python"));
    assert.ok(selected("vscode-notebook-cell", "python"), "notebook cells get code actions and hovers");
  });

  it("packs a VSIX of only the minified bundles, media and docs, under 2.5 MB, whose readme's images and links all resolve inside it", function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-vsix-test-"));
    try {
      const out = path.join(dir, "g.vsix");
      const log = execFileSync(process.execPath, ["scripts/package.mjs", "--no-build", "--out", out], { cwd: root, encoding: "utf8", stdio: "pipe" });
      assert.match(log, /g\.vsix: \d+\.\d\d MB/);
      assert.ok(fs.statSync(out).size < 2.5 * 1024 * 1024, `${fs.statSync(out).size} bytes`);
      const entries = readZip(out);
      const files = [...entries.keys()].filter((n) => n.startsWith("extension/")).sort();
      const docs = fs.readdirSync(path.join(root, "docs"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".md")).map((f) => `extension/docs/${f}`);
      const shots = fs.readdirSync(path.join(root, "media/screenshots")).map((f) => `extension/media/screenshots/${f}`);
      assert.deepEqual(files, ["extension/ARCHITECTURE.md", "extension/LICENSE.txt", "extension/changelog.md", "extension/dist/engine.js", "extension/dist/engine.mjs", "extension/dist/extension.js", "extension/dist/server.js", "extension/dist/tree-sitter-python.wasm", "extension/dist/web-tree-sitter.wasm",
        // The Python tracer, as source (no bytecode caches a test run may have left beside it).
        ...["sitecustomize.py", "pyproject.toml", "_build/gradlens_build.py", "gradlens/__init__.py", "gradlens/_bootstrap.py", "gradlens/_events.py", "gradlens/_notebook.py", "gradlens/_tracer.py", "gradlens/_view.html"].map((f) => `extension/dist/python/${f}`),
        ...docs, "extension/media/build/traceView.css", "extension/media/build/traceView.js", "extension/media/icon.png", ...shots, "extension/package.json", "extension/readme.md"].sort());
      // The extension page renders the readme from the VSIX: every relative image and link must be in it.
      const readme = entries.get("extension/readme.md")!.toString("utf8");
      const targets = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:/.test(t));
      assert.ok(targets.some((t) => t.endsWith(".png")), "the readme shows screenshots");
      for (const t of targets) assert.ok(entries.has(`extension/${t}`), `the readme's ${t} is in the VSIX`);
      const pkg = JSON.parse(entries.get("extension/package.json")!.toString("utf8"));
      assert.equal(pkg.main, "./dist/extension.js");
      assert.equal(pkg.scripts, undefined);
      assert.equal(pkg.devDependencies, undefined);
      // Minified: few, long lines.
      const server = entries.get("extension/dist/server.js")!.toString("utf8");
      assert.ok(server.split("\n").length < 2000, `${server.split("\n").length} lines`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
