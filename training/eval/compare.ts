// Side-by-side table of several evaluated models (the NER ablation's arms), from the JSON files
// that evaluate.ts writes, with a paired bootstrap of the difference between the last and the
// first model wherever per-item scores exist.
//   npx tsx training/eval/compare.ts NAME=eval.json NAME=eval.json [--model NAME=DIR ...]
// --model adds each arm's trainable parameters and CPU hours from its manifest's runs.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bootstrap, formatEstimate, type Estimate } from "./bootstrap";
import type { Row } from "./evaluate"; // type only: evaluate.ts runs its CLI when loaded

interface RunSummary {
  run: string;
  trainable?: number;
  cpu_hours?: number | null;
  wall_hours?: number;
  step?: number;
}

const named = (spec: string): [string, string] => {
  const at = spec.indexOf("=");
  if (at <= 0) throw new Error(`expected NAME=PATH, got ${spec}`);
  return [spec.slice(0, at), spec.slice(at + 1)];
};

/** Paired bootstrap of mean(b) - mean(a) over the same items. */
export function pairedDifference(a: number[], b: number[]): Estimate {
  if (a.length !== b.length) throw new Error("paired scores differ in length");
  return bootstrap(a.length, (idx) => idx.reduce((sum, i) => sum + b[i] - a[i], 0) / idx.length);
}

function costLine(name: string, dir: string): string {
  const path = join(dir, "manifest.json");
  if (!existsSync(path)) return `- ${name}: no manifest at ${path}`;
  const runs = (JSON.parse(readFileSync(path, "utf8")).runs ?? []) as RunSummary[];
  const parts = runs.filter((r) => r.step !== undefined).map((r) =>
    `${r.run}: ${r.step} steps, ${r.trainable?.toLocaleString("en-US") ?? "?"} trainable, ` +
    `${r.cpu_hours ?? "?"} CPU h (${r.wall_hours} wall h)`);
  return `- ${name}: ${parts.join("; ")}`;
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { model: { type: "string", multiple: true } } });
  const arms = positionals.map(named).map(([name, path]) => ({ name, rows: JSON.parse(readFileSync(path, "utf8")) as Row[] }));
  if (arms.length < 2) throw new Error("give two or more NAME=eval.json files");
  const first = arms[0], last = arms[arms.length - 1];
  const key = (row: Row) => `${row.set}\u0000${row.metric}`;
  console.log(`| set | metric | n | baseline | ${arms.map((a) => a.name).join(" | ")} | ${last.name} − ${first.name} (paired) |`);
  console.log(`|---|---|---|---|${arms.map(() => "---|").join("")}---|`);
  for (const row of first.rows) {
    const cells = arms.map((arm) => arm.rows.find((r) => key(r) === key(row)));
    const a = cells[0]?.modelScores, b = cells[cells.length - 1]?.modelScores;
    const diff = a && b ? formatEstimate(pairedDifference(a, b)) : "n/a (corpus-level metric)";
    const shown = cells.map((c) => (c?.model ? formatEstimate(c.model) : "not run"));
    console.log(`| ${row.set} | ${row.metric} | ${row.n} | ${formatEstimate(row.baseline)} | ${shown.join(" | ")} | ${diff} |`);
  }
  console.log("\n[95% bootstrap CI over items; the last column resamples items jointly for both models]");
  for (const spec of values.model ?? []) console.log(costLine(...named(spec)));
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
