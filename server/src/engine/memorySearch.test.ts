import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { WorkspaceMemory, makeRecord } from "../workspace/memory";
import { OutputAdapter } from "../workspace/outputAdapter";
import type { OnnxContract } from "./contract";
import { loadMemorySearch } from "./memorySearch";

const ROOT = resolve(__dirname, "../../..");
const contract = { memory_search: "memory-search.onnx" } as OnnxContract;
const withMix = { memory_search: "memory-search.onnx", memory_mix: "memory-mix.onnx" } as OnnxContract;
const d = 32;

/** A memory of random states, with a few near copies of the query so the top is not a tie. */
function randomMemory(query: Float32Array, n = 500): WorkspaceMemory {
  let seed = 7;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const states = Float32Array.from({ length: n * d }, next);
  for (const row of [3, 141, 400]) for (let j = 0; j < d; j++) states[row * d + j] = query[j] + 0.05 * row * next();
  const memory = new WorkspaceMemory(d);
  memory.add("all", makeRecord(states, Int32Array.from({ length: n }, (_, i) => i), d));
  // A record added then removed, and one more: the search sees a view with spare capacity behind it.
  memory.add("gone", makeRecord(states.subarray(0, 10 * d), new Int32Array(10), d));
  memory.delete("gone");
  memory.add("tail", makeRecord(states.subarray(0, 3 * d), Int32Array.from([900, 901, 902]), d));
  return memory;
}

/** The search graph as models exported before the tenth session had it: signed keys, no zero point. */
function exportSignedGraph(dir: string): void {
  const script = `
import sys, onnx
sys.path.insert(0, ${JSON.stringify(join(ROOT, "training"))})
from export import export_memory_search
path = export_memory_search(sys.argv[1])
m = onnx.load(path)
m.graph.input[0].name = "keys"
m.graph.input[0].type.tensor_type.elem_type = onnx.TensorProto.INT8
node = m.graph.node[0]
del node.input[:]
node.input.extend(["keys", "query"])
del m.graph.initializer[1]
onnx.checker.check_model(m)
onnx.save(m, path)
`;
  execFileSync("/usr/bin/python3", ["-c", script, dir]);
}

async function neighbours(dir: string, memory: WorkspaceMemory, query: Float32Array, threads: number) {
  const kernel = (await loadMemorySearch(dir, contract, threads))!;
  try {
    const { keysU8, inverseNorms } = memory.flat();
    const found = await kernel.search(keysU8, inverseNorms, d, query, 8);
    return { index: Array.from(found.index), similarity: Array.from(found.similarity) };
  } finally {
    await kernel.release();
  }
}

test("the shipped search graph (uint8 keys, zero point 128) and the signed one find the JavaScript loop's neighbours", async () => {
  const query = Float32Array.from({ length: d }, (_, j) => Math.cos(j * 0.7));
  const memory = randomMemory(query);
  const expected = memory.nearest(query).slice(0, 8);
  const signed = mkdtempSync(join(tmpdir(), "codeadapt-search-"));
  try {
    exportSignedGraph(signed);
    for (const [dir, threads] of [[join(ROOT, "models"), 2], [signed, 1]] as const) {
      const found = await neighbours(dir, memory, query, threads);
      assert.deepEqual(found.index.slice(0, 3), expected.slice(0, 3).map((n) => n.index), dir);
      // The query is quantized to int8 too: similarities agree within its rounding.
      found.similarity.forEach((s, i) => assert.ok(Math.abs(s - expected[i].similarity) < 0.02, `${dir}: ${s} vs ${expected[i].similarity}`));
    }
  } finally {
    rmSync(signed, { recursive: true, force: true });
  }
});

test("the mix graph rewrites a row as the JavaScript mix does, in one call", async () => {
  const query = Float32Array.from({ length: d }, (_, j) => Math.sin(j * 0.9));
  const memory = randomMemory(query);
  // The shipped graphs: export.py writes the same bytes (the tiny export of workspaceMemory.test.ts runs its mix too).
  const kernel = (await loadMemorySearch(join(ROOT, "models"), withMix, 1))!;
  assert.ok(kernel.search.mix, "a contract with memory_mix gives the search a mix");
  try {
    const logits = Float32Array.from({ length: 1000 }, (_, i) => Math.cos(i * 0.37) * 4 - (i === 7 ? 200 : 0));
    const byLoop = logits.slice();
    const byGraph = logits.slice();
    await memory.mix(byLoop, query);
    await memory.mix(byGraph, query, kernel.search);
    let diff = 0;
    for (let i = 0; i < logits.length; i++) diff = Math.max(diff, Math.abs(Math.exp(byLoop[i]) - Math.exp(byGraph[i])));
    assert.ok(diff < 0.02, `distributions differ by ${diff}`);
    assert.ok(Math.abs(byGraph[7] - byLoop[7]) < 0.01, `a token the model all but rules out keeps its log-probability: ${byGraph[7]} vs ${byLoop[7]}`);
    const logZ = Math.log(logits.reduce((a, b) => a + Math.exp(b), 0));
    const gained = Math.max(...Array.from(byGraph, (x, i) => Math.exp(x) - Math.exp(logits[i] - logZ)));
    assert.ok(gained > 0.05, `the memory moved probability to its tokens (${gained})`);
  } finally {
    await kernel.release();
  }
});

test("the output-layer adapter gives the same delta through the matmul graph as in JavaScript", async () => {
  const withMatmul = { ...withMix, matmul: "matmul.onnx" } as OnnxContract;
  const kernel = (await loadMemorySearch(join(ROOT, "models"), withMatmul, 1))!;
  assert.ok(kernel.search.matmul, "a contract with matmul gives the search a matmul");
  try {
    const query = Float32Array.from({ length: d }, (_, j) => Math.sin(j * 0.4));
    const [byLoop, byGraph] = [randomMemory(query), randomMemory(query)].map((m) => {
      const adapter = new OutputAdapter(d);
      for (const key of m.keys()) adapter.add(m.get(key)!);
      return adapter;
    });
    const [rowLoop, rowGraph] = [new Float32Array(1000), new Float32Array(1000)];
    await byLoop.mix(rowLoop, query);
    await byGraph.mix(rowGraph, query, kernel.search);
    assert.ok(rowLoop.some((x) => x !== 0));
    rowLoop.forEach((x, i) => assert.ok(Math.abs(x - rowGraph[i]) < 1e-3 * (1 + Math.abs(x)), `token ${i}: ${x} vs ${rowGraph[i]}`));
  } finally {
    await kernel.release();
  }
});
