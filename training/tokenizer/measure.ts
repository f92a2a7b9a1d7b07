/**
 * Measures tokenizers on functions: tokens per function, bytes per token, summary tokens,
 * share over the 512-token input limit, leaf crossings, round-trip failures, encode speed.
 *
 *   npx tsx training/tokenizer/measure.ts models/tokenizer.json [more.json ...]
 *       [--corpus .cache/corpus --split valid]   functions of the corpus (default when present)
 *       [--local]                                tree-sitter functions of the held-out ~10% of
 *                                                local files (/usr/lib/python3*, node_modules)
 *       [--max-functions 4000]
 * Prints one JSON object per tokenizer and a Markdown table.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Node } from "web-tree-sitter";
import { createParser, parseText } from "../../server/src/parsing/parser";
import type { LanguageId } from "../../server/src/parsing/languages";
import { Tokenizer } from "./bpe";
import { crossingTokens, leafBoundaries } from "./leaves";
import { fnv1a, jsonlFiles, localDevFiles, readJsonl, rowKind } from "./sources";
import { loadTokenizer } from "./tokenizer-file";
import { tokenLabels } from "./ttc-labels";

interface Fn {
  lang: string;
  code: string;
  summary?: string;
  /** Leaf boundaries relative to code, when parsed here. */
  boundaries?: Int32Array;
  /** Labeled leaves of a corpus row ([start, end, label]). */
  leaves?: [number, number, number][];
}

const FUNCTION_TYPES: Record<string, Set<string>> = {
  python: new Set(["function_definition"]),
  javascript: new Set(["function_declaration", "method_definition", "function_expression", "generator_function_declaration"]),
};

function pythonSummary(fn: Node): string | undefined {
  const body = fn.childForFieldName("body");
  const first = body?.namedChildren[0];
  if (!first || first.type !== "expression_statement") return undefined;
  const str = first.namedChildren[0];
  if (!str || str.type !== "string") return undefined;
  const raw = str.text.replace(/^[rRbBuU]*("""|'''|"|')/, "").replace(/("""|'''|"|')$/, "").trim();
  const para = raw.split(/\n\s*\n/)[0].replace(/\s+/g, " ").trim();
  const sentence = para.split(/(?<=\.)\s/)[0];
  return sentence.length >= 8 ? sentence : undefined;
}

async function localFunctions(maxFunctions: number): Promise<Fn[]> {
  const out: Fn[] = [];
  const files = localDevFiles(process.cwd(), true).sort((a, b) => fnv1a(a.path) - fnv1a(b.path));
  const perLang = new Map<string, number>();
  for (const f of files) {
    if ((perLang.get(f.lang) ?? 0) >= maxFunctions / 2) continue;
    const text = readFileSync(f.path, "utf8");
    const parser = await createParser(f.lang as LanguageId);
    const tree = parseText(parser, text);
    const bounds = leafBoundaries(tree);
    const types = FUNCTION_TYPES[f.lang];
    const visit = (node: Node, inside: boolean) => {
      const isFn = types.has(node.type);
      if (isFn && !inside && node.endPosition.row - node.startPosition.row >= 2) {
        const s = node.startIndex;
        const e = node.endIndex;
        const rel = bounds.filter((b) => b >= s && b <= e).map((b) => b - s);
        out.push({ lang: f.lang, code: text.slice(s, e), summary: f.lang === "python" ? pythonSummary(node) : undefined, boundaries: rel });
        perLang.set(f.lang, (perLang.get(f.lang) ?? 0) + 1);
      }
      for (const c of node.namedChildren) if (c) visit(c, inside || isFn);
    };
    visit(tree.rootNode, false);
    tree.delete();
    parser.delete();
  }
  return out;
}

async function corpusFunctions(dir: string, split: string, maxFunctions: number): Promise<Fn[]> {
  // Keep the maxFunctions rows with the smallest id hash (a deterministic sample).
  let picked: (Fn & { key: number })[] = [];
  for (const file of jsonlFiles(dir)) {
    for await (const row of readJsonl(file)) {
      if (row.split !== split || rowKind(row) !== "function") continue;
      picked.push({ key: fnv1a(row.id ?? row.code!), lang: row.lang ?? "?", code: row.code!, summary: row.summary || undefined, leaves: row.leaves });
      if (picked.length > 4 * maxFunctions) {
        picked.sort((a, b) => a.key - b.key);
        picked = picked.slice(0, maxFunctions);
      }
    }
  }
  picked.sort((a, b) => a.key - b.key);
  return picked.slice(0, maxFunctions);
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

function measure(name: string, tok: Tokenizer, fns: Fn[]) {
  const lens: number[] = [];
  const summaryLens: number[] = [];
  let bytes = 0;
  let tokens = 0;
  let crossings = 0;
  let checkedTokens = 0;
  let roundTripFailures = 0;
  const t0 = performance.now();
  for (const f of fns) tok.encode(f.code);
  const coldMs = performance.now() - t0;
  const t1 = performance.now();
  for (const f of fns) tok.encode(f.code);
  const warmMs = performance.now() - t1;
  let chars = 0;
  for (const f of fns) {
    const enc = tok.encodeWithSpans(f.code);
    lens.push(enc.ids.length);
    tokens += enc.ids.length;
    bytes += Buffer.byteLength(f.code, "utf8");
    chars += f.code.length;
    if (tok.decode(enc.ids) !== f.code) roundTripFailures++;
    if (f.boundaries) {
      crossings += crossingTokens(f.code, enc, f.boundaries).length;
      checkedTokens += enc.ids.length;
    } else if (f.leaves) {
      crossings += tokenLabels(f.code, enc, f.leaves).crossings;
      checkedTokens += enc.ids.length;
    }
    if (f.summary) summaryLens.push(tok.encode(f.summary).length + 1);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const perLanguage: Record<string, { functions: number; tokensMean: number; bytesPerToken: number }> = {};
  for (const lang of [...new Set(fns.map((f) => f.lang))].sort()) {
    const idx = fns.map((f, k) => (f.lang === lang ? k : -1)).filter((k) => k >= 0);
    const b = idx.reduce((s, k) => s + Buffer.byteLength(fns[k].code, "utf8"), 0);
    const t = idx.reduce((s, k) => s + lens[k], 0);
    perLanguage[lang] = { functions: idx.length, tokensMean: +(t / idx.length).toFixed(1), bytesPerToken: +(b / t).toFixed(3) };
  }
  return {
    perLanguage,
    tokenizer: name,
    functions: fns.length,
    tokensPerFunctionMean: +mean(lens).toFixed(1),
    tokensPerFunctionMedian: quantile(lens, 0.5),
    tokensPerFunctionP90: quantile(lens, 0.9),
    shareOver511: +(lens.filter((n) => n > 511).length / fns.length).toFixed(4),
    bytesPerToken: +(bytes / tokens).toFixed(3),
    summaries: summaryLens.length,
    summaryTokensMean: +mean(summaryLens).toFixed(1),
    summaryShareOver48: +(summaryLens.filter((n) => n > 48).length / Math.max(1, summaryLens.length)).toFixed(4),
    leafCrossings: crossings,
    tokensChecked: checkedTokens,
    roundTripFailures,
    encodeColdMBs: +(chars / 1e6 / (coldMs / 1000)).toFixed(2),
    encodeWarmMBs: +(chars / 1e6 / (warmMs / 1000)).toFixed(2),
  };
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      corpus: { type: "string", default: ".cache/corpus" },
      split: { type: "string", default: "valid" },
      local: { type: "boolean", default: false },
      "max-functions": { type: "string", default: "4000" },
    },
  });
  const maxFunctions = Number(values["max-functions"]);
  const dir = resolve(values.corpus!);
  const useCorpus = !values.local && jsonlFiles(dir).length > 0;
  const fns = useCorpus ? await corpusFunctions(dir, values.split!, maxFunctions) : await localFunctions(maxFunctions);
  console.error(`${fns.length} functions from ${useCorpus ? `corpus ${values.split} split` : "held-out local files"}`);
  const rows = [];
  for (const path of positionals) {
    const { tokenizer, file } = loadTokenizer(path);
    const r = { ...measure(path, tokenizer, fns), pretokenizer: file.pretokenizer, vocab: file.vocabSize };
    console.log(JSON.stringify(r));
    rows.push(r);
  }
  const cols = ["tokenizer", "pretokenizer", "vocab", "tokensPerFunctionMean", "tokensPerFunctionMedian", "tokensPerFunctionP90", "shareOver511", "bytesPerToken", "summaryTokensMean", "leafCrossings", "roundTripFailures", "encodeWarmMBs"] as const;
  console.log(`\n| ${cols.join(" | ")} |\n|${cols.map(() => "---").join("|")}|`);
  for (const r of rows) console.log(`| ${cols.map((c) => String(r[c])).join(" | ")} |`);
}

main().catch((err) => {
  console.error(`measure: ${(err as Error).stack}`);
  process.exit(1);
});
