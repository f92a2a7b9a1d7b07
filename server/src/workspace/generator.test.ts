import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Seq2SeqModel } from "../engine/seq2seq";
import { WorkspaceGenerator } from "./generator";
import { exportTinyGeneratorModel } from "./tinyGenerator.testutil";

/**
 * Parity of the exported workspace generator with PyTorch (training/export.py writes torch's
 * per-chunk state sums, the head of the summed state, and greedy tokens with the generated
 * deltas applied, in generator-parity.json).
 */
let dir: string;
let model: Seq2SeqModel;
let generator: WorkspaceGenerator;
let reference: { chunks: number[][]; state_sums: number[]; state_head: number[]; ids: number[]; greedy: number[]; banned: number[] };

before(async () => {
  dir = exportTinyGeneratorModel();
  reference = JSON.parse(readFileSync(join(dir, "generator-parity.json"), "utf8"));
  model = await Seq2SeqModel.load(dir, ["cpu"], 1);
  const loaded = await WorkspaceGenerator.fromModelDir(dir, model.contract, ["cpu"], 1);
  assert.ok(loaded, "the manifest names the generator");
  generator = loaded;
});

after(async () => {
  await model?.release();
  await generator?.release();
  rmSync(dir, { recursive: true, force: true });
});

const close = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));
const sum = (xs: ArrayLike<number>) => Array.from(xs).reduce((s, x) => s + x, 0);

test("per-chunk contributions and the summed state match torch", async () => {
  const state = new Float64Array(generator.stateSize);
  for (const [i, chunk] of reference.chunks.entries()) {
    const [contribution] = await generator.chunkContributions(await model.encodeContext([chunk]));
    assert.ok(close(sum(contribution), reference.state_sums[i], 1e-3), `chunk ${i}: ${sum(contribution)} vs ${reference.state_sums[i]}`);
    contribution.forEach((x, k) => (state[k] += x));
  }
  reference.state_head.forEach((x, k) => assert.ok(close(state[k], x, 1e-3), `state[${k}] ${state[k]} vs ${x}`));
});

test("a padded batch gives each chunk the contribution it has alone", async () => {
  const batch = await generator.chunkContributions(await model.encodeContext(reference.chunks));
  for (const [i, chunk] of reference.chunks.entries()) {
    const [alone] = await generator.chunkContributions(await model.encodeContext([chunk]));
    alone.forEach((x, k) => assert.ok(close(batch[i][k], x, 1e-4), `chunk ${i} value ${k}: ${batch[i][k]} vs ${x}`));
  }
});

test("greedy tokens with the generated deltas as a workspace adapter equal torch's", async () => {
  const contributions = await generator.chunkContributions(await model.encodeContext(reference.chunks));
  const state = new Float64Array(generator.stateSize);
  for (const c of contributions) c.forEach((x, k) => (state[k] += x));
  const deltas = await generator.deltas(state);
  assert.equal(deltas.rank, generator.r2);
  const tokens = await model.generate(reference.ids, { maxTokens: 12, banned: reference.banned }, { deltas: [deltas] });
  assert.deepEqual(tokens, reference.greedy);
  const base = await model.generate(reference.ids, { maxTokens: 12, banned: reference.banned });
  assert.notDeepEqual(base, reference.greedy, "the random generator's deltas change the output (else the test proves nothing)");
});

test("a generator made for other slots is refused", async () => {
  const contract = { ...model.contract, slots: model.contract.slots.slice(1) };
  await assert.rejects(WorkspaceGenerator.fromModelDir(dir, contract, ["cpu"], 1), /other adapter slots/);
});
