import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { exportTinyGeneratorModel } from "../../server/src/workspace/tinyGenerator.testutil";
import { evaluateWorkspace, loadUnits, markdown, pickUnits, retrievalPrompt } from "./workspaceEval";

const temps: string[] = [];
after(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const fn = (unit: string, path: string, name: string, body: string, summary: string) => ({
  id: `${unit}:${path}:${name}`, lang: "python", unit, split: "test", path, name, code: `def ${name}(items):\n    ${body}\n`, summary,
});

function corpus(): string {
  const dir = mkdtempSync(join(tmpdir(), "codeadapt-ws-eval-corpus-"));
  temps.push(dir);
  const functions = [
    fn("pkg/a", "a/stock.py", "count_items", "return len(items)", "Count the items in stock."),
    fn("pkg/a", "a/stock.py", "first_item", "return items[0]", "Return the first stocked item."),
    fn("pkg/a", "a/price.py", "total_price", "return sum(item.price for item in items)", "Sum the prices of the items."),
    fn("pkg/b", "b.py", "lonely", "return items", "Only one file: never picked."),
    fn("pkg/d", "d/one.py", "drain", "return items.clear()", "Empty the queue."),
    fn("pkg/d", "d/two.py", "peek", "return items[-1]", "Look at the last job."),
    { ...fn("pkg/c", "c.py", "trained", "return 1", "Train split: never read."), split: "train" },
  ];
  const raw = [
    { unit: "pkg/a", split: "test", path: "a/stock.py", lang: "python", text: functions[0].code + "\n" },
    { unit: "pkg/a", split: "test", path: "a/stock.py", lang: "python", text: functions[1].code },
    { unit: "pkg/a", split: "test", path: "a/price.py", lang: "python", text: functions[2].code },
    { unit: "pkg/b", split: "test", path: "b.py", lang: "python", text: functions[3].code },
    { unit: "pkg/d", split: "test", path: "d/one.py", lang: "python", text: functions[4].code },
    { unit: "pkg/d", split: "test", path: "d/two.py", lang: "python", text: functions[5].code },
  ];
  writeFileSync(join(dir, "functions.jsonl"), functions.map((r) => JSON.stringify(r)).join("\n") + "\n");
  writeFileSync(join(dir, "raw.jsonl"), raw.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return dir;
}

test("units come from the split's raw chunks; only units with context beside the targets are picked", async () => {
  const units = await loadUnits(corpus(), "test");
  assert.deepEqual([...units.keys()].sort(), ["pkg/a", "pkg/b", "pkg/d"]);
  assert.equal(units.get("pkg/a")!.files.get("a/stock.py"), "def count_items(items):\n    return len(items)\n\ndef first_item(items):\n    return items[0]\n");
  const picked = pickUnits(units, 5, 2);
  assert.deepEqual(picked.map((p) => p.unit.name), ["pkg/a", "pkg/d"]);
  assert.equal(picked[0].targets.length, 2);
});

test("the retrieval prompt keeps the target whole and takes other files' functions only", async () => {
  const units = await loadUnits(corpus(), "test");
  const unit = units.get("pkg/a")!;
  const tokenizer = { encode: (text: string) => text.split(/\s+/) };
  const target = unit.functions[0];
  const prompt = retrievalPrompt({ tokenizer } as never, target, unit.functions, 2);
  assert.ok(prompt.endsWith(target.code));
  assert.match(prompt, /^# Sum the prices of the items\.\ndef total_price/);
  assert.doesNotMatch(prompt, /first_item/, "a function of the target's own file was retrieved");
  assert.equal(retrievalPrompt({ tokenizer } as never, target, unit.functions, 2, 3), target.code, "no room: the target alone");
});

test("the evaluation runs (a), (b), (c), (b') and (e) on the real runtime with the tiny generator model", async () => {
  const model = exportTinyGeneratorModel();
  temps.push(model);
  const result = await evaluateWorkspace({ model, corpus: corpus(), split: "test", units: 4, targets: 3, k: 1, threads: 1 });
  assert.deepEqual(result.units.map((u) => [u.name, u.files, u.targets]), [["pkg/a", 2, 3], ["pkg/d", 2, 2]]);
  assert.ok(result.units[0].buildTokens > 0);
  assert.deepEqual(result.arms.map((a) => a.arm.split(" ")[0]), ["(a)", "(b)", "(c)", "control:", "(b')", "output-layer", "(e)", "memory"]);
  assert.equal(result.memoryUnits?.length, 2);
  for (const arm of result.arms) {
    assert.equal(arm.scores.length, 5);
    assert.equal(arm.texts.length, 5);
    assert.ok(Number.isFinite(arm.latencyP50Ms));
  }
  assert.equal(result.references.length, 5);
  assert.ok(result.generatedVsControl && Number.isFinite(result.generatedVsControl.value));
  assert.match(markdown(result), /\(b\) generated adapter/);
  assert.ok(result.memoryVsControl && Number.isFinite(result.memoryVsControl.value));
  assert.match(markdown(result), /\(e\) workspace memory/);
  assert.ok(result.outputAdapterVsControl && Number.isFinite(result.outputAdapterVsControl.value));
  assert.match(markdown(result), /\(b'\) output-layer adapter/);
});
