import assert from "node:assert/strict";
import { test } from "node:test";
import { makeRecord, WorkspaceMemory } from "./memory";

const D = 8;

function unit(seed: number): Float32Array {
  const v = Float32Array.from({ length: D }, (_, j) => Math.sin(seed * 12.9898 + j * 78.233));
  return v;
}

function softmax(row: Float32Array): number[] {
  const max = Math.max(...row);
  const e = [...row].map((x) => Math.exp(x - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

test("int8 keys keep cosine similarities to about 1%", () => {
  const states = new Float32Array([...unit(1), ...unit(2)]);
  const record = makeRecord(states, [5, 6], D);
  const memory = new WorkspaceMemory(D);
  memory.add("f", record);
  const query = unit(1);
  const near = memory.nearest(query);
  assert.equal(near[0].index, 0, "a stored state is its own nearest neighbour");
  assert.ok(Math.abs(near[0].similarity - 1) < 0.01, `cosine with itself ${near[0].similarity}`);
  const a = unit(1), b = unit(2);
  const exact = a.reduce((s, x, j) => s + x * b[j], 0) / Math.hypot(...a) / Math.hypot(...b);
  assert.ok(Math.abs(near[1].similarity - exact) < 0.01, `${near[1].similarity} vs ${exact}`);
});

test("mixing moves probability to the token the nearest stored state predicted, by lambda", async () => {
  const memory = new WorkspaceMemory(D, { k: 1, temperature: 0.05, lambda: 0.5 });
  memory.add("f", makeRecord(new Float32Array([...unit(1), ...unit(2)]), [3, 7], D));
  const logits = new Float32Array(10); // uniform
  await memory.mix(logits, unit(2));
  const p = softmax(logits);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-5, "still a distribution");
  assert.ok(Math.abs(p[7] - (0.5 * 0.1 + 0.5)) < 1e-5, `p[7] = ${p[7]}`);
  assert.ok(Math.abs(p[3] - 0.05) < 1e-5, "the farther state gets nothing with k = 1");
});

test("an empty memory leaves the logits as they are; add and delete are exact", async () => {
  const memory = new WorkspaceMemory(D);
  const logits = Float32Array.from([1, 2, 3]);
  await memory.mix(logits, unit(1));
  assert.deepEqual([...logits], [1, 2, 3]);
  memory.add("a", makeRecord(unit(1), [1], D));
  memory.add("b", makeRecord(new Float32Array([...unit(2), ...unit(3)]), [2, 2], D));
  memory.add("a", makeRecord(unit(4), [1], D)); // same key: kept once
  assert.equal(memory.size, 3);
  assert.equal(memory.functions, 2);
  assert.ok(memory.delete("b"));
  assert.equal(memory.size, 1);
  assert.equal(memory.nearest(unit(3))[0].index, 0, "lookups see the change");
  assert.throws(() => memory.add("c", { ...makeRecord(unit(1), [1], D), keys: new Int8Array(3) }), /not 8 wide/);
});

test("after adds and deletes in any order the flat arrays equal a memory built from what is left", () => {
  const memory = new WorkspaceMemory(D);
  const records = new Map<string, ReturnType<typeof makeRecord>>();
  for (let r = 0; r < 120; r++) { // past the first capacity (256 rows), so it grows with rows kept
    const n = 1 + (r % 5);
    const states = Float32Array.from({ length: n * D }, (_, i) => Math.sin(r * 3.7 + i * 1.1));
    records.set(`r${r}`, makeRecord(states, Int32Array.from({ length: n }, (_, i) => r * 10 + i), D));
  }
  for (const [key, record] of records) memory.add(key, record);
  for (let r = 0; r < 120; r += 3) memory.delete(`r${(r * 7) % 120}`); // from the middle, the start and the end
  memory.add("r1000", records.get("r0")!);
  const fresh = new WorkspaceMemory(D);
  for (const key of memory.keys()) fresh.add(key, memory.get(key)!);
  const got = memory.flat();
  const want = fresh.flat();
  assert.equal(memory.size, fresh.size);
  assert.deepEqual([...got.values], [...want.values]);
  assert.deepEqual([...got.inverseNorms], [...want.inverseNorms]);
  assert.deepEqual([...got.keysU8], [...want.keysU8]);
  assert.equal(got.keysU8.length, memory.size * D, "a view of the rows in use, not the spare capacity");
  assert.deepEqual(memory.nearest(unit(9)), fresh.nearest(unit(9)));
  assert.equal(memory.flat(), got, "the same view until the next change");
});
