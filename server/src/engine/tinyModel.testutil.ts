import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LABELS, LABEL_SET_ID } from "../labeler/labels";

/**
 * Test fixture: a randomly initialised tiny model exported by training/export.py (real graphs,
 * meaningless weights) with the repository's tokenizer and a manifest, in a temporary folder.
 * It tests the plumbing (export, manifest, tokenizer, sessions, search), never output quality.
 */
export const ROOT = resolve(__dirname, "../../..");

export function exportTinyModel(extraArgs: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), "codeadapt-tiny-"));
  execFileSync("/usr/bin/python3", [join(ROOT, "training/export.py"), "--random-config", join(ROOT, "training/configs/tiny.json"), "--out", dir, ...extraArgs], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  return dir;
}

export function writeManifest(dir: string, adapters: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): void {
  copyFileSync(join(ROOT, "models/tokenizer.json"), join(dir, "tokenizer.json"));
  const sha = (name: string) => createHash("sha256").update(readFileSync(join(dir, name))).digest("hex");
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name).slice(dir.length + 1))
    .filter((name) => name !== "manifest.json")
    .map((path) => ({ path, sha256: sha(path) }));
  const tokenizerSha = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8")).sha256;
  writeFileSync(join(dir, "manifest.json"), JSON.stringify({
    name: "tiny-random", version: "test", labelSet: LABEL_SET_ID, labels: LABELS, files,
    tokenizer: { path: "tokenizer.json", sha256: tokenizerSha }, onnx: { dir: "." }, adapters, ...extra,
  }));
}
