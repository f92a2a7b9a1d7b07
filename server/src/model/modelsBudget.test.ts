import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { test } from "node:test";

/**
 * models/ is committed: the whole folder stays within 60 MB and no file reaches GitHub's 50 MB
 * limit (shard or quantize instead). Raise the budget only with a reason in the commit.
 */
const BUDGET_BYTES = 60 * 1024 * 1024;
const FILE_LIMIT_BYTES = 50 * 1000 * 1000;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

test("models/ stays within its size budget", () => {
  const all = files(resolve(__dirname, "../../../models"));
  const sizes = all.map((path) => [path, statSync(path).size] as const);
  for (const [path, size] of sizes) assert.ok(size < FILE_LIMIT_BYTES, `${path} is ${size} bytes`);
  const total = sizes.reduce((sum, [, size]) => sum + size, 0);
  assert.ok(total <= BUDGET_BYTES, `models/ holds ${total} bytes, over the ${BUDGET_BYTES}-byte budget`);
});
