import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportTinyModel, writeManifest } from "../engine/tinyModel.testutil";

/**
 * Test fixture: the random tiny model with a random workspace generator (training/export.py
 * --random-generator) and a manifest that names the generator. Plumbing only, never quality.
 */
export function exportTinyGeneratorModel(): string {
  const dir = exportTinyModel(["--random-generator"]);
  writeManifest(dir);
  addGeneratorToManifest(dir);
  return dir;
}

/** Names the generator files (written by export.py --random-generator or --generator) in the manifest. */
export function addGeneratorToManifest(dir: string): void {
  const path = join(dir, "manifest.json");
  const manifest = JSON.parse(readFileSync(path, "utf8"));
  manifest.generator = { contribution: "generator-contribution.onnx", adapter: "generator-adapter.onnx", config: "generator.json" };
  writeFileSync(path, JSON.stringify(manifest));
}
