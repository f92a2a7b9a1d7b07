import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, test } from "node:test";
import { BOS, EOS } from "../../../training/tokenizer/bpe";
import { makeRecord, WorkspaceMemory } from "../workspace/memory";
import { blockBySteps, Seq2SeqModel } from "./seq2seq";
import { scoreEdits, sharedEnds } from "./scoreEdits";
import { logProb } from "./scoreTargets";
import { CancelledError } from "./search";
import { exportTinyModel, ROOT } from "./tinyModel.testutil";
import { join } from "node:path";

let dir: string;
let model: Seq2SeqModel;
let rotaryDir: string;
let rotary: Seq2SeqModel;
const source = [5, 40, 41, 42, 43, 44, EOS];
const original = [50, 51, 52, 53, 54, 55, 56, 57, EOS];
const edited = [
  [50, 51, 60, 53, 54, 55, 56, 57, EOS], // one token replaced
  [50, 51, 52, 53, 54, 55, 56, EOS], // one deleted near the end
  [61, 50, 51, 52, 53, 54, 55, 56, 57, EOS], // one inserted first
  [50, 51, 52, 62, 63, 53, 54, 55, 56, 57, EOS], // two inserted
  [50, 51, 60, 53, 54, 55, 56, 57, EOS], // the same start as the first: batched together
];

before(async () => {
  dir = exportTinyModel();
  model = await Seq2SeqModel.load(dir, ["cpu"], 1);
  rotaryDir = exportTinyModel(["--random-config", join(ROOT, "training/configs/tiny-rotary.json")]);
  rotary = await Seq2SeqModel.load(rotaryDir, ["cpu"], 1);
});

after(async () => {
  await model?.release();
  await rotary?.release();
  rmSync(dir, { recursive: true, force: true });
  rmSync(rotaryDir, { recursive: true, force: true });
});

test("shared ends never overlap", () => {
  assert.deepEqual(sharedEnds([1, 2, 3, 9], [1, 2, 4, 3, 9]), { head: 2, tail: 2 });
  assert.deepEqual(sharedEnds([1, 1, 9], [1, 9]), { head: 1, tail: 1 });
  assert.deepEqual(sharedEnds([1, 9], [1, 9]), { head: 2, tail: 0 });
});

test("with an unbounded window, edit scores are the exact likelihoods, for any batch width and position kind", async () => {
  for (const m of [model, rotary]) await exactFor(m);
});

async function exactFor(m: Seq2SeqModel): Promise<void> {
  const exact = await m.score(source, [original, ...edited]);
  for (const batch of [1, 3, 16]) {
    const got = await m.scoreEdits(source, original, edited, { window: Infinity, batch });
    assert.ok(Math.abs(got.original - exact[0]) < 1e-3);
    got.edited.forEach((s, i) => assert.ok(Math.abs(s - exact[i + 1]) < 1e-3, `batch ${batch}, edit ${i}: ${s} vs ${exact[i + 1]}`));
  }
}

test("with a workspace memory, edit scores are the exact mixed likelihoods, and the memory's continuation gains", async () => {
  const d = model.contract.d_model;
  const memory = new WorkspaceMemory(d);
  memory.add("edit 0", makeRecord(await model.targetStates(source, edited[0]), edited[0], d));
  const encoded = await model.encode(source);
  const step = model.stepper(encoded);
  const mixed = async (target: number[]) => {
    let cache: unknown;
    let sum = 0;
    for (const [t, token] of target.entries()) {
      const out = await step([t === 0 ? BOS : target[t - 1]], cache);
      cache = out.cache;
      const row = out.logits.slice();
      await memory.mix(row, out.hidden!);
      sum += logProb(row, 0, row.length, token);
    }
    return sum;
  };
  // Both mix in JavaScript (the model's graph quantizes the query, memorySearch.test.ts compares the two).
  const got = await scoreEdits(model.blockDecoder(encoded), original, edited, { window: Infinity, memory });
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-3;
  const mixedOriginal = await mixed(original);
  assert.ok(close(got.original, mixedOriginal), `original: ${got.original} vs ${mixedOriginal}`);
  for (const [i, target] of edited.entries()) {
    const want = await mixed(target);
    assert.ok(close(got.edited[i], want), `edit ${i}: ${got.edited[i]} vs ${want}`);
  }
  const plain = await model.scoreEdits(source, original, edited, { window: Infinity });
  const viaGraph = await model.scoreEdits(source, original, edited, { window: Infinity, memory });
  assert.ok(viaGraph.edited[0] - viaGraph.original > plain.edited[0] - plain.original, `the memory holds edit 0: ${got.edited[0] - got.original} vs ${plain.edited[0] - plain.original}`);
});

test("a window covering everything after each edit is exact too; a short one decodes fewer steps", async () => {
  const exact = await model.score(source, edited.slice(0, 2));
  const wide = await model.scoreEdits(source, original, edited.slice(0, 2), { window: 8 });
  wide.edited.forEach((s, i) => assert.ok(Math.abs(s - exact[i]) < 1e-3));
  const count = async (window: number) => {
    let steps = 0;
    await model.scoreEdits(source, original, edited, { window, onStep: (n) => (steps = n) });
    return steps;
  };
  assert.ok((await count(1)) < (await count(Infinity)));
  let calls = 0;
  await assert.rejects(model.scoreEdits(source, original, edited, { isCancelled: () => ++calls > 3 }), CancelledError);
  await assert.rejects(model.scoreEdits(source, original, [[]]), /empty target/);
});

test("the decoder takes a block of tokens per row: its logits are those of one step at a time", async () => {
  for (const m of [model, rotary]) {
    assert.equal(m.contract.decoder_block, true);
    const encoded = await m.encode(source);
    const tokens = [[1, 50, 51, 52], [1, 60, 61, 62]];
    const block = await m.blockDecoder(encoded)(tokens, undefined);
    const steps = await blockBySteps(m.stepper(encoded))(tokens, undefined);
    assert.equal(block.logits.length, steps.logits.length);
    let worst = 0;
    block.logits.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - steps.logits[i]))));
    assert.ok(worst < 1e-3, `largest difference ${worst}`);
    const viaSteps = await scoreEdits(blockBySteps(m.stepper(encoded)), original, edited, { window: 4 });
    const viaBlocks = await scoreEdits(m.blockDecoder(encoded), original, edited, { window: 4 });
    viaSteps.edited.forEach((s, i) => assert.ok(Math.abs(s - viaBlocks.edited[i]) < 1e-3));
  }
});
