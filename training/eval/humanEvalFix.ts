import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FixItem } from "./benchmarks";

/**
 * Runs a candidate repair against HumanEvalFix's tests in a subprocess: a fresh temporary
 * folder, a wall-clock timeout, a memory cap (ulimit -v) and no stdin. The machine has no
 * network; the candidate still runs as untrusted code, so nothing else is in reach of its cwd.
 */
export interface RunResult {
  passed: boolean;
  reason: string;
}

const TIMEOUT_MS = 10_000;
const MEMORY_KB = 2_000_000;

/** node's console.assert only prints; HumanEvalPack's JS tests rely on it, so make it throw. */
const JS_PRELUDE = "console.assert = (ok, ...m) => { if (!ok) throw new Error('assertion failed ' + m.join(' ')); };\n";

export function programFor(item: FixItem, candidate: string): string {
  if (item.language === "python") {
    return `${item.header}${candidate}\n\n${item.test}\n\ncheck(${item.entryPoint})\n`;
  }
  return `${JS_PRELUDE}${item.header}${candidate}\n\n${item.test}\n`;
}

export function runCandidate(item: FixItem, candidate: string, timeoutMs = TIMEOUT_MS): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "codeadapt-fix-"));
  const file = join(dir, item.language === "python" ? "candidate.py" : "candidate.js");
  writeFileSync(file, programFor(item, candidate));
  const interpreter = item.language === "python" ? "python3" : process.execPath;
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", `ulimit -v ${MEMORY_KB}; exec "$0" "$1"`, interpreter, file], {
      cwd: dir,
      stdio: ["ignore", "ignore", "pipe"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-2000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      if (signal) resolve({ passed: false, reason: `killed by ${signal} (timeout ${timeoutMs} ms)` });
      else resolve({ passed: code === 0, reason: code === 0 ? "passed" : lastLine(stderr) });
    });
  });
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "failed";
}

/** pass@1 with greedy decoding: the share of items whose single candidate passes. */
export async function passAt1(items: FixItem[], candidates: string[], concurrency = 2): Promise<boolean[]> {
  const results = new Array<boolean>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = (await runCandidate(items[i], candidates[i])).passed;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}
