import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type * as Ort from "onnxruntime-node";
import type { Deltas } from "../engine/adapters";
import type { OnnxContract } from "../engine/contract";
import { createSession, floatTensor, int64Tensor } from "../engine/ort";
import type { ContextHidden } from "../engine/seq2seq";

/**
 * The workspace generator (GenerativeAdapter form, training/generator.py) as the runtime uses it:
 *   generator-contribution.onnx  hidden [L+1,C,T,d] + attention_mask [C,T]  ->  state [N,R1,R2]
 *   generator-adapter.onnx       state [N,R1,R2]  ->  delta_A [N,R2,d], delta_B [N,d,R2]
 *   generator.json               { kind: "generative", r1, r2, slots, reference }
 * The state is a plain sum over context tokens, so the runtime keeps it (in float64) and adds or
 * subtracts per-chunk contributions; only the final step (Newton-Schulz, factors) runs the adapter graph.
 *
 * Manifest entry (paths relative to the model folder; the files are listed, with sha256, in `files`):
 *   "generator": { "contribution": "generator-contribution.onnx", "adapter": "generator-adapter.onnx",
 *                  "config": "generator.json" }
 */
export interface GeneratorFiles {
  contribution: string;
  adapter: string;
  config: string;
}

interface GeneratorConfig {
  kind: string;
  r1: number;
  r2: number;
  slots: string[];
}

export class WorkspaceGenerator {
  private constructor(
    readonly contract: OnnxContract,
    readonly r1: number,
    readonly r2: number,
    /** sha256 over the generator's three files: a cache made with another generator is foreign. */
    readonly sha256: string,
    private readonly contributionSession: Ort.InferenceSession,
    private readonly adapterSession: Ort.InferenceSession,
    /** The contribution graph returns one state per chunk ([C,N,R1,R2]) rather than their sum. */
    readonly perChunkOutput: boolean,
  ) {}

  /** Floats in one state (and in one chunk's contribution): N x R1 x R2. */
  get stateSize(): number {
    return this.contract.slots.length * this.r1 * this.r2;
  }

  static async load(files: GeneratorFiles, contract: OnnxContract, providers: string[] = ["cpu"], threads = 2): Promise<WorkspaceGenerator> {
    for (const path of [files.contribution, files.adapter, files.config]) {
      if (!existsSync(path)) throw new Error(`workspace generator file missing: ${path}`);
    }
    const config = JSON.parse(readFileSync(files.config, "utf8")) as GeneratorConfig;
    if (config.kind !== "generative") throw new Error(`${files.config}: generator kind ${config.kind} cannot run here (only "generative")`);
    if (!Number.isInteger(config.r1) || !Number.isInteger(config.r2) || config.r1 <= 0 || config.r2 <= 0) {
      throw new Error(`${files.config}: r1/r2 missing or invalid`);
    }
    if (JSON.stringify(config.slots) !== JSON.stringify(contract.slots)) {
      throw new Error(`${files.config}: the generator was made for other adapter slots than this model's`);
    }
    const hash = createHash("sha256");
    for (const path of [files.contribution, files.adapter, files.config]) hash.update(readFileSync(path));
    const contribution = await createSession(files.contribution, providers, threads);
    const adapter = await createSession(files.adapter, [contribution.provider], threads);
    // Probe the output's rank once: a graph exported with per-chunk states lets a whole batch
    // go in one call; the summing graph needs one call per chunk to keep chunks apart.
    const d = contract.d_model;
    const layers = contract.n_enc_layers + 1;
    const probe = await contribution.session.run({
      hidden: floatTensor(new Float32Array(layers * 2 * d), [layers, 2, 1, d]),
      attention_mask: int64Tensor([1, 1], [2, 1]),
    });
    const perChunk = probe[contribution.session.outputNames[0]].dims.length === 4;
    return new WorkspaceGenerator(contract, config.r1, config.r2, hash.digest("hex"), contribution.session, adapter.session, perChunk);
  }

  /** The generator the model manifest names, or undefined when the model has none. */
  static async fromModelDir(dir: string, contract: OnnxContract, providers: string[] = ["cpu"], threads = 2): Promise<WorkspaceGenerator | undefined> {
    const files = generatorFiles(dir);
    return files && WorkspaceGenerator.load(files, contract, providers, threads);
  }

  async release(): Promise<void> {
    await this.contributionSession.release();
    await this.adapterSession.release();
  }

  /**
   * The contribution of each chunk of an encoded batch, over its real tokens only: one
   * Float32Array [N*R1*R2] per chunk. Pads are cut off before the graph (it masks them too).
   */
  async chunkContributions(batch: ContextHidden): Promise<Float32Array[]> {
    const { chunks: C, length: T } = batch;
    const d = this.contract.d_model;
    const layers = this.contract.n_enc_layers + 1;
    const data = batch.hidden.data as Float32Array;
    if (this.perChunkOutput) {
      const result = await this.contributionSession.run({
        hidden: batch.hidden,
        attention_mask: int64Tensor(batch.mask, [C, T]),
      });
      const states = result[this.contributionSession.outputNames[0]].data as Float32Array;
      const size = this.stateSize;
      return Array.from({ length: C }, (_, c) => states.slice(c * size, (c + 1) * size));
    }
    const out: Float32Array[] = [];
    for (let c = 0; c < C; c++) {
      let n = 0;
      while (n < T && batch.mask[c * T + n] === 1) n++;
      const slice = new Float32Array(layers * n * d);
      for (let l = 0; l < layers; l++) {
        const from = (l * C + c) * T * d;
        slice.set(data.subarray(from, from + n * d), l * n * d);
      }
      out.push(await this.contribution(slice, n));
    }
    return out;
  }

  /** One chunk's contribution from its hidden states [L+1,1,n,d]. */
  async contribution(hidden: Float32Array, tokens: number): Promise<Float32Array> {
    const layers = this.contract.n_enc_layers + 1;
    const result = await this.contributionSession.run({
      hidden: floatTensor(hidden, [layers, 1, tokens, this.contract.d_model]),
      attention_mask: int64Tensor(new Array(tokens).fill(1), [1, tokens]),
    });
    return result[this.contributionSession.outputNames[0]].data as Float32Array;
  }

  /** Deltas for a state (any float array of N*R1*R2 values): rank R2 adapter over the model's slots. */
  async deltas(state: ArrayLike<number>): Promise<Deltas> {
    if (state.length !== this.stateSize) throw new Error(`state of ${state.length} values, expected ${this.stateSize}`);
    const n = this.contract.slots.length;
    const result = await this.adapterSession.run({ state: floatTensor(Float32Array.from(state), [n, this.r1, this.r2]) });
    // By position: torch 1.13's exporter may keep an internal name for delta_B (a constant
    // output when B does not depend on the state), so the second output is delta_B whatever its name.
    const [nameA, nameB] = this.adapterSession.outputNames;
    return { rank: this.r2, A: result[nameA].data as Float32Array, B: result[nameB].data as Float32Array };
  }
}

/** The generator files the manifest in `dir` names (absolute), or undefined. */
export function generatorFiles(dir: string): GeneratorFiles | undefined {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { generator?: Partial<GeneratorFiles> };
  const g = manifest.generator;
  if (!g) return undefined;
  if (!g.contribution || !g.adapter || !g.config) throw new Error(`${join(dir, "manifest.json")}: generator entry needs contribution, adapter and config`);
  return { contribution: join(dir, g.contribution), adapter: join(dir, g.adapter), config: join(dir, g.config) };
}

/** sha256 of the model manifest: a workspace cache is stamped with it. */
export function manifestSha256(dir: string): string {
  return createHash("sha256").update(readFileSync(join(dir, "manifest.json"))).digest("hex");
}
