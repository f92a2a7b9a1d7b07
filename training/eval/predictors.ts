import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { LanguageId } from "../../server/src/parsing/languages";
import { nameBaseline } from "./baselines";

/** Something that turns code into summaries or repaired code, one output per input. */
export type Task = "summarize" | "refine";
export interface Input {
  id: string;
  language: LanguageId;
  code: string;
}
export type Predictor = (task: Task, inputs: Input[]) => Promise<string[]>;

export const baselinePredictor: Predictor = async (task, inputs) =>
  task === "summarize" ? nameBaseline(inputs) : inputs.map((input) => input.code);

/**
 * The shipped path: the TypeScript engine's batch mode (`codeadapt TASK --jsonl IN`), which loads
 * the ONNX model once and prints `{id, summary}` or `{id, code}` lines.
 */
export function cliPredictor(cliPath = resolve(__dirname, "../../dist/cli.js"), extraArgs: string[] = []): Predictor {
  return async (task, inputs) => {
    if (!existsSync(cliPath)) throw new Error(`engine CLI not found at ${cliPath}: run \`npm run build\` first`);
    const dir = mkdtempSync(join(tmpdir(), "codeadapt-eval-"));
    try {
      const input = join(dir, "in.jsonl");
      writeFileSync(input, inputs.map((item) => JSON.stringify(item)).join("\n") + "\n");
      const run = spawnSync(process.execPath, [cliPath, task, "--jsonl", input, ...extraArgs], {
        encoding: "utf8",
        maxBuffer: 1 << 30,
        stdio: ["ignore", "pipe", "inherit"],
      });
      if (run.status !== 0) throw new Error(`codeadapt ${task} --jsonl exited with ${run.status}`);
      const byId = new Map<string, string>();
      for (const line of run.stdout.split("\n")) {
        if (!line.trim()) continue;
        const row = JSON.parse(line);
        byId.set(row.id, task === "summarize" ? row.summary : row.code);
      }
      return inputs.map((item) => byId.get(item.id) ?? "");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
