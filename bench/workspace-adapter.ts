/**
 * Workspace adapter benchmark (`npm run bench:workspace`), not a timed test.
 *
 * Measures, with randomly initialised models exported by training/export.py (real graph shapes,
 * meaningless weights: speed and memory only) at the tiny and the small size:
 *   build       tokens/s of a full build (walk, parse, chunk, tokenize, encode, generator
 *               contributions, cache writes) of a real folder, from an empty cache;
 *   encoder     tokens/s of the encoder + contribution graphs alone on the same kind of windows,
 *               measured in the same process: the baseline the build is compared with;
 *   update      milliseconds of the incremental update after a one-function edit and save;
 *   memory      peak RSS of builds of 1x, 4x and 16x as much context (token caps over a large
 *               folder), each in a fresh process, against the RSS with the model loaded.
 * Every measurement runs in its own child process (peak RSS is per process) and is repeated;
 * medians are reported. Targets (DESIGN.md): build >= 5k tokens/s on CPU, memory flat in
 * workspace size, update <= 50 ms.
 *
 * Folders: Debian source packages under .cache/sources/deb are unpacked to .cache/bench/src
 * (python3-click for build/update, libpython3.11-stdlib for memory); without them this
 * repository's server/ and training/ folders are used.
 *   BENCH_REPEATS (3), BENCH_SIZES ("tiny,small"), BENCH_SMALL_CAP (tokens, 30000),
 *   BENCH_MEMORY_BASE (tokens at 1x, 20000; the small model takes a quarter), BENCH_MEMORY_ALL=1
 *   (memory of the small model too), BENCH_ONLY=build|memory, BENCH_THREADS (2)
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CodeModel } from "../server/src/engine/codeModel";
import { writeManifest } from "../server/src/engine/tinyModel.testutil";
import { manifestSha256, WorkspaceGenerator } from "../server/src/workspace/generator";
import { addGeneratorToManifest } from "../server/src/workspace/tinyGenerator.testutil";
import { WorkspaceAdapter } from "../server/src/workspace/workspaceAdapter";
import { createParser, parseText } from "../server/src/parsing/parser";

const ROOT = resolve(__dirname, "..");
const BENCH = join(ROOT, ".cache/bench");
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const SIZES = (process.env.BENCH_SIZES ?? "tiny,small").split(",");
const SMALL_CAP = Number(process.env.BENCH_SMALL_CAP ?? 30_000);
const MEMORY_BASE = Number(process.env.BENCH_MEMORY_BASE ?? 20_000);
const THREADS = Number(process.env.BENCH_THREADS ?? 2);

interface ChildTask {
  modelDir: string;
  folder: string;
  maxTokens: number;
  updates: number;
  encoderBaseline: boolean;
  maxFileBytes?: number;
}

interface ChildResult {
  files: number;
  chunks: number;
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
  encoderTokensPerSecond?: number;
  updateMs: number[];
  updateWithTreeMs: number[];
  rssModelMB: number;
  peakRssMB: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

const spread = (xs: number[]) => `${median(xs).toFixed(1)} (${xs.length} edits, min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`;

// ------------------------------------------------------------------------------------ child

async function child(task: ChildTask): Promise<ChildResult> {
  const model = await CodeModel.load(task.modelDir, ["cpu"], THREADS);
  const generator = (await WorkspaceGenerator.fromModelDir(task.modelDir, model.seq2seq.contract, ["cpu"], THREADS))!;
  const rssModelMB = process.memoryUsage().rss / 2 ** 20;
  const cacheDir = mkdtempSync(join(tmpdir(), "codeadapt-bench-cache-"));
  const work = mkdtempSync(join(tmpdir(), "codeadapt-bench-src-"));
  try {
    // Updates edit files: build a private copy of the folder when updates are measured.
    const folder = task.updates > 0 ? (cpSync(task.folder, work, { recursive: true }), work) : task.folder;
    const adapter = await WorkspaceAdapter.open(folder, model, generator, {
      cacheDir, manifestSha256: manifestSha256(task.modelDir), maxTokens: task.maxTokens, maxFileBytes: task.maxFileBytes,
    });
    const started = performance.now();
    const result = await adapter.build({ force: true });
    const seconds = (performance.now() - started) / 1000;
    if (result.kind !== "built") throw new Error(`nothing built in ${folder}: ${JSON.stringify(result)}`);
    const updateMs: number[] = [];
    const updateWithTreeMs: number[] = [];
    if (task.updates > 0) {
      const files = [...(adapter as unknown as { active: { files: Map<string, unknown> } }).active.files.keys()].filter((f) => f.endsWith(".py"));
      const parser = await createParser("python");
      for (let i = 0; i < 2 * task.updates; i++) {
        const path = join(folder, files[i % files.length]);
        const text = readFileSync(path, "utf8");
        const at = text.indexOf("\n    return ");
        if (at < 0) continue;
        // One function edited: a statement added before its first return, then saved.
        const edited = text.slice(0, at) + `\n    _bench_edit_${i} = ${i}` + text.slice(at);
        writeFileSync(path, edited);
        // Odd rounds: as on didSave of an open document, whose tree the server keeps up to date
        // while the user types (that parse is not part of the save). Even rounds: from disk only.
        const tree = i % 2 ? parseText(parser, edited) : undefined;
        const t0 = performance.now();
        const update = tree ? await adapter.update(path, edited, tree) : await adapter.update(path);
        const ms = performance.now() - t0;
        tree?.delete();
        if (update.kind !== "updated" || update.encoded !== 1) throw new Error(`update of ${path}: ${JSON.stringify(update)}`);
        (tree ? updateWithTreeMs : updateMs).push(ms);
      }
      parser.delete();
    }
    let encoderTokensPerSecond: number | undefined;
    if (task.encoderBaseline) {
      // The same work without walk/parse/tokenize/cache: 256-token windows through encoder + generator.
      const window = Array.from({ length: 256 }, (_, i) => 400 + ((i * 7919) % 7000));
      let tokens = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 5000) {
        const batch = [window, window, window, window];
        await generator.chunkContributions(await model.seq2seq.encodeContext(batch));
        tokens += 4 * 256;
      }
      encoderTokensPerSecond = tokens / ((performance.now() - t0) / 1000);
    }
    await adapter.close();
    return {
      files: result.files, chunks: result.chunks, tokens: result.tokens, seconds, tokensPerSecond: result.tokens / seconds,
      encoderTokensPerSecond, updateMs, updateWithTreeMs, rssModelMB, peakRssMB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await model.release();
    await generator.release();
    rmSync(cacheDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------ parent

function modelDir(size: string): string {
  const dir = join(BENCH, `model-${size}`);
  if (!existsSync(join(dir, "manifest.json"))) {
    mkdirSync(dir, { recursive: true });
    console.error(`exporting a random ${size} model with a random generator to ${dir} ...`);
    execFileSync("/usr/bin/python3", [join(ROOT, "training/export.py"), "--random-config", join(ROOT, `training/configs/${size}.json`),
      "--random-generator", "--out", dir], { stdio: ["ignore", "ignore", "inherit"] });
    writeManifest(dir);
    addGeneratorToManifest(dir);
  }
  return dir;
}

/** A Debian package's Python sources, unpacked once (the package folder itself, not usr/lib/...). */
function unpacked(pkg: string, inner: string): string | undefined {
  const debs = existsSync(join(ROOT, ".cache/sources/deb")) ? readdirSync(join(ROOT, ".cache/sources/deb")) : [];
  const deb = debs.find((name) => name.startsWith(`${pkg}_`) && name.endsWith(".deb"));
  if (!deb) return undefined;
  const out = join(BENCH, "src", pkg);
  if (!existsSync(out)) {
    mkdirSync(out, { recursive: true });
    execFileSync("dpkg-deb", ["-x", join(ROOT, ".cache/sources/deb", deb), out]);
  }
  return existsSync(join(out, inner)) ? join(out, inner) : undefined;
}

function runChild(task: ChildTask): ChildResult {
  const out = spawnSync(process.execPath, ["--import", "tsx", __filename, "--child", JSON.stringify(task)], {
    cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 24,
  });
  if (out.status !== 0) throw new Error(`child failed: ${out.stderr}`);
  const line = out.stdout.trim().split("\n").pop()!;
  return JSON.parse(line) as ChildResult;
}

async function main(): Promise<void> {
  const buildFolder = unpacked("python3-click", "usr/lib/python3/dist-packages/click") ?? join(ROOT, "server");
  const memoryFolder = unpacked("libpython3.11-stdlib", "usr/lib/python3.11") ?? ROOT;
  console.log(`# workspace adapter benchmark, ${new Date().toISOString()}`);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, ${THREADS} onnxruntime threads, load average ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
  console.log(`build folder: ${buildFolder}\nmemory folder: ${memoryFolder}\nmedians over ${REPEATS} runs, each in a fresh process with an empty cache\n`);
  const only = process.env.BENCH_ONLY; // "build" or "memory": one part only
  const rows: string[] = ["| model | tokens built | build tokens/s | encoder-only tokens/s | build / encoder | update after a one-function edit, from disk (ms) | same, open document's tree given (ms) | peak RSS (MB) |", "|---|---|---|---|---|---|---|---|"];
  for (const size of only === "memory" ? [] : SIZES) {
    const dir = modelDir(size);
    const cap = size === "tiny" ? 10_000_000 : SMALL_CAP;
    const runs = Array.from({ length: REPEATS }, (_, i) => runChild({ modelDir: dir, folder: buildFolder, maxTokens: cap, updates: i === 0 ? 11 : 0, encoderBaseline: true }));
    const build = median(runs.map((r) => r.tokensPerSecond));
    const encoder = median(runs.map((r) => r.encoderTokensPerSecond!));
    rows.push(`| ${size} | ${runs[0].tokens} (${runs[0].files} files, ${runs[0].chunks} chunks) | ${build.toFixed(0)} | ${encoder.toFixed(0)} | ${(build / encoder).toFixed(2)} | ${spread(runs[0].updateMs)} | ${spread(runs[0].updateWithTreeMs)} | ${median(runs.map((r) => r.peakRssMB)).toFixed(0)} |`);
    console.error(`${size}: ${JSON.stringify(runs)}`);
  }
  console.log(rows.join("\n"));
  console.log(`\nmemory at 1x / 4x / 16x context (token caps over the memory folder, files up to 64 KiB so the caps bind closely; small model at a quarter of the tiny one's tokens):\n`);
  const mem: string[] = ["| model | context | tokens | files | RSS with model loaded (MB) | peak RSS (MB) | peak - loaded (MB) | tokens/s |", "|---|---|---|---|---|---|---|---|"];
  for (const size of only === "build" ? [] : SIZES) {
    if (size !== "tiny" && !process.env.BENCH_MEMORY_ALL) continue; // the small model's 16x build takes too long on 2 cores
    const dir = modelDir(size);
    for (const factor of [1, 4, 16]) {
      const runs = Array.from({ length: Math.max(1, REPEATS - 1) }, () => runChild({ modelDir: dir, folder: memoryFolder, maxTokens: factor * (size === "tiny" ? MEMORY_BASE : MEMORY_BASE / 4), updates: 0, encoderBaseline: false, maxFileBytes: 64 * 1024 }));
      const loaded = median(runs.map((r) => r.rssModelMB));
      const peak = median(runs.map((r) => r.peakRssMB));
      mem.push(`| ${size} | ${factor}x | ${runs[0].tokens} | ${runs[0].files} | ${loaded.toFixed(0)} | ${peak.toFixed(0)} | ${(peak - loaded).toFixed(0)} | ${median(runs.map((r) => r.tokensPerSecond)).toFixed(0)} |`);
      console.error(`${size} ${factor}x: ${JSON.stringify(runs)}`);
    }
  }
  console.log(mem.join("\n"));
}

if (process.argv[2] === "--child") {
  child(JSON.parse(process.argv[3]) as ChildTask).then(
    (result) => console.log(JSON.stringify(result)),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
