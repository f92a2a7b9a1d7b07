import assert from "node:assert/strict";
import { test } from "node:test";
import { concatDeltas, concatDeltasCached, type Deltas } from "./adapters";
import type { OnnxContract } from "./contract";

const contract = { slots: ["a", "b"], d_model: 3 } as unknown as OnnxContract;
const deltas = (rank: number, seed: number): Deltas => ({
  rank,
  A: Float32Array.from({ length: 2 * rank * 3 }, (_, i) => seed + i),
  B: Float32Array.from({ length: 2 * 3 * rank }, (_, i) => seed - i),
});

test("concatenated deltas are remembered per pair and equal a fresh concatenation", () => {
  const task = deltas(2, 100);
  const workspace = deltas(1, 7);
  const first = concatDeltasCached(contract, [task, workspace]);
  assert.deepEqual(first, concatDeltas(contract, [task, workspace]));
  assert.equal(first.rank, 3);
  assert.equal(concatDeltasCached(contract, [task, workspace]), first, "a switch back to the pair is a lookup");
  const rebuilt = deltas(1, 9); // a rebuilt workspace adapter is a new object
  const second = concatDeltasCached(contract, [task, rebuilt]);
  assert.notEqual(second, first);
  assert.deepEqual(second, concatDeltas(contract, [task, rebuilt]));
});
