import { realpathSync } from "node:fs";
import { relative, sep } from "node:path";
import type { Tree } from "web-tree-sitter";
import { languageFromPath, type LanguageId } from "../parsing/languages";
import { GitIgnores, readSource, skipByName } from "./walk";

/** A saved, created or deleted file as an update sees it. */
export type ChangedFile = {
  /** Path relative to the workspace root, with forward slashes. */
  rel: string;
  language: LanguageId;
} & (
  /** Why the file is left out now (ignored, deleted, too large...): an entry it had is removed. */
  | { exclusion: string; source?: undefined }
  | { exclusion?: undefined; source: ChangedSource }
);

export interface ChangedSource {
  /** The caller's text when given, else the file as read. */
  text: string;
  /** The caller's tree, only with the caller's text. */
  tree?: Tree;
  size: number;
  mtimeMs: number;
}

export interface ChangedFileOptions {
  maxFileBytes: number;
  /** The saved content and its tree, when the caller has them (saves a parse). */
  text?: string;
  tree?: Tree;
  /** When given, a file reached through a link leading out of this (real) folder is excluded. */
  realRoot?: string;
}

/**
 * Where `path` stands for an update of the index of `root`: `notIncluded` when it can never be
 * in it (outside the folder, unsupported language), else the exclusions of the walk (by name,
 * .gitignore, what the read finds) or its source.
 */
export async function readChangedFile(root: string, path: string, options: ChangedFileOptions): Promise<ChangedFile | { notIncluded: string }> {
  const rel = relative(root, path).split(sep).join("/");
  if (!rel || rel.startsWith("../") || rel === "..") return { notIncluded: "outside the workspace folder" };
  const language = languageFromPath(rel);
  if (!language) return { notIncluded: "not a supported language" };
  const exclusion = excludedByPath(root, rel) ?? (options.realRoot && !isInside(options.realRoot, path) ? "outside" : undefined);
  if (exclusion) return { rel, language, exclusion };
  const read = await readSource(path, options.maxFileBytes);
  if ("skip" in read) return { rel, language, exclusion: read.skip === "unreadable" ? "deleted or unreadable" : read.skip };
  const { text, tree } = options;
  const source = { text: text ?? read.text, tree: text !== undefined ? tree : undefined, size: read.size, mtimeMs: read.mtimeMs };
  return { rel, language, source };
}

function excludedByPath(root: string, rel: string): string | undefined {
  return skipByName(rel) ?? (new GitIgnores(root).ignoresPath(rel) ? "ignored" : undefined);
}

/** Whether `path` (resolved through links; a missing file counts as inside) lies in `realRoot`. */
function isInside(realRoot: string, path: string): boolean {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return true; // deleted: its entry is removed, nothing is read
  }
  return real === realRoot || real.startsWith(realRoot + sep);
}
