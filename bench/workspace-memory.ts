/**
 * Workspace memory benchmark (`npm run bench:memory`), not a timed test. With the installed model
 * (models/), on this repository's own server/ and training/ sources copied to a scratch folder:
 *   build     seconds and documented functions per second of a full build from an empty cache;
 *   reopen    seconds of the same build from the saved memory (no model calls);
 *   update    milliseconds of the update after one docstring is edited and saved (median), read
 *             from disk, and with the saved text and its tree given, as the editor's save does;
 *   summarize per-request milliseconds (median over the folder's functions) without the memory,
 *             with it searched by the model's int8 graph, and by the JavaScript loop, measured in
 *             the same process, and the ratios against no memory;
 *             and with a memory of the folder's records eight times over (the size of the largest
 *             held-out unit's), searched by the graph;
 *   size      entries, and the bytes they take (int8 keys, values, norms);
 *   weights   the output-layer adapter kept to the same records (outputAdapter.ts): milliseconds to
 *             fold each update into it and factorise again (median), and summarize with it, also
 *             over the large memory.
 *   BENCH_REQUESTS (40), BENCH_THREADS (2)
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CodeModel } from "../server/src/engine/codeModel";
import { createParser, parseText } from "../server/src/parsing/parser";
import { manifestSha256 } from "../server/src/workspace/generator";
import type { NearestSearch } from "../server/src/engine/memorySearch";
import { WorkspaceMemory } from "../server/src/workspace/memory";
import { OutputAdapter } from "../server/src/workspace/outputAdapter";
import { WorkspaceMemoryIndex, type MemoryModel } from "../server/src/workspace/workspaceMemory";
import { mineTree } from "../training/corpus/extract";

const ROOT = resolve(__dirname, "..");
const MODELS = join(ROOT, "models");
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 40);
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const LARGE_COPIES = 8;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await work();
  return [value, performance.now() - t0];
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), "codeadapt-bench-memory-"));
  const folder = join(scratch, "ws");
  const cacheDir = join(scratch, "cache");
  cpSync(join(ROOT, "server", "src"), join(folder, "server"), { recursive: true });
  cpSync(join(ROOT, "training"), join(folder, "training"), { recursive: true, filter: (p) => !/runs|__pycache__|fixtures|golden/.test(p) });
  const model = await CodeModel.load(MODELS, ["cpu"], THREADS);
  const memoryModel: MemoryModel = { d: model.seq2seq.contract.d_model, summaryStates: (l, c, s) => model.summaryStates(l, c, s) };
  const open = () => new WorkspaceMemoryIndex(folder, memoryModel, { cacheDir, manifestSha256: manifestSha256(MODELS) });
  try {
    const index = open();
    const [built, buildMs] = await timed(() => index.build());
    if (built.kind !== "built") throw new Error(built.message);
    await index.close();
    const again = open();
    const [, reopenMs] = await timed(() => again.build());
    // Update: edit one docstring of training/model.py five times, one save each.
    const target = join(folder, "training", "model.py");
    const original = readFileSync(target, "utf8");
    const updates: number[] = [];
    const editorUpdates: number[] = [];
    const adapterUpdates: number[] = [];
    const kernels = model.seq2seq.memoryKernels;
    await again.memory!.adapter!.prepare(kernels?.matmul);
    const python = await createParser("python");
    for (let i = 0; i < 10; i++) {
      const edited = original.replace('"""Greedy decoding', `"""Greedy (${i}) decoding`);
      writeFileSync(target, edited);
      if (i % 2 === 0) updates.push((await timed(() => again.update(target)))[1]);
      else {
        const tree = parseText(python, edited); // the server keeps the open document's tree
        editorUpdates.push((await timed(() => again.update(target, edited, tree)))[1]);
        tree.delete();
      }
      adapterUpdates.push((await timed(() => again.memory!.adapter!.prepare(kernels?.matmul)))[1]);
    }
    writeFileSync(target, original);
    await again.update(target);
    const memory = again.memory!;
    if (memory.size !== built.memory.entries) throw new Error(`after the edits were undone the memory has ${memory.size} entries, the build had ${built.memory.entries}`);
    // Requests: documented Python functions of the folder, code without docstring, as the editor sends.
    const parser = await createParser("python");
    const requests: { code: string; language: "python" }[] = [];
    for (const file of ["model.py", "train.py", "export.py", "data.py", "generator.py"]) {
      const text = readFileSync(join(folder, "training", file), "utf8");
      const tree = parseText(parser, text);
      for (const m of mineTree(tree, text, "python").mined) requests.push({ code: m.code, language: "python" });
      tree.delete();
    }
    parser.delete();
    const picked = requests.slice(0, REQUESTS);
    const arms: Record<string, number[]> = { none: [], graph: [], loop: [], large: [], weights: [], weightsLarge: [] };
    const tokens: Record<string, number> = { none: 0, graph: 0, loop: 0, large: 0, weights: 0, weightsLarge: 0 };
    // A memory the size of the largest held-out unit's (jdk.compiler: 57k entries): the folder's
    // records LARGE_COPIES times over, so the search scans that many rows each step.
    const large = new WorkspaceMemory(memory.d, memory.settings, new OutputAdapter(memory.d));
    for (let copy = 0; copy < LARGE_COPIES; copy++) for (const key of memory.keys()) large.add(`${copy}:${key}`, memory.get(key)!);
    const run = async (arm: string, request: Parameters<CodeModel["summarize"]>[0]) => {
      const [result, ms] = await timed(() => model.summarize(request));
      arms[arm].push(ms);
      tokens[arm] += result.outputTokens + 1; // decoder steps: the tokens and </s>
    };
    const loopSearch = undefined;
    // The graph arm, timed inside: the memory's whole mix per step, and the graph calls in it (the
    // mix graph's one call when the model ships memory-mix.onnx, else the search graph's).
    let mixMs = 0;
    let graphMs = 0;
    let mixes = 0;
    const timing = <A extends unknown[], R>(f: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
      const t0 = performance.now();
      const out = await f(...args);
      graphMs += performance.now() - t0;
      return out;
    };
    const timedMemory = {
      mix: async (row: Float32Array, hidden: Float32Array, search?: NearestSearch) => {
        const t0 = performance.now();
        const timedSearch: NearestSearch | undefined = search && Object.assign(timing(search), { mix: search.mix && timing(search.mix) });
        await memory.mix(row, hidden, timedSearch);
        mixMs += performance.now() - t0;
        mixes++;
      },
    };
    for (const request of picked) {
      await run("none", request);
      await run("graph", { ...request, memory: timedMemory });
      // The JavaScript loop: the same memory, its mix called without the model's kernel.
      await run("loop", { ...request, memory: { mix: (row: Float32Array, hidden: Float32Array) => memory.mix(row, hidden, loopSearch) } });
      await run("large", { ...request, memory: large });
      await run("weights", { ...request, memory: memory.adapter });
      await run("weightsLarge", { ...request, memory: large.adapter });
    }
    const base = median(arms.none);
    const bytes = memory.size * (memory.d + 8);
    console.log(`workspace memory, ${model.name}, ${THREADS} threads, load average ${loadavg()[0].toFixed(2)}`);
    console.log("");
    console.log("| measure | value |");
    console.log("|---|---|");
    console.log(`| build from empty cache | ${(buildMs / 1000).toFixed(1)} s: ${built.files} files, ${built.functions} documented functions, ${(built.functions / (buildMs / 1000)).toFixed(1)} functions/s |`);
    console.log(`| build from the saved memory | ${(reopenMs / 1000).toFixed(2)} s |`);
    console.log(`| update after a docstring edit (median of 5), from disk | ${median(updates).toFixed(1)} ms |`);
    console.log(`| same, with the saved text and its tree (the editor's save; median of 5) | ${median(editorUpdates).toFixed(1)} ms |`);
    console.log(`| memory size | ${memory.size} entries, ${(bytes / 1e6).toFixed(1)} MB |`);
    const perStep = (arm: string) => arms[arm].reduce((a, b) => a + b, 0) / tokens[arm];
    const row = (label: string, arm: string) =>
      console.log(`| summarize, ${label} | p50 ${median(arms[arm]).toFixed(1)} ms (${(median(arms[arm]) / base).toFixed(2)}x); ${(tokens[arm] / picked.length).toFixed(1)} steps per summary, ${perStep(arm).toFixed(2)} ms per step (${(perStep(arm) / perStep("none")).toFixed(2)}x) |`);
    row(`no memory (n=${picked.length})`, "none");
    row("memory searched by the int8 graph", "graph");
    console.log(`| of which the memory's mix, per step | ${(mixMs / mixes).toFixed(2)} ms, the graph's call in it ${(graphMs / mixes).toFixed(2)} ms (${model.seq2seq.contract.memory_mix ? "the mix graph" : "the search graph"}) |`);
    row("memory searched by the JavaScript loop", "loop");
    row(`memory of ${large.size} entries (${LARGE_COPIES} copies), int8 graph`, "large");
    console.log(`| output-layer adapter: fold an update in and factorise again (median of 10) | ${median(adapterUpdates).toFixed(1)} ms |`);
    row(`output-layer adapter (${memory.adapter!.tokens} tokens)`, "weights");
    row(`output-layer adapter of the ${large.size} entries`, "weightsLarge");
    await again.close();
  } finally {
    await model.release();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
