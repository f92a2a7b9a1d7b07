// Scores training/eval_oracle.py's output: decodes each arm's greedy summaries and the references
// with the project's tokenizer, then prints smoothed BLEU-4 and teacher-forced loss per arm, with
// bootstrap intervals and paired differences against the no-adapter arm.
//   npx tsx training/eval/scoreOracle.ts ORACLE.json [--tokenizer models/tokenizer.json]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadTokenizer } from "../tokenizer";
import { smoothedBleu4 } from "./bleu";
import { bootstrapMean, formatEstimate } from "./bootstrap";
import { pairedDifference } from "./compare";

type Interval = [number, number, number];

interface OracleArm {
  loss: Interval;
  loss_vs_none?: Interval;
  token_acc: Interval;
  ids: number[][];
}

export interface OracleResult {
  split: string;
  settings: Record<string, number>;
  trainable: number;
  units: { unit: string }[];
  references: number[][];
  arms: Record<string, OracleArm>;
}

/** Each arm built from a unit's own data, and its control built the same way from another unit's. */
const CONTROL_OF: Record<string, string> = { oracle: "control", generated: "generated-control" };

const interval = ([value, low, high]: Interval, digits = 3) =>
  `${value.toFixed(digits)} [${low.toFixed(digits)}, ${high.toFixed(digits)}]`;

/** Per-item BLEU of every arm, in item order. */
export function bleuByArm(result: OracleResult, decode: (ids: number[]) => string): Record<string, number[]> {
  const references = result.references.map(decode);
  const out: Record<string, number[]> = {};
  for (const [name, arm] of Object.entries(result.arms)) {
    out[name] = arm.ids.map((ids, i) => smoothedBleu4(references[i], decode(ids)));
  }
  return out;
}

export function oracleTable(result: OracleResult, bleu: Record<string, number[]>): string {
  const lines = [
    `${result.split} split, ${result.units.length} units, ${result.references.length} targets; ` +
      `delta rank ${result.settings.rank}, ${result.settings.steps} steps, lr ${result.settings.lr} ` +
      `(${result.trainable.toLocaleString("en-US")} parameters per workspace)`,
    "",
    "| arm | BLEU-4 | − none, paired | loss | − none, paired |",
    "|---|---|---|---|---|",
  ];
  for (const [name, arm] of Object.entries(result.arms)) {
    const paired = name === "none" ? "" : formatEstimate(pairedDifference(bleu.none, bleu[name]));
    const lossPaired = arm.loss_vs_none ? interval(arm.loss_vs_none) : "";
    lines.push(`| ${name} | ${formatEstimate(bootstrapMean(bleu[name]))} | ${paired} | ${interval(arm.loss)} | ${lossPaired} |`);
  }
  const specific = Object.entries(CONTROL_OF).filter(([arm, control]) => bleu[arm] && bleu[control]);
  if (specific.length) lines.push("");
  for (const [arm, control] of specific) {
    lines.push(`${arm} − ${control} (BLEU-4, paired: the part about the workspace itself): ` +
      formatEstimate(pairedDifference(bleu[control], bleu[arm])));
  }
  return lines.join("\n");
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { tokenizer: { type: "string", default: "models/tokenizer.json" } },
  });
  if (positionals.length !== 1) throw new Error("usage: scoreOracle.ts ORACLE.json [--tokenizer PATH]");
  const result = JSON.parse(readFileSync(positionals[0], "utf8")) as OracleResult;
  const { tokenizer } = loadTokenizer(values.tokenizer!);
  const decode = (ids: number[]) => tokenizer.decode(ids, { specials: "skip" }).trim();
  console.log(oracleTable(result, bleuByArm(result, decode)));
}

if (process.argv[1]?.endsWith("scoreOracle.ts")) main();
