// Calibration of refine's "edits" strategy on held-out synthetic repairs (the corpus's test split):
// how often the fix is among the candidates (oracle), and how often the top-ranked candidate is
// the fix, under several length penalties, for one edit window. Functions without candidates or
// longer than the model reads are skipped ("scored" counts the rest).
//   npx tsx training/eval/calibrateEdits.ts MODEL_DIR ITEMS WINDOW [SPLIT]
// e.g. npx tsx training/eval/calibrateEdits.ts models 60 8
import { CodeModel } from "../../server/src/engine/codeModel";
import { createParser } from "../../server/src/parsing/parser";
import { repairCandidates } from "../../server/src/refine/repairCandidates";
import { targetSequence } from "../tokenizer/sequences";
import { REFINE } from "../tokenizer/bpe";
import { corpusRepairs } from "./benchmarks";
import { exactMatch } from "./bleu";
async function main() {
  const [dir, n, windowArg, split] = process.argv.slice(2);
  const model = await CodeModel.load(dir, ["cpu"], 1);
  const all = corpusRepairs(".cache/corpus", split ?? "test");
  const step = all.length / Number(n);
  const items = Array.from({ length: Number(n) }, (_, i) => all[Math.floor(i * step)]);
  const alphas = [0, 0.5, 1, 2];
  const hits: Record<string, number> = {};
  let oracle = 0, scored = 0;
  const t0 = performance.now();
  for (const item of items) {
    const parser = await createParser(item.language);
    const cands = repairCandidates(parser, item.buggy, item.language);
    parser.delete();
    if (!cands.length) continue;
    const original = targetSequence(model.tokenizer, item.buggy, model.seq2seq.contract.max_tgt);
    const targets = cands.map((c) => targetSequence(model.tokenizer, c.code, model.seq2seq.contract.max_tgt));
    if (original.truncated || targets.some((t) => t.truncated)) continue;
    scored++;
    const good = cands.map((c) => exactMatch(item.fixed, c.code));
    if (good.some(Boolean)) oracle++;
    const ids = model.sourceIds(REFINE, item.language, item.buggy).ids;
    const { edited, original: base } = await model.seq2seq.scoreEdits(ids, original.ids, targets.map((t) => t.ids), { window: Number(windowArg) }, { deltas: [model.adapters.byTask!.refine!] });
    for (const a of alphas) {
      const r = edited.map((s, i) => s / Math.pow(targets[i].ids.length, a));
      if (good[r.indexOf(Math.max(...r))]) hits[a] = (hits[a] ?? 0) + 1;
    }
    // How often the unedited input would have outranked the right fix (refine always proposes an edit).
    const keep = edited.map((s, i) => s / targets[i].ids.length);
    if (good[keep.indexOf(Math.max(...keep))] && base / original.ids.length > Math.max(...keep)) hits["unchanged-wins-but-right"] = (hits["unchanged-wins-but-right"] ?? 0) + 1;
  }
  console.log(JSON.stringify({ items: items.length, scored, oracle, hits, seconds: ((performance.now() - t0) / 1000).toFixed(0) }));
}
main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
