import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { LSPErrorCodes, ResponseError, type CancellationToken } from "vscode-languageserver";
import type { Tree } from "web-tree-sitter";
import {
  ErrorCodes,
  type BuildWorkspaceAdapterParams,
  type BuildWorkspaceAdapterResult,
  type CodeAdaptErrorData,
} from "../../../common/src/protocol";
import type { WorkspaceAdapterKind } from "../../../common/src/settings";
import type { Deltas } from "../engine/adapters";
import type { LogitMemory } from "../engine/search";
import { SupersededError, type HostOptions, type ModelHost } from "../engine/modelHost";
import { generatorFiles, manifestSha256, WorkspaceGenerator } from "./generator";
import { OutputAdapter } from "./outputAdapter";
import { WorkspaceMemory } from "./memory";
import { CancelledBuildError, WorkspaceAdapter, type BuildProgress } from "./workspaceAdapter";
import { WorkspaceMemoryIndex, type MemoryModel, type MemoryProgress } from "./workspaceMemory";

/**
 * The language server's side of workspace adapters, independent of the LSP connection so it can
 * be tested without one. Per workspace folder, two kinds, each when the installed model allows it:
 *   - the workspace memory (workspaceMemory.ts), for models whose decoder returns its states:
 *     the folder's documented functions as a nearest-neighbour memory mixed into summaries, and
 *     the output-layer adapter made from the same states (outputAdapter.ts; the setting
 *     workspaceAdapter.kind picks which one summaries use);
 *   - the generated adapter (workspaceAdapter.ts), for models exported with a generator: deltas
 *     passed to summarize/refine.
 * Several folders are one of each: memories are the union of their records, generator states S
 * are summed (S is additive) and turned into deltas once.
 *
 * The model comes from the server's ModelHost: each encoder batch of a build runs as a
 * low-priority job on its queue, so summarize/refine wait at most one batch, and the build always
 * uses the sessions currently loaded. Nothing here runs at start-up; a saved adapter becomes
 * active on the next build (fast: every unchanged chunk comes from the cache).
 */
export interface WorkspaceServiceOptions {
  engine: ModelHost;
  hostOptions(): Promise<HostOptions>;
  /** Where workspace caches live, asked at each build (the extension's globalStorage; default ~/.cache/codeadapt/workspaces). */
  cacheDir?(): string | undefined;
  /** The token cap (a setting). */
  maxTokens?(): Promise<number | undefined>;
  log?(message: string): void;
}

export type ServiceBuildResult =
  | { kind: "built"; adapterId: string; files: number; tokens: number; functions: number; skippedFiles: number; millis: number; capped: boolean }
  | { kind: "empty"; message: string; skippedFiles: number; millis: number }
  | { kind: "no-generator"; message: string };

export interface ServiceProgress {
  message: string;
  progress: BuildProgress | MemoryProgress;
}

export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "codeadapt", "workspaces");
}

export class WorkspaceAdapters {
  private readonly adapters = new Map<string, { adapter: WorkspaceAdapter; cacheDir: string }>();
  private readonly memories = new Map<string, { index: WorkspaceMemoryIndex; cacheDir: string }>();
  private generator?: { dir: string; manifest: string; generator: WorkspaceGenerator };
  /** The model the open adapters and memories were made with. */
  private modelKey?: string;
  private combined?: { deltas: Deltas; id: string };
  private combinedMemory?: { memory: WorkspaceMemory; id: string };
  private building = 0;
  private batches = 0;

  constructor(private readonly options: WorkspaceServiceOptions) {}

  /** For codeadapt/status. */
  status(): { state: "none" | "building" | "ready"; id?: string } {
    const id = [this.combinedMemory?.id, this.combined?.id].filter(Boolean).join("+") || undefined;
    if (this.building > 0) return { state: "building", id };
    return id ? { state: "ready", id } : { state: "none" };
  }

  /** The active workspace adapter, to pass as `workspace` to summarize/refine. */
  deltas(): Deltas | undefined {
    return this.combined?.deltas;
  }

  /** The active workspace memory. */
  memory(): WorkspaceMemory | undefined {
    return this.combinedMemory?.memory;
  }

  /**
   * What summarize mixes in (`memory`), of the kind the settings ask for: the workspace memory, or
   * the output-layer adapter kept to its records.
   */
  forSummaries(kind: WorkspaceAdapterKind): LogitMemory | undefined {
    return kind === "weights" ? this.memory()?.adapter : this.memory();
  }

  /** Another model (folder or manifest) is installed: what was made with the old one closes. */
  private async modelChanged(host: HostOptions): Promise<void> {
    const key = `${host.dir}\0${manifestSha256(host.dir)}`;
    if (this.modelKey === key) return;
    if (this.modelKey !== undefined) {
      await this.closeAdapters();
      await this.closeMemories();
      this.combined = undefined;
      this.combinedMemory = undefined;
    }
    this.modelKey = key;
  }

  private async memoryFor(root: string, host: HostOptions): Promise<WorkspaceMemoryIndex> {
    const cacheDir = this.options.cacheDir?.() ?? defaultCacheDir();
    const open = this.memories.get(root);
    if (open?.cacheDir === cacheDir) return open.index;
    await open?.index.close();
    const model = await this.options.engine.get(host);
    const engine = this.options.engine;
    const memoryModel: MemoryModel = { d: model.seq2seq.contract.d_model, summaryStates: (l, c, s) => model.summaryStates(l, c, s) };
    const index = new WorkspaceMemoryIndex(root, memoryModel, {
      cacheDir,
      manifestSha256: manifestSha256(host.dir),
      // Each function is one low-priority job on the model queue, run by the model loaded then.
      runBatch: (work) => engine.run(`workspace-memory-${++this.batches}`, host, (m) => work({ d: m.seq2seq.contract.d_model, summaryStates: (l, c, s) => m.summaryStates(l, c, s) }), "low"),
    });
    if (index.stateProblem) this.options.log?.(`workspace memory for ${root} not used (${index.stateProblem}); it is rebuilt`);
    this.memories.set(root, { index, cacheDir });
    return index;
  }

  private async generatorFor(host: HostOptions): Promise<WorkspaceGenerator | undefined> {
    const manifest = manifestSha256(host.dir);
    if (this.generator && (this.generator.dir !== host.dir || this.generator.manifest !== manifest)) {
      // Another model: its adapters and generator no longer apply.
      await this.closeAdapters();
      await this.generator.generator.release();
      this.generator = undefined;
      this.combined = undefined;
    }
    if (!this.generator) {
      const files = generatorFiles(host.dir);
      if (!files) return undefined;
      const model = await this.options.engine.get(host);
      const generator = await WorkspaceGenerator.load(files, model.seq2seq.contract, [model.device], host.threads);
      this.generator = { dir: host.dir, manifest, generator };
    }
    return this.generator.generator;
  }

  private async adapterFor(root: string, host: HostOptions, generator: WorkspaceGenerator): Promise<WorkspaceAdapter> {
    const cacheDir = this.options.cacheDir?.() ?? defaultCacheDir();
    const open = this.adapters.get(root);
    if (open?.cacheDir === cacheDir) return open.adapter;
    await open?.adapter.close(); // the cache folder moved: reopen there
    const model = await this.options.engine.get(host);
    const engine = this.options.engine;
    const adapter = await WorkspaceAdapter.open(root, model, generator, {
      cacheDir,
      manifestSha256: this.generator!.manifest,
      runBatch: (work) => engine.run(`workspace-batch-${++this.batches}`, host, (m) => work(m.seq2seq), "low"),
    });
    if (adapter.stateProblem) this.options.log?.(`workspace adapter cache for ${root} not used (${adapter.stateProblem}); it is rebuilt`);
    this.adapters.set(root, { adapter, cacheDir });
    return adapter;
  }

  /**
   * Builds (or refreshes from the cache) the adapter of each folder; `folders` is the whole set, so
   * an adapter opened for a folder not listed closes and stops contributing. Throws
   * CancelledBuildError when cancelled: the adapter of the listed folders in use before stays in
   * use. Model load failures propagate.
   */
  async build(
    folders: string[],
    options: { force?: boolean; onProgress?: (p: ServiceProgress) => void; isCancelled?: () => boolean } = {},
  ): Promise<ServiceBuildResult> {
    const host = await this.options.hostOptions();
    this.building++;
    try {
      await this.modelChanged(host);
      const generator = await this.generatorFor(host);
      const model = await this.options.engine.get(host);
      const withMemory = !!model.seq2seq.contract.decoder_hidden && !model.disabledTasks.summarize;
      if (!generator && !withMemory) {
        return { kind: "no-generator", message: `The installed model (${host.dir}) supports no workspace adapter: it has no workspace generator, and its decoder does not return the states a workspace memory needs (re-export it).` };
      }
      await this.foldersRemoved([...new Set([...this.adapters.keys(), ...this.memories.keys()])].filter((root) => !folders.includes(root)));
      const started = performance.now();
      const totals = { files: 0, tokens: 0, functions: 0, skippedFiles: 0 };
      let capped = false;
      const empty: string[] = [];
      const maxTokens = await this.options.maxTokens?.();
      for (const root of folders) {
        let learned = false;
        const base = { ...totals };
        if (withMemory) {
          const index = await this.memoryFor(root, host);
          const result = await index.build({
            force: options.force,
            isCancelled: options.isCancelled,
            onProgress: (p) => options.onProgress?.({
              message: `${base.files + p.files} files, ${base.functions + p.functions} documented functions${p.file ? ` (${p.file})` : ""}`,
              progress: p,
            }),
            progressEveryMs: 250,
          });
          totals.skippedFiles += result.skippedFiles;
          if (result.kind === "built") {
            learned = true;
            totals.files = Math.max(totals.files, base.files + result.files);
            totals.functions += result.functions;
            capped ||= result.capped;
          } else empty.push(result.message);
        }
        if (generator) {
          const adapter = await this.adapterFor(root, host, generator);
          const result = await adapter.build({
            force: options.force,
            isCancelled: options.isCancelled,
            onProgress: (p) => options.onProgress?.({
              message: `${base.files + p.files} files, ${base.tokens + p.tokens} tokens${p.file ? ` (${p.file})` : ""}`,
              progress: p,
            }),
            progressEveryMs: 250,
            maxTokens,
          });
          if (!withMemory) totals.skippedFiles += result.skippedFiles;
          if (result.kind === "built") {
            learned = true;
            totals.files = Math.max(totals.files, base.files + result.files);
            totals.tokens += result.tokens;
            capped ||= result.capped;
          } else if (!withMemory) empty.push(result.message);
        }
        if (!learned && withMemory && generator) empty.push(`(and no source to generate an adapter from in ${root})`);
      }
      await this.recombine();
      const millis = performance.now() - started;
      const id = this.status().id;
      if (!id) {
        return { kind: "empty", message: empty.join(" ") || "Nothing to learn from: no workspace folder is open.", skippedFiles: totals.skippedFiles, millis };
      }
      return { kind: "built", adapterId: id, ...totals, millis, capped };
    } finally {
      this.building--;
    }
  }

  /**
   * A document was saved: update the adapter of its folder, when one is built. Never throws.
   * `tree` (the document's current tree) is owned by this call and deleted when done: pass a
   * copy (`tree.copy()`) of a tree the caller keeps, since the update may run later (queued).
   */
  async didSave(path: string, text?: string, tree?: Tree): Promise<void> {
    try {
      const holds = (root: string) => {
        const rel = relative(root, path);
        return !!rel && !rel.startsWith("..") && !rel.startsWith(sep);
      };
      const index = [...this.memories.values()].map((m) => m.index).find((i) => holds(i.root));
      const memoryResult = index?.memory ? await index.update(path, text, tree) : undefined;
      const adapter = this.openAdapters().find((a) => holds(a.root));
      const result = adapter?.deltas ? await adapter.update(path, text, tree) : undefined;
      const changed = (kind?: string) => kind === "updated" || kind === "no-adapter" || kind === "no-memory";
      if (changed(memoryResult?.kind) || changed(result?.kind)) await this.recombine();
    } catch (error) {
      this.options.log?.(`workspace adapter update after saving ${path} failed: ${(error as Error).message}`);
    } finally {
      tree?.delete();
    }
  }

  /**
   * Workspace folders were removed from the window: their adapters close and stop contributing
   * (S is additive, so the rest is the sum without them). Added folders join at the next build or
   * save. Never throws.
   */
  async foldersRemoved(roots: string[]): Promise<void> {
    try {
      let changed = false;
      for (const root of roots) {
        const open = this.adapters.get(root);
        const memory = this.memories.get(root);
        this.adapters.delete(root);
        this.memories.delete(root);
        await open?.adapter.close();
        await memory?.index.close();
        changed ||= !!open || !!memory;
      }
      if (changed) await this.recombine();
    } catch (error) {
      this.options.log?.(`workspace adapter update after folders were removed failed: ${(error as Error).message}`);
    }
  }

  private async recombine(): Promise<void> {
    await this.recombineNow();
    await this.prepareWeights();
  }

  /** The output-layer adapter's factorisation made now, as a low-priority job, not by the next summary. */
  private async prepareWeights(): Promise<void> {
    const adapter = this.combinedMemory?.memory.adapter;
    if (!adapter) return;
    const host = await this.options.hostOptions();
    try {
      await this.options.engine.run("workspace-weights", host, (m) => adapter.prepare(m.seq2seq.memoryKernels?.matmul), "low");
    } catch (error) {
      if (!(error instanceof SupersededError)) throw error; // a newer change queued its own
    }
  }

  private async recombineNow(): Promise<void> {
    const memories = [...this.memories.values()].map((m) => m.index).filter((i) => i.memory);
    if (memories.length === 0) this.combinedMemory = undefined;
    else if (memories.length === 1) this.combinedMemory = { memory: memories[0].memory!, id: memories[0].info!.id };
    else {
      const first = memories[0].memory!;
      const union = new WorkspaceMemory(first.d, first.settings, first.adapter && new OutputAdapter(first.d, first.adapter.settings));
      for (const index of memories) for (const key of index.memory!.keys()) union.add(key, index.memory!.get(key)!);
      const id = createHash("sha256").update(memories.map((i) => i.info!.id).join(",")).digest("hex").slice(0, 12);
      this.combinedMemory = { memory: union, id };
    }
    const built = this.openAdapters().filter((a) => a.deltas);
    if (built.length === 0) {
      this.combined = undefined;
    } else if (built.length === 1) {
      this.combined = { deltas: built[0].deltas!, id: built[0].info!.id };
    } else {
      const sum = new Float64Array(this.generator!.generator.stateSize);
      for (const adapter of built) adapter.stateSnapshot()!.forEach((x, i) => (sum[i] += x));
      const id = createHash("sha256").update(built.map((a) => a.info!.id).join(",")).digest("hex").slice(0, 12);
      this.combined = { deltas: await this.generator!.generator.deltas(sum), id };
    }
  }

  private openAdapters(): WorkspaceAdapter[] {
    return [...this.adapters.values()].map((open) => open.adapter);
  }

  private async closeMemories(): Promise<void> {
    for (const { index } of this.memories.values()) await index.close();
    this.memories.clear();
  }

  private async closeAdapters(): Promise<void> {
    for (const { adapter } of this.adapters.values()) await adapter.close();
    this.adapters.clear();
  }

  async dispose(): Promise<void> {
    await this.closeAdapters();
    await this.closeMemories();
    this.combinedMemory = undefined;
    await this.generator?.generator.release();
    this.generator = undefined;
    this.combined = undefined;
  }
}

/**
 * codeadapt/buildWorkspaceAdapter on top of the service (the handler checks trust and the model
 * first): the result the protocol describes, or a ResponseError a client can show —
 * RequestCancelled (the previous adapter stays), NothingSelected ("Nothing to learn from: ..."),
 * RuntimeUnavailable (the model has no generator), ModelInvalid (the model failed to run).
 */
export async function buildForRequest(
  service: WorkspaceAdapters,
  folders: string[],
  params: BuildWorkspaceAdapterParams,
  report: (message: string) => void,
  token: CancellationToken,
): Promise<BuildWorkspaceAdapterResult> {
  const wanted = params.folders?.length ? params.folders.map(toPath) : folders;
  if (wanted.length === 0) {
    throw new ResponseError<CodeAdaptErrorData>(ErrorCodes.NothingSelected, "Nothing to learn from: no workspace folder is open.");
  }
  let result: ServiceBuildResult;
  try {
    report(`reading ${wanted.length === 1 ? wanted[0] : `${wanted.length} folders`}`);
    result = await service.build(wanted, {
      force: params.force,
      isCancelled: () => token.isCancellationRequested,
      onProgress: (p) => report(p.message),
    });
  } catch (error) {
    if (error instanceof CancelledBuildError) throw new ResponseError(LSPErrorCodes.RequestCancelled, error.message);
    if (error instanceof ResponseError) throw error;
    throw new ResponseError<CodeAdaptErrorData>(ErrorCodes.ModelInvalid, `The workspace adapter could not be built: ${(error as Error).message}`);
  }
  if (result.kind === "no-generator") throw new ResponseError<CodeAdaptErrorData>(ErrorCodes.RuntimeUnavailable, result.message);
  if (result.kind === "empty") throw new ResponseError<CodeAdaptErrorData>(ErrorCodes.NothingSelected, result.message, { detail: `${result.skippedFiles} files skipped` });
  return { adapterId: result.adapterId, files: result.files, tokens: result.tokens, functions: result.functions, skippedFiles: result.skippedFiles, millis: Math.round(result.millis) };
}

/** A workspace folder URI (file:) or path, as a path. */
export function toPath(uriOrPath: string): string {
  return uriOrPath.startsWith("file:") ? fileURLToPath(uriOrPath) : uriOrPath;
}
