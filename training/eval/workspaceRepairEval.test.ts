import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { exportTinyModel, writeManifest } from "../../server/src/engine/tinyModel.testutil";
import { DEFAULT_MEMORY_SETTINGS } from "../../server/src/workspace/memory";
import { DEFAULT_OUTPUT_ADAPTER_SETTINGS } from "../../server/src/workspace/outputAdapter";
import { evaluateWorkspaceRepairs, loadRepairUnits, pickRepairUnits, repairMarkdown } from "./workspaceRepairEval";

const temps: string[] = [];
after(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const fn = (unit: string, path: string, name: string, body: string, split = "test") => ({
  id: `${unit}:${path}:1:${name}`, lang: "python", unit, split, path, name, code: `def ${name}(items):\n    return ${body}\n`, summary: "Something.",
});
const bug = (f: ReturnType<typeof fn>, suffix: string, buggyBody: string) => ({
  id: `${f.id}#${suffix}`, lang: "python", unit: f.unit, split: f.split, buggy: f.code.replace(/return .*/, `return ${buggyBody}`), fixed: f.code, bug_type: "operator misuse",
});

function corpus(): string {
  const dir = mkdtempSync(join(tmpdir(), "codeadapt-ws-repair-corpus-"));
  temps.push(dir);
  const functions = [
    fn("pkg/a", "a/one.py", "count", "len(items) + 1"),
    fn("pkg/a", "a/two.py", "last", "items[len(items) - 1]"),
    fn("pkg/b", "b.py", "only", "items"),
    fn("pkg/c", "c/x.py", "double", "items * 2"),
    fn("pkg/c", "c/y.py", "half", "items / 2"),
    fn("pkg/t", "t/x.py", "trained", "items", "train"),
  ];
  const repairs = [
    bug(functions[0], "bug", "len(items) - 1"),
    bug(functions[1], "bug", "items[len(items) + 1]"),
    bug(functions[1], "bug2", "items[len(items)]"),
    bug(functions[2], "bug", "items + 0"),
    bug(functions[3], "bug", "items / 2"),
    bug(functions[5], "bug", "items + 1"),
  ];
  writeFileSync(join(dir, "functions.jsonl"), functions.map((r) => JSON.stringify(r)).join("\n") + "\n");
  writeFileSync(join(dir, "repairs.jsonl"), repairs.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return dir;
}

test("repairs are found in their function's file; units with one file are never picked", async () => {
  const units = await loadRepairUnits(corpus(), "test");
  assert.deepEqual([...units.keys()].sort(), ["pkg/a", "pkg/b", "pkg/c"]);
  assert.deepEqual(units.get("pkg/a")!.targets.map((t) => [t.id.split("#")[1], t.path]), [["bug", "a/one.py"], ["bug", "a/two.py"], ["bug2", "a/two.py"]]);
  const picked = pickRepairUnits(units, 5, 2);
  assert.deepEqual(picked.map((u) => [u.name, u.targets.length]), [["pkg/a", 2], ["pkg/c", 1]]);
});

test("the repair evaluation runs (a), (b'), (e) and the control on the real runtime", async () => {
  const model = exportTinyModel();
  temps.push(model);
  writeManifest(model);
  const result = await evaluateWorkspaceRepairs({
    model, corpus: corpus(), split: "test", units: 4, targets: 3, settings: DEFAULT_MEMORY_SETTINGS, adapter: DEFAULT_OUTPUT_ADAPTER_SETTINGS, threads: 1,
  });
  assert.deepEqual(result.units.map((u) => [u.name, u.functions, u.targets]), [["pkg/a", 2, 3], ["pkg/c", 2, 1]]);
  assert.ok(result.units.every((u) => u.entries > 0));
  assert.deepEqual(result.arms.map((a) => a.arm.split(" ")[0]), ["(a)", "(b')", "(e)", "memory"]);
  for (const arm of result.arms) {
    assert.equal(arm.scores.length, 4);
    assert.ok(arm.scores.every((s) => s === 0 || s === 100));
    assert.ok(Number.isFinite(arm.latencyP50Ms));
  }
  assert.match(repairMarkdown(result), /\(e\) workspace code memory/);
});
