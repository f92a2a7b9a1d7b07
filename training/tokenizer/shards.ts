/**
 * Binary shard writer and reader (the data contract with training/data.py):
 *   NAME.ids.bin    uint16 little-endian token ids, sequences concatenated
 *   NAME.idx.bin    int64 little-endian offsets, n+1 entries; sequence i = ids[off[i]:off[i+1]]
 *   NAME.lab.bin    uint8 TTC label per token (255 = none), 1:1 with ids (TTC shards only)
 *   NAME.meta.jsonl one row per sequence: {"id","unit","lang"}
 * Files are written under a ".partial" name and renamed on close, so a crash never leaves a
 * shard that looks complete.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";

export interface SequenceMeta {
  id: string;
  unit: string;
  lang: string;
}

const FLUSH_TOKENS = 1 << 20;

export class ShardWriter {
  private readonly files: string[];
  private readonly ids: number;
  private readonly lab: number | undefined;
  private readonly meta: number;
  private idBuf = new Uint16Array(FLUSH_TOKENS);
  private labBuf = new Uint8Array(FLUSH_TOKENS);
  private fill = 0;
  private metaLines: string[] = [];
  private offsets: number[] = [0];
  private total = 0;
  private closed = false;

  constructor(
    readonly prefix: string,
    readonly withLabels: boolean,
  ) {
    this.files = ["ids.bin", "idx.bin", "meta.jsonl", ...(withLabels ? ["lab.bin"] : [])].map((s) => `${prefix}.${s}`);
    this.ids = openSync(`${prefix}.ids.bin.partial`, "w");
    this.meta = openSync(`${prefix}.meta.jsonl.partial`, "w");
    this.lab = withLabels ? openSync(`${prefix}.lab.bin.partial`, "w") : undefined;
  }

  get sequences(): number {
    return this.offsets.length - 1;
  }

  get tokens(): number {
    return this.total;
  }

  add(ids: ArrayLike<number>, meta: SequenceMeta, labels?: ArrayLike<number>): void {
    if (this.closed) throw new Error(`${this.prefix}: shard already closed`);
    if (this.withLabels !== (labels !== undefined)) throw new Error(`${this.prefix}: labels ${this.withLabels ? "required" : "not expected"}`);
    if (labels && labels.length !== ids.length) throw new Error(`${this.prefix}: ${labels.length} labels for ${ids.length} ids`);
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      if (!(id >= 0 && id < 65536 && Number.isInteger(id))) throw new Error(`${this.prefix}: id ${id} does not fit uint16`);
      if (this.fill === FLUSH_TOKENS) this.flush();
      this.idBuf[this.fill] = id;
      if (labels) this.labBuf[this.fill] = labels[k];
      this.fill++;
    }
    this.total += ids.length;
    this.offsets.push(this.total);
    this.metaLines.push(JSON.stringify({ id: meta.id, unit: meta.unit, lang: meta.lang }));
    if (this.metaLines.length >= 4096) this.flushMeta();
  }

  private flush(): void {
    // Uint16Array is little-endian on every platform Node runs on here (x86-64, arm64).
    writeSync(this.ids, new Uint8Array(this.idBuf.buffer, 0, this.fill * 2));
    if (this.lab !== undefined) writeSync(this.lab, this.labBuf.subarray(0, this.fill));
    this.fill = 0;
  }

  private flushMeta(): void {
    if (this.metaLines.length) writeSync(this.meta, this.metaLines.join("\n") + "\n");
    this.metaLines = [];
  }

  /** Finishes the shard; returns the final file paths. */
  close(): string[] {
    if (this.closed) return this.files;
    this.flush();
    this.flushMeta();
    closeSync(this.ids);
    closeSync(this.meta);
    if (this.lab !== undefined) closeSync(this.lab);
    const idx = Buffer.alloc(this.offsets.length * 8);
    this.offsets.forEach((o, k) => idx.writeBigInt64LE(BigInt(o), k * 8));
    const fd = openSync(`${this.prefix}.idx.bin.partial`, "w");
    writeSync(fd, idx);
    closeSync(fd);
    for (const f of this.files) renameSync(`${f}.partial`, f);
    this.closed = true;
    return this.files;
  }

  /** Removes the partial files (used when nothing was written). */
  discard(): void {
    if (!this.closed) {
      closeSync(this.ids);
      closeSync(this.meta);
      if (this.lab !== undefined) closeSync(this.lab);
      this.closed = true;
    }
    for (const f of this.files) {
      rmSync(`${f}.partial`, { force: true });
      rmSync(f, { force: true });
    }
  }
}

/** Reads a shard back (tests and checks). */
export function readShard(prefix: string): { sequences: number[][]; labels?: number[][]; meta: SequenceMeta[] } {
  const idsBuf = readFileSync(`${prefix}.ids.bin`);
  const idxBuf = readFileSync(`${prefix}.idx.bin`);
  const ids = new Uint16Array(idsBuf.buffer.slice(idsBuf.byteOffset, idsBuf.byteOffset + idsBuf.length));
  const n = idxBuf.length / 8 - 1;
  const off = Array.from({ length: n + 1 }, (_, k) => Number(idxBuf.readBigInt64LE(k * 8)));
  const sequences = Array.from({ length: n }, (_, i) => Array.from(ids.subarray(off[i], off[i + 1])));
  let labels: number[][] | undefined;
  if (existsSync(`${prefix}.lab.bin`)) {
    const lab = readFileSync(`${prefix}.lab.bin`);
    labels = Array.from({ length: n }, (_, i) => Array.from(lab.subarray(off[i], off[i + 1])));
  }
  const metaText = readFileSync(`${prefix}.meta.jsonl`, "utf8");
  const meta = metaText.split("\n").filter(Boolean).map((l) => JSON.parse(l) as SequenceMeta);
  return { sequences, labels, meta };
}
