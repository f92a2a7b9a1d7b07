/**
 * Trains the byte-level BPE tokenizer and writes models/tokenizer.json.
 *
 *   npx tsx training/tokenizer/train-tokenizer.ts [--corpus .cache/corpus] [--vocab 8192]
 *       [--pretokenizer code-ascii-space-split-v1] [--max-mb 64] [--out models/tokenizer.json]
 *   npx tsx training/tokenizer/train-tokenizer.ts --local ...   (development only: local
 *       /usr/lib/python3* *.py and node_modules *.js instead of the corpus)
 *
 * From the corpus only rows with split "train" are read: function code and summaries, and raw
 * chunks. When the train text exceeds --max-mb, rows are sampled by a hash of their id/path
 * (deterministic). Repair rows are skipped (they repeat function code).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { countPretokens, FIRST_MERGE_ID, trainBpe } from "./bpe";
import { DEFAULT_PRETOKENIZER, pretokenizerOptions } from "./pretokenize";
import { fnv1a, jsonlFiles, localDevFiles, readJsonl, rowKind, type CorpusRow } from "./sources";
import { buildTokenizerFile, writeTokenizerFile } from "./tokenizer-file";

function rowKey(row: CorpusRow): string {
  return row.id ?? `${row.path ?? ""}#${fnv1a(row.text ?? row.code ?? "")}`;
}

function rowTexts(row: CorpusRow): string[] {
  const kind = rowKind(row);
  if (kind === "function") return row.summary ? [row.code!, row.summary] : [row.code!];
  if (kind === "raw") return [row.text!];
  return [];
}

async function main() {
  const { values } = parseArgs({
    options: {
      corpus: { type: "string", default: ".cache/corpus" },
      local: { type: "boolean", default: false },
      vocab: { type: "string", default: "8192" },
      pretokenizer: { type: "string", default: DEFAULT_PRETOKENIZER },
      "max-mb": { type: "string", default: "64" },
      out: { type: "string", default: "models/tokenizer.json" },
    },
  });
  const vocab = Number(values.vocab);
  if (!Number.isInteger(vocab) || vocab <= FIRST_MERGE_ID || vocab > 65536) {
    throw new Error(`--vocab must be an integer in (${FIRST_MERGE_ID}, 65536]`);
  }
  const maxBytes = Number(values["max-mb"]) * 1e6;
  const options = pretokenizerOptions(values.pretokenizer!);
  const counts = new Map<string, number>();
  let usedChars = 0;
  let docs = 0;
  const t0 = performance.now();
  let data: Record<string, unknown>;

  if (values.local) {
    const files = localDevFiles(process.cwd(), false);
    const total = files.reduce((s, f) => s + readFileSync(f.path).length, 0);
    const rate = Math.min(1, maxBytes / total);
    for (const f of files) {
      if (rate < 1 && fnv1a(f.path) / 2 ** 32 >= rate) continue;
      const text = readFileSync(f.path, "utf8");
      countPretokens(text, options, counts);
      usedChars += text.length;
      docs++;
    }
    data = { source: "local development files (/usr/lib/python3*/**/*.py, node_modules/**/*.js), 90% by path hash", files: docs };
    console.error(`local: ${docs} files of ${files.length}, ${(usedChars / 1e6).toFixed(1)}M chars`);
  } else {
    const dir = resolve(values.corpus!);
    const files = jsonlFiles(dir);
    if (files.length === 0) {
      throw new Error(`no corpus JSONL under ${dir}: build the corpus first (training/corpus), or pass --local for a development tokenizer`);
    }
    let total = 0;
    for (const f of files) for await (const row of readJsonl(f)) {
      if (row.split === "train") for (const t of rowTexts(row)) total += t.length;
    }
    if (total === 0) throw new Error(`corpus ${dir} has no train-split text`);
    const rate = Math.min(1, maxBytes / total);
    for (const f of files) for await (const row of readJsonl(f)) {
      if (row.split !== "train") continue;
      if (rate < 1 && fnv1a(rowKey(row)) / 2 ** 32 >= rate) continue;
      for (const t of rowTexts(row)) {
        countPretokens(t, options, counts);
        usedChars += t.length;
      }
      docs++;
    }
    data = { source: "corpus train split", corpus: dir, files: files.map((f) => f.slice(dir.length + 1)), rows: docs, sampleRate: rate };
    console.error(`corpus: ${docs} train rows, ${(usedChars / 1e6).toFixed(1)}M chars (rate ${rate.toFixed(3)})`);
  }
  const countSeconds = (performance.now() - t0) / 1000;
  console.error(`pretokens: ${counts.size} distinct, counted in ${countSeconds.toFixed(1)}s`);

  const numMerges = vocab - FIRST_MERGE_ID;
  const { merges, stats } = trainBpe(counts, numMerges, {
    onProgress: (done, count) => {
      if (done % 1000 === 0) console.error(`merge ${done}/${numMerges} (pair count ${count})`);
    },
  });
  console.error(`learned ${stats.merges} merges in ${stats.seconds.toFixed(1)}s${stats.stoppedEarly ? " (stopped early: no pair occurs twice)" : ""}`);
  const file = buildTokenizerFile(merges, values.pretokenizer!, {
    data,
    chars: usedChars,
    distinctPretokens: stats.distinctPretokens,
    pretokenOccurrences: stats.pretokenOccurrences,
    requestedVocab: vocab,
    countSeconds: Math.round(countSeconds * 10) / 10,
    mergeSeconds: Math.round(stats.seconds * 10) / 10,
  });
  writeTokenizerFile(values.out!, file);
  console.log(JSON.stringify({ out: values.out, vocabSize: file.vocabSize, merges: merges.length, sha256: file.sha256, countSeconds, mergeSeconds: stats.seconds }));
}

main().catch((err) => {
  console.error(`train-tokenizer: ${(err as Error).message}`);
  process.exit(1);
});
