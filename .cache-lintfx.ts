import * as fs from "node:fs";
import { lintText } from "../work/main/src/analysis/lint";
for (const f of process.argv.slice(2)) {
  const text = fs.readFileSync(f, "utf8");
  const exp: string[] = [];
  text.split("\n").forEach((l, i) => { const m = /\/\/ expect: ([\w\-, ]+)$/.exec(l); if (m) exp.push(`${i + 1}:${m[1]}`); });
  const r = lintText(text, f);
  const got = r.findings.map((x) => `${x.line}:${x.rule}`);
  const ok = JSON.stringify(got.sort()) === JSON.stringify(exp.sort());
  console.log(ok ? "ok  " : "BAD ", f.split("/").pop(), ok ? "" : `\n   got ${JSON.stringify(r.findings.map((x) => [x.line, x.message]))}\n   exp ${exp}`, r.notices.length ? JSON.stringify(r.notices) : "");
}
