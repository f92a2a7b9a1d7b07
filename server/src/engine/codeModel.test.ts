import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { BANNED, CodeModel, EDIT_LENGTH_PENALTY, TaskDisabledError } from "./codeModel";
import { exportTinyModel, writeManifest } from "./tinyModel.testutil";
import { loadDeltas, loadNer, type Deltas } from "./adapters";
import { REFINE, SUMMARIZE } from "../../../training/tokenizer/bpe";
import { targetSequence } from "../../../training/tokenizer/sequences";
import { createParser } from "../parsing/parser";
import { repairCandidates } from "../refine/repairCandidates";
import { makeRecord, WorkspaceMemory } from "../workspace/memory";

let dir: string;
let model: CodeModel;

before(async () => {
  dir = exportTinyModel();
  writeManifest(dir);
  model = await CodeModel.load(dir, ["cpu"], 1);
});

after(async () => {
  await model?.release();
  rmSync(dir, { recursive: true, force: true });
});

test("summarize and refine run end to end through tokenizer, sessions and search", async () => {
  const code = "def add(a, b):\n    return a + b\n";
  const summary = await model.summarize({ code, language: "python", maxTokens: 6 });
  assert.equal(summary.truncated, false);
  assert.ok(summary.outputTokens > 0 && summary.outputTokens <= 6);
  assert.equal(typeof summary.text, "string");
  const refined = await model.refine({ code, language: "python", maxTokens: 5 });
  assert.ok(refined.outputTokens <= 5);
  assert.equal(model.device, "cpu");
});

test("a task the manifest disables is refused with its reason; the other task still runs", async () => {
  const manifestPath = join(dir, "manifest.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  writeFileSync(manifestPath, JSON.stringify({ ...manifest, tasks: { refine: { disabled: "repairs score below the unchanged input" } } }));
  const limited = await CodeModel.load(dir, ["cpu"], 1);
  try {
    const code = "def add(a, b):\n    return a + b\n";
    await assert.rejects(limited.refine({ code, language: "python" }), (error: Error) =>
      error instanceof TaskDisabledError && /does not offer refine: repairs score below the unchanged input/.test(error.message));
    assert.ok((await limited.summarize({ code, language: "python", maxTokens: 3 })).outputTokens > 0);
  } finally {
    await limited.release();
    writeFileSync(manifestPath, JSON.stringify(manifest));
  }
});

test("a function longer than the model reads is cut with a visible flag", async () => {
  const code = "def big():\n" + "    x = compute(1, 2, 3)\n".repeat(400);
  const result = await model.summarize({ code, language: "python", maxTokens: 2 });
  assert.equal(result.truncated, true);
  assert.equal(result.inputTokens, 512);
});

test("a corrupt model file or a foreign tokenizer is refused with a clear message", async () => {
  writeFileSync(join(dir, "decoder.onnx"), "not a model");
  await assert.rejects(CodeModel.load(dir), /decoder\.onnx/);
});

test("a task's own adapter serves that task; the other task keeps the shared task adapter", async () => {
  const adapted = exportTinyModel(["--random-adapters"]);
  writeManifest(adapted, { summarize: { path: "adapters/lora.json" } });
  const perTask = await CodeModel.load(adapted, ["cpu"], 1);
  try {
    const code = "def add(a, b):\n    return a + b\n";
    const lora = loadDeltas(join(adapted, "adapters/lora.json"), perTask.seq2seq.contract);
    const expect = (task: number, deltas: Deltas[]) =>
      perTask.seq2seq.generate(perTask.sourceIds(task, "python", code).ids, { maxTokens: 6, banned: BANNED, noRepeatNgram: 3 }, { deltas });
    const summary = await perTask.summarize({ code, language: "python", maxTokens: 6 });
    assert.equal(summary.text, perTask.tokenizer.decode(await expect(SUMMARIZE, [lora])));
    assert.notEqual(summary.text, perTask.tokenizer.decode(await expect(SUMMARIZE, [])));
    const refined = await perTask.refine({ code, language: "python", maxTokens: 6 });
    assert.equal(refined.text, perTask.tokenizer.decode(await perTask.seq2seq.generate(
      perTask.sourceIds(REFINE, "python", code).ids, { maxTokens: 6, banned: BANNED }, { deltas: [] })));
  } finally {
    await perTask.release();
    rmSync(adapted, { recursive: true, force: true });
  }
});

test("a task adapter trained on frozen NER adapters runs under them; hover's NER adapter stays separate", async () => {
  const adapted = exportTinyModel(["--random-adapters"]);
  writeManifest(adapted, { summarize: { path: "adapters/lora.json", ner: "adapters/ner.json" } });
  const stacked = await CodeModel.load(adapted, ["cpu"], 1);
  try {
    const code = "def add(a, b):\n    return a + b\n";
    const lora = loadDeltas(join(adapted, "adapters/lora.json"), stacked.seq2seq.contract);
    const ner = loadNer(join(adapted, "adapters/ner.json"));
    const ids = stacked.sourceIds(SUMMARIZE, "python", code).ids;
    const options = { maxTokens: 6, banned: BANNED, noRepeatNgram: 3 };
    const withNer = stacked.tokenizer.decode(await stacked.seq2seq.generate(ids, options, { deltas: [lora], ner }));
    const withoutNer = stacked.tokenizer.decode(await stacked.seq2seq.generate(ids, options, { deltas: [lora] }));
    assert.notEqual(withNer, withoutNer, "the random NER adapter changes nothing: the test cannot tell the arms apart");
    assert.equal((await stacked.summarize({ code, language: "python", maxTokens: 6 })).text, withNer);
    assert.equal(stacked.adapters.ner, undefined);
  } finally {
    await stacked.release();
    rmSync(adapted, { recursive: true, force: true });
  }
});

test("refine by edits proposes the candidate edit the model scores highest, and says so", async () => {
  const code = "def add(a, b):\n    return a + b\n";
  const result = await model.refine({ code, language: "python", strategy: "edits", editWindow: Infinity });
  assert.equal(result.strategy, "edits");
  const candidates = repairCandidates(await createParser("python"), code, "python");
  assert.equal(result.edit?.candidates, candidates.length);
  const ids = model.sourceIds(REFINE, "python", code).ids;
  const targets = candidates.map((c) => targetSequence(model.tokenizer, c.code).ids);
  const scores = (await model.seq2seq.score(ids, targets)).map((s, i) => s / Math.pow(targets[i].length, EDIT_LENGTH_PENALTY));
  const best = candidates[scores.indexOf(Math.max(...scores))];
  assert.equal(result.text, best.code);
  assert.equal(result.edit?.operator, best.operator);
  // Code that does not parse has no candidate edits: refine writes the function instead.
  const broken = await model.refine({ code: "def add(a, b:\n    return a +\n", language: "python", strategy: "edits", maxTokens: 4 });
  assert.equal(broken.strategy, "generate");
});

test("a refine memory (codeStates) holding a candidate's code makes refine by edits propose it", async () => {
  const code = "def add(a, b):\n    return a + b\n";
  const plain = await model.refine({ code, language: "python", strategy: "edits" });
  const other = repairCandidates(await createParser("python"), code, "python").find((c) => c.code !== plain.text)!;
  const d = model.seq2seq.contract.d_model;
  const { states, tokens } = await model.codeStates("python", other.code);
  assert.equal(states.length, tokens.length * d);
  assert.deepEqual(tokens, targetSequence(model.tokenizer, other.code).ids);
  const memory = new WorkspaceMemory(d, { k: 4, temperature: 0.05, lambda: 0.9 });
  memory.add(other.code, makeRecord(states, tokens, d));
  const withMemory = await model.refine({ code, language: "python", strategy: "edits", memory });
  assert.equal(withMemory.text, other.code);
});

test("the manifest sets the default refine strategy, and an unknown one is refused", async () => {
  const fresh = exportTinyModel();
  try {
    writeManifest(fresh, {}, { tasks: { refine: { strategy: "edits" } } });
    const byEdits = await CodeModel.load(fresh, ["cpu"], 1);
    try {
      assert.equal((await byEdits.refine({ code: "def neg(x):\n    return -x\n", language: "python" })).strategy, "edits");
    } finally {
      await byEdits.release();
    }
    writeManifest(fresh, {}, { tasks: { refine: { strategy: "guess" } } });
    await assert.rejects(CodeModel.load(fresh, ["cpu"], 1), /unknown refine strategy "guess"/);
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
});
