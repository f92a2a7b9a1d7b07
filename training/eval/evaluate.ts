// The evaluation harness: one command, one Markdown table (and JSON) for a model against the
// baselines, with bootstrap 95% intervals over test items.
//   npx tsx training/eval/evaluate.ts [--predictor cli|baseline] [--model DIR] [--limit N] [--sets A,B]
//                                     [--corpus DIR] [--json OUT]
// --model evaluates an installed-model folder other than models/ (e.g. one arm of the NER ablation);
// --threads sets the engine's CPU threads (default 2); --strategy edits|generate overrides the
// model's refine strategy (to measure both); --length-penalty A and --edit-window N set the edits strategy's ranking.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  codeDocstringCorpus, codexglueRefinement, corpusRepairs, corpusSummaries, humanEvalDocstrings,
  humanEvalFix, tlCodeSum, type RepairItem, type SummaryItem,
} from "./benchmarks";
import { exactMatch, corpusBleu4, smoothedBleu4 } from "./bleu";
import { bootstrap, bootstrapMean, formatEstimate, type Estimate } from "./bootstrap";
import { passAt1 } from "./humanEvalFix";
import { baselinePredictor, cliPredictor, type Predictor } from "./predictors";
import { pairedDifference } from "./compare";

export interface Row {
  set: string;
  metric: string;
  n: number;
  baseline: Estimate;
  model?: Estimate;
  /** Per-item scores of the model (mean-type metrics), so two models can be compared paired. */
  modelScores?: number[];
  /** Per-item scores of the baseline, for the paired model − baseline difference. */
  baselineScores?: number[];
}

const { values } = parseArgs({
  options: {
    predictor: { type: "string", default: "cli" },
    limit: { type: "string" },
    corpus: { type: "string", default: ".cache/corpus" },
    json: { type: "string" },
    sets: { type: "string" },
    model: { type: "string" },
    threads: { type: "string" },
    strategy: { type: "string" },
    "length-penalty": { type: "string" },
    "edit-window": { type: "string" },
  },
});
const limit = values.limit ? Number(values.limit) : Infinity;
const wanted = values.sets?.split(",");
const model: Predictor | undefined = values.predictor === "baseline" ? undefined : cliPredictor(undefined, [
  ...(values.model ? ["--model", values.model] : []),
  ...(values.threads ? ["--threads", values.threads] : []),
  ...(values.strategy ? ["--strategy", values.strategy] : []),
  ...(values["length-penalty"] ? ["--length-penalty", values["length-penalty"]] : []),
  ...(values["edit-window"] ? ["--edit-window", values["edit-window"]] : []),
]);

/** A deterministic subsample: every k-th item, so limits stay spread over the set. */
function sample<T>(items: T[]): T[] {
  if (items.length <= limit) return items;
  const step = items.length / limit;
  return Array.from({ length: limit }, (_, i) => items[Math.floor(i * step)]);
}

async function summarization(set: string, items: SummaryItem[]): Promise<Row[]> {
  const score = async (predictor: Predictor) => {
    const outputs = await predictor("summarize", items);
    return items.map((item, i) => smoothedBleu4(item.reference, outputs[i]));
  };
  const mine = model && (await score(model));
  const base = await score(baselinePredictor);
  return [{ set, metric: "smoothed BLEU-4", n: items.length, baseline: bootstrapMean(base), model: mine && bootstrapMean(mine), modelScores: mine, baselineScores: base }];
}

async function repair(set: string, items: RepairItem[]): Promise<Row[]> {
  const inputs = items.map((item) => ({ id: item.id, language: item.language, code: item.buggy }));
  const score = async (predictor: Predictor) => {
    const outputs = await predictor("refine", inputs);
    const matches = items.map((item, i) => (exactMatch(item.fixed, outputs[i]) ? 100 : 0));
    const bleu = bootstrap(items.length, (idx) => corpusBleu4(idx.map((i) => items[i].fixed), idx.map((i) => outputs[i])), { resamples: 200 });
    return { em: bootstrapMean(matches), matches, bleu };
  };
  const base = await score(baselinePredictor);
  const mine = model && (await score(model));
  return [
    { set, metric: "exact match %", n: items.length, baseline: base.em, model: mine?.em, modelScores: mine?.matches, baselineScores: base.matches },
    { set, metric: "BLEU-4", n: items.length, baseline: base.bleu, model: mine?.bleu },
  ];
}

async function fix(language: "python" | "javascript"): Promise<Row[]> {
  const items = sample(humanEvalFix(language));
  const inputs = items.map((item) => ({ id: item.id, language: item.language, code: item.buggy }));
  const score = async (predictor: Predictor) => {
    const outputs = await predictor("refine", inputs);
    return (await passAt1(items, outputs)).map((ok) => (ok ? 100 : 0));
  };
  const mine = model && (await score(model));
  const base = await score(baselinePredictor);
  return [{ set: `HumanEvalFix ${language}`, metric: "pass@1 %", n: items.length, baseline: bootstrapMean(base), model: mine && bootstrapMean(mine), modelScores: mine, baselineScores: base }];
}

const SETS: Record<string, () => Promise<Row[]>> = {
  "ours-summaries": async () => {
    const items = corpusSummaries(values.corpus!);
    const languages = [...new Set(items.map((item) => item.language))].sort();
    const rows = await Promise.all(languages.map((lang) => summarization(`ours test (${lang})`, sample(items.filter((item) => item.language === lang)))));
    return rows.flat();
  },
  "code-docstring-corpus": () => summarization("code-docstring-corpus valid", sample(codeDocstringCorpus())),
  "tl-codesum": () => summarization("TL-CodeSum valid", sample(tlCodeSum())),
  "humanevalpack-docstrings": () => summarization("HumanEvalPack docstrings", sample(humanEvalDocstrings())),
  "ours-repairs": () => repair("ours test repairs", sample(corpusRepairs(values.corpus!))),
  "codexglue-small": () => repair("CodeXGLUE refinement small (dev 20%)", sample(codexglueRefinement("small", "dev"))),
  "codexglue-medium": () => repair("CodeXGLUE refinement medium (dev 20%)", sample(codexglueRefinement("medium", "dev"))),
  "humanevalfix-python": () => fix("python"),
  "humanevalfix-javascript": () => fix("javascript"),
};

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const [name, run] of Object.entries(SETS)) {
    if (wanted && !wanted.includes(name)) continue;
    const started = Date.now();
    rows.push(...(await run()));
    console.error(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  console.log("| set | metric | n | baseline | model | model − baseline (paired) |");
  console.log("|---|---|---|---|---|---|");
  for (const row of rows) {
    const paired = row.modelScores && row.baselineScores ? formatEstimate(pairedDifference(row.baselineScores, row.modelScores)) : "n/a (corpus-level metric)";
    console.log(`| ${row.set} | ${row.metric} | ${row.n} | ${formatEstimate(row.baseline)} | ${row.model ? formatEstimate(row.model) : "not run"} | ${row.model ? paired : ""} |`);
  }
  console.log("\nBaselines: summarization = function name split into words; repair = input unchanged. [95% bootstrap CI; the paired column resamples items jointly]");
  if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 1));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
