import assert from "node:assert/strict";
import { test } from "node:test";
import { bootstrapMean, seededRandom } from "./bootstrap";

test("the interval brackets the mean and narrows with more items", () => {
  const random = seededRandom(1);
  const small = Array.from({ length: 50 }, () => random());
  const large = Array.from({ length: 5000 }, () => random());
  const a = bootstrapMean(small);
  const b = bootstrapMean(large);
  assert.ok(a.low <= a.value && a.value <= a.high);
  assert.ok(b.high - b.low < (a.high - a.low) / 4);
  assert.ok(Math.abs(b.value - 0.5) < 0.02);
});

test("the same seed gives the same interval; constant scores give a zero-width one", () => {
  const scores = [1, 0, 1, 1, 0, 1];
  assert.deepEqual(bootstrapMean(scores), bootstrapMean(scores));
  const constant = bootstrapMean([3, 3, 3]);
  assert.equal(constant.low, 3);
  assert.equal(constant.high, 3);
  assert.ok(Number.isNaN(bootstrapMean([]).value));
});
