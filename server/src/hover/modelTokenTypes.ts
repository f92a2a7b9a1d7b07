import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Range } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { DocumentTrees } from "../documents/documentTrees";
import type { CodeModel } from "../engine/codeModel";
import { SupersededError, type HostOptions, type ModelHost } from "../engine/modelHost";
import { predictionAt, predictTokenTypes, type TokenTypeWindow } from "../engine/tokenTypes";
import { functionAt } from "../functions/functionAt";
import { checkModel } from "../model/modelManifest";
import type { Label } from "../labeler/labels";

/**
 * The model's token types (the NER adapters' TTC head) for hover, computed ahead of the hover:
 *
 * - The client reports what is visible (codeadapt/visibleRanges); the visible region, extended to
 *   the whole functions it cuts through when that still fits the model's 511 tokens, is encoded in
 *   the background, through the model host's queue at low priority (summarize/refine go first).
 * - Results are cached per document version. An edit drops them and recomputes the visible region
 *   after a quiet period (never per keystroke); a hover that finds nothing for its version asks
 *   for just the function around it, and waits at most `waitMs` before answering without it.
 * - Only when the installed model verifies and its manifest names an NER adapter; otherwise hover
 *   stays AST-only, silently, and the model is never loaded for it.
 */
export type ModelAnswer =
  | { kind: "prediction"; label: Label; confidence: number }
  | { kind: "pending" };

export interface ModelTokenTypesOptions {
  /** Longest a hover waits for a prediction of its document version. */
  waitMs: number;
  /** Quiet period after an edit before the visible region is recomputed. */
  editDebounceMs: number;
  /** Cached windows kept per document (the visible region and a few hover windows). */
  maxWindows: number;
  /**
   * Token budget of a window computed for a hover that found nothing cached (right after an
   * edit): the function around it when it fits, else its line. Small, so it answers in time.
   */
  hoverWindowTokens: number;
}

export const DEFAULT_MODEL_HOVER_OPTIONS: ModelTokenTypesOptions = {
  waitMs: Number(process.env.CODEADAPT_HOVER_MODEL_WAIT_MS ?? 100),
  editDebounceMs: 300,
  maxWindows: 6,
  hoverWindowTokens: 160,
};

interface Computation {
  start: number;
  end: number;
  promise: Promise<void>;
}

interface DocumentState {
  /** The visible ranges the client last reported. */
  visible: Range[];
  /** Version the windows and computations below belong to. */
  version: number;
  windows: TokenTypeWindow[];
  running: Computation[];
  timer?: NodeJS.Timeout;
}

export interface ModelTokenTypesContext {
  engine: ModelHost;
  trees: DocumentTrees;
  document(uri: string): TextDocument | undefined;
  /** Host options of the current settings. */
  hostOptions(): Promise<HostOptions>;
  log(message: string): void;
}

export class ModelTokenTypes {
  private readonly states = new Map<string, DocumentState>();
  /**
   * Per model folder: does it verify and carry an NER adapter? Cleared when settings change; a
   * "no" is checked again after a while (a model installed into the folder is picked up).
   */
  private readonly usable = new Map<string, Promise<boolean>>();
  private readonly checkedAt = new Map<string, number>();
  private readonly options: ModelTokenTypesOptions;
  /** Windows computed, for tests and the status log. */
  computed = 0;

  constructor(private readonly context: ModelTokenTypesContext, options: Partial<ModelTokenTypesOptions> = {}) {
    this.options = { ...DEFAULT_MODEL_HOVER_OPTIONS, ...options };
  }

  /** The client's visible ranges for a document: compute them in the background. */
  setVisible(uri: string, ranges: Range[]): void {
    const state = this.state(uri);
    if (!state) return;
    state.visible = ranges;
    void this.computeVisible(uri);
  }

  /** A document changed: its predictions are stale; recompute the visible region after a quiet period. */
  changed(uri: string): void {
    // Opened or edited: check (once per model folder) whether a model can answer, ahead of the first hover.
    void this.isUsable().catch(() => undefined);
    const state = this.states.get(uri);
    if (!state) return;
    clearTimeout(state.timer);
    if (state.visible.length === 0) return;
    state.timer = setTimeout(() => void this.computeVisible(uri), this.options.editDebounceMs);
    state.timer.unref?.();
  }

  closed(uri: string): void {
    const state = this.states.get(uri);
    clearTimeout(state?.timer);
    this.states.delete(uri);
  }

  /** Settings changed (model folder, providers): forget what is cached. */
  reset(): void {
    this.usable.clear();
    this.checkedAt.clear();
    for (const state of this.states.values()) {
      state.windows = [];
      state.running = [];
      state.version = -1;
    }
  }

  /**
   * The model's answer for the token at `offset` of the document's current version: a prediction,
   * "pending" when none is ready within `waitMs`, or undefined (no usable model, or no token there).
   */
  async at(document: TextDocument, offset: number): Promise<ModelAnswer | undefined> {
    // The first check of a model folder hashes its files: never hold a hover on it.
    const usable = await Promise.race([this.isUsable(), delay(Math.max(100, this.options.waitMs)).then(() => false)]);
    if (!usable) return undefined;
    const state = this.state(document.uri);
    if (!state || document.version !== state.version) return { kind: "pending" };
    const found = this.lookup(state, offset);
    if (found !== "none") return found;
    let computation = state.running.find((c) => c.start <= offset && offset < c.end);
    if (!computation) {
      const line = lineBounds(document.getText(), offset);
      computation = this.compute(document.uri, state, line.start, line.end, "hover");
    }
    if (!computation) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((done) => (timer = setTimeout(done, this.options.waitMs)));
    await Promise.race([computation.promise, timeout]);
    clearTimeout(timer);
    if (document.version !== state.version) return { kind: "pending" };
    const after = this.lookup(state, offset);
    return after === "none" ? { kind: "pending" } : after;
  }

  private lookup(state: DocumentState, offset: number): ModelAnswer | undefined | "none" {
    const window = state.windows.find((w) => w.tokens.length > 0 && w.tokens[0].start <= offset && offset < w.coveredEnd);
    if (!window) return "none";
    const token = predictionAt(window, offset);
    return token && { kind: "prediction", label: token.label, confidence: token.confidence };
  }

  /** The state of an open document, reset when its version moved on. */
  private state(uri: string): DocumentState | undefined {
    const document = this.context.document(uri);
    if (!document) return undefined;
    let state = this.states.get(uri);
    if (!state) {
      state = { visible: [], version: document.version, windows: [], running: [] };
      this.states.set(uri, state);
    }
    if (state.version !== document.version) {
      state.version = document.version;
      state.windows = [];
      state.running = [];
    }
    return state;
  }

  private async computeVisible(uri: string): Promise<void> {
    try {
      if (!(await this.isUsable())) return;
      const state = this.state(uri);
      const document = this.context.document(uri);
      if (!state || !document || state.visible.length === 0) return;
      const start = Math.min(...state.visible.map((r) => document.offsetAt(r.start)));
      const end = Math.max(...state.visible.map((r) => document.offsetAt(r.end)));
      const covered = state.windows.some((w) => w.tokens.length > 0 && w.tokens[0].start <= start && end <= w.coveredEnd);
      if (covered || state.running.some((c) => c.start <= start && end <= c.end)) return;
      await this.compute(uri, state, start, end, "visible")?.promise;
    } catch (error) {
      this.context.log(`model token types for ${uri} failed: ${(error as Error).message}`);
    }
  }

  /**
   * Queues one window over [start, end) of the state's version (low priority; a newer request of
   * the same kind for the document replaces a queued one). Never rejects.
   */
  private compute(uri: string, state: DocumentState, start: number, end: number, kind: "visible" | "hover"): Computation | undefined {
    const version = state.version;
    const computation: Computation = { start, end, promise: Promise.resolve() };
    computation.promise = this.context.hostOptions().then((options) =>
      this.context.engine.run(
        `${uri}|tokenTypes|${kind}`,
        options,
        async (model: CodeModel) => {
          const document = this.context.document(uri);
          const lookup = this.context.trees.lookup(uri);
          if (!document || document.version !== version || "reason" in lookup) return;
          if (!model.adapters.ner) {
            this.markUnusable(options.dir);
            return;
          }
          const text = document.getText();
          const limit = kind === "hover" ? this.options.hoverWindowTokens : model.seq2seq.contract.max_src - 1;
          const region = windowFor(model, lookup.tree, text, start, end, limit);
          const window = await predictTokenTypes(model, lookup.language, text, region.start, region.end);
          this.computed++;
          if (state.version !== version || this.states.get(uri) !== state) return;
          state.windows.unshift(window);
          state.windows.length = Math.min(state.windows.length, this.options.maxWindows);
        },
        "low",
      ),
    ).catch((error) => {
      if (!(error instanceof SupersededError)) {
        this.context.log(`model token types unavailable: ${(error as Error).message}`);
        // A model that fails to load is not retried for every hover; a settings change retries.
        void this.context.hostOptions().then((options) => this.markUnusable(options.dir));
      }
    }).finally(() => {
      const at = state.running.indexOf(computation);
      if (at >= 0) state.running.splice(at, 1);
    });
    state.running.push(computation);
    return computation;
  }

  private markUnusable(dir: string): void {
    this.usable.set(dir, Promise.resolve(false));
    this.checkedAt.set(dir, Date.now());
  }

  private async isUsable(): Promise<boolean> {
    const options = await this.context.hostOptions();
    let usable = this.usable.get(options.dir);
    if (!usable || (Date.now() - (this.checkedAt.get(options.dir) ?? 0) > RECHECK_MS && !(await usable))) {
      usable = hasNerAdapter(options.dir);
      this.usable.set(options.dir, usable);
      this.checkedAt.set(options.dir, Date.now());
    }
    return usable;
  }
}

/** How long a model folder found unusable is believed before it is checked again. */
const RECHECK_MS = 30_000;

const delay = (ms: number) => new Promise<void>((done) => setTimeout(done, ms).unref?.());

/** True when the model folder verifies and its manifest names an NER adapter. Never throws. */
export async function hasNerAdapter(dir: string): Promise<boolean> {
  try {
    const status = await checkModel(dir);
    if (status.state !== "present") return false;
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    return typeof manifest?.adapters?.ner?.path === "string";
  } catch {
    return false;
  }
}

/** The line around an offset (a hover's starting region). */
export function lineBounds(text: string, offset: number): { start: number; end: number } {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  const newline = text.indexOf("\n", offset);
  return { start, end: newline < 0 ? text.length : newline };
}

/**
 * The window the model reads for a region: whole lines, extended to the whole functions cut at
 * either end when that fits the model's input; otherwise the region's lines alone (the model then
 * covers as much of it as it reads, from its start).
 */
export function windowFor(
  model: Pick<CodeModel, "tokenizer" | "seq2seq">,
  tree: Parameters<typeof functionAt>[0],
  text: string,
  start: number,
  end: number,
  limit = model.seq2seq.contract.max_src - 1,
): { start: number; end: number } {
  const lines = { start: lineBounds(text, start).start, end: lineBounds(text, Math.max(start, end - 1)).end };
  const first = functionAt(tree, text, lines.start + leadingSpace(text, lines.start));
  const last = functionAt(tree, text, Math.max(lines.start, lines.end - 1));
  const extended = {
    start: Math.min(lines.start, first ? lineBounds(text, first.start).start : lines.start),
    end: Math.max(lines.end, last?.end ?? lines.end),
  };
  if (extended.start === lines.start && extended.end === lines.end) return lines;
  const count = model.tokenizer.encodeWithSpans(text.slice(extended.start, extended.end)).ids.length;
  return count <= limit ? extended : lines;
}

function leadingSpace(text: string, at: number): number {
  const match = /^[ \t]*/.exec(text.slice(at, at + 200));
  return match ? match[0].length : 0;
}
