import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, test } from "node:test";
import { BOS, EOS } from "../../../training/tokenizer/bpe";
import { Seq2SeqModel } from "./seq2seq";
import { scoreTargets, sharedPrefixLength } from "./scoreTargets";
import { CancelledError } from "./search";
import { exportTinyModel } from "./tinyModel.testutil";

let dir: string;
let model: Seq2SeqModel;
const source = [5, 40, 41, 42, 43, 44, EOS];

before(async () => {
  dir = exportTinyModel();
  model = await Seq2SeqModel.load(dir, ["cpu"], 1);
});

after(async () => {
  await model?.release();
  rmSync(dir, { recursive: true, force: true });
});

/** The plain definition: one target at a time, one row, every step's log-softmax summed. */
async function reference(target: number[]): Promise<number> {
  const step = model.stepper(await model.encode(source));
  let cache: unknown;
  let total = 0;
  for (let t = 0; t < target.length; t++) {
    const out = await step([t === 0 ? BOS : target[t - 1]], cache);
    cache = out.cache;
    const max = Math.max(...out.logits);
    const log = Math.log(out.logits.reduce((s, x) => s + Math.exp(x - max), 0)) + max;
    total += out.logits[target[t]] - log;
  }
  return total;
}

const targets = [
  [50, 51, 52, 53, EOS],
  [50, 51, 60, 53, EOS],
  [50, 51, 52, EOS],
  [50, 51, 52, 53, 54, 55, EOS],
  [70, EOS],
];

test("the shared prefix stops before the shortest target's last token", () => {
  assert.equal(sharedPrefixLength(targets.slice(0, 2)), 2);
  assert.equal(sharedPrefixLength([[1, 2, EOS], [1, 2, EOS]]), 2);
  assert.equal(sharedPrefixLength(targets), 0);
});

test("batched scoring with a shared prefix equals scoring each target alone", async () => {
  const expected = await Promise.all(targets.map(reference));
  for (const batch of [1, 2, 16]) {
    for (const set of [targets, targets.slice(0, 4)]) {
      const got = await model.score(source, set, { batch });
      got.forEach((score, i) => assert.ok(Math.abs(score - expected[i]) < 1e-3, `batch ${batch}, target ${i}: ${score} vs ${expected[i]}`));
    }
  }
});

test("scoring counts its steps, can be cancelled, and refuses what it cannot score", async () => {
  const steps: number[] = [];
  await model.score(source, targets.slice(0, 2), { onStep: (n) => steps.push(n) });
  assert.deepEqual(steps, [1, 2, 3, 4, 5]);
  let calls = 0;
  await assert.rejects(model.score(source, targets, { isCancelled: () => ++calls > 2 }), CancelledError);
  await assert.rejects(model.score(source, [new Array(model.contract.max_tgt + 1).fill(50)]), /target of/);
  await assert.rejects(scoreTargets(model.stepper(await model.encode(source)), [[]]), /empty target/);
  assert.deepEqual(await model.score(source, []), []);
});
