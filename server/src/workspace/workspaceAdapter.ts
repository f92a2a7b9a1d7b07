import { createHash } from "node:crypto";
import { realpathSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Tree } from "web-tree-sitter";
import type { Deltas } from "../engine/adapters";
import type { Seq2SeqModel } from "../engine/seq2seq";
import type { LanguageId } from "../parsing/languages";
import type { Tokenizer } from "../../../training/tokenizer/bpe";
import { readChangedFile } from "./changedFile";
import { chunkKey, chunkTexts, DEFAULT_CHUNK_TOKENS, tokenizeChunk, type Chunk } from "./chunks";
import type { WorkspaceGenerator } from "./generator";
import { ParserCache } from "./parserCache";
import { SerialSaver } from "./serialSaver";
import { ContributionPack, makeStamp, readState, STORE_VERSION, writeState, type FileEntry, type StoredState } from "./store";
import { DEFAULT_MAX_FILE_BYTES, readSource, walkWorkspace, type SkipReason } from "./walk";

/**
 * One workspace folder's generated adapter: the streaming build, the per-chunk contribution
 * cache, incremental updates on save, and the state kept on disk between sessions.
 *
 * build():  walk the folder (walk.ts) -> per file, chunk texts (chunks.ts) -> per chunk, its
 *           contribution from the cache (store.ts) or from encoder + generator in small batches
 *           -> S += contribution. Memory holds one batch, the state, and per file its chunk keys:
 *           never the chunks or contributions of the workspace.
 *           Cancellation is checked between files and between batches; a cancelled build leaves
 *           the previous adapter (in memory and on disk) in use. Only complete builds are saved.
 * update(): a saved file's chunks are extracted again; S -= contributions of chunks that are
 *           gone, S += those that are new (computed only when not cached); deltas are recomputed.
 *           Exact: S is kept in float64 and contributions are the same stored float32 values a
 *           full rebuild adds.
 */
export interface WorkspaceModel {
  tokenizer: Tokenizer;
  seq2seq: Seq2SeqModel;
}

export interface WorkspaceAdapterOptions {
  /** Folder for this server's workspace caches (e.g. the extension's globalStorage). */
  cacheDir: string;
  /** sha256 of the model's manifest.json: a cache made with another model is never used. */
  manifestSha256: string;
  /** Stop learning once this many tokens are in (a setting). */
  maxTokens?: number;
  maxFileBytes?: number;
  chunkTokens?: number;
  /** Encoder batch: at most this many windows, and this many padded tokens. */
  batchWindows?: number;
  batchTokens?: number;
  /**
   * Runs one encoder batch. The language server passes its model queue here (low priority), so
   * a long build yields to summarize/refine between batches and always uses the loaded sessions.
   * Default: runs at once on `model.seq2seq`.
   */
  runBatch?: <T>(work: (seq2seq: Seq2SeqModel) => Promise<T>) => Promise<T>;
}

export const DEFAULT_MAX_TOKENS = 2_000_000;

export interface BuildProgress {
  files: number;
  tokens: number;
  chunks: number;
  /** Chunks whose contribution came from the cache. */
  cachedChunks: number;
  skippedFiles: number;
  file?: string;
}

export interface BuildOptions {
  /** Forget cached contributions and encode everything again. */
  force?: boolean;
  onProgress?: (progress: BuildProgress) => void;
  isCancelled?: () => boolean;
  /** Minimum milliseconds between progress reports (the last one is always sent). */
  progressEveryMs?: number;
  /** This build's token cap (the setting as it is now), instead of the one given at open. */
  maxTokens?: number;
}

export interface AdapterInfo {
  id: string;
  root: string;
  files: number;
  tokens: number;
  chunks: number;
  builtAt: string;
}

export type BuildResult =
  | (BuildProgress & {
      kind: "built";
      adapter: AdapterInfo;
      encodedChunks: number;
      skipped: Partial<Record<SkipReason, number>>;
      /** The token cap stopped the walk early (at a file boundary). */
      capped: boolean;
      millis: number;
    })
  | (BuildProgress & { kind: "empty"; message: string; skipped: Partial<Record<SkipReason, number>>; millis: number });

export type UpdateResult =
  | { kind: "updated"; removed: number; added: number; encoded: number; millis: number; adapter: AdapterInfo }
  | { kind: "unchanged"; millis: number }
  | { kind: "no-adapter" }
  | { kind: "not-included"; reason: string };

export class CancelledBuildError extends Error {
  constructor() {
    super("workspace adapter build cancelled; the previous adapter (if any) stays in use");
  }
}

interface Pending {
  chunk: Chunk;
  count: number;
}

interface Active {
  state: Float64Array;
  files: Map<string, FileEntry>;
  deltas: Deltas;
  info: AdapterInfo;
}

export class WorkspaceAdapter {
  private active?: Active;
  private readonly parsers = new ParserCache();
  private readonly queue = new SerialSaver(() => this.active && this.save(this.active));
  private readonly pack: ContributionPack;
  private readonly folder: string;
  private readonly realRoot: string;
  readonly stamp: string;
  /** Why the saved state was not loaded at open, when there was one and it was not used. */
  readonly stateProblem?: string;
  private building = false;

  private constructor(
    readonly root: string,
    private readonly model: WorkspaceModel,
    private readonly generator: WorkspaceGenerator,
    private readonly options: Required<WorkspaceAdapterOptions>,
  ) {
    this.stamp = makeStamp(STORE_VERSION, options.manifestSha256, generator.sha256, options.chunkTokens);
    const real = realpathSync(root);
    this.realRoot = real;
    this.folder = join(options.cacheDir, createHash("sha256").update(real).digest("hex").slice(0, 24));
    this.pack = new ContributionPack(join(this.folder, "contributions.pack"), this.stamp, generator.stateSize);
    const saved = readState(this.statePath, this.stamp, generator.stateSize);
    if ("problem" in saved) {
      if (saved.problem !== "no saved state") this.stateProblem = saved.problem;
    } else if (saved.root !== real) {
      this.stateProblem = "saved for another folder";
    } else {
      this.savedState = saved;
    }
  }

  private savedState?: StoredState;

  private get statePath(): string {
    return join(this.folder, "state.bin");
  }

  /**
   * Opens the workspace's cache; a valid saved state becomes the active adapter at once
   * (its deltas are recomputed from S), anything else is ignored and rebuilt on the next build.
   */
  static async open(root: string, model: WorkspaceModel, generator: WorkspaceGenerator, options: WorkspaceAdapterOptions): Promise<WorkspaceAdapter> {
    const adapter = new WorkspaceAdapter(root, model, generator, {
      maxTokens: DEFAULT_MAX_TOKENS,
      maxFileBytes: DEFAULT_MAX_FILE_BYTES,
      chunkTokens: DEFAULT_CHUNK_TOKENS,
      batchWindows: 8,
      batchTokens: 2048,
      runBatch: (work) => work(model.seq2seq),
      ...options,
    });
    const saved = adapter.savedState;
    adapter.savedState = undefined;
    if (saved) {
      adapter.active = await adapter.activate(saved.state, saved.files, saved.tokens, saved.chunks, saved.builtAt);
    }
    return adapter;
  }

  /** The active adapter's deltas, to pass as `workspace` to summarize/refine. */
  get deltas(): Deltas | undefined {
    return this.active?.deltas;
  }

  get info(): AdapterInfo | undefined {
    return this.active?.info;
  }

  get isBuilding(): boolean {
    return this.building;
  }

  /** A copy of the current state S (tests, benchmarks). */
  stateSnapshot(): Float64Array | undefined {
    return this.active && Float64Array.from(this.active.state);
  }

  private async activate(state: Float64Array, files: Map<string, FileEntry>, tokens: number, chunks: number, builtAt: string): Promise<Active> {
    const deltas = await this.generator.deltas(state);
    const id = createHash("sha256").update(Buffer.from(Float32Array.from(state).buffer)).digest("hex").slice(0, 12);
    return { state, files, deltas, info: { id, root: this.root, files: files.size, tokens, chunks, builtAt } };
  }

  build(options: BuildOptions = {}): Promise<BuildResult> {
    return this.queue.run(() => this.buildNow(options));
  }

  private async buildNow(options: BuildOptions): Promise<BuildResult> {
    const started = performance.now();
    const cancelled = () => options.isCancelled?.() ?? false;
    const { maxFileBytes, chunkTokens } = this.options;
    const maxTokens = options.maxTokens ?? this.options.maxTokens;
    // A forced build recomputes every chunk but keeps the pack until it completes: the adapter in
    // use (if the build is cancelled) still finds its contributions there for later updates.
    const cache = options.force ? undefined : this.pack;
    const previous = options.force ? new Map<string, FileEntry>() : this.active?.files ?? new Map<string, FileEntry>();
    const state = new Float64Array(this.generator.stateSize);
    const files = new Map<string, FileEntry>();
    const pending = new Map<string, Pending>();
    const skipped: Partial<Record<SkipReason, number>> = {};
    const progress: BuildProgress = { files: 0, tokens: 0, chunks: 0, cachedChunks: 0, skippedFiles: 0 };
    let pendingTokens = 0;
    let encodedChunks = 0;
    let capped = false;
    let lastReport = 0;
    const report = (force = false) => {
      const now = performance.now();
      if (!options.onProgress || (!force && now - lastReport < (options.progressEveryMs ?? 100))) return;
      lastReport = now;
      options.onProgress({ ...progress });
    };
    const skip = (_rel: string, reason: SkipReason) => {
      skipped[reason] = (skipped[reason] ?? 0) + 1;
      progress.skippedFiles++;
    };
    const flush = async () => {
      encodedChunks += await this.encodePending(pending, state, cancelled);
      pending.clear();
      pendingTokens = 0;
    };
    this.building = true;
    try {
      for await (const file of walkWorkspace(this.root, { maxFileBytes, onSkip: skip, isCancelled: cancelled })) {
        if (cancelled()) break;
        progress.file = file.rel;
        // The file's chunks: keys, and for each either its cached token count or its new tokens.
        const before = previous.get(file.rel);
        let size = file.size;
        let mtimeMs = file.mtimeMs;
        let items: { key: string; chunk?: Chunk; tokens: number }[] | undefined;
        if (before && before.size === file.size && before.mtimeMs === file.mtimeMs && before.keys.every((key) => pending.has(key) || cache?.has(key))) {
          // Unchanged since the last build: no read, no parse; contributions come from the cache.
          items = before.keys.map((key) => ({ key, tokens: pending.get(key)?.chunk.tokens ?? cache!.tokensOf(key)! }));
        } else {
          const read = await readSource(file.path, maxFileBytes);
          if ("skip" in read) {
            skip(file.rel, read.skip);
            continue;
          }
          size = read.size;
          mtimeMs = read.mtimeMs;
          items = chunkTexts(await this.parsers.get(file.language), read.text).map(({ text }) => {
            const key = chunkKey(file.language, chunkTokens, text);
            const known = pending.get(key)?.chunk.tokens ?? cache?.tokensOf(key);
            if (known !== undefined) return { key, tokens: known };
            const chunk = tokenizeChunk(this.model.tokenizer, file.language, text, chunkTokens);
            return { key, chunk, tokens: chunk.tokens };
          });
        }
        const fileTokens = items.reduce((n, item) => n + item.tokens, 0);
        if (progress.tokens > 0 && progress.tokens + fileTokens > maxTokens) {
          capped = true; // whole files only: the cap never leaves a file half in
          break;
        }
        const entry: FileEntry = { size, mtimeMs, keys: items.map((item) => item.key), tokens: fileTokens };
        for (const item of items) {
          let waiting = pending.get(item.key);
          const cached = waiting ? undefined : cache?.get(item.key);
          if (cached) {
            add(state, cached.values, 1);
            progress.cachedChunks++;
          } else {
            if (!waiting) {
              // Not cached (or its record turned out damaged): encode it in this build.
              const chunk = item.chunk ?? (await this.rechunk(file.path, file.language, item.key));
              if (!chunk) throw new Error(`${file.rel} changed while its cached contributions were read; build again`);
              waiting = { chunk, count: 0 };
              pending.set(item.key, waiting);
              pendingTokens += chunk.tokens;
            }
            waiting.count++;
          }
          progress.chunks++;
        }
        progress.tokens += fileTokens;
        progress.files++;
        files.set(file.rel, entry);
        if (pendingTokens >= this.options.batchTokens * 2) await flush();
        report();
      }
      if (cancelled()) throw new CancelledBuildError();
      await flush();
      if (cancelled()) throw new CancelledBuildError();
    } finally {
      this.building = false;
    }
    report(true);
    const millis = performance.now() - started;
    if (progress.chunks === 0) {
      this.active = undefined;
      this.queue.cancelSave();
      this.removeSavedState();
      return {
        kind: "empty",
        ...progress,
        skipped,
        millis,
        message: `Nothing to learn from: no Python, JavaScript, TypeScript, Java or Go source files were found in ${this.root}` +
          (progress.skippedFiles ? ` (${progress.skippedFiles} skipped: ${describeSkips(skipped)})` : "") + ".",
      };
    }
    const builtAt = new Date().toISOString();
    const active = await this.activate(state, files, progress.tokens, progress.chunks, builtAt);
    this.queue.cancelSave();
    this.save(active);
    this.active = active;
    const live = new Set<string>();
    for (const entry of files.values()) for (const key of entry.keys) live.add(key);
    if (this.pack.records > 2 * live.size + 1000) this.pack.compact(live);
    return { kind: "built", ...progress, adapter: active.info, encodedChunks, skipped, capped, millis };
  }

  /** The file's chunk texts with their cache keys. */
  private async chunksOf(language: LanguageId, text: string, tree?: Tree): Promise<{ key: string; text: string }[]> {
    return chunkTexts(await this.parsers.get(language), text, tree).map((c) => ({ key: chunkKey(language, this.options.chunkTokens, c.text), text: c.text }));
  }

  /** The chunk with `key` in a file as it is on disk now (a damaged cache record is recomputed from it). */
  private async rechunk(path: string, language: LanguageId, key: string): Promise<Chunk | undefined> {
    const read = await readSource(path, this.options.maxFileBytes);
    if ("skip" in read) return undefined;
    const text = (await this.chunksOf(language, read.text)).find((c) => c.key === key)?.text;
    return text === undefined ? undefined : tokenizeChunk(this.model.tokenizer, language, text, this.options.chunkTokens);
  }

  /** Encodes pending chunks in length-sorted batches, stores their contributions, adds them to S. */
  private async encodePending(pending: Map<string, Pending>, state: Float64Array, cancelled: () => boolean): Promise<number> {
    if (pending.size === 0) return 0;
    const windows: { key: string; ids: number[] }[] = [];
    for (const [key, p] of pending) for (const ids of p.chunk.windows) windows.push({ key, ids });
    windows.sort((a, b) => a.ids.length - b.ids.length);
    const sums = new Map<string, Float64Array>();
    const left = new Map<string, number>();
    for (const [key, p] of pending) left.set(key, p.chunk.windows.length);
    let done = 0;
    for (let at = 0; at < windows.length; ) {
      if (cancelled()) throw new CancelledBuildError();
      let end = at + 1;
      while (end < windows.length && end - at < this.options.batchWindows && (end - at + 1) * windows[end].ids.length <= this.options.batchTokens) end++;
      const batch = windows.slice(at, end);
      const contributions = await this.options.runBatch(async (seq2seq) =>
        this.generator.chunkContributions(await seq2seq.encodeContext(batch.map((w) => w.ids))));
      batch.forEach((w, i) => {
        let sum = sums.get(w.key);
        if (!sum) sums.set(w.key, (sum = new Float64Array(this.generator.stateSize)));
        add(sum, contributions[i], 1);
        const remaining = left.get(w.key)! - 1;
        left.set(w.key, remaining);
        if (remaining === 0) {
          const p = pending.get(w.key)!;
          const values = Float32Array.from(sum);
          this.pack.append(w.key, p.chunk.tokens, values);
          add(state, values, p.count);
          sums.delete(w.key);
          done++;
        }
      });
      at = end;
    }
    return done;
  }

  /**
   * A file was saved (or changed on disk): its chunks are extracted again and the state is
   * updated by the difference. `text` is the saved content when the caller has it, and `tree`
   * its current tree-sitter tree (open documents keep one up to date), which saves a parse.
   */
  update(path: string, text?: string, tree?: Tree): Promise<UpdateResult> {
    return this.queue.run(() => this.updateNow(path, text, tree));
  }

  private async updateNow(path: string, text?: string, tree?: Tree): Promise<UpdateResult> {
    const started = performance.now();
    const active = this.active;
    if (!active) return { kind: "no-adapter" };
    const file = await readChangedFile(this.root, path, { maxFileBytes: this.options.maxFileBytes, text, tree, realRoot: this.realRoot });
    if ("notIncluded" in file) return { kind: "not-included", reason: file.notIncluded };
    const { rel, language, exclusion, source } = file;
    const newTexts = source ? await this.chunksOf(language, source.text, source.tree) : [];
    const old = active.files.get(rel);
    if (exclusion && !old) return { kind: "not-included", reason: exclusion };
    // Multiset difference between the file's old and new chunk keys.
    const counts = new Map<string, number>();
    for (const key of old?.keys ?? []) counts.set(key, (counts.get(key) ?? 0) - 1);
    for (const { key } of newTexts) counts.set(key, (counts.get(key) ?? 0) + 1);
    const state = Float64Array.from(active.state);
    let removed = 0;
    let added = 0;
    const pending = new Map<string, Pending>();
    const tokensOf = new Map<string, number>();
    for (const { key, text: chunkText } of newTexts) {
      if (tokensOf.has(key)) continue;
      const cachedTokens = this.pack.tokensOf(key);
      if (cachedTokens !== undefined) tokensOf.set(key, cachedTokens);
      else {
        const chunk = tokenizeChunk(this.model.tokenizer, language, chunkText, this.options.chunkTokens);
        pending.set(key, { chunk, count: Math.max(0, counts.get(key) ?? 0) });
        tokensOf.set(key, chunk.tokens);
      }
    }
    for (const [key, delta] of counts) {
      if (delta === 0 || (pending.has(key) && delta > 0)) continue;
      const cached = pending.has(key) ? undefined : this.pack.get(key);
      if (!cached) throw new Error(`workspace adapter cache lost the contribution of a chunk of ${rel}; rebuild the adapter`);
      add(state, cached.values, delta);
      if (delta < 0) removed -= delta;
      else added += delta;
    }
    for (const p of pending.values()) added += p.count;
    const tokens = newTexts.reduce((n, t) => n + tokensOf.get(t.key)!, 0);
    if (removed === 0 && added === 0 && pending.size === 0) {
      if (old && source) active.files.set(rel, { ...old, size: source.size, mtimeMs: source.mtimeMs });
      return { kind: "unchanged", millis: performance.now() - started };
    }
    const encoded = await this.encodePending(pending, state, () => false);
    const files = new Map(active.files);
    if (source) files.set(rel, { size: source.size, mtimeMs: source.mtimeMs, keys: newTexts.map((t) => t.key), tokens });
    else files.delete(rel);
    const totalTokens = active.info.tokens - (old?.tokens ?? 0) + (exclusion ? 0 : tokens);
    const totalChunks = active.info.chunks - (old?.keys.length ?? 0) + newTexts.length;
    if (totalChunks === 0) {
      this.active = undefined;
      this.queue.cancelSave();
      this.removeSavedState();
      return { kind: "no-adapter" };
    }
    const next = await this.activate(state, files, totalTokens, totalChunks, active.info.builtAt);
    this.active = next;
    this.queue.saveSoon();
    return { kind: "updated", removed, added, encoded, millis: performance.now() - started, adapter: next.info };
  }

  private save(active: Active): void {
    writeState(this.statePath, {
      stamp: this.stamp,
      root: realpathSync(this.root),
      tokens: active.info.tokens,
      chunks: active.info.chunks,
      builtAt: active.info.builtAt,
      files: active.files,
      state: active.state,
    });
  }

  private removeSavedState(): void {
    try {
      rmSync(this.statePath, { force: true });
    } catch {
      /* nothing saved */
    }
  }

  /** Writes a pending state now (after updates; builds save at once). */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    await this.parsers.dispose();
    this.pack.close();
  }
}

function add(target: Float64Array, values: Float32Array, times: number): void {
  for (let i = 0; i < target.length; i++) target[i] += times * values[i];
}

function describeSkips(skipped: Partial<Record<SkipReason, number>>): string {
  return Object.entries(skipped).map(([reason, n]) => `${n} ${reason}`).join(", ");
}
