import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { MemoryRecord } from "./memory";

/**
 * A workspace memory on disk, one file written whole (temp file, then rename), so a reader never
 * sees half of one:
 *   "CAMEM1\n" | uint32 LE header length | header JSON | per record: values int32[n],
 *   inverse norms float32[n], keys int8[n*d] | sha256 of everything before it.
 * The header holds the stamp (store version, model manifest, settings that change records), the
 * folder, the files with their function keys, and each record's key and length. A file with
 * another stamp, another folder, a bad checksum or a short read is reported, never loaded.
 */
const MAGIC = Buffer.from("CAMEM1\n");

export interface MemoryFileEntry {
  size: number;
  mtimeMs: number;
  /** Content keys of the file's documented functions, in file order. */
  keys: string[];
}

export interface StoredMemory {
  stamp: string;
  root: string;
  builtAt: string;
  d: number;
  files: Map<string, MemoryFileEntry>;
  records: Map<string, MemoryRecord>;
}

interface Header {
  stamp: string;
  root: string;
  builtAt: string;
  d: number;
  files: Record<string, MemoryFileEntry>;
  records: [string, number][];
}

export function writeMemory(path: string, stored: StoredMemory): void {
  const header: Header = {
    stamp: stored.stamp,
    root: stored.root,
    builtAt: stored.builtAt,
    d: stored.d,
    files: Object.fromEntries(stored.files),
    records: [...stored.records].map(([key, r]) => [key, r.values.length]),
  };
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  const parts: Buffer[] = [MAGIC, length, json];
  for (const r of stored.records.values()) {
    parts.push(Buffer.from(r.values.buffer, r.values.byteOffset, r.values.byteLength));
    parts.push(Buffer.from(r.inverseNorms.buffer, r.inverseNorms.byteOffset, r.inverseNorms.byteLength));
    parts.push(Buffer.from(r.keys.buffer, r.keys.byteOffset, r.keys.byteLength));
  }
  const body = Buffer.concat(parts);
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, Buffer.concat([body, createHash("sha256").update(body).digest()]));
  renameSync(temp, path);
}

export function readMemory(path: string, stamp: string): StoredMemory | { problem: string } {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch {
    return { problem: "no saved memory" };
  }
  if (data.length < MAGIC.length + 4 + 32 || !data.subarray(0, MAGIC.length).equals(MAGIC)) return { problem: "not a workspace memory file" };
  const body = data.subarray(0, data.length - 32);
  if (!createHash("sha256").update(body).digest().equals(data.subarray(data.length - 32))) return { problem: "checksum mismatch (damaged file)" };
  const headerLength = body.readUInt32LE(MAGIC.length);
  let header: Header;
  try {
    header = JSON.parse(body.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength).toString("utf8")) as Header;
  } catch {
    return { problem: "unreadable header" };
  }
  if (header.stamp !== stamp) return { problem: "made by another model or settings" };
  const d = header.d;
  let at = MAGIC.length + 4 + headerLength;
  const records = new Map<string, MemoryRecord>();
  for (const [key, n] of header.records) {
    const bytes = n * 8 + n * d;
    if (at + bytes > body.length) return { problem: "truncated" };
    // Copies: typed arrays need aligned offsets, and the file buffer is released afterwards.
    const values = new Int32Array(n);
    const inverseNorms = new Float32Array(n);
    Buffer.from(values.buffer).set(body.subarray(at, at + 4 * n));
    Buffer.from(inverseNorms.buffer).set(body.subarray(at + 4 * n, at + 8 * n));
    const keys = new Int8Array(n * d);
    Buffer.from(keys.buffer).set(body.subarray(at + 8 * n, at + bytes));
    records.set(key, { values, inverseNorms, keys });
    at += bytes;
  }
  if (at !== body.length) return { problem: "trailing bytes" };
  return { stamp, root: header.root, builtAt: header.builtAt, d, files: new Map(Object.entries(header.files)), records };
}

export function removeMemory(path: string): void {
  rmSync(path, { force: true });
}
