/**
 * The language server through the real protocol: `dist/cli.js lsp --stdio` in a child process,
 * driven by a client built on vscode-languageserver-protocol. Documents are opened, edited and
 * closed; diagnostics, code actions (each edit applied to the text and re-linted) and fix-all are
 * asserted.
 */
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CodeAction, CodeActionRequest, CodeLens, Hover, HoverRequest, CodeLensRequest, ConfigurationRequest, createProtocolConnection, DidChangeConfigurationNotification, Diagnostic, DidChangeTextDocumentNotification, DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification, InitializeRequest, InitializedNotification, ProtocolConnection, PublishDiagnosticsNotification,
  PublishDiagnosticsParams, StreamMessageReader, StreamMessageWriter, TextEdit,
} from "vscode-languageserver-protocol/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { lintText } from "../../src/analysis/lint";
import { stressPrograms } from "../../bench/stress";
import { LINT_FILES_REQUEST, LintFilesResult, STATUS_NOTIFICATION, StatusParams } from "../../src/server/protocol";
import { pathToFileURL } from "node:url";
import * as os from "node:os";

const cli = path.resolve(__dirname, "../../dist/cli.js");
const fixture = (name: string) => fs.readFileSync(path.join(__dirname, "../fixtures/lint", name), "utf8");

class Client {
  readonly child: ChildProcess;
  readonly conn: ProtocolConnection;
  readonly published: PublishDiagnosticsParams[] = [];
  private waiters: (() => void)[] = [];

  /** What the client answers to workspace/configuration (null: the client has no configuration support). */
  settings: Record<string, unknown> | null = null;
  readonly logs: string[] = [];
  readonly statuses: StatusParams[] = [];
  lensRefreshes = 0;

  /** The latest status for `uri` satisfying `ok`. */
  async status(uri: string, ok: (st: StatusParams) => boolean, ms = 10_000): Promise<StatusParams> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = [...this.statuses].reverse().find((st) => st.uri === uri && ok(st));
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no matching status for ${uri}; got ${JSON.stringify(this.statuses)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  constructor(env: NodeJS.ProcessEnv = process.env, args: string[] = ["lsp", "--stdio"]) {
    this.child = spawn(process.execPath, [cli, ...args], { stdio: ["pipe", "pipe", "pipe"], env });
    this.conn = createProtocolConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
    this.conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
      this.published.push(p);
      for (const w of this.waiters.splice(0)) w();
    });
    this.conn.onNotification(STATUS_NOTIFICATION, (st: StatusParams) => {
      this.statuses.push(st);
      for (const w of this.waiters.splice(0)) w();
    });
    this.conn.onNotification("window/logMessage", (m: { message: string }) => {
      this.logs.push(m.message);
    });
    this.conn.onRequest(ConfigurationRequest.type, (params) => params.items.map(() => this.settings));
    this.conn.onRequest("workspace/codeLens/refresh", () => {
      this.lensRefreshes++;
      return null;
    });
    this.conn.listen();
  }

  async start(configurable = false, lensRefresh = false): Promise<void> {
    const workspace = { ...(configurable ? { configuration: true } : {}), ...(lensRefresh ? { codeLens: { refreshSupport: true } } : {}) };
    await this.conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: { workspace }, workspaceFolders: null });
    await this.conn.sendNotification(InitializedNotification.type, {});
  }

  /** The next publish for `uri` satisfying `ok`, waiting up to `ms`. */
  async diagnostics(uri: string, ok: (p: PublishDiagnosticsParams) => boolean = () => true, ms = 10_000): Promise<PublishDiagnosticsParams> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = [...this.published].reverse().find((p) => p.uri === uri && ok(p));
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no matching diagnostics for ${uri}; got ${JSON.stringify(this.published.map((p) => [p.uri, p.version, p.diagnostics.length]))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  stop(): void {
    this.conn.dispose();
    this.child.kill();
  }
}

function apply(text: string, edits: TextEdit[]): string {
  const doc = TextDocument.create("file:///x.ts", "typescript", 0, text);
  return TextDocument.applyEdits(doc, edits);
}

describe("gradlens lsp (the language server over stdio)", function () {
  this.timeout(60_000);
  let client: Client;
  beforeEach(async () => {
    client = new Client();
    await client.start();
  });
  afterEach(() => client.stop());

  it("publishes diagnostics on open with source, code, documentation link, related locations and fix data", async () => {
    const uri = "file:///tmp/gradlens-lsp/bad.ts";
    const text = fixture("invalid-no-zero.ts");
    await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "typescript", version: 1, text } });
    const p = await client.diagnostics(uri);
    assert.equal(p.version, 1);
    assert.equal(p.diagnostics.length, 1);
    const d = p.diagnostics[0];
    assert.equal(d.source, "gradlens");
    assert.equal(d.code, "missing-zero-grad");
    assert.equal(d.codeDescription!.href, "https://github.com/gradlens/gradlens/blob/main/docs/rules/missing-zero-grad.md");
    assert.equal(d.range.start.line, 10); // line 11, 0-based
    assert.ok(d.relatedInformation!.some((r) => /re-applies the old gradients/.test(r.message)));
    assert.equal((d.data as { version: number }).version, 1);
  });

  it("offers quick fixes from the stored data (preferred first) that remove the finding, plus suppressions", async () => {
    const uri = "file:///tmp/gradlens-lsp/fix.ts";
    const text = fixture("invalid-no-zero.ts");
    await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "typescript", version: 1, text } });
    const [d] = (await client.diagnostics(uri)).diagnostics;
    const all = (await client.conn.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } })) as CodeAction[];
    assert.ok(all.some((a) => a.kind === "source.fixAll.gradlens"), "fix-all is offered too");
    const actions = all.filter((a) => a.kind === "quickfix");
    const titles = actions.map((a) => a.title);
    assert.deepEqual(titles.slice(-3), ["Disable missing-zero-grad for this line", "Disable missing-zero-grad for this file", "Show documentation for missing-zero-grad"]);
    assert.equal(titles[0], "Insert `optimizer.zeroGrad()` after `optimizer.step()`");
    assert.equal(actions.filter((a) => a.isPreferred).length, 1);
    assert.equal(actions[0].isPreferred, true);
    // The documentation action asks the client to open the rule's page.
    const docs = actions[actions.length - 1];
    const shown: string[] = [];
    client.conn.onRequest("window/showDocument", (p: { uri: string }) => {
      shown.push(p.uri);
      return { success: true };
    });
    await client.conn.sendRequest("workspace/executeCommand", docs.command);
    assert.deepEqual(shown, [d.codeDescription!.href]);
    for (const a of actions.filter((x) => x.edit !== undefined)) {
      const after = apply(text, a.edit!.changes![uri]);
      assert.deepEqual(lintText(after, "fix.ts").findings, [], `"${a.title}" leaves a finding:\n${after}`);
    }
  });

  it("fix-all (source.fixAll.gradlens) rewrites the document like gradlens lint --fix", async () => {
    const uri = "file:///tmp/gradlens-lsp/all.ts";
    const text = fixture("invalid-accumulation-defeated.ts");
    await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "typescript", version: 1, text } });
    await client.diagnostics(uri, (p) => p.diagnostics.length > 0);
    const actions = (await client.conn.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [], only: ["source.fixAll.gradlens"] } })) as CodeAction[];
    assert.equal(actions.length, 1);
    const fixed = apply(text, actions[0].edit!.changes![uri]);
    assert.deepEqual(lintText(fixed, "all.ts").findings, []);
  });

  it("debounces a burst of 50 edits into one publish of the final version; a parse error keeps the last diagnostics; close clears", async () => {
    const uri = "file:///tmp/gradlens-lsp/edit.ts";
    const text = fixture("invalid-no-zero.ts");
    await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "typescript", version: 1, text } });
    await client.diagnostics(uri, (p) => p.version === 1);
    const before = client.published.length;
    for (let v = 2; v <= 51; v++) {
      await client.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: v }, contentChanges: [{ text: text + `\n// edit ${v}\n` }] });
    }
    const last = await client.diagnostics(uri, (p) => p.version === 51);
    assert.equal(last.diagnostics.length, 1);
    assert.equal(client.published.length - before, 1, "one publish for the burst");
    // Break the syntax: no publish replaces the good diagnostics.
    await client.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 52 }, contentChanges: [{ text: text + "\nfor (;;) {\n" }] });
    await new Promise((r) => setTimeout(r, 800));
    assert.ok(!client.published.some((p) => p.uri === uri && p.version === 52), "a file that does not parse keeps its diagnostics");
    await client.conn.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
    const closed = await client.diagnostics(uri, (p) => p.diagnostics.length === 0);
    assert.deepEqual(closed.diagnostics, [] as Diagnostic[]);
  });

  it("a clean file gets an empty publish, and a file without the engine import gets no findings", async () => {
    const good = "file:///tmp/gradlens-lsp/good.ts", plain = "file:///tmp/gradlens-lsp/plain.ts";
    await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: good, languageId: "typescript", version: 1, text: fixture("valid-zero-after-step.ts") } });
    await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: plain, languageId: "typescript", version: 1, text: "declare const o: { step(): void }; for (;;) o.step();\n" } });
    assert.deepEqual((await client.diagnostics(good)).diagnostics, []);
    assert.deepEqual((await client.diagnostics(plain)).diagnostics, []);
  });

  it("explains a step and a backward on hover: which optimizer, what it owns, and the problem found", async () => {
    const uri = "file:///tmp/gradlens-lsp/hover.ts";
    const text = fixture("invalid-no-zero.ts");
    await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "typescript", version: 1, text } });
    await client.diagnostics(uri, (p) => p.diagnostics.length > 0);
    const stepLine = text.split("\n").findIndex((l) => l.includes("optimizer.step()"));
    const col = text.split("\n")[stepLine].indexOf("step");
    const hover = (await client.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: stepLine, character: col } })) as Hover;
    const value = (hover.contents as { value: string }).value;
    assert.match(value, /steps the optimizer `optimizer` \(it owns the parameters of `model`\)/);
    assert.match(value, /⚠ .*missing-zero-grad/);
    const back = text.split("\n").findIndex((l) => l.includes("backward()"));
    const h2 = (await client.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: back, character: text.split("\n")[back].indexOf("backward") } })) as Hover;
    assert.match((h2.contents as { value: string }).value, /adds this loss's gradients/);
    // Elsewhere: nothing.
    assert.equal(await client.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 0, character: 0 } }), null);
  });

  it("shows a CodeLens above each loop with problems", async () => {
    const uri = "file:///tmp/gradlens-lsp/lens.ts";
    await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "typescript", version: 1, text: fixture("invalid-no-zero.ts") } });
    await client.diagnostics(uri, (p) => p.diagnostics.length > 0);
    const lenses = (await client.conn.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) as CodeLens[];
    assert.deepEqual(lenses.map((l) => [l.range.start.line, l.command!.title]), [[8, "⚠ 1 gradient problem"]]);
  });
});

describe("gradlens lsp: settings and resilience", function () {
  this.timeout(60_000);

  it("reads resource settings: rule severities, rules off, lint disabled; a configuration change re-lints", async () => {
    const client = new Client();
    try {
      client.settings = { rules: { "missing-zero-grad": "error" } };
      await client.start(true);
      const uri = "file:///tmp/gradlens-lsp/settings.ts";
      await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "typescript", version: 1, text: fixture("invalid-no-zero.ts") } });
      const first = await client.diagnostics(uri, (p) => p.diagnostics.length > 0);
      assert.equal(first.diagnostics[0].severity, 1, "error severity from settings");
      client.settings = { rules: { "missing-zero-grad": "off" } };
      const before = client.published.length;
      await client.conn.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
      await client.diagnostics(uri, (p) => client.published.indexOf(p) >= before);
      assert.deepEqual(client.published[client.published.length - 1].diagnostics, [], "rule turned off");
      client.settings = { lint: { enable: false } };
      await client.conn.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
      client.settings = { rules: { "missing-zero-grad": "info" } };
      const mark = client.published.length;
      await client.conn.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
      const info = await client.diagnostics(uri, (p) => client.published.indexOf(p) >= mark && p.diagnostics.length > 0);
      assert.equal(info.diagnostics[0].severity, 3, "info severity");
    } finally {
      client.stop();
    }
  });

  it("a document past its time budget gets one information diagnostic, and the server keeps serving", async () => {
    const client = new Client();
    try {
      client.settings = { lint: { timeBudgetMs: 20 } };
      await client.start(true);
      const slow = "file:///tmp/gradlens-lsp/slow.ts";
      const text = stressPrograms().find((p) => p.name.startsWith("switch"))!.text;
      await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: slow, languageId: "typescript", version: 1, text } });
      const first = await client.diagnostics(slow);
      assert.equal(first.diagnostics.length, 1);
      assert.equal(first.diagnostics[0].severity, 3);
      assert.equal(first.diagnostics[0].message, "not analysed: the analysis needed more than 20 ms of CPU time (gradlens.lint.timeBudgetMs)");
      // Retried once, with twice the budget, when nothing else is waiting.
      const p = await client.diagnostics(slow, (x) => /when retried/.test(String(x.diagnostics[0]?.message)));
      assert.equal(p.diagnostics.length, 1);
      assert.equal(p.diagnostics[0].message, "not analysed: the analysis needed more than 20 ms of CPU time, and 40 ms when retried (gradlens.lint.timeBudgetMs)");
      // A normal budget again: the next document is analysed by a fresh worker.
      client.settings = {};
      await client.conn.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
      const ok = "file:///tmp/gradlens-lsp/after-slow.ts";
      await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: ok, languageId: "typescript", version: 1, text: fixture("invalid-no-zero.ts") } });
      assert.equal((await client.diagnostics(ok, (x) => x.diagnostics.length > 0)).diagnostics[0].code, "missing-zero-grad");
    } finally {
      client.stop();
    }
  });

  it("an analysis that throws is logged once, and the server keeps serving other documents", async () => {
    const client = new Client({ ...process.env, GRADLENS_LSP_FAULT: "INJECT_FAULT_HERE" });
    try {
      await client.start();
      const bad = "file:///tmp/gradlens-lsp/crash.ts", good = "file:///tmp/gradlens-lsp/after.ts";
      await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: bad, languageId: "typescript", version: 1, text: fixture("invalid-no-zero.ts") + "\n// INJECT_FAULT_HERE\n" } });
      await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: good, languageId: "typescript", version: 1, text: fixture("invalid-no-zero.ts") } });
      const p = await client.diagnostics(good, (x) => x.diagnostics.length > 0);
      assert.equal(p.diagnostics.length, 1);
      assert.ok(!client.published.some((x) => x.uri === bad), "nothing published for the crashing document");
      assert.ok(client.logs.some((m) => /analysis failed for \/tmp\/gradlens-lsp\/crash\.ts/.test(m)), JSON.stringify(client.logs));
      assert.equal(client.child.exitCode, null, "the server is still running");
    } finally {
      client.stop();
    }
  });
});

describe("gradlens lsp: the README's editor configurations", function () {
  this.timeout(60_000);

  it("the Helix block's command and args start a server that publishes the finding", async () => {
    const readme = fs.readFileSync(path.join(__dirname, "../../README.md"), "utf8");
    const toml = [...readme.matchAll(/```toml\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes("[language-server.gradlens]"));
    assert.ok(toml, "README has the Helix languages.toml block");
    const command = /^command = "([^"]+)"$/m.exec(toml)![1];
    const args = JSON.parse(/^args = (\[.*\])$/m.exec(toml)![1]) as string[];
    assert.equal(toml.match(/^language-servers = \[.*"gradlens"\]$/gm)?.length, 3, "TypeScript, JavaScript and Python list the gradlens server");
    assert.match(toml, /name = "python"\nlanguage-servers = \[.*"gradlens"\]/);
    // `npx gradlens …` runs this package's bin, dist/cli.js.
    assert.equal(command, "npx");
    assert.equal(args[0], "gradlens");
    const client = new Client(process.env, args.slice(1));
    try {
      await client.start();
      const uri = "file:///tmp/gradlens-lsp/helix.ts";
      await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "typescript", version: 1, text: fixture("invalid-no-zero.ts") } });
      const p = await client.diagnostics(uri, (d) => d.diagnostics.length > 0);
      assert.equal(p.diagnostics[0].code, "missing-zero-grad");
    } finally {
      client.stop();
    }
  });
});

describe("gradlens lsp: status, Lint Workspace, fix-all", function () {
  this.timeout(60_000);
  let client: Client;
  beforeEach(async () => {
    client = new Client();
    await client.start();
  });
  afterEach(() => client.stop());
  const open = (uri: string, text: string, version = 1) =>
    client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "typescript", version, text } });

  it("reports each document's status: analysed with its problem count, not a training script, does not parse", async () => {
    await open("file:///tmp/gradlens-lsp/s1.ts", fixture("invalid-no-zero.ts"));
    await open("file:///tmp/gradlens-lsp/s2.ts", "const x = 1;\n");
    await open("file:///tmp/gradlens-lsp/s3.ts", 'import { optim } from "gradlens";\nfor (;; {\n');
    assert.deepEqual(await client.status("file:///tmp/gradlens-lsp/s1.ts", () => true), { uri: "file:///tmp/gradlens-lsp/s1.ts", state: "analysed", problems: 1 });
    assert.equal((await client.status("file:///tmp/gradlens-lsp/s2.ts", () => true)).state, "skipped");
    const broken = await client.status("file:///tmp/gradlens-lsp/s3.ts", () => true);
    assert.equal(broken.state, "parseError");
    assert.match(broken.detail!, /^line \d+: .*expected/);
  });

  it("lints files from disk: .gitignore'd and node_modules files are passed over, closed files keep their disk diagnostics", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-ws-"));
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
      return pathToFileURL(path.join(dir, rel)).href;
    };
    const buggy = fixture("invalid-no-zero.ts");
    write(".gitignore", "build/\nignored.ts\n");
    const a = write("src/a.ts", buggy);
    const uris = [a, write("build/b.ts", buggy), write("ignored.ts", buggy), write("node_modules/m/index.ts", buggy),
      write("clean.ts", fixture("valid-zero-at-loop-top.ts")), write("other.ts", "export const x = 1;\n"), write("types.d.ts", "declare const y: number;\n")];
    try {
      const r = (await client.conn.sendRequest(LINT_FILES_REQUEST, { uris, root: pathToFileURL(dir).href })) as LintFilesResult;
      assert.deepEqual(r, { linted: 3, analysed: 2, problems: 1, filesWithProblems: 1 });
      assert.equal((await client.diagnostics(a)).diagnostics[0].code, "missing-zero-grad");
      for (const skipped of uris.slice(1, 4)) assert.ok(!client.published.some((p) => p.uri === skipped), `${skipped} was linted`);
      // Opened and fixed in the editor (unsaved): clean; closed: back to what is on disk.
      await open(a, fixture("valid-zero-at-loop-top.ts"), 1);
      await client.diagnostics(a, (p) => p.version === 1 && p.diagnostics.length === 0);
      const before = client.published.length;
      await client.conn.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri: a } });
      const after = await client.diagnostics(a, (p) => client.published.indexOf(p) >= before);
      assert.equal(after.diagnostics.length, 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("offers fix-all beside a problem's quick fixes (not on every lightbulb query), as an edit of only what changes", async () => {
    const uri = "file:///tmp/gradlens-lsp/fa.ts";
    const text = fixture("invalid-no-zero.ts");
    await open(uri, text);
    const d = (await client.diagnostics(uri, (p) => p.diagnostics.length > 0)).diagnostics[0];
    const at = { start: d.range.start, end: d.range.start };
    const onProblem = (await client.conn.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: at, context: { diagnostics: [d] } })) as CodeAction[];
    const all = onProblem.find((a) => a.kind === "source.fixAll.gradlens");
    assert.ok(all, onProblem.map((a) => a.title).join("\n"));
    assert.equal(all.title, "Fix all gradlens problems (1)");
    const [edit] = all.edit!.changes![uri];
    assert.ok(edit.range.start.line > 0 && edit.newText.split("\n").length <= 2, JSON.stringify(edit));
    assert.deepEqual(lintText(apply(text, [edit]), "fa.ts").findings, []);
    const elsewhere = (await client.conn.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [] } })) as CodeAction[];
    assert.deepEqual(elsewhere, []);
  });
});

describe("gradlens lsp: CodeLens refresh", function () {
  this.timeout(60_000);

  it("asks a client that supports it to refresh lenses when a document's loops with problems change", async () => {
    const client = new Client();
    try {
      await client.start(false, true);
      const uri = "file:///tmp/gradlens-lsp/refresh.ts";
      const text = fixture("invalid-no-zero.ts");
      await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "typescript", version: 1, text } });
      await client.diagnostics(uri, (p) => p.diagnostics.length > 0);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(client.lensRefreshes, 1);
      // The same problems again (a comment added): no refresh. Fixed: a refresh.
      await client.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 2 }, contentChanges: [{ text: text + "// more\n" }] });
      await client.diagnostics(uri, (p) => p.version === 2);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(client.lensRefreshes, 1);
      await client.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 3 }, contentChanges: [{ text: fixture("valid-zero-at-loop-top.ts") }] });
      await client.diagnostics(uri, (p) => p.version === 3);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(client.lensRefreshes, 2);
    } finally {
      client.stop();
    }
  });
});

describe("gradlens lsp: Python files and Jupyter notebooks", function () {
  this.timeout(60_000);
  let client: Client;
  beforeEach(async () => {
    client = new Client();
    await client.start();
  });
  afterEach(() => client.stop());
  const py = (name: string) => fs.readFileSync(path.join(__dirname, "../fixtures/python", name), "utf8");
  const applyTo = (text: string, edits: TextEdit[]) => TextDocument.applyEdits(TextDocument.create("file:///x.py", "python", 0, text), edits);

  it("a .py file gets PyTorch-worded diagnostics; its quick fix inserts optimizer.zero_grad() and its suppression is a # comment", async () => {
    const uri = "file:///tmp/gradlens-lsp/train.py";
    const text = py("invalid-mnist-missing-zero.py");
    await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "python", version: 1, text } });
    const [d] = (await client.diagnostics(uri)).diagnostics;
    assert.equal(d.code, "missing-zero-grad");
    assert.equal(d.range.start.line, 10);
    assert.match(String(d.message), /`optimizer\.zero_grad\(\)` is never called between steps/);
    const actions = ((await client.conn.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: d.range, context: { diagnostics: [d], only: ["quickfix"] } })) as CodeAction[]);
    assert.equal(actions[0].title, "Insert `optimizer.zero_grad()` after `optimizer.step()`");
    const fixed = applyTo(text, actions[0].edit!.changes![uri]);
    assert.match(fixed, /\n {8}optimizer\.step\(\)\n {8}optimizer\.zero_grad\(\)\n/);
    assert.deepEqual(lintText(fixed, "train.py").findings, []);
    const disable = actions.find((a) => a.title === "Disable missing-zero-grad for this line")!;
    const suppressed = applyTo(text, disable.edit!.changes![uri]);
    assert.match(suppressed, /\n {8}# gradlens-disable-next-line missing-zero-grad\n {8}loss\.backward\(\)/);
    assert.deepEqual(lintText(suppressed, "train.py").findings, []);
  });

  it("a half-typed Python file still gets diagnostics for its intact parts", async () => {
    const uri = "file:///tmp/gradlens-lsp/typing.py";
    const text = py("invalid-mnist-missing-zero.py") + "\ndef evaluate(model, loader:\n    for x in\n";
    await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "python", version: 1, text } });
    const p = await client.diagnostics(uri);
    assert.deepEqual(p.diagnostics.map((d) => [d.code, d.range.start.line]), [["missing-zero-grad", 10]]);
  });

  it("a notebook's cells are one program: the diagnostic lands on its cell, and the cell's quick fix removes it", async () => {
    const nbUri = "file:///tmp/gradlens-lsp/nb.ipynb";
    const cells = [
      "import torch\nmodel = torch.nn.Linear(3, 1)\noptimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n",
      "%matplotlib inline\nfor x, y in loader:\n    loss = ((model(x) - y) ** 2).mean()\n    loss.backward()\n    optimizer.step()\n",
    ];
    const cellUri = (i: number) => `vscode-notebook-cell:/tmp/gradlens-lsp/nb.ipynb#cell${i}`;
    await client.conn.sendNotification("notebookDocument/didOpen", {
      notebookDocument: { uri: nbUri, notebookType: "jupyter-notebook", version: 1, cells: cells.map((_c, i) => ({ kind: 2, document: cellUri(i) })) },
      cellTextDocuments: cells.map((text, i) => ({ uri: cellUri(i), languageId: "python", version: 1, text })),
    });
    const first = await client.diagnostics(cellUri(0));
    assert.deepEqual(first.diagnostics, []);
    // Every cell reports the notebook's status (the language status item follows the active cell).
    for (const i of [0, 1]) assert.deepEqual(await client.status(cellUri(i), (st) => st.state === "analysed"), { uri: cellUri(i), state: "analysed", problems: 1, detail: "in this notebook" });
    const [d] = (await client.diagnostics(cellUri(1), (p) => p.diagnostics.length > 0)).diagnostics;
    assert.equal(d.range.start.line, 3, "line 4 of the second cell: loss.backward()");
    assert.ok(d.relatedInformation!.every((r) => r.location.uri === cellUri(1)));
    const actions = ((await client.conn.sendRequest(CodeActionRequest.type, { textDocument: { uri: cellUri(1) }, range: d.range, context: { diagnostics: [d], only: ["quickfix"] } })) as CodeAction[]);
    assert.equal(actions[0].title, "Insert `optimizer.zero_grad()` after `optimizer.step()`");
    const cell = applyTo(cells[1], actions[0].edit!.changes![cellUri(1)]);
    assert.match(cell, /\n {4}optimizer\.step\(\)\n {4}optimizer\.zero_grad\(\)\n/);
    // The edited notebook, linted as the CLI would: clean.
    const nb = JSON.stringify({ cells: [cells[0], cell].map((source) => ({ cell_type: "code", source })), metadata: {} });
    assert.deepEqual(lintText(nb, "nb.ipynb").findings, []);
  });

  it("hovers explain a step in a .py file and in a notebook cell (the notebook read as one program)", async () => {
    const uri = "file:///tmp/gradlens-lsp/hover.py";
    const text = py("invalid-mnist-missing-zero.py");
    await client.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "python", version: 1, text } });
    await client.diagnostics(uri);
    const lines = text.split("\n");
    const stepLine = lines.findIndex((l) => l.includes("optimizer.step()"));
    const h = (await client.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: stepLine, character: lines[stepLine].indexOf("step") } })) as Hover;
    assert.match((h.contents as { value: string }).value, /steps the optimizer `optimizer`[\s\S]*⚠ `optimizer\.step\(\)` applies gradients accumulated/);

    const nbUri = "file:///tmp/gradlens-lsp/hover.ipynb";
    const cellUri = (i: number) => `vscode-notebook-cell:/tmp/gradlens-lsp/hover.ipynb#c${i}`;
    const cells = ["import torch\nmodel = torch.nn.Linear(3, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n", "for x in loader:\n    opt.zero_grad()\n    model(x).sum().backward()\n    opt.step()\n"];
    await client.conn.sendNotification("notebookDocument/didOpen", {
      notebookDocument: { uri: nbUri, notebookType: "jupyter-notebook", version: 1, cells: cells.map((_c, i) => ({ kind: 2, document: cellUri(i) })) },
      cellTextDocuments: cells.map((t, i) => ({ uri: cellUri(i), languageId: "python", version: 1, text: t })),
    });
    await client.diagnostics(cellUri(1));
    const hc = (await client.conn.sendRequest(HoverRequest.type, { textDocument: { uri: cellUri(1) }, position: { line: 3, character: 8 } })) as Hover;
    assert.match((hc.contents as { value: string }).value, /steps the optimizer `opt` \(it owns the parameters of `model`\)/);
    assert.deepEqual(hc.range, { start: { line: 3, character: 4 }, end: { line: 3, character: 14 } });
  });
});
