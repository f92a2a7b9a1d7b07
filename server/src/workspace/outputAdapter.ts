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
 * a function's contribution is added and subtracted exactly (float64), and the state is fixed in
 * size (d × d plus one row per distinct token of the vocabulary), however large the workspace.
 */
export interface OutputAdapterSettings {
  /** Scale of the delta's logits. */
  alpha: number;
  /** Ridge, relative to the mean eigenvalue of C. */
  ridge: number;
}

/** Chosen on the valid split's units (docs/training.md, eleventh session). */
export const DEFAULT_OUTPUT_ADAPTER_SETTINGS: OutputAdapterSettings = { alpha: 15, ridge: 0.01 };

interface TokenRow {
  sum: Float64Array;
  count: number;
}

/** Entries per Gram product when pending records are folded into C. */
const GRAM_BATCH = 1024;

export class OutputAdapter implements LogitMemory {
  private readonly covariance: Float64Array;
  private readonly rows = new Map<number, TokenRow>();
  private entries = 0;
  /** Records added (+1) or removed (-1) whose Gram matrices are not yet in C: folded in at the next step. */
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
    return this.rows.size;
  }

  add(record: MemoryRecord): void {
    this.change(record, 1);
  }

  /** Subtracts a record added before (C within float tolerance, S exactly up to float64 rounding). */
  remove(record: MemoryRecord): void {
    this.change(record, -1);
  }

  private change(record: MemoryRecord, sign: 1 | -1): void {
    const { d } = this;
    for (let i = 0; i < record.values.length; i++) {
      const token = record.values[i];
      let row = this.rows.get(token);
      if (!row) this.rows.set(token, (row = { sum: new Float64Array(d), count: 0 }));
      const scale = sign * record.inverseNorms[i];
      for (let j = 0; j < d; j++) row.sum[j] += record.keys[i * d + j] * scale;
      row.count += sign;
      if (row.count === 0) this.rows.delete(token);
    }
    this.entries += sign * record.values.length;
    this.pending.push({ record, sign });
    this.solved = undefined;
  }

  /** C += Σ sign · KᵀK over the pending records, a batch of unit states per product. */
  async settle(matmul?: MatMul): Promise<void> {
    const { d } = this;
    while (this.pending.length) {
      const sign = this.pending[0].sign;
      const batch: MemoryRecord[] = [];
      let n = 0;
      while (this.pending.length && this.pending[0].sign === sign && (n === 0 || n + this.pending[0].record.values.length <= GRAM_BATCH)) {
        const { record } = this.pending.shift()!;
        batch.push(record);
        n += record.values.length;
      }
      const units = new Float32Array(n * d);
      const transposed = new Float32Array(d * n);
      let at = 0;
      for (const record of batch) {
        for (let i = 0; i < record.values.length; i++, at++) {
          for (let j = 0; j < d; j++) {
            const u = record.keys[i * d + j] * record.inverseNorms[i];
            units[at * d + j] = u;
            transposed[j * n + at] = u;
          }
        }
      }
      const gram = matmul ? await matmul(transposed, d, n, units, d) : gramInJs(units, n, d);
      for (let i = 0; i < d * d; i++) this.covariance[i] += sign * gram[i];
    }
  }

  /** The normalizer's Cholesky factor, and S as float32 rows. */
  private solve(): { factor: Float64Array; tokens: Int32Array; sums: Float32Array } {
    const { d } = this;
    const tokens = Int32Array.from(this.rows.keys());
    const sums = new Float32Array(tokens.length * d);
    tokens.forEach((token, t) => sums.set(this.rows.get(token)!.sum, t * d));
    return { factor: choleskyWithRidge(this.covariance, d, this.settings.ridge), tokens, sums };
  }

  /** row (logits) += alpha · S N ĥ: z = N ĥ by two triangular solves, then S z (the matmul graph when the model has one). */
  async mix(row: Float32Array, hidden: Float32Array, kernels?: NearestSearch): Promise<void> {
    if (this.entries === 0) return;
    await this.settle(kernels?.matmul);
    this.solved ??= this.solve();
    const { factor, tokens, sums } = this.solved;
    const { d } = this;
    let norm = 0;
    for (let j = 0; j < d; j++) norm += hidden[j] * hidden[j];
    if (norm === 0) return;
    const z = Float64Array.from(hidden);
    solveCholesky(factor, d, z);
    const scale = this.settings.alpha / Math.sqrt(norm);
    const products = kernels?.matmul ? await kernels.matmul(sums, tokens.length, d, Float32Array.from(z), 1) : productsInJs(sums, tokens.length, d, z);
    for (let t = 0; t < tokens.length; t++) row[tokens[t]] += scale * products[t];
  }
}

function gramInJs(units: Float32Array, n: number, d: number): Float64Array {
  const gram = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const ua = units[i * d + a];
      if (ua === 0) continue;
      for (let b = 0; b < d; b++) gram[a * d + b] += ua * units[i * d + b];
    }
  }
  return gram;
}

function productsInJs(sums: Float32Array, m: number, d: number, z: Float64Array): Float64Array {
  const out = new Float64Array(m);
  for (let t = 0; t < m; t++) {
    let dot = 0;
    for (let j = 0; j < d; j++) dot += sums[t * d + j] * z[j];
    out[t] = dot;
  }
  return out;
}

/** The lower Cholesky factor L of C + ridge · tr(C)/d · I (C's lower triangle is read). */
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
