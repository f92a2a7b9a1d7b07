import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { makeRecord, type MemoryRecord } from "./memory";
import { readMemory, writeMemory, type StoredMemory } from "./memoryStore";

const dir = mkdtempSync(join(tmpdir(), "codeadapt-memstore-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function stored(): StoredMemory {
  const d = 4;
  const records = new Map([
    ["k1", makeRecord(new Float32Array([1, 0, 0, 0, 0, 1, 0, 0]), [9, 2], d)],
    ["k2", makeRecord(new Float32Array([0.5, 0.5, 0, -1]), [2], d)],
  ]);
  return { stamp: "s", root: "/r", builtAt: "t", d, files: new Map([["a.py", { size: 3, mtimeMs: 4, keys: ["k1", "k2"] }]]), records };
}

test("a saved memory reads back record for record", () => {
  const path = join(dir, "m.bin");
  writeMemory(path, stored());
  const read = readMemory(path, "s");
  assert.ok(!("problem" in read));
  const back: StoredMemory = read;
  assert.deepEqual([...back.files], [...stored().files]);
  for (const [key, r] of stored().records) {
    const b: MemoryRecord = back.records.get(key)!;
    assert.deepEqual([...b.keys], [...r.keys]);
    assert.deepEqual([...b.values], [...r.values]);
    assert.deepEqual([...b.inverseNorms], [...r.inverseNorms]);
  }
});

test("another stamp, a damaged byte, a truncated file or no file is a problem, never a memory", () => {
  const path = join(dir, "m2.bin");
  writeMemory(path, stored());
  assert.match((readMemory(path, "other") as { problem: string }).problem, /another model/);
  const bytes = readFileSync(path);
  const damaged = Buffer.from(bytes);
  damaged[damaged.length - 40] ^= 1;
  writeFileSync(path, damaged);
  assert.match((readMemory(path, "s") as { problem: string }).problem, /checksum/);
  writeFileSync(path, bytes.subarray(0, 20));
  assert.ok("problem" in readMemory(path, "s"));
  assert.equal((readMemory(join(dir, "none.bin"), "s") as { problem: string }).problem, "no saved memory");
});
