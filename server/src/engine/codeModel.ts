import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkModel, disabledTasksOf } from "../model/modelManifest";
import type { LanguageId } from "../parsing/languages";
import { EOS, REFINE, SUMMARIZE, SPECIAL_TOKENS, type Tokenizer } from "../../../training/tokenizer/bpe";
import { sourceSequence, targetSequence } from "../../../training/tokenizer/sequences";
import { createParser } from "../parsing/parser";
import { repairCandidates } from "../refine/repairCandidates";
import { loadTokenizer } from "../../../training/tokenizer/tokenizer-file";
import { loadDeltas, loadNer, type Deltas, type NerWeights } from "./adapters";
import { Seq2SeqModel } from "./seq2seq";
import type { LogitMemory, SearchOptions } from "./search";

/**
 * The installed model as the editor uses it: manifest verified, tokenizer checked against the
 * manifest, ONNX sessions, and the task/NER adapters the manifest names. One instance serves
 * every request; adapters are chosen per request.
 *
 * Manifest fields read here (beyond those modelManifest.ts verifies):
 *   tokenizer: { path, sha256 }          the tokenizer the model was trained with
 *   onnx:      { dir }                    folder with encoder.onnx, decoder.onnx, onnx-contract.json
 *   adapters:  { task?: { path, ner? }, ner?: { path },      adapter files (NAME.json + NAME.bin);
 *                summarize?: { path, ner? },              a task's own adapter, used for that task
 *                refine?: { path, ner? } }                instead of `task` (trained on it alone);
 *                                                           `ner`: the frozen NER adapter it was trained on
 *   tasks:     { refine?: { disabled: "reason" }, ... }     tasks this model must not serve (a
 *              model is shipped for what it measurably does well; see training/package_model.py)
 *              { refine?: { strategy: "edits" | "generate" } } how refine works by default (below)
 */
export type ModelTask = "summarize" | "refine";

/**
 * How refine proposes a fix:
 *   generate  the model writes the whole function (greedy or beam search);
 *   edits     the model ranks single syntax-aware edits of the function (repairCandidates.ts) by
 *             the likelihood of each edited function, and the best one is proposed. A function
 *             that does not parse, or is longer than the model reads, falls back to generate.
 */
export type RefineStrategy = "edits" | "generate";
export const REFINE_STRATEGIES: readonly RefineStrategy[] = ["edits", "generate"];
/**
 * Candidate edits are ranked by log-likelihood divided by length^EDIT_LENGTH_PENALTY. A plain sum
 * favours deleting statements (fewer tokens to pay for): on 60 held-out synthetic repairs, 1 and 0.5
 * picked the fix 12 times, 0 and 2 picked it 10 times (docs/training.md, fifth session).
 */
export const EDIT_LENGTH_PENALTY = 1;
/**
 * Tokens decoded past each candidate edit; the rest of the function is scored as in the original
 * (scoreEdits.ts). On 60 held-out synthetic repairs, 8 picked the fix as often as 16 (12 against
 * 11 exact) in three quarters of the time (docs/training.md, fifth session).
 */
export const EDIT_WINDOW = 8;

/** A task the installed model's manifest disables; the message gives its reason. */
export class TaskDisabledError extends Error {}
export interface ModelAdapters {
  task?: Deltas;
  /** Adapters trained on one task alone; a task without one uses `task`. */
  byTask?: Partial<Record<ModelTask, Deltas>>;
  /** The frozen NER adapters a task adapter was trained on top of (run under it). */
  byTaskNer?: Partial<Record<ModelTask, NerWeights>>;
  taskNer?: NerWeights;
  ner?: NerWeights;
}

export interface GenerationRequest {
  code: string;
  language: LanguageId;
  maxTokens?: number;
  beams?: number;
  workspace?: Deltas;
  /**
   * The workspace memory mixed into each step (workspace/memory.ts), built for the task it serves:
   * from summaryStates for summarize, from codeStates for refine (each is keyed by its own adapter's states).
   */
  memory?: LogitMemory;
  /** Refine only: overrides the manifest's default strategy. */
  strategy?: RefineStrategy;
  /** Refine by edits: candidates are ranked by log-likelihood / tokens^this (0 = plain likelihood). */
  lengthPenalty?: number;
  /** Refine by edits: tokens decoded past each edit (Infinity = the exact likelihood). */
  editWindow?: number;
  isCancelled?: () => boolean;
  onStep?: (steps: number) => void;
}

export interface GenerationResult {
  text: string;
  /** The input was longer than the model reads and was cut (say so to the user). */
  truncated: boolean;
  inputTokens: number;
  outputTokens: number;
  /** Refine only: which strategy produced the text, and for "edits" the edit chosen and the candidates ranked. */
  strategy?: RefineStrategy;
  edit?: { operator: string; start: number; end: number; candidates: number };
}

/** Source ids = task token, language tag, code (510 at most, <truncated> last when cut), </s>. */
const MAX_SOURCE_BODY = 510;
/** Never generated: every special token but </s>. */
export const BANNED = SPECIAL_TOKENS.map((_, id) => id).filter((id) => id !== EOS);

interface ManifestExtras {
  tokenizer?: { path: string; sha256?: string };
  onnx?: { dir?: string };
  adapters?: {
    task?: { path: string; ner?: string };
    ner?: { path: string };
    summarize?: { path: string; ner?: string };
    refine?: { path: string; ner?: string };
  };
  tasks?: { refine?: { strategy?: string } };
}

function refineStrategyOf(manifest: ManifestExtras): RefineStrategy {
  const strategy = manifest.tasks?.refine?.strategy ?? "generate";
  if (!REFINE_STRATEGIES.includes(strategy as RefineStrategy)) throw new Error(`manifest.json: unknown refine strategy "${strategy}"`);
  return strategy as RefineStrategy;
}

export class CodeModel {
  private constructor(
    readonly dir: string,
    readonly name: string,
    readonly tokenizer: Tokenizer,
    readonly seq2seq: Seq2SeqModel,
    readonly adapters: ModelAdapters,
    /** Tasks the manifest disables, with the reason. */
    readonly disabledTasks: Partial<Record<ModelTask, string>> = {},
    readonly refineStrategy: RefineStrategy = "generate",
  ) {}

  static async load(dir: string, providers: string[] = ["cpu"], threads = 2): Promise<CodeModel> {
    const status = await checkModel(dir);
    if (status.state !== "present") throw new Error(status.message);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as ManifestExtras & { name?: string };
    if (!manifest.tokenizer?.path) throw new Error(`${join(dir, "manifest.json")} names no tokenizer`);
    const { tokenizer, file } = loadTokenizer(join(dir, manifest.tokenizer.path));
    if (manifest.tokenizer.sha256 && file.sha256 !== manifest.tokenizer.sha256) {
      throw new Error(`tokenizer ${manifest.tokenizer.path} is not the one the model was trained with (sha256 differs)`);
    }
    const seq2seq = await Seq2SeqModel.load(join(dir, manifest.onnx?.dir ?? "."), providers, threads);
    if (seq2seq.contract.vocab_size < tokenizer.vocabSize) {
      throw new Error(`model vocabulary ${seq2seq.contract.vocab_size} is smaller than the tokenizer's ${tokenizer.vocabSize}`);
    }
    const a = manifest.adapters ?? {};
    const ners = new Map<string, NerWeights>();
    const ner = (path: string | undefined) => {
      if (!path) return undefined;
      if (!ners.has(path)) ners.set(path, loadNer(join(dir, path)));
      return ners.get(path);
    };
    const adapters: ModelAdapters = {
      task: a.task && loadDeltas(join(dir, a.task.path), seq2seq.contract),
      byTask: {
        summarize: a.summarize && loadDeltas(join(dir, a.summarize.path), seq2seq.contract),
        refine: a.refine && loadDeltas(join(dir, a.refine.path), seq2seq.contract),
      },
      byTaskNer: { summarize: ner(a.summarize?.ner), refine: ner(a.refine?.ner) },
      taskNer: ner(a.task?.ner),
      ner: ner(a.ner?.path),
    };
    return new CodeModel(dir, manifest.name ?? "codeadapt", tokenizer, seq2seq, adapters, disabledTasksOf(manifest), refineStrategyOf(manifest));
  }

  get device(): string {
    return this.seq2seq.provider;
  }

  async release(): Promise<void> {
    await this.seq2seq.release();
  }

  sourceIds(task: number, language: LanguageId, code: string): { ids: number[]; truncated: boolean } {
    const body = sourceSequence(this.tokenizer, language, code, MAX_SOURCE_BODY);
    return { ids: [task, ...body.ids, EOS], truncated: body.truncated };
  }

  private requireTask(task: ModelTask): void {
    const reason = this.disabledTasks[task];
    if (reason) throw new TaskDisabledError(`The installed model (${this.name}) does not offer ${task}: ${reason}`);
  }

  /** The adapters a task runs with: its own (else the shared task adapter), then the workspace's. */
  private adaptersFor(task: ModelTask, request: GenerationRequest): { deltas: Deltas[]; ner?: NerWeights } {
    const own = this.adapters.byTask?.[task];
    const deltas = [own ?? this.adapters.task, request.workspace].filter((d): d is Deltas => !!d);
    return { deltas, ner: own ? this.adapters.byTaskNer?.[task] : this.adapters.taskNer };
  }

  private async run(task: ModelTask, request: GenerationRequest, defaults: SearchOptions): Promise<GenerationResult> {
    const { ids, truncated } = this.sourceIds(task === "summarize" ? SUMMARIZE : REFINE, request.language, request.code);
    const out = await this.seq2seq.generate(
      ids,
      {
        ...defaults,
        maxTokens: request.maxTokens ?? defaults.maxTokens,
        beams: request.beams ?? defaults.beams,
        banned: BANNED,
        isCancelled: request.isCancelled,
        onStep: request.onStep,
        memory: request.memory,
      },
      this.adaptersFor(task, request),
    );
    return { text: this.tokenizer.decode(out), truncated, inputTokens: ids.length, outputTokens: out.length };
  }

  /**
   * What the workspace memory keeps of one documented function: the decoder's final states
   * ([n, d]) while it reads `summary` teacher forced after `code`, under the summarize adapters
   * (those summaries are decoded with), and the n tokens they predict (the summary, then </s>).
   */
  async summaryStates(language: LanguageId, code: string, summary: string): Promise<{ states: Float32Array; tokens: number[] }> {
    this.requireTask("summarize");
    const { ids } = this.sourceIds(SUMMARIZE, language, code);
    const target = targetSequence(this.tokenizer, summary, this.seq2seq.contract.max_tgt);
    const states = await this.seq2seq.targetStates(ids, target.ids, this.adaptersFor("summarize", { code, language }));
    return { states, tokens: target.ids };
  }

  /**
   * What a refine memory keeps of one function: the decoder's final states while it reads `code`
   * teacher forced as the repair of itself, under the refine adapters, and the tokens they predict.
   */
  async codeStates(language: LanguageId, code: string): Promise<{ states: Float32Array; tokens: number[] }> {
    this.requireTask("refine");
    const { ids } = this.sourceIds(REFINE, language, code);
    const target = targetSequence(this.tokenizer, code, this.seq2seq.contract.max_tgt);
    const states = await this.seq2seq.targetStates(ids, target.ids, this.adaptersFor("refine", { code, language }));
    return { states, tokens: target.ids };
  }

  async summarize(request: GenerationRequest): Promise<GenerationResult> {
    this.requireTask("summarize");
    return this.run("summarize", request, { maxTokens: 48, beams: 1, noRepeatNgram: 3 });
  }

  async refine(request: GenerationRequest): Promise<GenerationResult> {
    this.requireTask("refine");
    if ((request.strategy ?? this.refineStrategy) === "edits") {
      const ranked = await this.refineByEdits(request);
      if (ranked) return ranked;
    }
    const budget = Math.min(this.seq2seq.contract.max_tgt - 1, 2 * this.sourceIds(REFINE, request.language, request.code).ids.length + 8);
    return { ...(await this.run("refine", request, { maxTokens: budget, beams: 1 })), strategy: "generate" };
  }

  /** The "edits" strategy; undefined when it cannot apply (no candidates, or more than the model reads). */
  private async refineByEdits(request: GenerationRequest): Promise<GenerationResult | undefined> {
    const { ids, truncated } = this.sourceIds(REFINE, request.language, request.code);
    if (truncated) return undefined;
    const parser = await createParser(request.language);
    const candidates = (() => {
      try {
        return repairCandidates(parser, request.code, request.language);
      } finally {
        parser.delete();
      }
    })();
    const maxTgt = this.seq2seq.contract.max_tgt;
    const original = targetSequence(this.tokenizer, request.code, maxTgt);
    const targets = candidates.map((c) => targetSequence(this.tokenizer, c.code, maxTgt));
    if (!candidates.length || original.truncated || targets.some((t) => t.truncated)) return undefined;
    const { edited: scores } = await this.seq2seq.scoreEdits(
      ids, original.ids, targets.map((t) => t.ids),
      { window: request.editWindow ?? EDIT_WINDOW, isCancelled: request.isCancelled, onStep: request.onStep, memory: request.memory },
      this.adaptersFor("refine", request),
    );
    const alpha = request.lengthPenalty ?? EDIT_LENGTH_PENALTY;
    const ranked = scores.map((score, i) => score / Math.pow(targets[i].ids.length, alpha));
    const best = ranked.indexOf(Math.max(...ranked));
    const { code, operator, start, end } = candidates[best];
    return {
      text: code, truncated: false, inputTokens: ids.length, outputTokens: targets[best].ids.length - 1,
      strategy: "edits", edit: { operator, start, end, candidates: candidates.length },
    };
  }
}
