// Runtime benchmark (npm run bench): summarize/refine latency, token types, RSS and adapter
// switch time of the TypeScript engine, against baselines measured in the same run: PyTorch eager
// generation of the same model, and a roofline of each request from this machine's measured
// matmul rate (onnxruntime, one big MatMul) and memory bandwidth. Medians over repeated runs.
//   npx tsx bench/runtime.ts [--model DIR] [--compare DIR] [--repeats 3] [--threads 2]
// --compare times summarize and refine on a second model folder too (e.g. the same model with
// float16 instead of int8 weights), interleaved request by request, and prints the ratio.
// Without an installed model it benchmarks a randomly initialised `small`-size export: the speed
// is that of the real architecture, the outputs are meaningless (and run to the token budget).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { concatDeltasCached, type Deltas } from "../server/src/engine/adapters";
import { CodeModel, type RefineStrategy } from "../server/src/engine/codeModel";
import { createSession, floatTensor } from "../server/src/engine/ort";
import { predictTokenTypes } from "../server/src/engine/tokenTypes";
import { functionAt } from "../server/src/functions/functionAt";
import { createParser, parseText } from "../server/src/parsing/parser";
import { exportTinyModel, writeManifest } from "../server/src/engine/tinyModel.testutil";

const ROOT = resolve(__dirname, "..");
const { values } = parseArgs({
  options: { model: { type: "string" }, compare: { type: "string" }, repeats: { type: "string", default: "3" }, threads: { type: "string", default: "2" } },
});
const repeats = Number(values.repeats);
const threads = Number(values.threads);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];

/** Real functions of varied length: this repository's own Python training code. */
async function realFunctions(): Promise<string[]> {
  const parser = await createParser("python");
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, "training")).filter((f) => f.endsWith(".py")).sort()) {
    const text = readFileSync(join(ROOT, "training", name), "utf8");
    const tree = parseText(parser, text);
    for (let at = text.indexOf("\ndef "); at >= 0; at = text.indexOf("\ndef ", at + 1)) {
      const span = functionAt(tree, text, at + 2);
      if (span) out.push(span.code);
    }
    tree.delete();
  }
  parser.delete();
  return out;
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** GFLOP/s of one N×N MatMul in onnxruntime, and GB/s of a large Float32Array copy. */
async function machine(): Promise<{ gflops: number; gbps: number }> {
  const dir = mkdtempSync(join(tmpdir(), "codeadapt-roof-"));
  const n = 1024;
  execFileSync("/usr/bin/python3", [join(ROOT, "bench/matmul_onnx.py"), join(dir, "mm.onnx"), String(n)]);
  const { session } = await createSession(join(dir, "mm.onnx"), ["cpu"], threads);
  const x = floatTensor(new Float32Array(n * n).fill(0.5), [n, n]);
  await session.run({ x });
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push(await timeIt(() => session.run({ x })));
  await session.release();
  rmSync(dir, { recursive: true, force: true });
  const src = new Float32Array(64 << 20 >> 2);
  const dst = new Float32Array(src.length);
  const copies: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    dst.set(src);
    copies.push(performance.now() - t0);
  }
  return { gflops: (2 * n ** 3) / (median(times) / 1000) / 1e9, gbps: (2 * src.byteLength) / (median(copies) / 1000) / 1e9 };
}

interface Shape { d: number; L: number; D: number; V: number; ff: number }

/** Lower bound on a request's time: each phase at the machine's matmul rate or bandwidth
 * (weights read at `w` bytes each: 4 for float32 compute, 1 for int8 MatMul weights). */
function roofline(s: Shape, inputTokens: number, outputTokens: number, m: { gflops: number; gbps: number }, w = 4): number {
  const enc = 2 * inputTokens * s.L * (4 * s.d ** 2 + 3 * s.d * s.ff) + 4 * inputTokens ** 2 * s.d * s.L + 4 * inputTokens * s.D * s.d ** 2;
  const encBytes = w * (s.L * (4 * s.d ** 2 + 3 * s.d * s.ff)) + 4 * s.V * s.d;
  let ms = Math.max(enc / (m.gflops * 1e9), encBytes / (m.gbps * 1e9)) * 1000;
  const stepFlops = 2 * (s.D * (6 * s.d ** 2 + 3 * s.d * s.ff) + s.d * s.V);
  const stepBytes = w * (s.D * (6 * s.d ** 2 + 3 * s.d * s.ff) + s.V * s.d) + 4 * 2 * s.D * inputTokens * s.d;
  ms += outputTokens * Math.max(stepFlops / (m.gflops * 1e9), stepBytes / (m.gbps * 1e9)) * 1000;
  return ms;
}

async function main(): Promise<void> {
  let dir = values.model ?? join(ROOT, "models");
  let random = false;
  if (!existsSync(join(dir, "manifest.json"))) {
    dir = mkdtempSync(join(tmpdir(), "codeadapt-bench-"));
    rmSync(dir, { recursive: true });
    const exported = exportTinyModel(["--random-adapters"]);
    execFileSync("/usr/bin/python3", [join(ROOT, "training/export.py"), "--random-config", join(ROOT, "training/configs/small.json"), "--random-adapters", "--out", exported], { stdio: "ignore" });
    writeManifest(exported, { task: { path: "adapters/lora.json" }, ner: { path: "adapters/ner.json" } });
    dir = exported;
    random = true;
  }
  const rssBefore = process.memoryUsage().rss;
  const model = await CodeModel.load(dir, ["cpu"], threads);
  const rssLoaded = process.memoryUsage().rss;
  const functions = (await realFunctions()).filter((code) => model.sourceIds(4, "python", code).ids.length <= 256);
  const summarizeSet = functions.slice(0, 16);
  const refineSet = functions.filter((code) => model.sourceIds(5, "python", code).ids.length <= 128).slice(0, 6);
  const c = model.seq2seq.contract;
  const storage = String(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")).onnx?.storage ?? "");
  const weightBytes = storage.startsWith("int8") ? 1 : 4;
  const shape: Shape = { d: c.d_model, L: c.n_enc_layers, D: c.n_dec_layers, V: c.vocab_size, ff: 4 * c.d_model };

  await model.summarize({ code: summarizeSet[0], language: "python", maxTokens: 4 }); // warm-up
  const rows: string[] = [];
  const m = await machine();
  // A task the manifest disables for users (its quality) is still timed: speed is the graph's.
  const enableAll = (m: CodeModel): CodeModel => Object.assign(Object.create(CodeModel.prototype), m, { disabledTasks: {} });
  const timed = enableAll(model);
  const other = values.compare ? enableAll(await CodeModel.load(values.compare, ["cpu"], threads)) : undefined;
  if (other) await other.summarize({ code: summarizeSet[0], language: "python", maxTokens: 4 });
  const disabled = Object.keys(model.disabledTasks);
  const measure = async (task: "summarize" | "refine", set: string[], maxTokens: number, extra: { strategy?: RefineStrategy } = {}) => {
    const times: number[] = [];
    const otherTimes: number[] = [];
    const roof: number[] = [];
    for (let r = 0; r < repeats; r++) {
      for (const code of set) {
        let result: Awaited<ReturnType<CodeModel["summarize"]>> | undefined;
        times.push(await timeIt(async () => (result = await timed[task]({ code, language: "python", maxTokens, ...extra }))));
        roof.push(roofline(shape, result!.inputTokens, result!.outputTokens, m, weightBytes));
        if (other) otherTimes.push(await timeIt(() => other[task]({ code, language: "python", maxTokens, ...extra })));
      }
    }
    return { p50: median(times), p95: p95(times), roof: median(roof), other: otherTimes.length ? { p50: median(otherTimes), p95: p95(otherTimes) } : undefined };
  };
  const summarize = await measure("summarize", summarizeSet, 32);
  const refine = await measure("refine", refineSet, 256, { strategy: "generate" });
  const refineEdits = await measure("refine", refineSet, 256, { strategy: "edits" });
  await other?.release();

  const hoverText = readFileSync(join(ROOT, "training/generator.py"), "utf8").slice(0, 3000);
  const ttc: number[] = [];
  if (model.adapters.ner) for (let r = 0; r < 5 * repeats; r++) ttc.push(await timeIt(() => predictTokenTypes(model, "python", hoverText)));

  const workspace: Deltas = { rank: 8, A: new Float32Array(c.slots.length * 8 * c.d_model).fill(0.001), B: new Float32Array(c.slots.length * 8 * c.d_model) };
  // First request with a new (task, workspace) pair: the concatenation; later switches: the cache.
  const firstUse: number[] = [];
  const switches: number[] = [];
  for (let r = 0; r < 20; r++) {
    const fresh: Deltas = { ...workspace };
    firstUse.push(await timeIt(async () => concatDeltasCached(c, [model.adapters.task!, fresh].filter(Boolean) as Deltas[])));
    switches.push(await timeIt(async () => concatDeltasCached(c, [model.adapters.task!, fresh].filter(Boolean) as Deltas[])));
  }

  const inputs = join(mkdtempSync(join(tmpdir(), "codeadapt-torch-")), "in.json");
  writeFileSync(inputs, JSON.stringify({
    summarize: summarizeSet.slice(0, 6).map((code) => model.sourceIds(4, "python", code).ids),
    refine: refineSet.slice(0, 3).map((code) => model.sourceIds(5, "python", code).ids),
    max_tokens: { summarize: 32, refine: 256 }, repeats: 1,
  }));
  // The installed model ships ONNX only: torch runs the base it was exported from (the training run's).
  const torchBase = [join(dir, "base.pt"), join(ROOT, "training/runs/small-base/base.pt")].find((path) => existsSync(path));
  const torchArgs = random ? ["--random-config", join(ROOT, "training/configs/small.json")] : torchBase ? ["--base", torchBase] : [];
  let torch: Record<string, { fp32_ms: number; bf16_ms: number }> = {};
  try {
    if (!random && !torchBase) throw new Error("no base.pt beside the model or in training/runs/small-base");
    torch = JSON.parse(execFileSync("/usr/bin/python3", [join(ROOT, "bench/torch_eager.py"), "--inputs", inputs, "--threads", String(threads), ...torchArgs], { encoding: "utf8" }));
  } catch (error) {
    console.error(`torch eager baseline not run: ${(error as Error).message.split("\n")[0]}`);
  }
  const fmt = (x?: number) => (x === undefined ? "n/a" : x.toFixed(1));
  rows.push(`| summarize (≤256 in, ≤32 out, greedy) | ${fmt(summarize.p50)} | ${fmt(summarize.p95)} | ≤ 50 | ${fmt(torch.summarize?.fp32_ms)} / ${fmt(torch.summarize?.bf16_ms)} | ${fmt(summarize.roof)} |`);
  rows.push(`| refine (≤128 in, whole function out, greedy)${disabled.includes("refine") ? " — disabled for users by the manifest, timed for speed" : ""} | ${fmt(refine.p50)} | ${fmt(refine.p95)} | ≤ 400 | ${fmt(torch.refine?.fp32_ms)} / ${fmt(torch.refine?.bf16_ms)} | ${fmt(refine.roof)} |`);
  const editsNote = model.refineStrategy === "edits" ? " — the model's default" : "";
  rows.push(`| refine by edits (≤128 in, the model ranks single-edit candidates)${editsNote} | ${fmt(refineEdits.p50)} | ${fmt(refineEdits.p95)} | ≤ 400 | | |`);
  if (ttc.length) rows.push(`| model token types, 3,000-char window | ${fmt(median(ttc))} | ${fmt(p95(ttc))} | (hover ≤ 60 after an edit) | | |`);
  if (summarize.other && refine.other) {
    rows.push(`| summarize on --compare ${values.compare} (p50 ratio ${(summarize.other.p50 / summarize.p50).toFixed(2)}× this model's) | ${fmt(summarize.other.p50)} | ${fmt(summarize.other.p95)} | | | |`);
    rows.push(`| refine on --compare ${values.compare} (p50 ratio ${(refine.other.p50 / refine.p50).toFixed(2)}× this model's) | ${fmt(refine.other.p50)} | ${fmt(refine.other.p95)} | | | |`);
  }
  if (refineEdits.other) {
    rows.push(`| refine by edits on --compare ${values.compare} (p50 ratio ${(refineEdits.other.p50 / refineEdits.p50).toFixed(2)}× this model's) | ${fmt(refineEdits.other.p50)} | ${fmt(refineEdits.other.p95)} | | | |`);
  }
  rows.push(`| adapter switch (task + workspace deltas, cached pair) | ${fmt(median(switches))} | ${fmt(p95(switches))} | ≤ 5 | | |`);
  rows.push(`| first request with a new workspace adapter (concatenation, once per build) | ${fmt(median(firstUse))} | ${fmt(p95(firstUse))} | | | |`);
  console.log(`Model: ${model.name}${random ? " (RANDOM weights, small size: speed only)" : ""}; weights ${storage || "float32"}; device ${model.device}; ${threads} threads; ${repeats} repeats`);
  console.log(`Machine: onnxruntime MatMul ${m.gflops.toFixed(1)} GFLOP/s (1024², fp32), copy bandwidth ${m.gbps.toFixed(1)} GB/s`);
  console.log(`RSS: ${(rssBefore / 1e6).toFixed(0)} MB before load, ${(rssLoaded / 1e6).toFixed(0)} MB loaded, ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB after the runs (target ≤ 400)\n`);
  console.log("| request | p50 ms | p95 ms | target ms | torch eager fp32 / bf16 ms (median) | roofline ms |");
  console.log("|---|---|---|---|---|---|");
  for (const row of rows) console.log(row);
  await model.release();
  if (random) rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
