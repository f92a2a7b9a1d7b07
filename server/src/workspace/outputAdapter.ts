import type { MatMul, NearestSearch } from "../engine/memorySearch";
import type { LogitMemory } from "../engine/search";
import type { MemoryRecord } from "./memory";

/**
 * The workspace adapter as weights: a delta on the model's output layer, generated in closed form
 * from the workspace's documented functions by the same teacher-forced pass the memory keeps
 * (memory.ts records), with no gradient step. In GenerativeAdapter's terms the keys K are the
 * decoder's unit states and the values V the one-hot tokens they predict; the state is
 *   S = Σ Vᵀ K   (one row of summed unit states per distinct token),
 *   C = Σ Kᵀ K   (d × d),
 * and the adapter is the ridge regression from states to workspace tokens,
 *   Δlogits = alpha · S (C + ridge · tr(C)/d · I)⁻¹ ĥ,
 * i.e. the output layer's weights plus alpha · S N with N the normalizer. Both sums are additive:
 * a function's contribution is added and subtracted exactly up to float rounding, and the state
 * is fixed in size (d × d plus one row per distinct token of the vocabulary), however large the
 * workspace.
 */
export interface OutputAdapterSettings {
  /** Scale of the delta's logits. */
  alpha: number;
  /** Ridge, relative to the mean eigenvalue of C. */
  ridge: number;
}

/** Chosen on the valid split's units (docs/training.md, eleventh session). */
export const DEFAULT_OUTPUT_ADAPTER_SETTINGS: OutputAdapterSettings = { alpha: 15, ridge: 0.01 };

/** Entries per product when pending records are folded into the state. */
const BATCH = 1024;

export class OutputAdapter implements LogitMemory {
  private readonly covariance: Float64Array;
  private readonly sums = new Map<number, Float64Array>();
  /** Entries per token, kept at once (the sums follow at the next step). */
  private readonly counts = new Map<number, number>();
  private entries = 0;
  /** Records added (+1) or removed (-1) not yet folded into S and C: folded in at the next step. */
  private pending: { record: MemoryRecord; sign: 1 | -1 }[] = [];
  /** What a step needs, dropped on every change and made again at the next step. */
  private solved?: { factor: Float64Array; tokens: Int32Array; sums: Float32Array };

  constructor(readonly d: number, readonly settings: OutputAdapterSettings = DEFAULT_OUTPUT_ADAPTER_SETTINGS) {
    this.covariance = new Float64Array(d * d);
  }

  get size(): number {
    return this.entries;
  }

  /** Distinct tokens with a row in S. */
  get tokens(): number {
    return this.counts.size;
  }

  add(record: MemoryRecord): void {
    this.change(record, 1);
  }

  /** Subtracts a record added before. */
  remove(record: MemoryRecord): void {
    this.change(record, -1);
  }

  private change(record: MemoryRecord, sign: 1 | -1): void {
    for (const token of record.values) {
      const count = (this.counts.get(token) ?? 0) + sign;
      if (count === 0) this.counts.delete(token);
      else this.counts.set(token, count);
    }
    this.entries += sign * record.values.length;
    this.pending.push({ record, sign });
    this.solved = undefined;
  }

  /** Folds the pending records into S and C; one fold at a time (a caller during one waits for it). */
  private async settle(matmul?: MatMul): Promise<void> {
    while (this.settling) await this.settling;
    if (!this.pending.length) return;
    this.settling = this.fold(matmul).finally(() => (this.settling = undefined));
    await this.settling;
  }

  private settling?: Promise<void>;

  /** A batch of unit states at a time: their sums into S, their Gram matrix into C. */
  private async fold(matmul?: MatMul): Promise<void> {
    while (this.pending.length) {
      const sign = this.pending[0].sign;
      const batch: MemoryRecord[] = [];
      let n = 0;
      while (this.pending.length && this.pending[0].sign === sign && (n === 0 || n + this.pending[0].record.values.length <= BATCH)) {
        const { record } = this.pending.shift()!;
        batch.push(record);
        n += record.values.length;
      }
      const { d } = this;
      const states = unitStates(batch, n, d);
      this.foldSums(batch, states, sign);
      const transposed = transpose(states, n, d);
      const gram = matmul ? await matmul(transposed, d, n, states, d) : product(transposed, d, n, states, d);
      for (let i = 0; i < gram.length; i++) this.covariance[i] += sign * gram[i];
    }
  }

  private foldSums(batch: MemoryRecord[], states: Float32Array, sign: number): void {
    const { d } = this;
    let at = 0;
    for (const record of batch) {
      for (const token of record.values) {
        let sum = this.sums.get(token);
        if (!sum) this.sums.set(token, (sum = new Float64Array(d)));
        for (let j = 0; j < d; j++) sum[j] += sign * states[at * d + j];
        at++;
      }
    }
    for (const token of this.sums.keys()) if (!this.counts.has(token)) this.sums.delete(token);
  }

  /** The normalizer's Cholesky factor, and S as float32 rows. */
  private solve(): { factor: Float64Array; tokens: Int32Array; sums: Float32Array } {
    const { d } = this;
    const tokens = Int32Array.from(this.counts.keys());
    const sums = new Float32Array(tokens.length * d);
    tokens.forEach((token, t) => sums.set(this.sums.get(token)!, t * d));
    return { factor: choleskyWithRidge(this.covariance, d, this.settings.ridge), tokens, sums };
  }

  /** Brings S, C and N's factor up to date (the next step would do it); after a build or an update. */
  async prepare(matmul?: MatMul): Promise<void> {
    do await this.settle(matmul);
    while (this.pending.length); // changed while folding
    if (this.entries > 0) this.solved ??= this.solve();
  }

  /** row (logits) += alpha · S N ĥ: z = N ĥ by two triangular solves, then S z (the matmul graph when the model has one). */
  async mix(row: Float32Array, hidden: Float32Array, kernels?: NearestSearch): Promise<void> {
    if (this.entries === 0) return;
    await this.prepare(kernels?.matmul);
    const { factor, tokens, sums } = this.solved!;
    const { d } = this;
    let norm = 0;
    for (let j = 0; j < d; j++) norm += hidden[j] * hidden[j];
    if (norm === 0) return;
    const z = Float64Array.from(hidden);
    solveCholesky(factor, d, z);
    const scale = this.settings.alpha / Math.sqrt(norm);
    const products = kernels?.matmul ? await kernels.matmul(sums, tokens.length, d, Float32Array.from(z), 1) : product(sums, tokens.length, d, z, 1);
    for (let t = 0; t < tokens.length; t++) row[tokens[t]] += scale * products[t];
  }
}

/** The records' states as unit vectors, [n, d] (the keys are int8 unit vectors times 127, with their inverse norms). */
function unitStates(batch: MemoryRecord[], n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  let at = 0;
  for (const record of batch) {
    for (let i = 0; i < record.values.length; i++, at++) {
      const scale = record.inverseNorms[i];
      for (let j = 0; j < d; j++) out[at * d + j] = record.keys[i * d + j] * scale;
    }
  }
  return out;
}

function transpose(a: Float32Array, m: number, n: number): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = a[i * n + j];
  return out;
}

/** a [m,k] times b [k,n], in JavaScript (models without matmul.onnx). */
function product(a: Float32Array, m: number, k: number, b: ArrayLike<number>, n: number): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const x = a[i * k + p];
      if (x === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += x * b[p * n + j];
    }
  }
  return out;
}

/** The lower Cholesky factor L of C + ridge · tr(C)/d · I. */
export function choleskyWithRidge(covariance: Float64Array, d: number, ridge: number): Float64Array {
  let trace = 0;
  for (let a = 0; a < d; a++) trace += covariance[a * d + a];
  const shift = Math.max(ridge * (trace / d), 1e-9);
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = covariance[i * d + j] + (i === j ? shift : 0);
      for (let k = 0; k < j; k++) s -= L[i * d + k] * L[j * d + k];
      L[i * d + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j * d + j];
    }
  }
  return L;
}

/** Solves L Lᵀ x = b in place. */
export function solveCholesky(L: Float64Array, d: number, x: Float64Array): void {
  for (let i = 0; i < d; i++) {
    let s = x[i];
    for (let k = 0; k < i; k++) s -= L[i * d + k] * x[k];
    x[i] = s / L[i * d + i];
  }
  for (let i = d - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < d; k++) s -= L[k * d + i] * x[k];
    x[i] = s / L[i * d + i];
  }
}
