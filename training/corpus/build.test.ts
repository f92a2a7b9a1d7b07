import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { chunkText } from "./chunk";
import { assignSplits } from "./split";

const REPO = resolve(__dirname, "..", "..");

function readRows(path: string): any[] {
  return readFileSync(path, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

test("--tiny builds the corpus from fixtures: fields, splits by unit, repairs, raw, report", () => {
  const out = mkdtempSync(join(tmpdir(), "corpus-tiny-"));
  try {
    execFileSync(join(REPO, "scripts", "build-corpus"), ["--tiny", "--out", out], { stdio: ["ignore", "ignore", "pipe"] });
    const functions = readRows(join(out, "functions.jsonl"));
    const repairs = readRows(join(out, "repairs.jsonl"));
    const raw = readRows(join(out, "raw.jsonl"));
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    assert.ok(functions.length >= 40, `${functions.length} functions`);
    for (const row of functions) {
      assert.deepEqual(Object.keys(row), ["id", "lang", "unit", "split", "path", "name", "code", "summary", "leaves"]);
      for (const [s, e, l] of row.leaves) assert.ok(s >= 0 && e <= row.code.length && s < e && Number.isInteger(l));
    }
    for (const row of repairs) assert.deepEqual(Object.keys(row), ["id", "lang", "unit", "split", "buggy", "fixed", "bug_type"]);
    for (const row of raw) assert.deepEqual(Object.keys(row), ["unit", "split", "path", "lang", "text"]);
    assert.ok(repairs.length >= 0.8 * functions.length);

    // Splits are by unit: no unit in two splits, in any output; every language has all three.
    const splitOf = new Map<string, string>();
    for (const row of [...functions, ...repairs, ...raw]) {
      const seen = splitOf.get(row.unit);
      assert.ok(!seen || seen === row.split, `unit ${row.unit} in ${seen} and ${row.split}`);
      splitOf.set(row.unit, row.split);
    }
    for (const lang of ["python", "java", "go", "javascript", "typescript"]) {
      const splits = new Set(functions.filter((r) => r.lang === lang).map((r) => r.split));
      assert.deepEqual([...splits].sort(), ["test", "train", "valid"], lang);
    }
    // Bad input is counted, never mined.
    const skipped = report.total.files_skipped;
    for (const reason of ["encoding", "generated", "minified", "vendored"]) assert.ok(skipped[reason] >= 1, reason);
    assert.ok(!functions.some((r) => r.path.includes("vendor/") || r.name === "latin" || r.name === "gen" || r.name === "broken"));
    assert.ok(functions.some((r) => r.name === "fine"));
    assert.equal(report.total.pairs_kept, functions.length);

    // Deterministic: a second build gives identical files.
    const again = mkdtempSync(join(tmpdir(), "corpus-tiny-"));
    try {
      execFileSync(join(REPO, "scripts", "build-corpus"), ["--tiny", "--out", again], { stdio: ["ignore", "ignore", "pipe"] });
      for (const name of ["functions.jsonl", "repairs.jsonl", "raw.jsonl"]) {
        assert.equal(readFileSync(join(again, name), "utf8"), readFileSync(join(out, name), "utf8"), name);
      }
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("splits: units never straddle, each language with >= 3 units gets test and valid", () => {
  const units = Array.from({ length: 40 }, (_, i) => ({ unit: `u${i}`, lang: i % 2 ? "java" : "go", functions: 10 + i }));
  units.push({ unit: "giant", lang: "java", functions: 5000 });
  const splits = assignSplits(units);
  assert.equal(splits.size, units.length);
  assert.equal(splits.get("giant"), "train");
  for (const lang of ["java", "go"]) {
    const got = new Set(units.filter((u) => u.lang === lang).map((u) => splits.get(u.unit)));
    assert.deepEqual([...got].sort(), ["test", "train", "valid"]);
  }
});

test("raw chunks cut at line boundaries and cover the text", () => {
  const text = Array.from({ length: 500 }, (_, i) => `line ${i} ${"x".repeat(i % 40)}`).join("\n") + "\n";
  const chunks = chunkText(text, 1024);
  assert.equal(chunks.join(""), text);
  for (const chunk of chunks.slice(0, -1)) assert.ok(chunk.endsWith("\n") && chunk.length <= 1024 + 60);
});
