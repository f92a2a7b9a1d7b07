import assert from "node:assert/strict";
import { test } from "node:test";
import { bleuByArm, oracleTable, type OracleResult } from "./scoreOracle";

const words = ["<pad>", "returns", "the", "sum", "of", "two", "numbers"];
const decode = (ids: number[]) => ids.map((i) => words[i]).join(" ");

const result: OracleResult = {
  split: "valid",
  settings: { rank: 8, steps: 40, lr: 0.002 },
  trainable: 1234,
  units: [{ unit: "a" }, { unit: "b" }],
  references: [[1, 2, 3, 4, 5, 6], [1, 2, 3]],
  arms: {
    none: { loss: [4, 3.9, 4.1], token_acc: [0.3, 0.2, 0.4], ids: [[3], [6]] },
    oracle: { loss: [3.5, 3.4, 3.6], loss_vs_none: [-0.5, -0.6, -0.4], token_acc: [0.3, 0.2, 0.4], ids: [[1, 2, 3, 4, 5, 6], [1, 2, 3]] },
    control: { loss: [4, 3.9, 4.1], loss_vs_none: [0, 0, 0], token_acc: [0.3, 0.2, 0.4], ids: [[3], [6]] },
  },
};

test("oracle scores: each arm's summaries against the shared references, paired with none", () => {
  const bleu = bleuByArm(result, decode);
  assert.equal(bleu.oracle[0], 100);
  assert.ok(bleu.none[0] < bleu.oracle[0] && bleu.none[1] < bleu.oracle[1]);
  const table = oracleTable(result, bleu);
  assert.match(table, /2 units, 2 targets/);
  assert.match(table, /\| oracle \| 100\.00 .*\| \+?\d/);
  assert.match(table, /-0\.500 \[-0\.600, -0\.400\]/);
  assert.match(table, /oracle − control .*: \+?[1-9]\d*\.\d\d/);
  assert.doesNotMatch(table, /generated −/);
});
