import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { LanguageId } from "../../server/src/parsing/languages";

/**
 * Loaders for the evaluation sets: the public dev benchmarks in ../shared/data (read in place,
 * never copied into the repo) and our own held-out test packages from the corpus.
 */
export interface SummaryItem {
  id: string;
  language: LanguageId;
  code: string;
  reference: string;
}

export interface RepairItem {
  id: string;
  language: LanguageId;
  buggy: string;
  fixed: string;
}

export interface FixItem {
  id: string;
  language: "python" | "javascript";
  /** What the model is asked to repair: the buggy function, docstring stripped. */
  buggy: string;
  /** Lines the function needs above it (imports) when the tests run. */
  header: string;
  test: string;
  entryPoint: string;
  canonical: string;
}

/** ../shared/data relative to the repository root, or CODEADAPT_SHARED_DATA. */
export function sharedDataDir(): string {
  if (process.env.CODEADAPT_SHARED_DATA) return process.env.CODEADAPT_SHARED_DATA;
  for (let dir = resolve(__dirname); dirname(dir) !== dir; dir = dirname(dir)) {
    const candidate = join(dir, "..", "shared", "data");
    if (existsSync(join(candidate, "README.md")) && existsSync(join(dir, "package.json"))) return candidate;
  }
  throw new Error("../shared/data not found beside the repository (set CODEADAPT_SHARED_DATA)");
}

const lines = (path: string) => readFileSync(path, "utf8").split("\n").filter((line) => line.length > 0);
const jsonl = <T>(path: string): T[] => lines(path).map((line) => JSON.parse(line) as T);

/** First sentence of a docstring: up to the first period+space, blank line, or example marker. */
export function firstSentence(text: string): string {
  const flat = text.replace(/\r/g, "").split(/\n\s*\n|>>>|\bExample[s]?:|\bFor example\b/)[0];
  const joined = flat.replace(/\s+/g, " ").trim();
  const stop = joined.search(/\.(\s|$)/);
  return (stop >= 0 ? joined.slice(0, stop + 1) : joined).trim();
}

/** Barone & Sennrich's escaping: DCNL is a newline, DCSP one indentation level or a space in a string. */
export function decodeDocstringCorpus(line: string): string {
  return line
    .split(" DCNL ")
    .map((row) => row.replace(/^(\s*DCSP\s)+/, (m) => "    ".repeat((m.match(/DCSP/g) ?? []).length)).replace(/DCSP /g, " "))
    .join("\n");
}

interface HumanEvalRow {
  task_id: string;
  prompt: string;
  declaration: string;
  canonical_solution: string;
  buggy_solution: string;
  test: string;
  entry_point: string;
  docstring: string;
}

const HUMANEVAL_LANGUAGES: Record<string, LanguageId> = { python: "python", js: "javascript", java: "java" };

export function humanEvalDocstrings(dataDir = sharedDataDir()): SummaryItem[] {
  return Object.entries(HUMANEVAL_LANGUAGES).flatMap(([file, language]) =>
    jsonl<HumanEvalRow>(join(dataDir, "humanevalpack", `${file}.jsonl`)).map((row) => ({
      id: row.task_id,
      language,
      code: functionOnly(row.declaration, row.entry_point, language) + row.canonical_solution,
      reference: firstSentence(row.docstring),
    })),
  );
}

/** Drops import lines above the function (kept as the header for running tests). */
function functionOnly(declaration: string, entryPoint: string, language: LanguageId): string {
  if (language !== "python") return declaration.replace(/^\n+/, "");
  const at = declaration.search(new RegExp(`^def ${entryPoint}\\b`, "m"));
  return at >= 0 ? declaration.slice(at) : declaration;
}

export function humanEvalFix(language: "python" | "javascript", dataDir = sharedDataDir()): FixItem[] {
  const file = language === "python" ? "python" : "js";
  return jsonl<HumanEvalRow>(join(dataDir, "humanevalpack", `${file}.jsonl`)).map((row) => {
    const fn = functionOnly(row.declaration, row.entry_point, language);
    return {
      id: row.task_id,
      language,
      buggy: fn + row.buggy_solution,
      header: row.declaration.slice(0, row.declaration.length - fn.length),
      test: row.test,
      entryPoint: row.entry_point,
      canonical: fn + row.canonical_solution,
    };
  });
}

export function codeDocstringCorpus(dataDir = sharedDataDir()): SummaryItem[] {
  const dir = join(dataDir, "code-docstring-corpus");
  const code = lines(join(dir, "data_ps.declbodies.valid"));
  const descriptions = lines(join(dir, "data_ps.descriptions.valid"));
  return code.map((body, i) => ({
    id: `cdc-${i}`,
    language: "python" as const,
    code: decodeDocstringCorpus(body),
    reference: firstSentence(decodeDocstringCorpus(descriptions[i]).replace(/^'|'$/g, "")),
  }));
}

/** TL-CodeSum: Java methods given as space-separated tokens, Javadoc first sentences. */
export function tlCodeSum(dataDir = sharedDataDir()): SummaryItem[] {
  const dir = join(dataDir, "tl-codesum");
  const nl = new Map(lines(join(dir, "valid.token.nl")).map((row) => row.split("\t") as [string, string]));
  return lines(join(dir, "valid.token.code")).map((row) => {
    const [id, code] = row.split("\t");
    return { id: `tl-${id}`, language: "java" as const, code, reference: nl.get(id) ?? "" };
  });
}

/**
 * CodeXGLUE refinement (Bugs2Fix) valid, identifiers abstracted as VAR_1/METHOD_2/TYPE_1.
 * Up to 80% may train (the issue allows it); the last 20% of each file is our dev split.
 */
export function codexglueRefinement(size: "small" | "medium", part: "train" | "dev", dataDir = sharedDataDir()): RepairItem[] {
  const dir = join(dataDir, "codexglue-refinement");
  const buggy = lines(join(dir, `${size}.valid.buggy`));
  const fixed = lines(join(dir, `${size}.valid.fixed`));
  const cut = Math.floor(buggy.length * 0.8);
  const range = part === "train" ? [0, cut] : [cut, buggy.length];
  return buggy.slice(range[0], range[1]).map((code, i) => ({
    id: `${size}-${range[0] + i}`,
    language: "java" as const,
    buggy: code.trim(),
    fixed: fixed[range[0] + i].trim(),
  }));
}

/** Our held-out test packages, from the corpus (`scripts/build-corpus`). */
export function corpusSummaries(corpusDir: string, split = "test"): SummaryItem[] {
  const path = join(corpusDir, "functions.jsonl");
  if (!existsSync(path)) return [];
  return lines(path)
    .map((line) => JSON.parse(line))
    .filter((row) => row.split === split)
    .map((row) => ({ id: row.id, language: row.lang, code: row.code, reference: row.summary }));
}

export function corpusRepairs(corpusDir: string, split = "test"): RepairItem[] {
  const path = join(corpusDir, "repairs.jsonl");
  if (!existsSync(path)) return [];
  return lines(path)
    .map((line) => JSON.parse(line))
    .filter((row) => row.split === split)
    .map((row) => ({ id: row.id, language: row.lang, buggy: row.buggy, fixed: row.fixed }));
}
