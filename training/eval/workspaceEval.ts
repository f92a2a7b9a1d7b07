// Workspace adapters on held-out project units, through the runtime the editor uses:
//   (a) no workspace adapter;
//   (b) the generated adapter: the unit's files built into S once, then, for each target file,
//       that file's contributions subtracted (an incremental update after deleting it), so a
//       summary is never predicted from context holding its own docstring;
//   (c) retrieval in the prompt: the k functions of other files of the unit most similar to the
//       target (identifier overlap), each with its summary as a comment, prepended within the
//       model's 510 source tokens (the target is never cut for them);
//   (e) the workspace memory (server/src/workspace/memory.ts): the unit's documented functions,
//       each read once by the decoder, as a nearest-neighbour next-token distribution mixed into
//       decoding; the target's own file is removed from it the same way (an update after
//       deleting the file);
//   (b') the output-layer adapter (server/src/workspace/outputAdapter.ts): weights made in closed
//       form from the memory's records, kept to the same incremental updates; and its control,
//       another held-out unit's;
//   memory control: another held-out unit's memory, for the same reason as the control below;
//   control: the adapter of another held-out unit (the next one picked), so that a gain of (b)
//       that is not about this workspace's own code (a general shift of style or length) shows up
//       here too. Only with two or more units.
// Smoothed BLEU-4 per item with bootstrap CIs and paired differences against (a), per-request
// latency, and the build cost. The StreamAdapter variant has no runtime graph (its recurrence runs
// in torch only) and is not evaluated here.
//   npx tsx training/eval/workspaceEval.ts --model DIR [--corpus .cache/corpus] [--split test]
//       [--units 8] [--targets 16] [--k 2] [--alpha 15] [--ridge 0.01] [--json OUT]
import { createReadStream, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { CodeModel } from "../../server/src/engine/codeModel";
import type { Deltas } from "../../server/src/engine/adapters";
import type { LanguageId } from "../../server/src/parsing/languages";
import { manifestSha256, WorkspaceGenerator } from "../../server/src/workspace/generator";
import { WorkspaceAdapter } from "../../server/src/workspace/workspaceAdapter";
import { WorkspaceMemory as WorkspaceMemoryClass, type WorkspaceMemory } from "../../server/src/workspace/memory";
import { DEFAULT_OUTPUT_ADAPTER_SETTINGS, type OutputAdapterSettings } from "../../server/src/workspace/outputAdapter";
import { WorkspaceMemoryIndex, type MemoryModel } from "../../server/src/workspace/workspaceMemory";
import { smoothedBleu4 } from "./bleu";
import { bootstrapMean, formatEstimate, type Estimate } from "./bootstrap";
import { pairedDifference } from "./compare";

interface FunctionRow {
  id: string;
  lang: LanguageId;
  unit: string;
  path: string;
  code: string;
  summary: string;
}

interface Unit {
  name: string;
  files: Map<string, string>;
  functions: FunctionRow[];
}

export interface ArmResult {
  arm: string;
  bleu: Estimate;
  scores: number[];
  /** The generated summaries, in item order (for reading, next to `references`). */
  texts: string[];
  latencyP50Ms: number;
  vsNoAdapter?: Estimate;
}

export interface WorkspaceEvalResult {
  units: { name: string; files: number; targets: number; buildMs: number; buildTokens: number }[];
  references: string[];
  /** (b) minus the control arm, paired: the part of (b)'s gain that is about the workspace itself. */
  generatedVsControl?: Estimate;
  /** (e) minus its control, paired. */
  memoryVsControl?: Estimate;
  /** (b') minus its control, paired. */
  outputAdapterVsControl?: Estimate;
  /** Per target: its summary appears word for word among the unit's other files' summaries. */
  verbatim?: boolean[];
  /** (e) − (a) on the targets whose summary is not verbatim elsewhere in the unit. */
  memoryNotVerbatim?: Estimate;
  /** Per unit: the memory's build time, functions and entries. */
  memoryUnits?: { name: string; buildMs: number; functions: number; entries: number }[];
  arms: ArmResult[];
  k: number;
  outputAdapter?: OutputAdapterSettings;
}

export async function* jsonl<T>(path: string): AsyncGenerator<T> {
  for await (const line of createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity })) {
    if (line.trim()) yield JSON.parse(line) as T;
  }
}

/** The split's units: files rebuilt from raw chunks (in order), and documented functions. */
export async function loadUnits(corpus: string, split: string): Promise<Map<string, Unit>> {
  const units = new Map<string, Unit>();
  const unit = (name: string) => units.get(name) ?? units.set(name, { name, files: new Map(), functions: [] }).get(name)!;
  for await (const row of jsonl<{ unit: string; split: string; path: string; text: string }>(join(corpus, "raw.jsonl"))) {
    if (row.split !== split) continue;
    const files = unit(row.unit).files;
    files.set(row.path, (files.get(row.path) ?? "") + row.text);
  }
  for await (const row of jsonl<FunctionRow & { split: string }>(join(corpus, "functions.jsonl"))) {
    if (row.split === split && row.summary && units.has(row.unit)) unit(row.unit).functions.push(row);
  }
  return units;
}

/** Units with context beside the targets' files, in name order; targets spread over each unit. */
export function pickUnits(units: Map<string, Unit>, count: number, targets: number): { unit: Unit; targets: FunctionRow[] }[] {
  const out: { unit: Unit; targets: FunctionRow[] }[] = [];
  for (const unit of [...units.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (out.length >= count) break;
    const usable = unit.functions.filter((f) => unit.files.has(f.path));
    if (unit.files.size < 2 || usable.length === 0) continue;
    out.push({ unit, targets: spreadOver(usable, targets) });
  }
  return out;
}

/** At most `count` items, evenly spaced from the first: targets spread over a unit. */
export function spreadOver<T>(items: T[], count: number): T[] {
  const step = Math.max(1, items.length / count);
  return Array.from({ length: Math.min(count, items.length) }, (_, i) => items[Math.floor(i * step)]);
}

const identifiers = (code: string) => new Set(code.match(/[A-Za-z_][A-Za-z0-9_]{2,}/g) ?? []);

function jaccard(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const x of a) if (b.has(x)) shared++;
  return shared / Math.max(1, a.size + b.size - shared);
}

const commentOf = (language: LanguageId, text: string) => (language === "python" ? `# ${text}` : `// ${text}`);

/** Target code with the k most similar other-file functions (and their summaries) in front, within the token budget. */
export function retrievalPrompt(model: Pick<CodeModel, "tokenizer">, target: FunctionRow, pool: FunctionRow[], k: number, budget = 500): string {
  const own = identifiers(target.code);
  const ranked = pool
    .filter((f) => f.path !== target.path)
    .map((f) => ({ f, score: jaccard(own, identifiers(f.code)) }))
    .sort((a, b) => b.score - a.score || a.f.id.localeCompare(b.f.id))
    .slice(0, k);
  let used = model.tokenizer.encode(target.code).length;
  const shown: string[] = [];
  for (const { f } of ranked) {
    const block = `${commentOf(f.lang, f.summary.split("\n")[0])}\n${f.code}\n\n`;
    const cost = model.tokenizer.encode(block).length;
    if (used + cost > budget) continue;
    used += cost;
    shown.push(block);
  }
  return shown.join("") + target.code;
}

export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await work();
  return { value, ms: performance.now() - t0 };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;

export async function evaluateWorkspace(options: {
  model: string; corpus: string; split: string; units: number; targets: number; k: number; threads?: number; outputAdapter?: OutputAdapterSettings;
}): Promise<WorkspaceEvalResult> {
  const model = await CodeModel.load(options.model, ["cpu"], options.threads ?? 2);
  const generator = await WorkspaceGenerator.fromModelDir(options.model, model.seq2seq.contract, ["cpu"], options.threads ?? 2);
  const withMemory = !!model.seq2seq.contract.decoder_hidden;
  if (!generator && !withMemory) throw new Error(`${options.model} has neither a workspace generator nor a decoder that returns its states (re-export it)`);
  const picked = pickUnits(await loadUnits(options.corpus, options.split), options.units, options.targets);
  if (picked.length === 0) throw new Error(`no ${options.split} unit with two or more files and documented functions in ${options.corpus}`);
  const arm = () => ({ scores: [] as number[], ms: [] as number[], texts: [] as string[] });
  const arms = { none: arm(), generated: arm(), retrieval: arm(), control: arm(), outputAdapter: arm(), outputAdapterControl: arm(), memory: arm(), memoryControl: arm() };
  const references: string[] = [];
  const verbatim: boolean[] = [];
  const units: WorkspaceEvalResult["units"] = [];
  const memoryUnits: NonNullable<WorkspaceEvalResult["memoryUnits"]> = [];
  const scratch = mkdtempSync(join(tmpdir(), "codeadapt-ws-eval-"));
  const cacheDir = join(scratch, "cache");
  const manifest = manifestSha256(options.model);
  const open = (root: string) => WorkspaceAdapter.open(root, model, generator!, { cacheDir, manifestSha256: manifest });
  const outputAdapter = options.outputAdapter ?? DEFAULT_OUTPUT_ADAPTER_SETTINGS;
  const openMemory = (root: string) => new WorkspaceMemoryIndex(root, memoryModel(model), { cacheDir, manifestSha256: manifest, outputAdapter });
  try {
    // Pass 1: every unit's whole adapter and memory (timed: the build cost), kept for the controls.
    const whole: Deltas[] = [];
    const memories: WorkspaceMemory[] = [];
    for (const [i, { unit, targets }] of picked.entries()) {
      const root = join(scratch, `unit-${i}`);
      for (const [path, text] of unit.files) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
      }
      if (generator) {
        const adapter = await open(root);
        const build = await timed(() => adapter.build());
        if (build.value.kind !== "built") throw new Error(`unit ${unit.name}: nothing to build from (${build.value.message})`);
        units.push({ name: unit.name, files: unit.files.size, targets: targets.length, buildMs: build.ms, buildTokens: build.value.tokens });
        whole.push(adapter.deltas!);
        await adapter.close();
      } else {
        units.push({ name: unit.name, files: unit.files.size, targets: targets.length, buildMs: NaN, buildTokens: 0 });
      }
      if (withMemory) {
        const index = openMemory(root);
        const build = await timed(() => index.build());
        memories.push(index.memory ?? emptyMemory(model));
        memoryUnits.push({ name: unit.name, buildMs: build.ms, functions: index.info?.functions ?? 0, entries: index.info?.entries ?? 0 });
        await index.close();
      }
    }
    const withControl = picked.length >= 2;
    // Pass 2 (builds come from the caches): the arms, target by target.
    for (const [i, { unit, targets }] of picked.entries()) {
      const root = join(scratch, `unit-${i}`);
      const adapter = generator ? await open(root) : undefined;
      await adapter?.build();
      const index = withMemory ? openMemory(root) : undefined;
      await index?.build();
      const foreign = whole[(i + 1) % whole.length];
      const foreignMemory = memories[(i + 1) % memories.length];
      const byFile = new Map<string, FunctionRow[]>();
      for (const target of targets) byFile.set(target.path, [...(byFile.get(target.path) ?? []), target]);
      for (const [path, group] of byFile) {
        // Context without the target's own file: delete it, update (subtract), restore afterwards.
        unlinkSync(join(root, path));
        await adapter?.update(join(root, path));
        await index?.update(join(root, path));
        const without: Deltas | undefined = adapter?.deltas;
        const memory = index?.memory;
        for (const target of group) {
          const request = { code: target.code, language: target.lang };
          const plain = await timed(() => model.summarize(request));
          const prompt = retrievalPrompt(model, target, unit.functions, options.k);
          const retrieved = await timed(() => model.summarize({ ...request, code: prompt }));
          const runs: [keyof typeof arms, { value: { text: string }; ms: number } | undefined][] = [["none", plain], ["retrieval", retrieved]];
          if (generator) {
            runs.push(["generated", await timed(() => model.summarize({ ...request, workspace: without }))]);
            if (withControl) runs.push(["control", await timed(() => model.summarize({ ...request, workspace: foreign }))]);
          }
          if (withMemory) {
            runs.push(["outputAdapter", await timed(() => model.summarize({ ...request, memory: memory?.adapter }))]);
            if (withControl) runs.push(["outputAdapterControl", await timed(() => model.summarize({ ...request, memory: foreignMemory.adapter }))]);
            runs.push(["memory", await timed(() => model.summarize({ ...request, memory }))]);
            if (withControl) runs.push(["memoryControl", await timed(() => model.summarize({ ...request, memory: foreignMemory }))]);
          }
          references.push(target.summary);
          verbatim.push(unit.functions.some((f) => f.path !== target.path && f.summary === target.summary));
          for (const [name, run] of runs) {
            if (!run) continue;
            arms[name].scores.push(smoothedBleu4(target.summary, run.value.text));
            arms[name].ms.push(run.ms);
            arms[name].texts.push(run.value.text);
          }
        }
        writeFileSync(join(root, path), unit.files.get(path)!);
        await adapter?.update(join(root, path));
        await index?.update(join(root, path));
      }
      await adapter?.close();
      await index?.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await generator?.release();
    await model.release();
  }
  const result = (arm: keyof typeof arms, name: string): ArmResult => ({
    arm: name,
    bleu: bootstrapMean(arms[arm].scores),
    scores: arms[arm].scores,
    texts: arms[arm].texts,
    latencyP50Ms: median(arms[arm].ms),
    vsNoAdapter: arm === "none" ? undefined : pairedDifference(arms.none.scores, arms[arm].scores),
  });
  const has = (arm: keyof typeof arms) => arms[arm].scores.length > 0;
  const fresh = (xs: number[]) => xs.filter((_, i) => !verbatim[i]);
  return {
    units,
    references,
    verbatim,
    memoryNotVerbatim: has("memory") ? pairedDifference(fresh(arms.none.scores), fresh(arms.memory.scores)) : undefined,
    generatedVsControl: has("control") ? pairedDifference(arms.control.scores, arms.generated.scores) : undefined,
    memoryVsControl: has("memoryControl") ? pairedDifference(arms.memoryControl.scores, arms.memory.scores) : undefined,
    outputAdapterVsControl: has("outputAdapterControl") ? pairedDifference(arms.outputAdapterControl.scores, arms.outputAdapter.scores) : undefined,
    memoryUnits: withMemory ? memoryUnits : undefined,
    k: options.k,
    outputAdapter: withMemory ? outputAdapter : undefined,
    arms: [
      result("none", "(a) no workspace adapter"),
      ...(has("generated") ? [result("generated", "(b) generated adapter")] : []),
      result("retrieval", `(c) retrieval in the prompt, k=${options.k}`),
      ...(has("control") ? [result("control", "control: another held-out unit's adapter")] : []),
      ...(has("outputAdapter") ? [result("outputAdapter", "(b') output-layer adapter, closed form")] : []),
      ...(has("outputAdapterControl") ? [result("outputAdapterControl", "output-layer adapter control: another held-out unit's")] : []),
      ...(has("memory") ? [result("memory", "(e) workspace memory")] : []),
      ...(has("memoryControl") ? [result("memoryControl", "memory control: another held-out unit's memory")] : []),
    ],
  };
}

/** The model calls a workspace memory needs. */
export function memoryModel(model: CodeModel): MemoryModel {
  return { d: model.seq2seq.contract.d_model, summaryStates: (language, code, summary) => model.summaryStates(language, code, summary) };
}

function emptyMemory(model: CodeModel): WorkspaceMemory {
  return new WorkspaceMemoryClass(model.seq2seq.contract.d_model);
}

const meanWords = (texts: string[]) => texts.reduce((sum, t) => sum + t.split(/\s+/).filter(Boolean).length, 0) / Math.max(1, texts.length);

export function markdown(result: WorkspaceEvalResult): string {
  const n = result.arms[0].scores.length;
  const lines = [
    `| arm | smoothed BLEU-4 (n=${n}) | − (a), paired | p50 latency / request | words / summary |`,
    "|---|---|---|---|---|",
    ...result.arms.map((a) => `| ${a.arm} | ${formatEstimate(a.bleu)} | ${a.vsNoAdapter ? formatEstimate(a.vsNoAdapter) : ""} | ${a.latencyP50Ms.toFixed(1)} ms | ${meanWords(a.texts).toFixed(1)} |`),
    `(references: ${meanWords(result.references).toFixed(1)} words)`,
    ...(result.generatedVsControl ? [`(b) − control, paired: ${formatEstimate(result.generatedVsControl)}`] : []),
    ...(result.outputAdapterVsControl ? [`(b') − its control, paired: ${formatEstimate(result.outputAdapterVsControl)}`] : []),
    ...(result.outputAdapter ? [`(b'): alpha ${result.outputAdapter.alpha}, ridge ${result.outputAdapter.ridge}`] : []),
    ...(result.memoryVsControl ? [`(e) − memory control, paired: ${formatEstimate(result.memoryVsControl)}`] : []),
    ...(result.memoryNotVerbatim && result.verbatim ? [`(e) − (a) without the ${result.verbatim.filter(Boolean).length} targets whose summary is word for word in another file of the unit (n=${result.verbatim.filter((v) => !v).length}): ${formatEstimate(result.memoryNotVerbatim)}`] : []),
    "",
    "| unit | files | targets | build | tokens/s |",
    "|---|---|---|---|---|",
    ...result.units.map((u) => `| ${u.name} | ${u.files} | ${u.targets} | ${(u.buildMs / 1000).toFixed(2)} s | ${Math.round(u.buildTokens / (u.buildMs / 1000))} |`),
    ...(result.memoryUnits ? [
      "",
      "| unit | memory build | documented functions | entries |",
      "|---|---|---|---|",
      ...result.memoryUnits.map((u) => `| ${u.name} | ${(u.buildMs / 1000).toFixed(2)} s | ${u.functions} | ${u.entries} |`),
    ] : []),
  ];
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: "string" },
      corpus: { type: "string", default: ".cache/corpus" },
      split: { type: "string", default: "test" },
      units: { type: "string", default: "8" },
      targets: { type: "string", default: "16" },
      k: { type: "string", default: "2" },
      alpha: { type: "string", default: String(DEFAULT_OUTPUT_ADAPTER_SETTINGS.alpha) },
      ridge: { type: "string", default: String(DEFAULT_OUTPUT_ADAPTER_SETTINGS.ridge) },
      json: { type: "string" },
    },
  });
  if (!values.model) throw new Error("--model DIR (an exported model folder) is required");
  const result = await evaluateWorkspace({
    model: values.model,
    corpus: values.corpus!,
    split: values.split!,
    units: Number(values.units),
    targets: Number(values.targets),
    k: Number(values.k),
    outputAdapter: { alpha: Number(values.alpha), ridge: Number(values.ridge) },
  });
  console.log(markdown(result));
  if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 1));
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
