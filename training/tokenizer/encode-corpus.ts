/**
 * Encodes the corpus JSONL into the binary shards training/data.py reads.
 *
 *   npx tsx training/tokenizer/encode-corpus.ts [--corpus .cache/corpus] [--out .cache/encoded]
 *       [--tokenizer models/tokenizer.json] [--max-src 510] [--max-tgt 512] [--chunk 512]
 *       [--codexglue auto|off|DATA_DIR]
 *
 * Rows (see the team plan's data contract) and what they become, per split:
 *   function rows  -> summarize.SPLIT.src (<lang> code), summarize.SPLIT.tgt (summary </s>)
 *                     when the summary is non-empty; ttc.SPLIT (<lang> code + labels from
 *                     "leaves") when leaves are present
 *   repair rows    -> refine.SPLIT.src (<lang> buggy), refine.SPLIT.tgt (fixed </s>)
 *   raw chunks     -> pretrain.SPLIT (<lang> text, cut into pieces of <= --chunk tokens);
 *                     train and valid only (test chunks are counted and skipped)
 *   CodeXGLUE refinement valid, its first 80% (small and medium; the last 20% is our dev split,
 *                  training/eval/benchmarks.ts) -> appended to refine.train: the only real bug
 *                  fixes we have. --codexglue auto takes ../shared/data when it is there (the
 *                  report's counts say whether it was), off leaves it out.
 * Sources longer than --max-src end in <truncated> (counted). --max-src defaults to 510 because
 * data.py wraps each source in a task token and </s> and the model reads 512.
 * Writes encode-report.json beside the shards: counts, truncations, label checks, the
 * tokenizer's sha256 and a sha256 of every input file (the data snapshot).
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { codexglueRefinement, sharedDataDir } from "../eval/benchmarks";
import { LANGUAGE_TAGS } from "./bpe";
import { breakSyntax } from "./break-syntax";
import { pretrainChunks, sourceSequence, targetSequence, ttcSequence } from "./sequences";
import { ShardWriter, type SequenceMeta } from "./shards";
import { jsonlFiles, readJsonl, rowKind, type CorpusRow } from "./sources";
import { loadTokenizer } from "./tokenizer-file";

const SPLITS = new Set(["train", "valid", "test"]);
const SHARD_FILE = /\.(ids\.bin|idx\.bin|lab\.bin|meta\.jsonl)(\.partial)?$/;

function fileSha256(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash("sha256");
    createReadStream(path)
      .on("data", (d) => h.update(d))
      .on("end", () => res(h.digest("hex")))
      .on("error", rej);
  });
}

async function main() {
  const { values } = parseArgs({
    options: {
      corpus: { type: "string", default: ".cache/corpus" },
      out: { type: "string", default: ".cache/encoded" },
      tokenizer: { type: "string", default: "models/tokenizer.json" },
      "max-src": { type: "string", default: "510" },
      "max-tgt": { type: "string", default: "512" },
      chunk: { type: "string", default: "512" },
      codexglue: { type: "string", default: "auto" },
    },
  });
  const maxSrc = Number(values["max-src"]);
  const maxTgt = Number(values["max-tgt"]);
  const chunk = Number(values.chunk);
  for (const [name, v] of [["max-src", maxSrc], ["max-tgt", maxTgt], ["chunk", chunk]] as const) {
    if (!Number.isInteger(v) || v < 8) throw new Error(`--${name} must be an integer >= 8`);
  }
  const corpus = resolve(values.corpus!);
  const out = resolve(values.out!);
  const files = jsonlFiles(corpus);
  if (files.length === 0) throw new Error(`no corpus JSONL under ${corpus}: build the corpus first (training/corpus)`);
  const { tokenizer, file: tokFile } = loadTokenizer(values.tokenizer!);
  mkdirSync(out, { recursive: true });
  for (const name of readdirSync(out)) if (SHARD_FILE.test(name)) rmSync(join(out, name));

  const writers = new Map<string, ShardWriter>();
  const writer = (name: string, labels = false) => {
    let w = writers.get(name);
    if (!w) {
      w = new ShardWriter(join(out, name), labels);
      writers.set(name, w);
    }
    return w;
  };
  const counts: Record<string, number> = {};
  const bump = (key: string, n = 1) => (counts[key] = (counts[key] ?? 0) + n);
  const t0 = performance.now();
  let chars = 0;
  let tokens = 0;

  const langOf = (row: CorpusRow, where: string): string | undefined => {
    if (row.lang && (LANGUAGE_TAGS as readonly string[]).includes(row.lang)) return row.lang;
    bump(`skipped.unknownLang`);
    if ((counts["skipped.unknownLang"] ?? 0) <= 3) console.error(`${where}: unknown lang ${JSON.stringify(row.lang)}, row skipped`);
    return undefined;
  };

  for (const path of files) {
    let line = 0;
    for await (const row of readJsonl(path)) {
      line++;
      const where = `${relative(process.cwd(), path)}:${line}`;
      const kind = rowKind(row);
      const split = row.split ?? "";
      if (!kind) {
        bump("skipped.unknownRow");
        continue;
      }
      if (!SPLITS.has(split)) {
        bump(`skipped.badSplit`);
        continue;
      }
      const lang = langOf(row, where);
      if (!lang) continue;
      const meta: SequenceMeta = { id: row.id ?? `${row.unit ?? ""}:${row.path ?? where}`, unit: row.unit ?? "", lang };
      if (kind === "function") {
        const code = row.code!;
        chars += code.length;
        const src = sourceSequence(tokenizer, lang, code, maxSrc);
        tokens += src.ids.length;
        if (src.truncated) bump(`truncated.src.${split}`);
        const summary = (row.summary ?? "").trim() ? row.summary! : undefined;
        if (summary) {
          const tgt = targetSequence(tokenizer, summary, maxTgt);
          writer(`summarize.${split}.src`).add(src.ids, meta);
          writer(`summarize.${split}.tgt`).add(tgt.ids, meta);
          if (tgt.ids.length > 48) bump(`summary.over48.${split}`);
          if (tgt.truncated) bump(`truncated.summaryTgt.${split}`);
        } else bump("functions.noSummary");
        if (Array.isArray(row.leaves)) {
          let t;
          try {
            t = ttcSequence(tokenizer, lang, code, row.leaves, maxSrc);
          } catch (err) {
            throw new Error(`${where}: ${(err as Error).message}`);
          }
          writer(`ttc.${split}`, true).add(t.ids, meta, t.labels);
          if (split !== "train") {
            // Held-out code with one injected syntax error, labelled by the clean parse.
            const broken = breakSyntax(meta.id, code, row.leaves);
            if (broken) {
              const b = ttcSequence(tokenizer, lang, broken.code, broken.leaves, maxSrc);
              writer(`ttc.${split}.broken`, true).add(b.ids, meta, b.labels);
            } else bump(`ttc.unbreakable.${split}`);
          }
          bump("ttc.leafCrossings", t.crossings);
          bump("ttc.unlabeledTokens", t.unlabeled);
          if (t.truncated) bump(`truncated.ttc.${split}`);
        } else bump("functions.noLeaves");
      } else if (kind === "repair") {
        chars += row.buggy!.length + row.fixed!.length;
        const src = sourceSequence(tokenizer, lang, row.buggy!, maxSrc);
        const tgt = targetSequence(tokenizer, row.fixed!, maxTgt);
        tokens += src.ids.length + tgt.ids.length;
        writer(`refine.${split}.src`).add(src.ids, meta);
        writer(`refine.${split}.tgt`).add(tgt.ids, meta);
        if (src.truncated) bump(`truncated.refineSrc.${split}`);
        if (tgt.truncated) bump(`truncated.refineTgt.${split}`);
      } else {
        if (split === "test") {
          bump("pretrain.testChunksSkipped");
          continue;
        }
        const text = row.text!;
        chars += text.length;
        const pieces = pretrainChunks(tokenizer, lang, text, chunk);
        pieces.forEach((ids, k) => {
          tokens += ids.length;
          writer(`pretrain.${split}`).add(ids, { ...meta, id: `${meta.id}#${k}` });
        });
        if (pieces.length > 1) bump(`pretrain.cut.${split}`);
      }
    }
    console.error(`${relative(process.cwd(), path)}: done (${(chars / 1e6).toFixed(1)}M chars, ${(tokens / 1e6).toFixed(2)}M tokens so far)`);
  }
  const codexglue = codexglueDir(values.codexglue!);
  if (codexglue) {
    for (const size of ["small", "medium"] as const) {
      for (const item of codexglueRefinement(size, "train", codexglue)) {
        const meta = { id: `codexglue-${item.id}`, unit: `codexglue-refinement-${size}`, lang: "java" };
        const src = sourceSequence(tokenizer, "java", item.buggy, maxSrc);
        const tgt = targetSequence(tokenizer, item.fixed, maxTgt);
        tokens += src.ids.length + tgt.ids.length;
        writer("refine.train.src").add(src.ids, meta);
        writer("refine.train.tgt").add(tgt.ids, meta);
        bump(`codexglue.train.${size}`);
      }
    }
  } else bump("codexglue.notIncluded");
  const shards: Record<string, { sequences: number; tokens: number }> = {};
  for (const [name, w] of [...writers].sort()) {
    w.close();
    shards[name] = { sequences: w.sequences, tokens: w.tokens };
  }
  const expected = [
    "pretrain.train", "pretrain.valid",
    ...["train", "valid", "test"].flatMap((s) => [`summarize.${s}.src`, `summarize.${s}.tgt`, `refine.${s}.src`, `refine.${s}.tgt`, `ttc.${s}`]),
  ];
  const missing = expected.filter((n) => !shards[n]);
  if (missing.length) console.error(`warning: no sequences for ${missing.join(", ")} (those shards are not written)`);
  const inputs: Record<string, { bytes: number; sha256: string }> = {};
  for (const f of files) {
    const { size } = statSync(f);
    inputs[relative(corpus, f)] = { bytes: size, sha256: await fileSha256(f) };
  }
  const snapshot = createHash("sha256")
    .update(Object.entries(inputs).map(([p, v]) => `${v.sha256}  ${p}\n`).join(""))
    .digest("hex");
  const seconds = (performance.now() - t0) / 1000;
  const report = {
    tokenizer: { path: values.tokenizer, sha256: tokFile.sha256, vocabSize: tokFile.vocabSize, pretokenizer: tokFile.pretokenizer },
    limits: { maxSrc, maxTgt, chunk },
    corpus: { dir: corpus, snapshotSha256: snapshot, files: inputs },
    chars,
    tokens,
    charsPerToken: +(chars / Math.max(1, tokens)).toFixed(3),
    seconds: +seconds.toFixed(1),
    counts,
    shards,
    missing,
  };
  writeFileSync(join(out, "encode-report.json"), JSON.stringify(report, null, 2) + "\n");
  console.log(JSON.stringify({ out, seconds: report.seconds, tokens, shards: Object.keys(shards).length, missing, counts }));
}

/** The shared data folder holding codexglue-refinement, or undefined (off, or auto and absent). */
function codexglueDir(option: string): string | undefined {
  if (option === "off") return undefined;
  if (option !== "auto") return option;
  try {
    return existsSync(join(sharedDataDir(), "codexglue-refinement")) ? sharedDataDir() : undefined;
  } catch {
    return undefined;
  }
}

main().catch((err) => {
  console.error(`encode-corpus: ${(err as Error).message}`);
  process.exit(1);
});
