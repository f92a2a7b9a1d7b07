import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ContributionPack, makeStamp, readState, writeState } from "./store";

const dir = mkdtempSync(join(tmpdir(), "codeadapt-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const key = (i: number) => makeStamp("chunk", i);
const values = (i: number) => Float32Array.from({ length: 6 }, (_, k) => i * 10 + k);

test("the pack survives a torn write, ignores damaged records, and compacts to the live chunks", () => {
  const path = join(dir, "a.pack");
  const stamp = makeStamp("model", 1);
  let pack = new ContributionPack(path, stamp, 6);
  for (let i = 0; i < 4; i++) pack.append(key(i), 10 + i, values(i));
  pack.close();
  appendFileSync(path, Buffer.alloc(17, 7)); // a record cut short by a cancel or crash
  pack = new ContributionPack(path, stamp, 6);
  assert.equal(pack.count, 4);
  assert.deepEqual(pack.get(key(2)), { tokens: 12, values: values(2) });
  assert.equal(pack.tokensOf(key(3)), 13);
  pack.close();
  // Flip a byte inside record 1's values: its crc no longer matches, so it is never used.
  const bytes = readFileSync(path);
  const record = 32 + 4 + 6 * 4 + 4;
  bytes[64 + record + 40] ^= 0xff;
  writeFileSync(path, bytes);
  pack = new ContributionPack(path, stamp, 6);
  assert.equal(pack.get(key(1)), undefined);
  assert.equal(pack.has(key(1)), false);
  pack.compact(new Set([key(0), key(3)]));
  assert.equal(pack.count, 2);
  assert.equal(statSync(path).size, 64 + 2 * record);
  assert.deepEqual(pack.get(key(3))?.values, values(3));
  pack.close();
  // Another model's stamp: the pack is discarded, not read.
  const foreign = new ContributionPack(path, makeStamp("model", 2), 6);
  assert.equal(foreign.count, 0);
  assert.match(foreign.discarded ?? "", /another model/);
  foreign.close();
});

test("state files are written whole and refused when foreign, truncated or corrupt", () => {
  const path = join(dir, "state.bin");
  const stamp = makeStamp("s");
  const stored = {
    stamp, root: "/w", tokens: 5, chunks: 2, builtAt: "now",
    files: new Map([["a.py", { size: 3, mtimeMs: 4, tokens: 5, keys: [key(1), key(2)] }]]),
    state: Float64Array.from([1.5, -2, 3]),
  };
  writeState(path, stored);
  const back = readState(path, stamp, 3);
  assert.ok(!("problem" in back));
  assert.deepEqual([...back.state], [1.5, -2, 3]);
  assert.deepEqual(back.files.get("a.py"), stored.files.get("a.py"));
  assert.match((readState(path, makeStamp("other"), 3) as { problem: string }).problem, /another model/);
  assert.match((readState(path, stamp, 4) as { problem: string }).problem, /size/);
  const whole = readFileSync(path);
  writeFileSync(path, whole.subarray(0, whole.length - 10));
  assert.match((readState(path, stamp, 3) as { problem: string }).problem, /corrupt/);
  writeFileSync(path, "garbage");
  assert.match((readState(path, stamp, 3) as { problem: string }).problem, /not a workspace state/);
});
