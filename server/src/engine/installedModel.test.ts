import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CodeModel } from "./codeModel";
import { ROOT } from "./tinyModel.testutil";

/**
 * The shipped model in models/: its manifest verifies, and its exported graphs (float16
 * storage) reproduce torch's greedy tokens recorded at export time in parity.json.
 */
const MODELS = join(ROOT, "models");
const installed = existsSync(join(MODELS, "manifest.json"));

test("the installed model matches torch's greedy decoding on fixed inputs", { skip: !installed && "no model installed in models/" }, async () => {
  const model = await CodeModel.load(MODELS, ["cpu"], 2);
  try {
    const reference = JSON.parse(readFileSync(join(MODELS, "parity.json"), "utf8"));
    for (const c of reference.cases) {
      const tokens = await model.seq2seq.generate(c.ids, { maxTokens: reference.max_len, banned: reference.banned });
      assert.deepEqual(tokens, c.greedy);
    }
  } finally {
    await model.release();
  }
});
