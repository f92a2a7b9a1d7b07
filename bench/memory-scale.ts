/**
 * How the workspace memory's build uses memory as the workspace grows (`npm run bench:memory-scale`),
 * not a timed test. Workspaces of 1x, 4x and 16x documented functions are written from the corpus's
 * held-out units (whole units, in name order, rebuilt from raw.jsonl), and each is built from an
 * empty cache in its own process with the installed model (models/). Per size:
 *   entries and their bytes (the memory is a datastore: it grows with the workspace, capped at
 *   DEFAULT_MAX_ENTRIES), the process's peak resident memory after loading the model, after the
 *   build, and the build's growth beyond the datastore it keeps (what a streaming build should
 *   hold flat); and what the build retains once garbage is collected (heap and buffers), against
 *   the datastore's own bytes.
 *   Build speed in functions/s and in source tokens/s, the latter counted over the corpus's own
 *   functions in the written files (the walk finds more, so it is a lower bound).
 *   BENCH_SCALE_BASE (100 of the corpus's documented functions; the walk finds more, since the
 *   corpus keeps only those with a usable summary), BENCH_CORPUS (.cache/corpus)
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { CodeModel } from "../server/src/engine/codeModel";
import { loadTokenizer } from "../training/tokenizer/tokenizer-file";
import { manifestSha256 } from "../server/src/workspace/generator";
import { WorkspaceMemoryIndex } from "../server/src/workspace/workspaceMemory";
import { loadUnits, memoryModel } from "../training/eval/workspaceEval";

const ROOT = resolve(__dirname, "..");
const MODELS = join(ROOT, "models");
const BASE = Number(process.env.BENCH_SCALE_BASE ?? 100);
const CORPUS = process.env.BENCH_CORPUS ?? join(ROOT, ".cache", "corpus");
const SCALES = [1, 4, 16];
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

interface Measure {
  scale: number;
  files: number;
  /** Source tokens of the corpus's functions in the written files (the walk finds more): a lower bound. */
  sourceTokens: number;
  functions: number;
  entries: number;
  datastoreBytes: number;
  rssModelBytes: number;
  peakRssBytes: number;
  buildMs: number;
  /** JavaScript heap and buffers in use after a full collection, after the build minus before it. */
  retainedBytes: number;
}

/** Heap in use plus buffers outside it (typed arrays, onnxruntime tensors), after a full collection. */
function inUse(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

let units: Awaited<ReturnType<typeof loadUnits>> | undefined;

const tokenizer = loadTokenizer(join(MODELS, "tokenizer.json")).tokenizer;
/** What the encoder reads of one function: its code, up to the model's 510 source tokens. */
const sourceTokens = (code: string) => Math.min(tokenizer.encode(code).length, 510);

/** Held-out units' files, in name order, into `folder` until they hold `functions` documented functions. */
async function writeWorkspace(folder: string, functions: number): Promise<{ files: number; sourceTokens: number }> {
  let count = 0;
  let files = 0;
  let tokens = 0;
  units ??= await loadUnits(CORPUS, "test");
  for (const unit of [...units.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const perFile = new Map<string, number>();
    const tokensPerFile = new Map<string, number>();
    for (const f of unit.functions) {
      perFile.set(f.path, (perFile.get(f.path) ?? 0) + 1);
      tokensPerFile.set(f.path, (tokensPerFile.get(f.path) ?? 0) + sourceTokens(f.code));
    }
    for (const [path, text] of unit.files) {
      if (count >= functions) break;
      if (!perFile.get(path)) continue;
      const file = join(folder, unit.name.replace(/[^\w.-]/g, "_"), path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      files++;
      count += perFile.get(path)!;
      tokens += tokensPerFile.get(path)!;
    }
  }
  if (count < functions) throw new Error(`the corpus's test units hold ${count} documented functions, fewer than ${functions}`);
  return { files, sourceTokens: tokens };
}

/** One workspace, in a fresh process (nothing else on its heap): load the model, build, report. */
async function measure(folder: string, scratch: string): Promise<Omit<Measure, "scale" | "files" | "sourceTokens">> {
  const model = await CodeModel.load(MODELS, ["cpu"], 2);
  const rssModelBytes = process.resourceUsage().maxRSS * 1024;
  const before = inUse();
  const index = new WorkspaceMemoryIndex(folder, memoryModel(model), { cacheDir: scratch, manifestSha256: manifestSha256(MODELS) });
  const built = await index.build();
  if (built.kind !== "built") throw new Error(built.message);
  const memory = index.memory!;
  const result = {
    functions: built.functions, entries: memory.size, buildMs: built.millis, retainedBytes: inUse() - before,
    datastoreBytes: memory.size * (memory.d + 8), rssModelBytes, peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  await index.close();
  await model.release();
  return result;
}

async function main(): Promise<void> {
  const [folder, cache] = process.argv.slice(2);
  if (folder) {
    process.stdout.write(JSON.stringify(await measure(folder, cache)));
    return;
  }
  const scratch = mkdtempSync(join(tmpdir(), "codeadapt-memory-scale-"));
  const rows: Measure[] = [];
  try {
    for (const scale of SCALES) {
      const ws = join(scratch, `ws-${scale}`);
      const written = await writeWorkspace(ws, BASE * scale);
      const out = execFileSync(process.execPath, [...process.execArgv, "--expose-gc", __filename, ws, join(scratch, `cache-${scale}`)], { encoding: "utf8", maxBuffer: 1 << 20 });
      rows.push({ scale, ...written, ...JSON.parse(out) });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log(`workspace memory build at 1x, 4x, 16x (${BASE} of the corpus's documented functions at 1x), each in its own process`);
  console.log("");
  console.log("| size | files | functions | entries | build | datastore | retained by the build (heap + buffers after a full GC) | peak RSS after the model loaded | peak RSS after the build | peak RSS growth beyond the datastore |");
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const beyond = r.peakRssBytes - r.rssModelBytes - r.datastoreBytes;
    const seconds = r.buildMs / 1000;
    const build = `${seconds.toFixed(1)} s, ${(r.functions / seconds).toFixed(1)} functions/s, ≥ ${Math.round(r.sourceTokens / seconds)} source tokens/s`;
    console.log(`| ${r.scale}x | ${r.files} | ${r.functions} | ${r.entries} | ${build} | ${mb(r.datastoreBytes)} MB | ${mb(r.retainedBytes)} MB | ${mb(r.rssModelBytes)} MB | ${mb(r.peakRssBytes)} MB | ${mb(beyond)} MB |`);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
