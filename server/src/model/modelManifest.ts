import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
import type { ModelStatus } from "../../../common/src/protocol";
import { LABELS, LABEL_SET_ID } from "../labeler/labels";

/**
 * Finds and verifies the installed model: `<modelDir>/manifest.json` lists the model files with
 * their sha256 and size, and the TTC label set the model was trained on. This module answers
 * "is a usable model there, and if not, what exactly is missing"; it never loads a session.
 *
 * Manifest shape accepted (fields the runtime needs beyond these are its business):
 *   { "name"?: string, "version"?: string,
 *     "labelSet"?: "ttc-v1", "labels"?: string[],
 *     "tasks"?: { "refine"?: { "disabled": "reason" } },   // tasks this model must not serve
 *     "files": [{ "path": "encoder.onnx", "sha256": "…", "bytes"?: 123 }]   // or { "encoder.onnx": { "sha256", "bytes" } }
 *   }
 */
export interface ManifestFile {
  path: string;
  sha256: string;
  bytes?: number;
}

/** The extension root: the nearest folder above `start` whose package.json is CodeAdapt's. */
export function findExtensionRoot(start = __dirname): string | undefined {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, "utf8")).name === "codeadapt") return dir;
      } catch {
        /* not ours; keep walking */
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** The model folder: the `codeadapt.modelPath` setting (relative to the extension root), else `<extension>/models`. */
export function resolveModelDir(modelPath: string, extensionRoot = findExtensionRoot() ?? process.cwd()): string {
  if (process.env.CODEADAPT_MODEL_DIR && !modelPath) return resolve(process.env.CODEADAPT_MODEL_DIR);
  if (!modelPath) return join(extensionRoot, "models");
  return isAbsolute(modelPath) ? modelPath : resolve(extensionRoot, modelPath);
}

export function parseManifestFiles(files: unknown): ManifestFile[] | string {
  const list: ManifestFile[] = [];
  const add = (path: unknown, entry: any): string | undefined => {
    if (typeof path !== "string" || !path) return "a file entry has no path";
    if (typeof entry?.sha256 !== "string" || !/^[0-9a-f]{64}$/i.test(entry.sha256)) return `${path} has no valid sha256`;
    const bytes = entry.bytes ?? entry.size;
    list.push({ path, sha256: entry.sha256.toLowerCase(), bytes: typeof bytes === "number" ? bytes : undefined });
    return undefined;
  };
  if (Array.isArray(files)) {
    for (const entry of files) {
      const error = add(entry?.path, entry);
      if (error) return error;
    }
  } else if (files && typeof files === "object") {
    for (const [path, entry] of Object.entries(files)) {
      const error = add(path, entry);
      if (error) return error;
    }
  } else {
    return "it lists no files";
  }
  return list.length > 0 ? list : "it lists no files";
}

/** sha256 of a file, cached by path, size and mtime (model files are tens of MB). */
const hashCache = new Map<string, { key: string; sha256: string }>();

async function sha256Of(path: string): Promise<string> {
  const stat = statSync(path);
  const key = `${stat.size}:${stat.mtimeMs}`;
  const cached = hashCache.get(path);
  if (cached?.key === key) return cached.sha256;
  const hash = createHash("sha256");
  await new Promise<void>((done, fail) => {
    createReadStream(path).on("data", (chunk) => hash.update(chunk)).on("end", done).on("error", fail);
  });
  const sha256 = hash.digest("hex");
  hashCache.set(path, { key, sha256 });
  return sha256;
}

/** The tasks a parsed manifest disables, with their reasons (one reader for engine and server). */
export function disabledTasksOf(manifest: unknown): NonNullable<ModelStatus["disabledTasks"]> {
  const tasks = (manifest as { tasks?: Record<string, { disabled?: unknown }> } | undefined)?.tasks;
  const out: NonNullable<ModelStatus["disabledTasks"]> = {};
  for (const task of ["summarize", "refine"] as const) {
    const reason = tasks?.[task]?.disabled;
    if (reason) out[task] = String(reason);
  }
  return out;
}

const disabledCache = new Map<string, { key: string; tasks: NonNullable<ModelStatus["disabledTasks"]> }>();

/**
 * The tasks `<modelDir>/manifest.json` disables, from the manifest alone (cached by its size and
 * mtime): cheap enough for every code lens and code action request. Nothing when the manifest is
 * missing or unreadable (checkModel reports that). Never throws.
 */
export function disabledTasksIn(modelDir: string): NonNullable<ModelStatus["disabledTasks"]> {
  const manifestPath = join(modelDir, "manifest.json");
  try {
    const stat = statSync(manifestPath);
    const key = `${stat.size}:${stat.mtimeMs}`;
    const cached = disabledCache.get(manifestPath);
    if (cached?.key === key) return cached.tasks;
    const tasks = disabledTasksOf(JSON.parse(readFileSync(manifestPath, "utf8")));
    disabledCache.set(manifestPath, { key, tasks });
    return tasks;
  } catch {
    return {};
  }
}

/** Checks `<modelDir>/manifest.json` and every file it lists. Never throws. */
export async function checkModel(modelDir: string): Promise<ModelStatus> {
  const manifestPath = join(modelDir, "manifest.json");
  const status = (state: ModelStatus["state"], message: string, extra: Partial<ModelStatus> = {}): ModelStatus => ({
    state,
    manifestPath,
    message,
    loaded: false,
    ...extra,
  });
  if (!existsSync(manifestPath)) {
    return status("missing", `No CodeAdapt model installed: models/manifest.json not found at ${manifestPath}`);
  }
  let manifest: any;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  } catch (error) {
    return status("invalid", `The model manifest ${manifestPath} is not readable JSON: ${(error as Error).message}`);
  }
  const name = [manifest?.name, manifest?.version].filter((s) => typeof s === "string").join(" ") || undefined;
  const labelSet = typeof manifest?.labelSet === "string" ? manifest.labelSet : undefined;
  if (labelSet && labelSet !== LABEL_SET_ID) {
    return status("invalid", `The model was trained on label set ${labelSet}, this server labels with ${LABEL_SET_ID}`, { name, labelSet });
  }
  if (Array.isArray(manifest?.labels) && manifest.labels.join(",") !== LABELS.join(",")) {
    return status("invalid", `The model's label list in ${manifestPath} differs from this server's ${LABEL_SET_ID} labels`, { name, labelSet });
  }
  const files = parseManifestFiles(manifest?.files);
  if (typeof files === "string") return status("invalid", `The model manifest ${manifestPath} is unusable: ${files}`, { name, labelSet });
  for (const file of files) {
    const path = resolve(modelDir, file.path);
    if (!path.startsWith(resolve(modelDir) + sep)) {
      return status("invalid", `The model manifest names a file outside ${modelDir}: ${file.path}`, { name, labelSet });
    }
    if (!existsSync(path)) return status("invalid", `Model file missing: ${path} (listed in ${manifestPath})`, { name, labelSet });
    const size = statSync(path).size;
    if (file.bytes !== undefined && size !== file.bytes) {
      return status("invalid", `Model file ${path} has ${size} bytes, the manifest says ${file.bytes}`, { name, labelSet });
    }
    let actual: string;
    try {
      actual = await sha256Of(path);
    } catch (error) {
      return status("invalid", `Model file ${path} is not readable: ${(error as Error).message}`, { name, labelSet });
    }
    if (actual !== file.sha256) {
      return status("invalid", `Model file ${path} is corrupt or replaced: sha256 ${actual.slice(0, 12)}… does not match the manifest`, { name, labelSet });
    }
  }
  const disabledTasks = disabledTasksOf(manifest);
  const extra = Object.keys(disabledTasks).length > 0 ? { name, labelSet, disabledTasks } : { name, labelSet };
  return status("present", `Model ${name ?? "(unnamed)"} verified: ${files.length} files`, extra);
}
