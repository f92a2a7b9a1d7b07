import { join } from "node:path";
import type * as Ort from "onnxruntime-node";
import { concatDeltasCached, neutralDeltas, neutralNer, type Deltas, type NerWeights } from "./adapters";
import { readContract, type OnnxContract } from "./contract";
import { createSession, floatTensor, int64Tensor } from "./ort";
import { repeatBatch } from "./kvCache";
import { scoreEdits, type EditScoreOptions } from "./scoreEdits";
import { scoreTargets, type ScoreOptions } from "./scoreTargets";
import { BOS } from "../../../training/tokenizer/bpe";
import { loadMemorySearch, type NearestSearch } from "./memorySearch";
import { searchBeam, searchGreedy, type BlockFunction, type SearchOptions, type StepFunction } from "./search";

/**
 * The encoder and decoder-step sessions of one exported model, and generation over them.
 * Adapters arrive per call as tensors, so switching adapters never rebuilds a session.
 */
export interface AdapterInputs {
  deltas?: Deltas[];
  ner?: NerWeights;
}

export interface EncoderOutput {
  crossKv: Ort.Tensor;
  ttcLogits: Ort.Tensor;
  /** [L+1,1,S,d]: states entering each encoder block, then the final output (the workspace generator reads these). */
  hidden: Ort.Tensor;
  mask: number[];
}

/** Encoder states of a padded batch of context chunks, for the workspace generator. */
export interface ContextHidden {
  /** [L+1,C,T,d] */
  hidden: Ort.Tensor;
  /** [C*T], 1 = token, 0 = pad */
  mask: number[];
  chunks: number;
  length: number;
}

export class Seq2SeqModel {
  private constructor(
    readonly contract: OnnxContract,
    private readonly encoder: Ort.InferenceSession,
    private readonly decoder: Ort.InferenceSession,
    readonly provider: string,
    readonly fallbacks: string[],
    private readonly memorySearch?: { search: NearestSearch; release: () => Promise<void> },
  ) {}

  static async load(dir: string, providers: string[] = ["cpu"], threads = 2): Promise<Seq2SeqModel> {
    const contract = readContract(join(dir, "onnx-contract.json"));
    const encoder = await createSession(join(dir, "encoder.onnx"), providers, threads);
    const decoder = await createSession(join(dir, "decoder.onnx"), [encoder.provider], threads);
    const memorySearch = await loadMemorySearch(dir, contract, threads);
    return new Seq2SeqModel(contract, encoder.session, decoder.session, encoder.provider, encoder.fallbacks, memorySearch);
  }

  /** The workspace memory's kernels (memorySearch.ts), when the export ships them. */
  get memoryKernels(): NearestSearch | undefined {
    return this.memorySearch?.search;
  }

  async release(): Promise<void> {
    await this.encoder.release();
    await this.decoder.release();
    await this.memorySearch?.release();
  }

  private deltaFeeds(adapters: AdapterInputs): Record<string, Ort.Tensor> {
    const deltas = adapters.deltas?.length ? concatDeltasCached(this.contract, adapters.deltas) : neutralDeltas(this.contract);
    const n = this.contract.slots.length;
    const d = this.contract.d_model;
    return {
      delta_A: floatTensor(deltas.A, [n, deltas.rank, d]),
      delta_B: floatTensor(deltas.B, [n, d, deltas.rank]),
    };
  }

  /** Runs the encoder over one sequence of ids (already truncated to max_src). */
  async encode(ids: number[], adapters: AdapterInputs = {}): Promise<EncoderOutput> {
    const mask = ids.map(() => 1);
    const out = await this.encoder.run(this.encoderFeeds(ids, adapters));
    return { crossKv: out.cross_kv, ttcLogits: out.ttc_logits, hidden: out.hidden, mask };
  }

  /**
   * Only the TTC logits [1,S,C] of one sequence (hover token types): the decoder's cross K/V and
   * the hidden states are not fetched, so onnxruntime skips computing them.
   */
  async tokenTypeLogits(ids: number[], adapters: AdapterInputs = {}): Promise<Ort.Tensor> {
    const out = await this.encoder.run(this.encoderFeeds(ids, adapters), ["ttc_logits"]);
    return out.ttc_logits;
  }

  private encoderFeeds(ids: number[], adapters: AdapterInputs): Record<string, Ort.Tensor> {
    if (ids.length === 0 || ids.length > this.contract.max_src) {
      throw new Error(`encoder input of ${ids.length} tokens (allowed 1..${this.contract.max_src})`);
    }
    const { n_enc_layers: L, d_model: d, num_labels: C } = this.contract;
    const ner = adapters.ner ?? neutralNer(this.contract);
    const b = ner.bottleneck;
    return {
      input_ids: int64Tensor(ids, [1, ids.length]),
      attention_mask: int64Tensor(ids.map(() => 1), [1, ids.length]),
      ...this.deltaFeeds(adapters),
      ner_down_w: floatTensor(ner.downW, [L, b, d]),
      ner_down_b: floatTensor(ner.downB, [L, b]),
      ner_up_w: floatTensor(ner.upW, [L, d, b]),
      ner_up_b: floatTensor(ner.upB, [L, d]),
      ttc_w: floatTensor(ner.ttcW, [C, d]),
      ttc_b: floatTensor(ner.ttcB, [C]),
    };
  }

  /**
   * Hidden states of several context chunks at once (padded to the longest, pads masked), with
   * neutral adapters, as the workspace generator was trained to read them. Only `hidden` is fetched.
   */
  async encodeContext(chunks: number[][]): Promise<ContextHidden> {
    const T = Math.max(0, ...chunks.map((c) => c.length));
    if (chunks.length === 0 || T === 0 || T > this.contract.max_src || chunks.some((c) => c.length === 0)) {
      throw new Error(`context batch of ${chunks.length} chunks up to ${T} tokens (each needs 1..${this.contract.max_src})`);
    }
    const { n_enc_layers: L, d_model: d, num_labels: C } = this.contract;
    const ids = new Array<number>(chunks.length * T).fill(0);
    const mask = new Array<number>(chunks.length * T).fill(0);
    chunks.forEach((chunk, c) => chunk.forEach((id, t) => {
      ids[c * T + t] = id;
      mask[c * T + t] = 1;
    }));
    const ner = neutralNer(this.contract);
    const out = await this.encoder.run({
      input_ids: int64Tensor(ids, [chunks.length, T]),
      attention_mask: int64Tensor(mask, [chunks.length, T]),
      ...this.deltaFeeds({}),
      ner_down_w: floatTensor(ner.downW, [L, 1, d]),
      ner_down_b: floatTensor(ner.downB, [L, 1]),
      ner_up_w: floatTensor(ner.upW, [L, d, 1]),
      ner_up_b: floatTensor(ner.upB, [L, d]),
      ttc_w: floatTensor(ner.ttcW, [C, d]),
      ttc_b: floatTensor(ner.ttcB, [C]),
    }, ["hidden"]);
    return { hidden: out.hidden, mask, chunks: chunks.length, length: T };
  }

  /** Generates target ids (without BOS/EOS) for one source sequence. */
  async generate(ids: number[], options: SearchOptions, adapters: AdapterInputs = {}): Promise<number[]> {
    const step = this.stepper(await this.encode(ids, adapters), adapters);
    const maxTokens = Math.min(options.maxTokens, this.contract.max_tgt - 1);
    const search = { ...options, maxTokens, memorySearch: options.memorySearch ?? this.memorySearch?.search };
    return (options.beams ?? 1) > 1 ? searchBeam(step, search) : searchGreedy(step, search);
  }

  private checkTargetLengths(targets: number[][]): void {
    const tooLong = targets.find((t) => t.length > this.contract.max_tgt);
    if (tooLong) throw new Error(`target of ${tooLong.length} tokens (allowed 1..${this.contract.max_tgt})`);
  }

  /** Teacher-forced log-likelihood of each target (ids ending in </s>) given one source. */
  async score(ids: number[], targets: number[][], options: ScoreOptions = {}, adapters: AdapterInputs = {}): Promise<number[]> {
    this.checkTargetLengths(targets);
    return scoreTargets(this.stepper(await this.encode(ids, adapters), adapters), targets, options);
  }

  /** Log-likelihoods of edited versions of `original` given one source (scoreEdits.ts). */
  async scoreEdits(
    ids: number[], original: number[], edited: number[][], options: EditScoreOptions = {}, adapters: AdapterInputs = {},
  ): Promise<{ original: number; edited: number[] }> {
    this.checkTargetLengths([original, ...edited]);
    const encoded = await this.encode(ids, adapters);
    const block = this.contract.decoder_block ? this.blockDecoder(encoded, adapters) : blockBySteps(this.stepper(encoded, adapters));
    return scoreEdits(block, original, edited, { ...options, memorySearch: options.memorySearch ?? this.memorySearch?.search });
  }

  /** Decoder step over a batch of hypotheses sharing one source; the cache stays opaque. */
  stepper(encoded: EncoderOutput, adapters: AdapterInputs = {}): StepFunction {
    const block = this.decoderRun(encoded, adapters);
    return (tokens, cache) => block(tokens.map((token) => [token]), cache);
  }

  /**
   * Several tokens per row in one decoder call (graphs whose contract says `decoder_block`; older
   * exports return the last position's logits only: use blockBySteps over stepper instead).
   */
  blockDecoder(encoded: EncoderOutput, adapters: AdapterInputs = {}): BlockFunction {
    if (!this.contract.decoder_block) throw new Error("this export's decoder returns one position's logits: re-export it");
    return this.decoderRun(encoded, adapters);
  }

  private decoderRun(encoded: EncoderOutput, adapters: AdapterInputs): BlockFunction {
    const deltas = this.deltaFeeds(adapters);
    const { n_dec_layers: D, n_heads: H, d_model: d } = this.contract;
    const h = d / H;
    const crossFor = new Map<number, Ort.Tensor>([[1, encoded.crossKv]]);
    const S = encoded.mask.length;
    return async (tokens, cache) => {
      const batch = tokens.length;
      const steps = tokens[0].length;
      if (tokens.some((row) => row.length !== steps)) throw new Error("decoder block: rows of different lengths");
      let cross = crossFor.get(batch);
      if (!cross) {
        cross = repeatBatch(encoded.crossKv, D * 2, batch, H * S * h);
        crossFor.set(batch, cross);
      }
      const past = (cache as Ort.Tensor | undefined) ?? floatTensor(new Float32Array(0), [D, 2, batch, H, 0, h]);
      const out = await this.decoder.run({
        input_ids: int64Tensor(tokens.flat(), [batch, steps]),
        encoder_mask: int64Tensor(new Array(batch * S).fill(1), [batch, S]),
        cross_kv: cross,
        past_kv: past,
        ...deltas,
      });
      return { logits: out.logits.data as Float32Array, cache: out.present_kv, hidden: out.hidden?.data as Float32Array | undefined };
    };
  }

  /**
   * The decoder's final states while it reads `target` (ids ending in </s>) after <s>, teacher
   * forced: [T, d] for T = target.length, row t being the state that predicts target[t].
   */
  async targetStates(ids: number[], target: number[], adapters: AdapterInputs = {}): Promise<Float32Array> {
    if (!this.contract.decoder_hidden) throw new Error("this export's decoder does not return its hidden states: re-export it");
    this.checkTargetLengths([target]);
    const block = this.blockDecoder(await this.encode(ids, adapters), adapters);
    const out = await block([[BOS, ...target.slice(0, -1)]], undefined);
    return out.hidden!;
  }
}

/** A block decoder made of single steps, for exports whose decoder returns one position's logits. */
export function blockBySteps(step: StepFunction): BlockFunction {
  return async (tokens, cache) => {
    const rows = tokens.length;
    const steps = tokens[0].length;
    const parts: Float32Array[] = [];
    for (let t = 0; t < steps; t++) {
      const out = await step(tokens.map((row) => row[t]), cache);
      cache = out.cache;
      parts.push(out.logits);
    }
    const vocab = parts[0].length / rows;
    const logits = new Float32Array(rows * steps * vocab);
    parts.forEach((part, t) => {
      for (let r = 0; r < rows; r++) logits.set(part.subarray(r * vocab, (r + 1) * vocab), (r * steps + t) * vocab);
    });
    return { logits, cache };
  };
}
