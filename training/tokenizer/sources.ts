/**
 * Where the tokenizer's text comes from: the corpus JSONL under .cache/corpus/ (written by
 * training/corpus/), or, for development before the corpus exists, local code files.
 */
import { createReadStream, existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** A corpus row; which fields are set depends on the kind (see team plan, data contract). */
export interface CorpusRow {
  id?: string;
  lang?: string;
  unit?: string;
  split?: string;
  path?: string;
  name?: string;
  code?: string;
  summary?: string;
  leaves?: [number, number, number][];
  buggy?: string;
  fixed?: string;
  bug_type?: string;
  text?: string;
}

export type RowKind = "function" | "repair" | "raw";

export function rowKind(row: CorpusRow): RowKind | undefined {
  if (typeof row.buggy === "string" && typeof row.fixed === "string") return "repair";
  if (typeof row.code === "string") return "function";
  if (typeof row.text === "string") return "raw";
  return undefined;
}

/** The *.jsonl files directly in `dir` (the corpus writes its outputs there; sub-folders such
 * as work/ hold intermediate files), sorted by name. */
export function jsonlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".jsonl") && statSync(join(dir, name)).isFile())
    .sort()
    .map((name) => join(dir, name));
}

/** Rows of one JSONL file; a line that is not JSON is an error naming file and line. */
export async function* readJsonl(path: string): AsyncGenerator<CorpusRow> {
  const rl = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    if (!text.trim()) continue;
    let row: CorpusRow;
    try {
      row = JSON.parse(text) as CorpusRow;
    } catch (err) {
      throw new Error(`${path}:${line}: not JSON (${(err as Error).message})`);
    }
    yield row;
  }
}

/** 32-bit FNV-1a of a string's UTF-16 units: deterministic sampling and held-out splits. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Local code for development: Python files of the system Python and JavaScript files of
 * node_modules. `heldOut` selects the ~10% of files (by path hash) kept out of training.
 */
export function localDevFiles(root: string, heldOut: boolean): { path: string; lang: "python" | "javascript" }[] {
  const out: { path: string; lang: "python" | "javascript" }[] = [];
  const walk = (d: string, ext: string, lang: "python" | "javascript", depth: number) => {
    if (depth > 12) return;
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(d, name);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p, ext, lang, depth + 1);
      else if (name.endsWith(ext) && st.size < 1_000_000) {
        if ((fnv1a(p) % 10 === 0) === heldOut) out.push({ path: p, lang });
      }
    }
  };
  for (const name of readdirSync("/usr/lib").sort()) {
    if (/^python3(\.\d+)?$/.test(name)) walk(join("/usr/lib", name), ".py", "python", 0);
  }
  walk(join(root, "node_modules"), ".js", "javascript", 0);
  return out;
}
