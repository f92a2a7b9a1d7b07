import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Parser } from "web-tree-sitter";
import type { LanguageId } from "../../server/src/parsing/languages";
import { createParser, parseText } from "../../server/src/parsing/parser";
import { LABEL_SET_ID } from "../../server/src/labeler/labels";
import { Deduplicator, findHeldOutChecker, fingerprint, heldOutFlags } from "./dedup";
import { mineTree } from "./extract";
import { layout, selectFiles } from "./files";
import { readSource } from "./read";
import { chunkText } from "./chunk";
import { mutate } from "./mutate";
import { loadManifest, prepareSources, type SourceKind } from "./sources";
import { assignSplits, type Split } from "./split";
import { cleanSummary } from "./summary";
import { JsonlWriter, countTokens, readJsonl, sha256, unitInterval } from "./util";

const SECOND_MUTANT_SHARE = 0.2;

/**
 * scripts/build-corpus [--tiny] [--pin] [--fetch-only] [--force] [--out DIR] [--only NAME,...]
 *
 * Phase 1 mines each source into .cache/corpus/work/ (cached by the source's sha256 and the
 * extractor's code), phase 2 splits by unit, deduplicates and writes functions.jsonl,
 * repairs.jsonl, raw.jsonl and report.{json,md}.
 */
const REPO = resolve(__dirname, "..", "..");

interface Options {
  tiny: boolean;
  pin: boolean;
  force: boolean;
  fetchOnly: boolean;
  out: string;
  only?: Set<string>;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { tiny: false, pin: false, force: false, fetchOnly: false, out: "" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--tiny") options.tiny = true;
    else if (arg === "--pin") options.pin = true;
    else if (arg === "--force") options.force = true;
    else if (arg === "--fetch-only") options.fetchOnly = true;
    else if (arg === "--out") options.out = resolve(argv[++i]);
    else if (arg === "--only") options.only = new Set(argv[++i].split(","));
    else throw new Error(`unknown argument ${arg}\nusage: scripts/build-corpus [--tiny] [--pin] [--fetch-only] [--force] [--out DIR] [--only NAME,...]`);
  }
  options.out ||= join(REPO, ".cache", options.tiny ? "corpus-tiny" : "corpus");
  return options;
}

/** One thing to mine: a pinned source, or a fixture folder in --tiny. */
interface Job {
  id: string; // source id, e.g. python3-django, npm/lodash, fixtures/py-geometry
  kind: SourceKind | "fixture";
  digest: string;
  base: string;
  unitOf: (path: string) => string;
}

type Counter = Record<string, number>;
const add = (c: Counter, key: string, n = 1) => { c[key] = (c[key] ?? 0) + n; };

/** Statistics of one (source, language) cell; the report sums cells by language and by source. */
interface Cell {
  files_seen: number;
  files_parsed: number;
  files_skipped: Counter;
  files_with_parse_errors: number;
  functions_seen: number;
  documented_mined: number;
  dropped: Counter;
  repair_failures: Counter;
  pairs_kept: number;
  duplicates_removed: number;
  near_duplicates_removed: number;
  held_out_removed: number;
  tokens_code: number;
  repairs_kept: number;
  repairs_by_type: Counter;
  raw_chunks: number;
  raw_files_duplicate: number;
  tokens_raw: number;
  split_functions: Counter;
}

function newCell(): Cell {
  return {
    files_seen: 0, files_parsed: 0, files_skipped: {}, files_with_parse_errors: 0, functions_seen: 0, documented_mined: 0,
    dropped: {}, repair_failures: {}, pairs_kept: 0, duplicates_removed: 0, near_duplicates_removed: 0, held_out_removed: 0,
    tokens_code: 0, repairs_kept: 0, repairs_by_type: {}, raw_chunks: 0, raw_files_duplicate: 0, tokens_raw: 0, split_functions: {},
  };
}

function mergeCell(into: Cell, from: Cell): void {
  for (const key of Object.keys(from) as (keyof Cell)[]) {
    const value = from[key];
    if (typeof value === "number") (into[key] as number) += value;
    else for (const [k, n] of Object.entries(value)) add(into[key] as Counter, k, n);
  }
}

const log = (message: string) => process.stderr.write(`[corpus ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

/**
 * Hash of the code that decides what mining produces; with the source digest and the list of
 * selected files it keys the cached mining. Summary cleaning and mutations run in phase 2.
 */
function extractorVersion(): string {
  const files = [
    ...["extract.ts", "doctext.ts", "read.ts", "dedup.ts", "util.ts"].map((f) => join(__dirname, f)),
    ...["labeler", "parsing"].flatMap((d) => readdirSync(join(REPO, "server/src", d)).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).sort().map((f) => join(REPO, "server/src", d, f))),
  ];
  return sha256(files.map((f) => readFileSync(f, "utf8")).join("\u0000")).slice(0, 16);
}

const parsers = new Map<LanguageId, Promise<Parser>>();
function parserFor(lang: LanguageId): Promise<Parser> {
  let parser = parsers.get(lang);
  if (!parser) parsers.set(lang, (parser = createParser(lang)));
  return parser;
}

interface WorkPaths { functions: string; files: string; stats: string; key: string; heldout: string }
function workPaths(work: string, id: string): WorkPaths {
  const base = join(work, id.replace(/\//g, "__"));
  return { functions: `${base}.functions.jsonl`, files: `${base}.files.jsonl`, stats: `${base}.stats.json`, key: `${base}.key`, heldout: `${base}.heldout.json` };
}

/** Phase 1 for one job: mine every file, write work rows and per-language cells. */
function selectionOf(job: Job): ReturnType<typeof selectFiles> {
  return selectFiles(job.kind === "fixture" ? "deb-python" : job.kind, job.base, job.unitOf);
}

async function mineJob(job: Job, paths: WorkPaths, selection: ReturnType<typeof selectFiles>): Promise<void> {
  const { files } = selection;
  const cells: Record<string, Cell> = {};
  const cell = (lang: string) => (cells[lang] ??= newCell());
  // Files skipped by their path are counted in phase 2 (selection is cheap to repeat).
  const functions = new JsonlWriter(paths.functions + ".tmp");
  const fileRows = new JsonlWriter(paths.files + ".tmp");
  let done = 0;
  for (const file of files) {
    const c = cell(file.lang);
    c.files_seen++;
    const read = readSource(file.abs);
    if ("skip" in read) { add(c.files_skipped, read.skip); continue; }
    const parser = await parserFor(file.lang);
    let tree;
    try {
      tree = parseText(parser, read.text);
    } catch (error) {
      add(c.files_skipped, "parser failure");
      continue;
    }
    try {
      c.files_parsed++;
      const hasError = tree.rootNode.hasError;
      if (hasError) c.files_with_parse_errors++;
      fileRows.write({ path: file.path, abs: file.abs, unit: file.unit, lang: file.lang, parse_error: hasError });
      const result = mineTree(tree, read.text, file.lang);
      c.functions_seen += result.functions;
      for (const [reason, n] of result.dropped) add(c.dropped, reason, n);
      for (const m of result.mined) {
        const fp = fingerprint(m.code);
        c.documented_mined++;
        functions.write({
          id: `${job.id}:${file.path}:${m.line}:${m.name}`, lang: file.lang, unit: file.unit, path: file.path, name: m.name,
          code: m.code, doc: m.doc, style: m.style, wrap: m.wrap, leaves: m.leaves, range: m.range, exact: fp.exact, minhash: fp.minhash,
        });
      }
    } catch (error) {
      add(c.files_skipped, "extraction error");
      log(`extraction error in ${job.id}:${file.path}: ${(error as Error).message}`);
    } finally {
      tree.delete();
    }
    if (++done % 2000 === 0) log(`${job.id}: ${done}/${files.length} files`);
  }
  functions.close();
  fileRows.close();
  renameSync(paths.functions + ".tmp", paths.functions);
  renameSync(paths.files + ".tmp", paths.files);
  writeFileSync(paths.stats, JSON.stringify(cells));
}

function fixtureJobs(): Job[] {
  const root = join(__dirname, "fixtures");
  return readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort().map((name) => ({
    id: `fixtures/${name}`, kind: "fixture" as const, digest: "fixture", base: join(root, name), unitOf: () => `fixture/${name}`,
  }));
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const work = join(options.out, "work");
  mkdirSync(work, { recursive: true });
  const version = extractorVersion();

  // ---- sources
  let jobs: Job[];
  let manifestInfo: unknown[] = [];
  if (options.tiny) {
    jobs = fixtureJobs();
  } else {
    const manifest = loadManifest();
    const ready = prepareSources(manifest, join(REPO, ".cache", "sources"), options.pin, log, options.only);
    manifestInfo = ready.map((r) => r.entry);
    if (options.fetchOnly) {
      log(`${ready.length} sources fetched, verified and unpacked`);
      return;
    }
    jobs = ready.map((r) => ({ id: r.id, kind: r.entry.kind, digest: r.digest, ...layout(r.entry.kind, r.entry.name, r.root) }));
  }
  if (options.only && options.tiny) jobs = jobs.filter((j) => options.only!.has(j.id.split("/").pop()!));

  // ---- phase 1: mining (cached per source)
  const checker = findHeldOutChecker(REPO);
  if (!checker && !options.tiny) throw new Error("../shared/dedup/fingerprint.py not found; the held-out check is required for a full run");
  const pending: { job: Job; paths: WorkPaths; key: string }[] = [];
  const selections = new Map<string, ReturnType<typeof selectFiles>>();
  for (const job of jobs) {
    const paths = workPaths(work, job.id);
    const selection = selectionOf(job);
    selections.set(job.id, selection);
    const key = `${job.digest} ${version} ${sha256(selection.files.map((f) => f.path).join("\n")).slice(0, 16)}`;
    if (!options.force && existsSync(paths.key) && readFileSync(paths.key, "utf8") === key && existsSync(paths.heldout)) {
      log(`${job.id}: cached`);
      continue;
    }
    const t0 = Date.now();
    await mineJob(job, paths, selection);
    pending.push({ job, paths, key });
    log(`${job.id}: mined in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  // The held-out check runs once over every freshly mined source (the checker's start-up is the slow part).
  if (pending.length) {
    const combined = join(work, "_pending_codes.jsonl");
    const writer = new JsonlWriter(combined);
    const counts: number[] = [];
    for (const { paths } of pending) {
      let n = 0;
      for (const row of readJsonl(paths.functions)) { writer.write({ code: row.code }); n++; }
      counts.push(n);
    }
    writer.close();
    const t0 = Date.now();
    const flagged = checker ? heldOutFlags(checker, combined) : undefined;
    if (checker) log(`held-out check: ${flagged!.size} of ${writer.count} flagged in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    let base = 0;
    pending.forEach(({ paths, key }, i) => {
      const mine = flagged ? [...flagged].filter((n) => n >= base && n < base + counts[i]).map((n) => n - base).sort((a, b) => a - b) : null;
      writeFileSync(paths.heldout, JSON.stringify(mine));
      writeFileSync(paths.key, key);
      base += counts[i];
    });
  }

  // ---- phase 2a: metadata, splits, dedup
  interface Meta { held: boolean; unit: string; lang: string; fp: { exact: string; minhash: number[] }; summary?: string; summaryDrop?: string; drop?: string }
  const metas: Meta[][] = [];
  const unitCounts = new Map<string, Map<string, number>>();
  const unitLangFiles = new Map<string, Map<string, number>>();
  let heldOutChecked = true;
  for (let j = 0; j < jobs.length; j++) {
    const paths = workPaths(work, jobs[j].id);
    const held = JSON.parse(readFileSync(paths.heldout, "utf8")) as number[] | null;
    if (held === null) heldOutChecked = false;
    const heldSet = new Set(held ?? []);
    const rows: Meta[] = [];
    let index = 0;
    for (const row of readJsonl(paths.functions)) {
      const cleaned = cleanSummary(row.doc, row.style);
      rows.push({
        held: heldSet.has(index++), unit: row.unit, lang: row.lang, fp: { exact: row.exact, minhash: row.minhash },
        ...("summary" in cleaned ? { summary: cleaned.summary } : { summaryDrop: cleaned.drop }),
      });
      const counts = unitCounts.get(row.unit) ?? new Map();
      counts.set(row.lang, (counts.get(row.lang) ?? 0) + 1);
      unitCounts.set(row.unit, counts);
    }
    for (const file of readJsonl(paths.files)) {
      const counts = unitLangFiles.get(file.unit) ?? new Map();
      counts.set(file.lang, (counts.get(file.lang) ?? 0) + 1);
      unitLangFiles.set(file.unit, counts);
    }
    metas.push(rows);
  }
  const primary = (counts: Map<string, number>) => [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
  const units = [...new Set([...unitCounts.keys(), ...unitLangFiles.keys()])].sort().map((unit) => {
    const counts = unitCounts.get(unit);
    return {
      unit,
      lang: counts ? primary(counts) : primary(unitLangFiles.get(unit)!),
      functions: counts ? [...counts.values()].reduce((a, b) => a + b, 0) : 0,
    };
  });
  const splits = assignSplits(units);
  const order: Split[] = ["test", "valid", "train"];
  const dedup = new Deduplicator();
  // Priority: test, valid, train; within a split, functions with a usable summary first.
  for (const split of order) for (const withSummary of [true, false]) {
    for (const rows of metas) {
      for (const meta of rows) {
        if (splits.get(meta.unit) !== split || (meta.summary !== undefined) !== withSummary) continue;
        if (meta.held) { meta.drop = "held-out"; continue; }
        meta.drop = dedup.check(meta.fp);
      }
    }
  }

  // ---- phase 2b: write outputs
  const bySource: Record<string, Cell> = {};
  const byLanguage: Record<string, Cell> = {};
  const cellsOf = (source: string, lang: string) => [bySource[source] ??= newCell(), byLanguage[lang] ??= newCell()];
  const functionsOut = new JsonlWriter(join(options.out, "functions.jsonl.tmp"));
  const repairsOut = new JsonlWriter(join(options.out, "repairs.jsonl.tmp"));
  const rawOut = new JsonlWriter(join(options.out, "raw.jsonl.tmp"));
  const seenFiles = new Set<string>();
  for (let j = 0; j < jobs.length; j++) {
    const job = jobs[j];
    const paths = workPaths(work, job.id);
    const stats = JSON.parse(readFileSync(paths.stats, "utf8")) as Record<string, Cell>;
    for (const [lang, c] of Object.entries(stats)) {
      if (lang === "(by path)") continue; // older cache layout; recounted below
      for (const cell of cellsOf(job.id, lang)) mergeCell(cell, { ...newCell(), ...c });
    }
    for (const [lang, reasons] of selections.get(job.id)!.skippedByLang) {
      for (const [reason, n] of reasons) for (const cell of cellsOf(job.id, lang)) { cell.files_seen += n; add(cell.files_skipped, reason, n); }
    }
    const heldRanges = new Map<string, [number, number][]>();
    let index = 0;
    for (const row of readJsonl(paths.functions)) {
      const meta = metas[j][index++];
      const split = splits.get(row.unit)!;
      const cells = cellsOf(job.id, row.lang);
      if (meta.drop) {
        for (const c of cells) {
          if (meta.drop === "held-out") c.held_out_removed++;
          else if (meta.drop === "duplicate") c.duplicates_removed++;
          else c.near_duplicates_removed++;
        }
        if (meta.drop === "held-out") heldRanges.set(row.path, [...(heldRanges.get(row.path) ?? []), row.range]);
        continue;
      }
      if (meta.summary !== undefined) {
        functionsOut.write({ id: row.id, lang: row.lang, unit: row.unit, split, path: row.path, name: row.name, code: row.code, summary: meta.summary, leaves: row.leaves });
        const tokens = countTokens(row.code);
        for (const c of cells) { c.pairs_kept++; c.tokens_code += tokens; add(c.split_functions, split); }
      } else {
        for (const c of cells) add(c.dropped, meta.summaryDrop!);
      }
      // Repairs come from every mined function that survived deduplication, documented well or not.
      const mutant = mutate(await parserFor(row.lang), row.code, row.lang, row.wrap, row.leaves, row.id);
      if ("fail" in mutant) {
        for (const c of cells) add(c.repair_failures, mutant.fail);
      } else {
        repairsOut.write({ id: `${row.id}#bug`, lang: row.lang, unit: row.unit, split, buggy: mutant.buggy, fixed: row.code, bug_type: mutant.bug_type });
        for (const c of cells) { c.repairs_kept++; add(c.repairs_by_type, mutant.bug_type); }
        // A share of train functions get a second mutant of another bug type (evaluation splits keep one per function).
        if (split === "train" && unitInterval(`${row.id}#bug2`) < SECOND_MUTANT_SHARE) {
          const second = mutate(await parserFor(row.lang), row.code, row.lang, row.wrap, row.leaves, `${row.id}#bug2`, mutant.bug_type);
          if (!("fail" in second)) {
            repairsOut.write({ id: `${row.id}#bug2`, lang: row.lang, unit: row.unit, split, buggy: second.buggy, fixed: row.code, bug_type: second.bug_type });
            for (const c of cells) { c.repairs_kept++; add(c.repairs_by_type, second.bug_type); }
          }
        }
      }
    }
    // Raw chunks: every parsed file without parse errors, held-out functions cut out, exact file duplicates once.
    for (const file of readJsonl(paths.files)) {
      if (file.parse_error) continue;
      let text = readFileSync(file.abs, "utf8");
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      const cut = (heldRanges.get(file.path) ?? []).sort((a, b) => b[0] - a[0]);
      for (const [s, e] of cut) text = text.slice(0, s) + text.slice(e);
      const cells = cellsOf(job.id, file.lang);
      const digest = sha256(text);
      if (seenFiles.has(digest)) { for (const c of cells) c.raw_files_duplicate++; continue; }
      seenFiles.add(digest);
      const split = splits.get(file.unit)!;
      for (const chunk of chunkText(text)) {
        rawOut.write({ unit: file.unit, split, path: file.path, lang: file.lang, text: chunk });
        const tokens = countTokens(chunk);
        for (const c of cells) { c.raw_chunks++; c.tokens_raw += tokens; }
      }
    }
  }
  functionsOut.close();
  repairsOut.close();
  rawOut.close();
  for (const name of ["functions", "repairs", "raw"]) renameSync(join(options.out, `${name}.jsonl.tmp`), join(options.out, `${name}.jsonl`));

  // ---- report
  const total = newCell();
  for (const c of Object.values(byLanguage)) mergeCell(total, c);
  const unitSplits: Record<string, Record<string, string[]>> = {};
  for (const u of units) ((unitSplits[u.lang] ??= {})[splits.get(u.unit)!] ??= []).push(u.unit);
  const report = {
    mode: options.tiny ? "tiny" : "full",
    label_set: LABEL_SET_ID,
    extractor_version: version,
    held_out_checked: heldOutChecked,
    held_out_checker: checker ? "fingerprint.py check --field code" : "not found (tiny run without ../shared)",
    seconds: Math.round((Date.now() - started) / 1000),
    outputs: { functions: functionsOut.count, repairs: repairsOut.count, raw_chunks: rawOut.count },
    total,
    by_language: sortKeys(byLanguage),
    by_source: sortKeys(bySource),
    units_by_split: unitSplits,
    sources: manifestInfo,
  };
  writeFileSync(join(options.out, "report.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(join(options.out, "report.md"), markdownReport(report));
  log(`done in ${report.seconds} s: ${functionsOut.count} functions, ${repairsOut.count} repairs, ${rawOut.count} raw chunks -> ${options.out}`);
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

function fmt(counter: Counter): string {
  return Object.entries(counter).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(", ") || "-";
}

function markdownReport(report: { mode: string; seconds: number; outputs: Record<string, number>; by_language: Record<string, Cell>; by_source: Record<string, Cell>; total: Cell; held_out_checked: boolean }): string {
  const header = "| | files seen | files skipped | functions seen | pairs kept | train/valid/test | dropped (mining) | exact dup | near dup | held-out | code tokens | repairs | raw chunks | raw tokens |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  const row = (name: string, c: Cell) => {
    const skipped = Object.values(c.files_skipped).reduce((a, b) => a + b, 0);
    const dropped = Object.values(c.dropped).reduce((a, b) => a + b, 0);
    const s = c.split_functions;
    return `| ${name} | ${c.files_seen} | ${skipped} | ${c.functions_seen} | ${c.pairs_kept} | ${s.train ?? 0}/${s.valid ?? 0}/${s.test ?? 0} | ${dropped} | ${c.duplicates_removed} | ${c.near_duplicates_removed} | ${c.held_out_removed} | ${c.tokens_code} | ${c.repairs_kept} | ${c.raw_chunks} | ${c.tokens_raw} |\n`;
  };
  let md = `# Corpus report (${report.mode})\n\n${report.outputs.functions} summarization pairs, ${report.outputs.repairs} repair pairs, ${report.outputs.raw_chunks} raw chunks; built in ${report.seconds} s.`;
  md += report.held_out_checked ? "\n\n" : "\n\n**Held-out check not run** (../shared/dedup/fingerprint.py not found).\n\n";
  md += "## By language\n\n" + header + Object.entries(report.by_language).map(([k, c]) => row(k, c)).join("") + row("**total**", report.total);
  md += "\n## Drops by reason (all languages)\n\n";
  md += `- files skipped: ${fmt(report.total.files_skipped)}\n- files with parse errors (mined partially, left out of raw): ${report.total.files_with_parse_errors}\n`;
  md += `- functions dropped while mining: ${fmt(report.total.dropped)}\n- repair mutation failures: ${fmt(report.total.repair_failures)}\n`;
  md += `- repairs by bug type: ${fmt(report.total.repairs_by_type)}\n- raw files dropped as exact duplicates: ${report.total.raw_files_duplicate}\n`;
  md += "\n## Drops by reason, per language\n\n| | files skipped | functions dropped | repairs by bug type |\n|---|---|---|---|\n";
  md += Object.entries(report.by_language).map(([k, c]) => `| ${k} | ${fmt(c.files_skipped)} | ${fmt(c.dropped)} | ${fmt(c.repairs_by_type)} |\n`).join("");
  const held = Object.entries(report.by_source).filter(([, c]) => c.held_out_removed > 0).map(([k, c]) => `${k} ${c.held_out_removed}`);
  md += `\n## Held-out drops per source\n\n${held.join(", ") || "none"}\n`;
  md += "\n## By source\n\n" + header + Object.entries(report.by_source).map(([k, c]) => row(k, c)).join("");
  return md;
}

main().catch((error) => {
  process.stderr.write(`build-corpus failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
