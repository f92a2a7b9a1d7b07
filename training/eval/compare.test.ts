import assert from "node:assert/strict";
import { test } from "node:test";
import { pairedDifference } from "./compare";

test("paired difference: a constant shift is exact, noise shared by both arms cancels", () => {
  const a = [0, 100, 0, 100, 50, 20];
  const shifted = pairedDifference(a, a.map((x) => x + 1));
  assert.deepEqual([shifted.value, shifted.low, shifted.high], [1, 1, 1]);
  const mixed = pairedDifference([0, 0, 100, 100], [100, 0, 100, 100]);
  assert.equal(mixed.value, 25);
  assert.ok(mixed.low >= 0 && mixed.high <= 100 && mixed.low < mixed.high);
  assert.throws(() => pairedDifference([1], [1, 2]), /differ in length/);
});
