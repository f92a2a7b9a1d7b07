import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { Seq2SeqModel } from "./seq2seq";
import { loadDeltas, loadNer } from "./adapters";
import { CancelledError } from "./search";
import { BOS } from "../../../training/tokenizer/bpe";

/**
 * Parity of the exported graphs with PyTorch: training/export.py exports a randomly initialised
 * tiny model and records torch's first-step logits and greedy tokens on fixed inputs; the
 * TypeScript engine must reproduce them through onnxruntime-node.
 */
const ROOT = resolve(__dirname, "../../..");
let dir: string;
let model: Seq2SeqModel;
let reference: { banned: number[]; max_len: number; cases: { ids: number[]; first_logits: number[]; first_hidden: number[]; greedy: number[] }[] };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "codeadapt-onnx-"));
  execFileSync("/usr/bin/python3", [join(ROOT, "training/export.py"), "--random-config", join(ROOT, "training/configs/tiny.json"), "--random-adapters", "--out", dir], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  reference = JSON.parse(readFileSync(join(dir, "parity.json"), "utf8"));
  model = await Seq2SeqModel.load(dir, ["cpu"], 1);
});

after(async () => {
  await model?.release();
  rmSync(dir, { recursive: true, force: true });
});

test("first decoder step matches torch's logits", async () => {
  for (const c of reference.cases) {
    const encoded = await model.encode(c.ids);
    assert.equal(encoded.crossKv.dims[4], c.ids.length);
    const { logits } = await model.stepper(encoded)([BOS], undefined);
    c.first_logits.forEach((expected, i) => assert.ok(Math.abs(logits[i] - expected) < 2e-3, `logit ${i}: ${logits[i]} vs ${expected}`));
  }
});

test("the decoder's hidden states match torch's, and teacher-forced states equal step-by-step ones", async () => {
  assert.equal(model.contract.decoder_hidden, true);
  for (const c of reference.cases) {
    const encoded = await model.encode(c.ids);
    const step = model.stepper(encoded);
    const first = await step([BOS], undefined);
    c.first_hidden.forEach((expected, i) => assert.ok(Math.abs(first.hidden![i] - expected) < 2e-3, `hidden ${i}: ${first.hidden![i]} vs ${expected}`));
    // Teacher forcing the greedy output at once gives the states greedy decoding saw, step by step.
    const target = [...c.greedy, 2];
    const forced = await model.targetStates(c.ids, target);
    const d = model.contract.d_model;
    assert.equal(forced.length, target.length * d);
    let cache: unknown;
    let token = BOS;
    for (let t = 0; t < target.length; t++) {
      const out = await step([token], cache);
      cache = out.cache;
      for (let j = 0; j < d; j++) assert.ok(Math.abs(out.hidden![j] - forced[t * d + j]) < 1e-3, `position ${t}, ${j}`);
      token = target[t];
    }
  }
});

test("greedy decoding gives torch's tokens, with the KV cache over many steps", async () => {
  for (const c of reference.cases) {
    const tokens = await model.generate(c.ids, { maxTokens: reference.max_len, banned: reference.banned });
    assert.deepEqual(tokens, c.greedy);
  }
});

test("LoRA and NER adapters fed as inputs give torch's tokens with those adapters on", async () => {
  const withAdapters = JSON.parse(readFileSync(join(dir, "parity-adapters.json"), "utf8")) as typeof reference;
  const adapters = { deltas: [loadDeltas(join(dir, "adapters/lora.json"), model.contract)], ner: loadNer(join(dir, "adapters/ner.json")) };
  for (const c of withAdapters.cases) {
    const tokens = await model.generate(c.ids, { maxTokens: withAdapters.max_len, banned: withAdapters.banned }, adapters);
    assert.deepEqual(tokens, c.greedy);
  }
  // Switching back to no adapters is only other inputs: the base tokens return.
  const base = reference.cases[0];
  assert.deepEqual(await model.generate(base.ids, { maxTokens: reference.max_len, banned: reference.banned }), base.greedy);
});

test("concatenating a zero adapter along the rank changes nothing", async () => {
  const lora = loadDeltas(join(dir, "adapters/lora.json"), model.contract);
  const zero = { rank: 3, A: new Float32Array(lora.A.length / lora.rank * 3), B: new Float32Array(lora.B.length / lora.rank * 3) };
  const c = (JSON.parse(readFileSync(join(dir, "parity-adapters.json"), "utf8")) as typeof reference).cases[2];
  const tokens = await model.generate(c.ids, { maxTokens: reference.max_len, banned: reference.banned },
    { deltas: [lora, zero], ner: loadNer(join(dir, "adapters/ner.json")) });
  assert.deepEqual(tokens, c.greedy);
});

test("beam search of width 1 equals greedy, and wider beams return a valid sequence", async () => {
  const c = reference.cases[1];
  assert.deepEqual(await model.generate(c.ids, { maxTokens: reference.max_len, banned: reference.banned, beams: 1 }), c.greedy);
  const beam = await model.generate(c.ids, { maxTokens: 8, banned: reference.banned, beams: 4 });
  assert.ok(beam.length > 0 && beam.length <= 8);
  assert.ok(beam.every((id) => id >= 114 && id < model.contract.vocab_size));
});

test("a cancelled request stops between decode steps", async () => {
  let steps = 0;
  await assert.rejects(
    model.generate(reference.cases[0].ids, { maxTokens: 50, banned: reference.banned, isCancelled: () => ++steps > 3 }),
    CancelledError,
  );
  assert.equal(steps, 4);
});

test("inputs longer than the model's limit are refused with a clear error", async () => {
  await assert.rejects(model.encode(new Array(model.contract.max_src + 1).fill(400)), /encoder input of 513 tokens/);
  await assert.rejects(model.encode([]), /encoder input of 0 tokens/);
});

test("a model with rotary positions exports and decodes like torch, KV cache included", async () => {
  const rotaryDir = mkdtempSync(join(tmpdir(), "codeadapt-onnx-rotary-"));
  try {
    execFileSync("/usr/bin/python3", [join(ROOT, "training/export.py"), "--random-config", join(ROOT, "training/configs/tiny-rotary.json"), "--out", rotaryDir], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const rotaryReference = JSON.parse(readFileSync(join(rotaryDir, "parity.json"), "utf8")) as typeof reference;
    const rotary = await Seq2SeqModel.load(rotaryDir, ["cpu"], 1);
    try {
      for (const c of rotaryReference.cases) {
        const { logits } = await rotary.stepper(await rotary.encode(c.ids))([BOS], undefined);
        c.first_logits.forEach((expected, i) => assert.ok(Math.abs(logits[i] - expected) < 2e-3, `logit ${i}: ${logits[i]} vs ${expected}`));
        assert.deepEqual(await rotary.generate(c.ids, { maxTokens: rotaryReference.max_len, banned: rotaryReference.banned }), c.greedy);
      }
    } finally {
      await rotary.release();
    }
  } finally {
    rmSync(rotaryDir, { recursive: true, force: true });
  }
});
