import { createHash } from "node:crypto";
import { realpathSync } from "node:fs";
import { join } from "node:path";
import type { Tree } from "web-tree-sitter";
import { mineTree } from "../../../training/corpus/extract";
import { cleanSummary } from "../../../training/corpus/summary";
import type { LanguageId } from "../parsing/languages";
import { readChangedFile } from "./changedFile";
import { DEFAULT_MEMORY_SETTINGS, makeRecord, WorkspaceMemory, type MemoryRecord, type MemorySettings } from "./memory";
import { readMemory, removeMemory, writeMemory, type MemoryFileEntry } from "./memoryStore";
import { DEFAULT_OUTPUT_ADAPTER_SETTINGS, OutputAdapter, type OutputAdapterSettings } from "./outputAdapter";
import { ParserCache } from "./parserCache";
import { SerialSaver } from "./serialSaver";
import { makeStamp } from "./store";
import { DEFAULT_MAX_FILE_BYTES, readSource, walkWorkspace, type SkipReason } from "./walk";
import { CancelledBuildError } from "./workspaceAdapter";

/**
 * One workspace folder's memory (memory.ts): the walk, the records of its documented functions,
 * incremental updates on save, and the copy kept on disk between sessions.
 *
 * build():  walk the folder (walk.ts) -> per file, its documented functions, mined and cleaned
 *           exactly as the training corpus is (training/corpus: mineTree, cleanSummary) -> per
 *           function, its record from the previous build or the saved file, else from the model
 *           (one teacher-forced pass). Cancellation is checked between functions; a cancelled
 *           build leaves the previous memory in use. Only complete builds are saved.
 * update(): a saved file's functions are mined again; records of functions that are gone are
 *           removed, new ones added (a function shared by two files stays while one has it).
 */
export interface MemoryModel {
  /** Width of the decoder's states. */
  d: number;
  summaryStates(language: LanguageId, code: string, summary: string): Promise<{ states: Float32Array; tokens: number[] }>;
}

export interface WorkspaceMemoryOptions {
  cacheDir: string;
  /** sha256 of the model's manifest.json: a memory made with another model is never used. */
  manifestSha256: string;
  /** Stop adding functions once the memory holds this many entries (summary tokens). */
  maxEntries?: number;
  maxFileBytes?: number;
  settings?: MemorySettings;
  /** The output-layer adapter kept to the same records (outputAdapter.ts); false: none. */
  outputAdapter?: OutputAdapterSettings | false;
  /** Runs one model call (the server's queue, low priority). Default: at once. */
  runBatch?: <T>(work: (model: MemoryModel) => Promise<T>) => Promise<T>;
}

export const DEFAULT_MAX_ENTRIES = 60_000;
const MEMORY_VERSION = 1;

export interface MemoryProgress {
  files: number;
  functions: number;
  entries: number;
  /** Functions whose record came from the previous build or the saved file. */
  reusedFunctions: number;
  skippedFiles: number;
  file?: string;
}

export interface MemoryInfo {
  id: string;
  root: string;
  files: number;
  functions: number;
  entries: number;
  builtAt: string;
}

export type MemoryBuildResult =
  | (MemoryProgress & { kind: "built"; memory: MemoryInfo; encodedFunctions: number; capped: boolean; skipped: Partial<Record<SkipReason, number>>; millis: number })
  | (MemoryProgress & { kind: "empty"; message: string; skipped: Partial<Record<SkipReason, number>>; millis: number });

export type MemoryUpdateResult =
  | { kind: "updated"; removed: number; added: number; encoded: number; millis: number; memory: MemoryInfo }
  | { kind: "unchanged"; millis: number }
  | { kind: "no-memory" }
  | { kind: "not-included"; reason: string };

interface Documented {
  key: string;
  code: string;
  summary: string;
}

interface Active {
  memory: WorkspaceMemory;
  files: Map<string, MemoryFileEntry>;
  /** How many files hold each function key (identical functions share one record). */
  refs: Map<string, number>;
  info: MemoryInfo;
}

export class WorkspaceMemoryIndex {
  private active?: Active;
  /** Records of the saved file (before the first build) and of the last build: reused by key. */
  private known = new Map<string, MemoryRecord>();
  private knownFiles = new Map<string, MemoryFileEntry>();
  private readonly parsers = new ParserCache();
  private readonly queue = new SerialSaver(() => this.save());
  private readonly realRoot: string;
  private readonly path: string;
  readonly stamp: string;
  readonly stateProblem?: string;
  private readonly options: Required<WorkspaceMemoryOptions>;

  constructor(readonly root: string, private readonly model: MemoryModel, options: WorkspaceMemoryOptions) {
    this.options = {
      maxEntries: DEFAULT_MAX_ENTRIES,
      maxFileBytes: DEFAULT_MAX_FILE_BYTES,
      settings: DEFAULT_MEMORY_SETTINGS,
      outputAdapter: DEFAULT_OUTPUT_ADAPTER_SETTINGS,
      runBatch: (work) => work(model),
      ...options,
    };
    this.realRoot = realpathSync(root);
    this.stamp = makeStamp("memory", MEMORY_VERSION, options.manifestSha256, model.d);
    const folder = createHash("sha256").update(this.realRoot).digest("hex").slice(0, 24);
    this.path = join(options.cacheDir, folder, "memory.bin");
    const saved = readMemory(this.path, this.stamp);
    if ("problem" in saved) {
      if (saved.problem !== "no saved memory") this.stateProblem = saved.problem;
    } else if (saved.root !== this.realRoot) {
      this.stateProblem = "saved for another folder";
    } else {
      this.known = saved.records;
      this.knownFiles = saved.files;
    }
  }

  /** The memory to pass with summarize requests, once built. */
  get memory(): WorkspaceMemory | undefined {
    return this.active?.memory;
  }

  get info(): MemoryInfo | undefined {
    return this.active?.info;
  }

  /** The file's documented functions, as the corpus miner sees them. */
  private async documented(language: LanguageId, text: string, tree?: Tree): Promise<Documented[]> {
    const own = tree ? undefined : (await this.parsers.get(language)).parse(text);
    try {
      const out: Documented[] = [];
      for (const m of mineTree((tree ?? own)!, text, language, { labels: false }).mined) {
        const cleaned = cleanSummary(m.doc, m.style);
        if (!("summary" in cleaned)) continue;
        const key = createHash("sha256").update(`${language}\0${m.code}\0${cleaned.summary}`).digest("hex").slice(0, 32);
        out.push({ key, code: m.code, summary: cleaned.summary });
      }
      return out;
    } finally {
      own?.delete();
    }
  }

  private async record(language: LanguageId, fn: Documented): Promise<MemoryRecord> {
    const { states, tokens } = await this.options.runBatch((model) => model.summaryStates(language, fn.code, fn.summary));
    return makeRecord(states, tokens, this.model.d);
  }

  build(options: { force?: boolean; isCancelled?: () => boolean; onProgress?: (p: MemoryProgress) => void; progressEveryMs?: number; maxEntries?: number } = {}): Promise<MemoryBuildResult> {
    return this.queue.run(() => this.buildNow(options));
  }

  private async buildNow(options: { force?: boolean; isCancelled?: () => boolean; onProgress?: (p: MemoryProgress) => void; progressEveryMs?: number; maxEntries?: number }): Promise<MemoryBuildResult> {
    const started = performance.now();
    const cancelled = () => options.isCancelled?.() ?? false;
    const maxEntries = options.maxEntries ?? this.options.maxEntries;
    const reuse = options.force ? new Map<string, MemoryRecord>() : this.known;
    const reuseFiles = options.force ? new Map<string, MemoryFileEntry>() : this.knownFiles;
    const adapter = this.options.outputAdapter;
    const memory = new WorkspaceMemory(this.model.d, this.options.settings, adapter ? new OutputAdapter(this.model.d, adapter) : undefined);
    const files = new Map<string, MemoryFileEntry>();
    const refs = new Map<string, number>();
    const skipped: Partial<Record<SkipReason, number>> = {};
    const progress: MemoryProgress = { files: 0, functions: 0, entries: 0, reusedFunctions: 0, skippedFiles: 0 };
    let encodedFunctions = 0;
    let capped = false;
    let lastReport = 0;
    const report = (force = false) => {
      const now = performance.now();
      if (!options.onProgress || (!force && now - lastReport < (options.progressEveryMs ?? 100))) return;
      lastReport = now;
      options.onProgress({ ...progress });
    };
    const skip = (reason: SkipReason) => {
      skipped[reason] = (skipped[reason] ?? 0) + 1;
      progress.skippedFiles++;
    };
    walk: for await (const file of walkWorkspace(this.root, { maxFileBytes: this.options.maxFileBytes, onSkip: (_rel, reason) => skip(reason), isCancelled: cancelled })) {
      if (cancelled()) break;
      progress.file = file.rel;
      const before = reuseFiles.get(file.rel);
      let entry: MemoryFileEntry;
      let functions: Documented[] | undefined;
      if (before && before.size === file.size && before.mtimeMs === file.mtimeMs && before.keys.every((key) => reuse.has(key) || memory.has(key))) {
        entry = before; // unchanged since it was last read: no read, no parse
      } else {
        const read = await readSource(file.path, this.options.maxFileBytes);
        if ("skip" in read) {
          skip(read.skip);
          continue;
        }
        functions = await this.documented(file.language, read.text);
        entry = { size: read.size, mtimeMs: read.mtimeMs, keys: functions.map((f) => f.key) };
      }
      const records: [string, MemoryRecord][] = [];
      for (const [i, key] of entry.keys.entries()) {
        if (cancelled()) break walk;
        let record = memory.get(key) ?? reuse.get(key);
        if (record) progress.reusedFunctions++;
        else {
          record = await this.record(file.language, functions![i]);
          encodedFunctions++;
        }
        records.push([key, record]);
      }
      const added = records.reduce((n, [key, r]) => n + (memory.has(key) ? 0 : r.values.length), 0);
      if (progress.entries > 0 && progress.entries + added > maxEntries) {
        capped = true; // whole files only
        break;
      }
      for (const [key, record] of records) {
        memory.add(key, record);
        refs.set(key, (refs.get(key) ?? 0) + 1);
      }
      files.set(file.rel, entry);
      progress.entries = memory.size;
      progress.functions += entry.keys.length;
      progress.files++;
      report();
    }
    if (cancelled()) throw new CancelledBuildError();
    report(true);
    const millis = performance.now() - started;
    if (memory.functions === 0) {
      this.active = undefined;
      this.queue.cancelSave();
      removeMemory(this.path);
      return {
        kind: "empty", ...progress, skipped, millis,
        message: `Nothing to learn from: no documented functions were found in ${this.root}` +
          (progress.skippedFiles ? ` (${progress.skippedFiles} files skipped)` : "") + ".",
      };
    }
    this.active = this.activate(memory, files, refs, new Date().toISOString());
    this.known = new Map([...memory.keys()].map((key) => [key, memory.get(key)!]));
    this.knownFiles = files;
    this.queue.cancelSave();
    this.save();
    return { kind: "built", ...progress, memory: this.active.info, encodedFunctions, capped, skipped, millis };
  }

  private activate(memory: WorkspaceMemory, files: Map<string, MemoryFileEntry>, refs: Map<string, number>, builtAt: string): Active {
    const id = createHash("sha256").update([...memory.keys()].sort().join(",")).digest("hex").slice(0, 12);
    return { memory, files, refs, info: { id, root: this.root, files: files.size, functions: memory.functions, entries: memory.size, builtAt } };
  }

  /** A file was saved, created or deleted: its functions' records are replaced by the difference. */
  update(path: string, text?: string, tree?: Tree): Promise<MemoryUpdateResult> {
    return this.queue.run(() => this.updateNow(path, text, tree));
  }

  private async updateNow(path: string, text?: string, tree?: Tree): Promise<MemoryUpdateResult> {
    const started = performance.now();
    const active = this.active;
    if (!active) return { kind: "no-memory" };
    const file = await readChangedFile(this.root, path, { maxFileBytes: this.options.maxFileBytes, text, tree, realRoot: this.realRoot });
    if ("notIncluded" in file) return { kind: "not-included", reason: file.notIncluded };
    const { rel, language, exclusion, source } = file;
    const functions = source ? await this.documented(language, source.text, source.tree) : [];
    const old = active.files.get(rel);
    if (exclusion && !old) return { kind: "not-included", reason: exclusion };
    const oldKeys = old?.keys ?? [];
    const newKeys = functions.map((f) => f.key);
    if (oldKeys.length === newKeys.length && oldKeys.every((k, i) => k === newKeys[i])) {
      if (old && source) active.files.set(rel, { ...old, size: source.size, mtimeMs: source.mtimeMs });
      return { kind: "unchanged", millis: performance.now() - started };
    }
    // New records first (the slow part), then the swap, so a failure leaves the memory as it was.
    const fresh = new Map<string, MemoryRecord>();
    for (const fn of functions) {
      if (!active.memory.has(fn.key) && !fresh.has(fn.key)) fresh.set(fn.key, this.known.get(fn.key) ?? (await this.record(language, fn)));
    }
    // The new keys are counted before the old ones are released, so a function the save left
    // unchanged (in both lists) never drops to zero references and out of the memory.
    let added = 0;
    for (const key of newKeys) {
      active.refs.set(key, (active.refs.get(key) ?? 0) + 1);
      const record = fresh.get(key);
      if (record && !active.memory.has(key)) {
        active.memory.add(key, record);
        added++;
      }
    }
    let removed = 0;
    for (const key of oldKeys) {
      const left = (active.refs.get(key) ?? 1) - 1;
      if (left > 0) active.refs.set(key, left);
      else {
        active.refs.delete(key);
        if (active.memory.delete(key)) removed++;
      }
    }
    if (source) active.files.set(rel, { size: source.size, mtimeMs: source.mtimeMs, keys: newKeys });
    else active.files.delete(rel);
    if (active.memory.functions === 0) {
      this.active = undefined;
      this.queue.cancelSave();
      removeMemory(this.path);
      return { kind: "no-memory" };
    }
    this.active = this.activate(active.memory, active.files, active.refs, active.info.builtAt);
    this.queue.saveSoon();
    return { kind: "updated", removed, added, encoded: fresh.size, millis: performance.now() - started, memory: this.active.info };
  }

  private save(): void {
    const active = this.active;
    if (!active) return;
    const records = new Map([...active.memory.keys()].map((key) => [key, active.memory.get(key)!]));
    writeMemory(this.path, { stamp: this.stamp, root: this.realRoot, builtAt: active.info.builtAt, d: this.model.d, files: active.files, records });
  }

  /** Writes a pending save now. */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    await this.parsers.dispose();
  }
}
