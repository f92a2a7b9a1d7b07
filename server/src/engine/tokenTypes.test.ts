import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, test } from "node:test";
import { LABELS } from "../labeler/labels";
import { CodeModel } from "./codeModel";
import { predictionAt, predictTokenTypes } from "./tokenTypes";
import { exportTinyModel, writeManifest } from "./tinyModel.testutil";

let dir: string;
let model: CodeModel;

before(async () => {
  dir = exportTinyModel(["--random-adapters"]);
  writeManifest(dir, { ner: { path: "adapters/ner.json" } });
  model = await CodeModel.load(dir, ["cpu"], 1);
});

after(async () => {
  await model?.release();
  rmSync(dir, { recursive: true, force: true });
});

test("every non-whitespace token of the window gets a label and a confidence", async () => {
  const text = "x = 1\ndef load_config(path):\n    return open(path)\n";
  const start = text.indexOf("def");
  const window = await predictTokenTypes(model, "python", text, start);
  assert.ok(window.tokens.length >= 8);
  for (const token of window.tokens) {
    assert.ok(token.start >= start && token.end <= text.length && token.start < token.end);
    assert.ok(LABELS.includes(token.label));
    assert.ok(token.confidence > 0 && token.confidence <= 1);
    assert.match(text.slice(token.start, token.end), /\S/);
  }
  const at = predictionAt(window, text.indexOf("load_config") + 2)!;
  assert.ok(at.start <= text.indexOf("load_config") + 2 && at.end > text.indexOf("load_config") + 2);
  assert.equal(predictionAt(window, 0), undefined);
  assert.equal(window.coveredEnd, text.length);
});

test("a window longer than the model reads says where predictions stop", async () => {
  const text = "y = compute(a, b)\n".repeat(200);
  const window = await predictTokenTypes(model, "python", text);
  assert.ok(window.coveredEnd < text.length);
  assert.ok(window.tokens.every((token) => token.end <= window.coveredEnd));
});

test("fetching only the TTC logits gives the same logits as the full encoder run", async () => {
  const ids = [7, ...model.tokenizer.encodeWithSpans("def f(a):\n    return a + 1\n").ids];
  const full = (await model.seq2seq.encode(ids, { ner: model.adapters.ner })).ttcLogits;
  const only = await model.seq2seq.tokenTypeLogits(ids, { ner: model.adapters.ner });
  assert.deepEqual(only.dims, full.dims);
  const a = full.data as Float32Array;
  const b = only.data as Float32Array;
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `logit ${i}: ${a[i]} vs ${b[i]}`);
});
