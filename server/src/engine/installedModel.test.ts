import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { BOS } from "../../../training/tokenizer/bpe";
import { CodeModel } from "./codeModel";
import { ROOT } from "./tinyModel.testutil";

/**
 * The shipped model in models/: its manifest verifies, and its exported graphs reproduce torch's
 * greedy tokens recorded at export time in parity.json. The shipped graphs carry int8 weights and
 * torch decoded in float32, so a near-tie may break the other way: where the tokens first differ,
 * torch's token must be within NEAR_TIE logits of the graphs' best (the float32 graphs are held to
 * exact equality in seq2seq.test.ts).
 */
const MODELS = join(ROOT, "models");
const installed = existsSync(join(MODELS, "manifest.json"));
const NEAR_TIE = 0.25;

interface ParityCase {
  ids: number[];
  greedy: number[];
}

/** The graphs' logits for the token after `prefix` (teacher forced), special tokens banned. */
async function logitsAfter(model: CodeModel, c: ParityCase, prefix: number[], banned: number[]): Promise<Float32Array> {
  const step = model.seq2seq.stepper(await model.seq2seq.encode(c.ids));
  let cache: unknown;
  let logits = new Float32Array(0);
  for (const token of [BOS, ...prefix]) {
    const out = await step([token], cache);
    cache = out.cache;
    logits = Float32Array.from(out.logits);
  }
  for (const id of banned) logits[id] = -Infinity;
  return logits;
}

test("the installed model matches torch's greedy decoding on fixed inputs, up to int8 near-ties", { skip: !installed && "no model installed in models/" }, async () => {
  const model = await CodeModel.load(MODELS, ["cpu"], 2);
  try {
    const reference = JSON.parse(readFileSync(join(MODELS, "parity.json"), "utf8")) as { cases: ParityCase[]; max_len: number; banned: number[] };
    let exact = 0;
    for (const c of reference.cases) {
      const tokens = await model.seq2seq.generate(c.ids, { maxTokens: reference.max_len, banned: reference.banned });
      const k = tokens.findIndex((t, i) => t !== c.greedy[i]);
      if (k < 0 && tokens.length === c.greedy.length) {
        exact++;
        continue;
      }
      const at = k < 0 ? tokens.length : k;
      assert.ok(at < c.greedy.length, `the graphs decoded past torch's end: ${tokens} vs ${c.greedy}`);
      const logits = await logitsAfter(model, c, c.greedy.slice(0, at), reference.banned);
      const gap = Math.max(...logits) - logits[c.greedy[at]];
      assert.ok(gap <= NEAR_TIE, `token ${at}: torch's ${c.greedy[at]} is ${gap.toFixed(3)} logits below the graphs' best`);
    }
    assert.ok(exact >= Math.ceil(reference.cases.length / 2), `only ${exact} of ${reference.cases.length} cases decode exactly`);
  } finally {
    await model.release();
  }
});
