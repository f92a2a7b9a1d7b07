// Refine on hand-seeded bugs (test/fixtures/seeded-bugs/seeded-bugs.jsonl: one bug per function,
// with the fixed function), through the shipped path (the CLI's batch mode). Prints which the
// model fixes exactly. These few are for the editor demo, not a quality figure: the harness's
// held-out sets are (training/eval/evaluate.ts).
//   npx tsx training/eval/seededBugs.ts [--model DIR] [--strategy edits|generate]
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { cliPredictor, type Input } from "./predictors";

interface SeededBug extends Input {
  fixed: string;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const file = resolve(__dirname, "../../test/fixtures/seeded-bugs/seeded-bugs.jsonl");
  const bugs: SeededBug[] = readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
  const refine = cliPredictor(undefined, args);
  const out = await refine("refine", bugs.map(({ id, language, code }) => ({ id, language, code })));
  const fixed = bugs.map((bug, i) => out[i].trimEnd() === bug.fixed.trimEnd());
  console.log("| seeded bug | fixed |\n|---|---|");
  bugs.forEach((bug, i) => console.log(`| ${bug.id} | ${fixed[i] ? "yes" : "no"} |`));
  console.log(`\nfixed ${fixed.filter(Boolean).length} of ${bugs.length}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
