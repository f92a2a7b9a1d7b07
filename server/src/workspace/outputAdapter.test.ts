import assert from "node:assert/strict";
import { test } from "node:test";
import { makeRecord } from "./memory";
import { OutputAdapter } from "./outputAdapter";

const d = 6;
const VOCAB = 12;

/** A record of n random states predicting the given tokens (seeded, so the test is repeatable). */
function randomRecord(seed: number, tokens: number[]) {
  let x = seed;
  const next = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const states = Float32Array.from({ length: tokens.length * d }, next);
  return { states, record: makeRecord(states, tokens, d) };
}

async function deltaOf(adapter: OutputAdapter, hidden: Float32Array): Promise<Float32Array> {
  const row = new Float32Array(VOCAB);
  await adapter.mix(row, hidden);
  return row;
}

/** alpha · S (C + ridge·tr(C)/d·I)⁻¹ ĥ by Gaussian elimination on the dense matrices. */
function reference(records: ReturnType<typeof randomRecord>["record"][], hidden: Float32Array, alpha: number, ridge: number): Float32Array {
  const C = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  const S = Array.from({ length: VOCAB }, () => new Array<number>(d).fill(0));
  for (const rec of records) {
    for (let i = 0; i < rec.values.length; i++) {
      const u = Array.from({ length: d }, (_, j) => rec.keys[i * d + j] * rec.inverseNorms[i]);
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) C[a][b] += u[a] * u[b];
      for (let j = 0; j < d; j++) S[rec.values[i]][j] += u[j];
    }
  }
  const trace = C.reduce((t, row, a) => t + row[a], 0);
  const A = C.map((row, a) => [...row.map((v, b) => v + (a === b ? (ridge * trace) / d : 0)), hidden[a]]);
  for (let p = 0; p < d; p++) {
    for (let q = p + 1; q < d; q++) {
      const f = A[q][p] / A[p][p];
      for (let c = p; c <= d; c++) A[q][c] -= f * A[p][c];
    }
  }
  const z = new Array<number>(d).fill(0);
  for (let p = d - 1; p >= 0; p--) z[p] = (A[p][d] - A[p].slice(p + 1, d).reduce((s, v, i) => s + v * z[p + 1 + i], 0)) / A[p][p];
  const norm = Math.sqrt(hidden.reduce((s, v) => s + v * v, 0));
  return Float32Array.from(S, (row) => (alpha * row.reduce((s, v, j) => s + v * z[j], 0)) / norm);
}

/** Equal within a relative tolerance (float32 products). */
const close = (a: Float32Array, b: Float32Array, tolerance = 1e-4) => a.every((v, i) => Math.abs(v - b[i]) < tolerance * (1 + Math.abs(v)));

test("the delta is the ridge regression from the stored states to their tokens", async () => {
  const records = [randomRecord(1, [3, 4, 5, 3, 7, 8, 9]).record, randomRecord(2, [1, 3, 3, 10, 11]).record];
  const adapter = new OutputAdapter(d, { alpha: 4, ridge: 0.05 });
  records.forEach((r) => adapter.add(r));
  const hidden = Float32Array.from({ length: d }, (_, j) => Math.cos(j + 1));
  assert.ok(close(await deltaOf(adapter, hidden), reference(records, hidden, 4, 0.05)));
});

test("removing a function's contribution equals building without it, and the empty adapter changes nothing", async () => {
  const [a, b, c] = [randomRecord(3, [1, 2, 3, 4]), randomRecord(4, [2, 5, 6]), randomRecord(5, [7, 7, 1, 0, 2])];
  const incremental = new OutputAdapter(d);
  for (const r of [a, b, c]) incremental.add(r.record);
  const hidden = Float32Array.from({ length: d }, (_, j) => j - 2.5);
  await deltaOf(incremental, hidden); // solved once before the change: the change must drop it
  incremental.remove(b.record);
  const rebuilt = new OutputAdapter(d);
  for (const r of [a, c]) rebuilt.add(r.record);
  assert.equal(incremental.size, rebuilt.size);
  assert.equal(incremental.tokens, rebuilt.tokens);
  assert.ok(close(await deltaOf(incremental, hidden), await deltaOf(rebuilt, hidden), 1e-5), "within float32 rounding of the Gram products");
  for (const r of [a, c]) incremental.remove(r.record);
  assert.equal(incremental.size, 0);
  assert.equal(incremental.tokens, 0);
  assert.deepEqual(await deltaOf(incremental, hidden), new Float32Array(VOCAB));
});

test("a stored state raises the token it predicted above the others", async () => {
  const { states, record } = randomRecord(6, [2, 9, 4, 11]);
  const adapter = new OutputAdapter(d);
  adapter.add(record);
  for (const [i, token] of [2, 9, 4, 11].entries()) {
    const delta = await deltaOf(adapter, states.subarray(i * d, (i + 1) * d));
    const best = delta.indexOf(Math.max(...delta));
    assert.equal(best, token, `state ${i}`);
  }
});

test("steps that run while a change is folded in wait for it: none sees half a fold", async () => {
  const records = [randomRecord(7, [1, 2, 3]).record, randomRecord(8, [4, 5]).record, randomRecord(9, [6, 1]).record];
  const hidden = Float32Array.from({ length: d }, (_, j) => Math.sin(j));
  const settled = new OutputAdapter(d);
  records.forEach((r) => settled.add(r));
  const expected = await deltaOf(settled, hidden);
  const busy = new OutputAdapter(d);
  records.forEach((r) => busy.add(r));
  const slowMatmul = async (a: Float32Array, m: number, k: number, b: Float32Array, n: number) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const out = new Float32Array(m * n);
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) out[i * n + j] += a[i * k + p] * b[p * n + j];
    return out;
  };
  const rows = await Promise.all([0, 1, 2].map(async () => {
    const row = new Float32Array(VOCAB);
    await busy.mix(row, hidden, Object.assign(async () => ({ index: [], similarity: [] }), { matmul: slowMatmul }));
    return row;
  }));
  for (const row of rows) assert.ok(close(row, expected), "a step saw the state mid-fold");
});
