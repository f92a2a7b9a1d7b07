import { createHash, randomBytes } from "node:crypto";
import {
  closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync,
  renameSync, rmSync, writeFileSync, writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { crc32 } from "node:zlib";

/**
 * On-disk cache of one workspace's adapter, in a folder of its own:
 *
 * contributions.pack: every chunk contribution computed so far, keyed by the chunk's sha256.
 *   header (64 B): "CAWSPACK" | u32 format version | u32 floats per record | 32 B stamp | 16 B zero
 *   record       : 32 B key | u32 tokens | f32 x floats | u32 crc32 of the record before it
 *   Append-only with fixed-size records: a record cut short by a cancel or a crash is dropped on
 *   open, and a record whose crc does not match is never used (its chunk is computed again).
 *   Compacted (rewritten to a temporary file, then renamed) when most records are stale.
 *
 * state.bin: the workspace's summed state and which chunks of which files it holds.
 *   "CAWSSTAT" | u32 format version | u32 header bytes | header JSON | zero pad to 8 |
 *   f64 x floats (the state S) | 32 B sha256 of all the bytes before it
 *   Written to a temporary file and renamed over the old one, so a reader sees the old state or
 *   the new one, never a mix. A state whose stamp, version, size or checksum is not the expected
 *   one is refused (and rebuilt by the caller), never loaded.
 *
 * The stamp is sha256 over the model manifest's hash, the generator's hash and the chunking
 * parameters: a cache made by another model, generator or chunker is foreign.
 */
export const STORE_VERSION = 1;
const PACK_MAGIC = Buffer.from("CAWSPACK");
const STATE_MAGIC = Buffer.from("CAWSSTAT");
const PACK_HEADER = 64;

export function makeStamp(...parts: (string | number)[]): string {
  return createHash("sha256").update(parts.join("\n")).digest("hex");
}

export interface CachedContribution {
  tokens: number;
  values: Float32Array;
}

export class ContributionPack {
  private fd: number;
  private readonly index = new Map<string, { offset: number; tokens: number }>();
  private size: number;
  /** Why an existing pack was discarded on open (foreign stamp, corrupt header), if it was. */
  readonly discarded?: string;

  private get recordBytes(): number {
    return 32 + 4 + this.floats * 4 + 4;
  }

  constructor(readonly path: string, readonly stamp: string, readonly floats: number) {
    mkdirSync(dirname(path), { recursive: true });
    let reason: string | undefined;
    if (existsSync(path)) {
      reason = this.headerProblem();
      if (reason) rmSync(path, { force: true });
    }
    this.discarded = reason;
    if (!existsSync(path)) writeFileSync(path, this.header());
    this.fd = openSync(path, "r+");
    this.size = PACK_HEADER;
    this.scan();
  }

  private header(): Buffer {
    const header = Buffer.alloc(PACK_HEADER);
    PACK_MAGIC.copy(header, 0);
    header.writeUInt32LE(STORE_VERSION, 8);
    header.writeUInt32LE(this.floats, 12);
    Buffer.from(this.stamp, "hex").copy(header, 16);
    return header;
  }

  private headerProblem(): string | undefined {
    const fd = openSync(this.path, "r");
    try {
      const header = Buffer.alloc(PACK_HEADER);
      if (readSync(fd, header, 0, PACK_HEADER, 0) < PACK_HEADER) return "truncated header";
      if (!header.subarray(0, 8).equals(PACK_MAGIC)) return "not a contribution pack";
      if (header.readUInt32LE(8) !== STORE_VERSION) return `format version ${header.readUInt32LE(8)}`;
      if (header.readUInt32LE(12) !== this.floats || header.subarray(16, 48).toString("hex") !== this.stamp) {
        return "made by another model or generator";
      }
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  /** Indexes the records' keys (not their values); a trailing partial record is cut off. */
  private scan(): void {
    const total = fstatSync(this.fd).size;
    const count = Math.floor((total - PACK_HEADER) / this.recordBytes);
    const head = Buffer.alloc(36);
    for (let i = 0; i < count; i++) {
      const offset = PACK_HEADER + i * this.recordBytes;
      readSync(this.fd, head, 0, 36, offset);
      this.index.set(head.subarray(0, 32).toString("hex"), { offset, tokens: head.readUInt32LE(32) });
    }
    this.size = PACK_HEADER + count * this.recordBytes;
    if (this.size !== total) ftruncateSync(this.fd, this.size);
  }

  /** Distinct chunks stored. */
  get count(): number {
    return this.index.size;
  }

  /** Records in the file (superseded ones included): compaction is worth it when far above the live chunks. */
  get records(): number {
    return (this.size - PACK_HEADER) / this.recordBytes;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  /** Tokens of a stored chunk (from the index: no read), or undefined. */
  tokensOf(key: string): number | undefined {
    return this.index.get(key)?.tokens;
  }

  /** The stored contribution, or undefined when absent or damaged (then it is forgotten). */
  get(key: string): CachedContribution | undefined {
    const offset = this.index.get(key)?.offset;
    if (offset === undefined) return undefined;
    const record = Buffer.alloc(this.recordBytes);
    const read = readSync(this.fd, record, 0, this.recordBytes, offset);
    const body = this.recordBytes - 4;
    if (read !== this.recordBytes || record.subarray(0, 32).toString("hex") !== key || crc32(record.subarray(0, body)) !== record.readUInt32LE(body)) {
      this.index.delete(key);
      return undefined;
    }
    const values = new Float32Array(this.floats);
    Buffer.from(values.buffer).set(record.subarray(36, 36 + this.floats * 4));
    return { tokens: record.readUInt32LE(32), values };
  }

  append(key: string, tokens: number, values: Float32Array): void {
    if (values.length !== this.floats) throw new Error(`contribution of ${values.length} values, expected ${this.floats}`);
    const record = this.encode(key, tokens, values);
    writeSync(this.fd, record, 0, record.length, this.size);
    this.index.set(key, { offset: this.size, tokens });
    this.size += record.length;
  }

  private encode(key: string, tokens: number, values: Float32Array): Buffer {
    const record = Buffer.alloc(this.recordBytes);
    Buffer.from(key, "hex").copy(record, 0);
    record.writeUInt32LE(tokens, 32);
    Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(record, 36);
    const body = this.recordBytes - 4;
    record.writeUInt32LE(crc32(record.subarray(0, body)), body);
    return record;
  }

  /** Rewrites the pack with only `live` keys (temporary file, then rename). */
  compact(live: Set<string>): void {
    const tmp = `${this.path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    const kept = new Map<string, { offset: number; tokens: number }>();
    let size = PACK_HEADER;
    try {
      const out = openSync(tmp, "w");
      try {
        writeSync(out, this.header());
        for (const key of live) {
          const entry = this.get(key);
          if (!entry) continue;
          const record = this.encode(key, entry.tokens, entry.values);
          writeSync(out, record, 0, record.length, size);
          kept.set(key, { offset: size, tokens: entry.tokens });
          size += record.length;
        }
        fsyncSync(out);
      } finally {
        closeSync(out);
      }
      renameSync(tmp, this.path);
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
    closeSync(this.fd);
    this.fd = openSync(this.path, "r+");
    this.size = size;
    this.index.clear();
    for (const [key, entry] of kept) this.index.set(key, entry);
  }

  close(): void {
    closeSync(this.fd);
  }
}

export interface FileEntry {
  size: number;
  mtimeMs: number;
  keys: string[];
  tokens: number;
}

export interface StoredState {
  stamp: string;
  root: string;
  tokens: number;
  chunks: number;
  builtAt: string;
  files: Map<string, FileEntry>;
  state: Float64Array;
}

interface StateHeader {
  stamp: string;
  root: string;
  floats: number;
  tokens: number;
  chunks: number;
  builtAt: string;
  files: [string, number, number, number, string[]][];
}

/** Writes state.bin atomically: a temporary file in the same folder, fsync, rename. */
export function writeState(path: string, stored: StoredState): void {
  const header: StateHeader = {
    stamp: stored.stamp,
    root: stored.root,
    floats: stored.state.length,
    tokens: stored.tokens,
    chunks: stored.chunks,
    builtAt: stored.builtAt,
    files: [...stored.files].map(([rel, f]) => [rel, f.size, f.mtimeMs, f.tokens, f.keys]),
  };
  const json = Buffer.from(JSON.stringify(header));
  const pad = (8 - ((16 + json.length) % 8)) % 8;
  const head = Buffer.alloc(16);
  STATE_MAGIC.copy(head, 0);
  head.writeUInt32LE(STORE_VERSION, 8);
  head.writeUInt32LE(json.length, 12);
  const body = Buffer.concat([head, json, Buffer.alloc(pad), Buffer.from(stored.state.buffer, stored.state.byteOffset, stored.state.byteLength)]);
  const digest = createHash("sha256").update(body).digest();
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, body);
      writeSync(fd, digest);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** Reads state.bin, or says why it cannot be used (missing, corrupt, foreign version or stamp). */
export function readState(path: string, stamp: string, floats: number): StoredState | { problem: string } {
  if (!existsSync(path)) return { problem: "no saved state" };
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return { problem: `unreadable: ${(error as Error).message}` };
  }
  if (bytes.length < 16 + 32 || !bytes.subarray(0, 8).equals(STATE_MAGIC)) return { problem: "not a workspace state file" };
  const version = bytes.readUInt32LE(8);
  if (version !== STORE_VERSION) return { problem: `format version ${version}, this server reads ${STORE_VERSION}` };
  const body = bytes.subarray(0, bytes.length - 32);
  if (!createHash("sha256").update(body).digest().equals(bytes.subarray(bytes.length - 32))) return { problem: "corrupt (checksum mismatch)" };
  const jsonBytes = bytes.readUInt32LE(12);
  let header: StateHeader;
  try {
    header = JSON.parse(bytes.subarray(16, 16 + jsonBytes).toString("utf8"));
  } catch {
    return { problem: "corrupt header" };
  }
  if (header.stamp !== stamp) return { problem: "made by another model version or generator" };
  const start = 16 + jsonBytes + ((8 - ((16 + jsonBytes) % 8)) % 8);
  if (header.floats !== floats || body.length - start !== floats * 8) return { problem: "state size differs from the generator's" };
  const state = new Float64Array(floats);
  Buffer.from(state.buffer).set(body.subarray(start));
  const files = new Map<string, FileEntry>();
  for (const [rel, size, mtimeMs, tokens, keys] of header.files) files.set(rel, { size, mtimeMs, tokens, keys });
  return { stamp, root: header.root, tokens: header.tokens, chunks: header.chunks, builtAt: header.builtAt, files, state };
}
