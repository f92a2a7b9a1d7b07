import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, test } from "node:test";
import { EOS } from "../../../training/tokenizer/bpe";
import { blockBySteps, Seq2SeqModel } from "./seq2seq";
import { scoreEdits, sharedEnds } from "./scoreEdits";
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
