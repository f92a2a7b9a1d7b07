// Runs every unit test (*.test.ts next to the code) with node's test runner through tsx.
// Node 20's `--test` takes no glob patterns, so the files are listed here.
// Protocol tests (test/protocol) and end-to-end tests (test/e2e) have their own scripts.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";

const root = join(import.meta.dirname, "..");
const roots = ["client/src", "server/src", "common/src", "training", "scripts", "bench"];
const skip = new Set(["node_modules", "fixtures", "runs", "__pycache__", ".cache"]);

function* testFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && !skip.has(entry.name)) yield* testFiles(path);
    else if (entry.isFile() && entry.name.endsWith(".test.ts")) yield relative(root, path);
  }
}

const files = roots.flatMap((dir) => [...testFiles(join(root, dir))]).sort();
if (files.length === 0) {
  console.error("no unit tests found");
  process.exit(1);
}
const result = spawnSync(process.execPath, ["--import", "tsx", "--test", ...process.argv.slice(2), ...files], { cwd: root, stdio: "inherit" });
process.exit(result.status ?? 1);
