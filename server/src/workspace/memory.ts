import type { MemoryRows, NearestSearch, Neighbours } from "../engine/memorySearch";
import type { LogitMemory } from "../engine/search";
import type { OutputAdapter } from "./outputAdapter";

/**
 * The workspace memory: a nearest-neighbour next-token distribution over the workspace's own
 * documented functions, mixed into the model's (the kNN-LM of Khandelwal et al., ICLR 2020, here
 * per workspace). For each (code, summary) pair of the workspace, the decoder reads the summary
 * teacher forced; each position's final state is a key, the token it predicts is the value.
 * While summarizing, the state at each step finds its k nearest keys (cosine), their values get
 * weights softmax(similarity / temperature), and the next-token distribution becomes
 * (1 - lambda) * model + lambda * memory.
 *
 * The memory is a set of records, one per documented function, keyed by content hash: adding and
 * removing a function's record is exact, so an edit re-encodes only the functions it changed.
 * Keys are stored as int8 (unit vectors times 127) with their exact norms, a quarter of float32.
 */
export interface MemoryRecord {
  /** [n, d] int8: round(127 * unit state). */
  keys: Int8Array;
  /** [n] the token each state predicts. */
  values: Int32Array;
  /** [n] 1 / |keys row| (so that similarities are exact cosines of the stored int8 vectors). */
  inverseNorms: Float32Array;
}

export interface MemorySettings {
  /** Neighbours per step. */
  k: number;
  /** Softmax temperature over cosine similarities. */
  temperature: number;
  /** Weight of the memory's distribution. */
  lambda: number;
}

/** Chosen on the valid split's units (docs/training.md, eighth session); the test units were not used to pick them. */
export const DEFAULT_MEMORY_SETTINGS: MemorySettings = { k: 16, temperature: 0.05, lambda: 0.5 };

/** Quantizes [n, d] float states (one per target token) into a record. */
export function makeRecord(states: Float32Array, values: ArrayLike<number>, d: number): MemoryRecord {
  const n = values.length;
  if (states.length !== n * d) throw new Error(`memory record: ${states.length} floats for ${n} tokens of width ${d}`);
  const keys = new Int8Array(n * d);
  const inverseNorms = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < d; j++) norm += states[i * d + j] ** 2;
    const scale = norm > 0 ? 127 / Math.sqrt(norm) : 0;
    let q = 0;
    for (let j = 0; j < d; j++) {
      const v = Math.round(states[i * d + j] * scale);
      keys[i * d + j] = v;
      q += v * v;
    }
    inverseNorms[i] = q > 0 ? 1 / Math.sqrt(q) : 0;
  }
  return { keys, values: Int32Array.from(values), inverseNorms };
}

export class WorkspaceMemory implements LogitMemory {
  private readonly records = new Map<string, MemoryRecord>();
  /** Where each record's rows start in the flat arrays. */
  private readonly starts = new Map<string, number>();
  // Flat arrays with spare capacity, kept up to date by add and delete (an append, or one native
  // move of the rows after a removed record), so that a change costs its own rows and one memmove,
  // not a copy and conversion of the whole memory on the next request (eval:workspace, tenth session).
  private keysU8 = new Uint8Array(0);
  private values = new Int32Array(0);
  private inverseNorms = new Float32Array(0);
  private entries = 0;
  private view?: MemoryRows;

  /**
   * `adapter`, when given, is kept to the same records (outputAdapter.ts: the workspace adapter as
   * output-layer weights, made from the same teacher-forced states).
   */
  constructor(readonly d: number, readonly settings: MemorySettings = DEFAULT_MEMORY_SETTINGS, readonly adapter?: OutputAdapter) {}

  get size(): number {
    return this.entries;
  }

  get functions(): number {
    return this.records.size;
  }

  has(key: string): boolean {
    return this.records.has(key);
  }

  get(key: string): MemoryRecord | undefined {
    return this.records.get(key);
  }

  keys(): IterableIterator<string> {
    return this.records.keys();
  }

  add(key: string, record: MemoryRecord): void {
    if (record.keys.length !== record.values.length * this.d) throw new Error(`memory record ${key}: keys are not ${this.d} wide`);
    if (this.records.has(key)) return;
    const n = record.values.length;
    this.reserve(this.entries + n);
    const at = this.entries * this.d;
    for (let i = 0; i < record.keys.length; i++) this.keysU8[at + i] = (record.keys[i] & 0xff) ^ 0x80;
    this.values.set(record.values, this.entries);
    this.inverseNorms.set(record.inverseNorms, this.entries);
    this.records.set(key, record);
    this.adapter?.add(record);
    this.starts.set(key, this.entries);
    this.entries += n;
    this.view = undefined;
  }

  delete(key: string): boolean {
    const record = this.records.get(key);
    if (!record) return false;
    const start = this.starts.get(key)!;
    const n = record.values.length;
    const d = this.d;
    this.keysU8.copyWithin(start * d, (start + n) * d, this.entries * d);
    this.values.copyWithin(start, start + n, this.entries);
    this.inverseNorms.copyWithin(start, start + n, this.entries);
    this.records.delete(key);
    this.adapter?.remove(record);
    this.starts.delete(key);
    for (const [other, at] of this.starts) if (at > start) this.starts.set(other, at - n);
    this.entries -= n;
    this.view = undefined;
    return true;
  }

  /** Capacity for `rows` entries, grown by half again when it runs out. */
  private reserve(rows: number): void {
    if (rows <= this.values.length) return;
    const capacity = Math.max(rows, Math.ceil(this.values.length * 1.5), 256);
    const keysU8 = new Uint8Array(capacity * this.d);
    keysU8.set(this.keysU8.subarray(0, this.entries * this.d));
    const values = new Int32Array(capacity);
    values.set(this.values.subarray(0, this.entries));
    const inverseNorms = new Float32Array(capacity);
    inverseNorms.set(this.inverseNorms.subarray(0, this.entries));
    [this.keysU8, this.values, this.inverseNorms] = [keysU8, values, inverseNorms];
  }

  /** Every entry as one matrix, one row per entry in the order records were added: views of the
   *  flat arrays (the same object until the next change). */
  flat(): MemoryRows {
    this.view ??= {
      keysU8: this.keysU8.subarray(0, this.entries * this.d),
      values: this.values.subarray(0, this.entries),
      inverseNorms: this.inverseNorms.subarray(0, this.entries),
    };
    return this.view;
  }

  /** The k nearest stored states to `hidden` (cosine), best first. */
  nearest(hidden: Float32Array): { index: number; similarity: number }[] {
    const { keysU8, inverseNorms } = this.flat();
    const d = this.d;
    let norm = 0;
    let sum = 0;
    for (let j = 0; j < d; j++) {
      norm += hidden[j] ** 2;
      sum += hidden[j];
    }
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    const k = Math.min(this.settings.k, this.entries);
    const best: { index: number; similarity: number }[] = [];
    for (let i = 0; i < this.entries; i++) {
      let dot = 0;
      const base = i * d;
      for (let j = 0; j < d; j++) dot += hidden[j] * keysU8[base + j];
      const similarity = (dot - 128 * sum) * inv * inverseNorms[i]; // the keys carry +128
      if (best.length === k && similarity <= best[k - 1].similarity) continue;
      let at = best.length < k ? best.length : k - 1;
      while (at > 0 && best[at - 1].similarity < similarity) at--;
      best.splice(at, 0, { index: i, similarity });
      if (best.length > k) best.pop();
    }
    return best;
  }

  /** The k nearest as the search kernel returns them (the model's graph), else by the loop above. */
  private async neighbours(hidden: Float32Array, search?: NearestSearch): Promise<{ index: number; similarity: number }[]> {
    if (!search) return this.nearest(hidden);
    const { keysU8, inverseNorms } = this.flat();
    const found: Neighbours = await search(keysU8, inverseNorms, this.d, hidden, this.settings.k);
    return Array.from(found.index, (index, i) => ({ index, similarity: found.similarity[i] }));
  }

  /** row (logits) <- log((1 - lambda) softmax(row) + lambda memory(hidden)). */
  async mix(row: Float32Array, hidden: Float32Array, search?: NearestSearch): Promise<void> {
    if (this.entries === 0) return;
    if (search?.mix) return search.mix(this.flat(), this.d, hidden, row, this.settings);
    const { lambda, temperature } = this.settings;
    const near = await this.neighbours(hidden, search);
    // In log space: every token's log((1 - lambda) p) is a shift of its logit; only the k tokens
    // the neighbours predict need a log of their mixture.
    let max = -Infinity;
    for (const x of row) if (x > max) max = x;
    let sum = 0;
    for (const x of row) sum += Math.exp(x - max);
    const shift = Math.log(1 - lambda) - max - Math.log(sum);
    const top = near[0]?.similarity ?? 0;
    const weights = near.map((n) => Math.exp((n.similarity - top) / temperature));
    const total = weights.reduce((a, b) => a + b, 0);
    const { values } = this.flat();
    const mass = new Map<number, number>();
    near.forEach((n, i) => mass.set(values[n.index], (mass.get(values[n.index]) ?? 0) + (lambda * weights[i]) / total));
    const model = new Map([...mass.keys()].map((token) => [token, Math.exp(row[token] + shift)]));
    for (let i = 0; i < row.length; i++) row[i] += shift;
    for (const [token, m] of mass) row[token] = Math.log(model.get(token)! + m);
  }
}
