// Repairs on held-out project units with a workspace code memory, through the runtime the editor uses:
//   (a) no workspace adapter;
//   (e) the unit's code memory: each documented function of the unit read once by the decoder as
//       the repair of itself, under the refine adapters (CodeModel.codeStates), kept as a
//       nearest-neighbour next-token distribution (server/src/workspace/memory.ts) mixed into
//       every position the repair ranking scores. The target's own file is left out, so the
//       memory never holds the function being repaired;
//   (b') the output-layer adapter made from the same records (server/src/workspace/outputAdapter.ts),
//       its delta added at every scored position;
//   memory control: another held-out unit's whole code memory, so that a gain that is not about
//       this workspace's own code shows up there too.
// Targets are the corpus's synthetic repairs of the split's documented functions (repairs.jsonl);
// exact match (whitespace-normalised, as evaluate.ts) with bootstrap CIs, paired differences
// against (a), and per-request latency.
//   npx tsx training/eval/workspaceRepairEval.ts --model DIR [--corpus .cache/corpus] [--split test]
//       [--units 20] [--targets 8] [--lambda 0.5] [--k 16] [--temperature 0.05] [--alpha 15] [--ridge 0.01]
//       [--threads 2] [--json OUT]
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CodeModel } from "../../server/src/engine/codeModel";
import type { LanguageId } from "../../server/src/parsing/languages";
import { DEFAULT_MAX_ENTRIES } from "../../server/src/workspace/workspaceMemory";
import { DEFAULT_OUTPUT_ADAPTER_SETTINGS, OutputAdapter, type OutputAdapterSettings } from "../../server/src/workspace/outputAdapter";
import { DEFAULT_MEMORY_SETTINGS, makeRecord, WorkspaceMemory, type MemoryRecord, type MemorySettings } from "../../server/src/workspace/memory";
import { exactMatch } from "./bleu";
import { bootstrapMean, formatEstimate, type Estimate } from "./bootstrap";
import { pairedDifference } from "./compare";
import { jsonl, median, spreadOver, timed } from "./workspaceEval";

interface FunctionRow {
  id: string;
  lang: LanguageId;
  unit: string;
  path: string;
  code: string;
}

interface RepairRow {
  id: string;
  lang: LanguageId;
  unit: string;
  buggy: string;
  fixed: string;
  bug_type: string;
}

export interface RepairTarget extends RepairRow {
  /** The file of the function the bug was seeded into. */
  path: string;
}

export interface RepairUnit {
  name: string;
  functions: FunctionRow[];
  targets: RepairTarget[];
}

/** The split's units: their documented functions and the repairs seeded into them. */
export async function loadRepairUnits(corpus: string, split: string): Promise<Map<string, RepairUnit>> {
  const units = new Map<string, RepairUnit>();
  const byId = new Map<string, FunctionRow>();
  for await (const row of jsonl<FunctionRow & { split: string }>(join(corpus, "functions.jsonl"))) {
    if (row.split !== split) continue;
    const unit = units.get(row.unit) ?? units.set(row.unit, { name: row.unit, functions: [], targets: [] }).get(row.unit)!;
    const fn = { id: row.id, lang: row.lang, unit: row.unit, path: row.path, code: row.code };
    unit.functions.push(fn);
    byId.set(row.id, fn);
  }
  for await (const row of jsonl<RepairRow & { split: string }>(join(corpus, "repairs.jsonl"))) {
    if (row.split !== split) continue;
    const fn = byId.get(row.id.replace(/#[^#]*$/, ""));
    if (fn) units.get(fn.unit)!.targets.push({ id: row.id, lang: row.lang, unit: row.unit, buggy: row.buggy, fixed: row.fixed, bug_type: row.bug_type, path: fn.path });
  }
  return units;
}

/** Units with functions in another file than each target's, in name order; targets spread over each unit. */
export function pickRepairUnits(units: Map<string, RepairUnit>, count: number, targets: number): RepairUnit[] {
  const out: RepairUnit[] = [];
  for (const unit of [...units.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (out.length >= count) break;
    const paths = new Set(unit.functions.map((f) => f.path));
    if (paths.size < 2 || unit.targets.length === 0) continue;
    out.push({ ...unit, targets: spreadOver(unit.targets, targets) });
  }
  return out;
}

/** A memory of the given records, with its output-layer adapter. */
function memoryOf(records: Iterable<[string, MemoryRecord]>, d: number, settings: MemorySettings, adapter: OutputAdapterSettings): WorkspaceMemory {
  const memory = new WorkspaceMemory(d, settings, new OutputAdapter(d, adapter));
  for (const [key, record] of records) memory.add(key, record);
  return memory;
}

export interface RepairArm {
  arm: string;
  exactMatch: Estimate;
  scores: number[];
  latencyP50Ms: number;
  vsNoAdapter?: Estimate;
}

export interface WorkspaceRepairResult {
  settings: MemorySettings;
  adapter: OutputAdapterSettings;
  units: { name: string; functions: number; targets: number; entries: number; buildMs: number }[];
  arms: RepairArm[];
  memoryVsControl?: Estimate;
}

export async function evaluateWorkspaceRepairs(options: {
  model: string; corpus: string; split: string; units: number; targets: number; settings: MemorySettings; adapter: OutputAdapterSettings; threads?: number;
}): Promise<WorkspaceRepairResult> {
  const model = await CodeModel.load(options.model, ["cpu"], options.threads ?? 2);
  const d = model.seq2seq.contract.d_model;
  const picked = pickRepairUnits(await loadRepairUnits(options.corpus, options.split), options.units, options.targets);
  if (picked.length === 0) throw new Error(`no ${options.split} unit with repairs and functions in two or more files in ${options.corpus}`);
  const arms = { none: [] as number[], adapter: [] as number[], memory: [] as number[], control: [] as number[] };
  const ms = { none: [] as number[], adapter: [] as number[], memory: [] as number[], control: [] as number[] };
  const units: WorkspaceRepairResult["units"] = [];
  try {
    // Every unit's records first (timed: the build cost), kept for the control.
    const records: Map<string, { path: string; record: MemoryRecord }>[] = [];
    for (const unit of picked) {
      const built = new Map<string, { path: string; record: MemoryRecord }>();
      let entries = 0;
      const build = await timed(async () => {
        for (const fn of unit.functions) {
          if (entries >= DEFAULT_MAX_ENTRIES) break; // the server's cap
          const { states, tokens } = await model.codeStates(fn.lang, fn.code);
          built.set(fn.id, { path: fn.path, record: makeRecord(states, tokens, d) });
          entries += tokens.length;
        }
      });
      records.push(built);
      units.push({ name: unit.name, functions: unit.functions.length, targets: unit.targets.length, entries, buildMs: build.ms });
      console.error(`${unit.name}: ${unit.functions.length} functions, ${entries} entries in ${(build.ms / 1000).toFixed(1)} s`);
    }
    const withControl = picked.length >= 2;
    for (const [i, unit] of picked.entries()) {
      const foreign = memoryOf([...records[(i + 1) % records.length]].map(([k, r]) => [k, r.record]), d, options.settings, options.adapter);
      for (const target of unit.targets) {
        const memory = memoryOf([...records[i]].filter(([, r]) => r.path !== target.path).map(([k, r]) => [k, r.record]), d, options.settings, options.adapter);
        const request = { code: target.buggy, language: target.lang };
        const runs: [keyof typeof arms, { value: { text: string }; ms: number }][] = [
          ["none", await timed(() => model.refine(request))],
          ["adapter", await timed(() => model.refine({ ...request, memory: memory.adapter }))],
          ["memory", await timed(() => model.refine({ ...request, memory }))],
        ];
        if (withControl) runs.push(["control", await timed(() => model.refine({ ...request, memory: foreign }))]);
        for (const [arm, run] of runs) {
          arms[arm].push(exactMatch(target.fixed, run.value.text) ? 100 : 0);
          ms[arm].push(run.ms);
        }
      }
    }
  } finally {
    await model.release();
  }
  const arm = (key: keyof typeof arms, name: string): RepairArm => ({
    arm: name,
    exactMatch: bootstrapMean(arms[key]),
    scores: arms[key],
    latencyP50Ms: median(ms[key]),
    vsNoAdapter: key === "none" ? undefined : pairedDifference(arms.none, arms[key]),
  });
  return {
    settings: options.settings,
    adapter: options.adapter,
    units,
    arms: [
      arm("none", "(a) no workspace adapter"),
      arm("adapter", "(b') output-layer adapter, closed form"),
      arm("memory", "(e) workspace code memory"),
      ...(arms.control.length ? [arm("control", "memory control: another held-out unit's memory")] : []),
    ],
    memoryVsControl: arms.control.length ? pairedDifference(arms.control, arms.memory) : undefined,
  };
}

export function repairMarkdown(result: WorkspaceRepairResult): string {
  const n = result.arms[0].scores.length;
  const { k, temperature, lambda } = result.settings;
  return [
    `| arm | exact match % (n=${n}) | − (a), paired | p50 latency / request |`,
    "|---|---|---|---|",
    ...result.arms.map((a) => `| ${a.arm} | ${formatEstimate(a.exactMatch)} | ${a.vsNoAdapter ? formatEstimate(a.vsNoAdapter) : ""} | ${a.latencyP50Ms.toFixed(1)} ms |`),
    ...(result.memoryVsControl ? [`(e) − memory control, paired: ${formatEstimate(result.memoryVsControl)}`] : []),
    `(memory: k=${k}, temperature=${temperature}, lambda=${lambda}; output-layer adapter: alpha=${result.adapter.alpha}, ridge=${result.adapter.ridge})`,
    "",
    "| unit | functions | targets | entries | memory build |",
    "|---|---|---|---|---|",
    ...result.units.map((u) => `| ${u.name} | ${u.functions} | ${u.targets} | ${u.entries} | ${(u.buildMs / 1000).toFixed(2)} s |`),
  ].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: "string" },
      corpus: { type: "string", default: ".cache/corpus" },
      split: { type: "string", default: "test" },
      units: { type: "string", default: "20" },
      targets: { type: "string", default: "8" },
      k: { type: "string", default: String(DEFAULT_MEMORY_SETTINGS.k) },
      temperature: { type: "string", default: String(DEFAULT_MEMORY_SETTINGS.temperature) },
      lambda: { type: "string", default: String(DEFAULT_MEMORY_SETTINGS.lambda) },
      alpha: { type: "string", default: String(DEFAULT_OUTPUT_ADAPTER_SETTINGS.alpha) },
      ridge: { type: "string", default: String(DEFAULT_OUTPUT_ADAPTER_SETTINGS.ridge) },
      threads: { type: "string", default: "2" },
      json: { type: "string" },
    },
  });
  if (!values.model) throw new Error("--model DIR (an exported model folder) is required");
  const result = await evaluateWorkspaceRepairs({
    model: values.model,
    corpus: values.corpus!,
    split: values.split!,
    units: Number(values.units),
    targets: Number(values.targets),
    settings: { k: Number(values.k), temperature: Number(values.temperature), lambda: Number(values.lambda) },
    adapter: { alpha: Number(values.alpha), ridge: Number(values.ridge) },
    threads: Number(values.threads),
  });
  console.log(repairMarkdown(result));
  if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 1));
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
