import { readdirSync } from "node:fs";
import { join } from "node:path";
import { languageFromPath, type LanguageId } from "../../server/src/parsing/languages";
import type { SourceKind } from "./sources";

/** A source file chosen for mining, or the reason it was skipped. */
export interface SourceFile {
  abs: string;
  path: string; // relative to the source's root, '/'-separated
  unit: string;
  lang: LanguageId;
}


const VENDORED = /(^|\/)(vendor|vendored|_vendor|_vendored|third_party|thirdparty|node_modules|bower_components)(\/|$)/;
const BUNDLE_DIRS = /(^|\/)(dist|build|bundles?|umd|esm5|fesm\d*|min)(\/|$)/;

/** Where a source's code lives inside its unpacked folder, and how paths map to units. */
export function layout(kind: SourceKind, name: string, root: string): { base: string; unitOf: (path: string) => string } {
  switch (kind) {
    case "deb-python":
      return { base: join(root, "usr/lib/python3/dist-packages"), unitOf: () => name };
    case "deb-stdlib":
      return {
        base: join(root, "usr/lib/python3.11"),
        unitOf: (path) => `stdlib/${path.split("/")[0].replace(/\.py$/, "")}`,
      };
    case "deb-jdk":
      return { base: join(root, "src"), unitOf: (path) => path.split("/")[0] };
    case "deb-go": {
      return {
        base: join(root, "usr/share/go-1.19/src"),
        // Top-level package trees (net/http -> go/net); cmd is split per tool, being many programs.
        unitOf: (path) => {
          const parts = path.split("/");
          return parts[0] === "cmd" && parts.length > 2 ? `go/cmd/${parts[1]}` : `go/${parts[0].replace(/\.go$/, "")}`;
        },
      };
    }
    case "npm":
      return { base: join(root, "package"), unitOf: () => `npm/${name}` };
  }
}

function walk(dir: string, rel: string, out: string[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    // Symlinks are skipped: Debian packages link shared copies, which would be duplicates.
    if (entry.isSymbolicLink()) continue;
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) walk(join(dir, entry.name), path, out);
    else if (entry.isFile()) out.push(path);
  }
}

/** Every file under `base`, sorted, as relative paths. */
export function listFiles(base: string): string[] {
  const out: string[] = [];
  walk(base, "", out);
  return out;
}

export type SkipReason =
  | "vendored" | "testdata" | "declaration file" | "minified" | "too large" | "long lines"
  | "generated" | "encoding" | "compiled (TS sources shipped)" | "dist bundle";

/**
 * Chooses files to mine. Returns accepted files and counts of skipped ones by reason.
 * `npm`: when a package ships TypeScript sources its .js files are compiled copies; when it
 * ships sources outside dist/build folders, those folders are bundles.
 */
export function selectFiles(
  kind: SourceKind, base: string, unitOf: (path: string) => string,
): { files: SourceFile[]; skipped: Map<string, number>; seen: number; skippedByLang: Map<string, Map<string, number>> } {
  const all = listFiles(base);
  const skipped = new Map<string, number>();
  const skippedByLang = new Map<string, Map<string, number>>();
  let current = "";
  const skip = (reason: SkipReason) => {
    skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
    const byReason = skippedByLang.get(current) ?? new Map<string, number>();
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    skippedByLang.set(current, byReason);
  };
  const candidates = all.filter((p) => languageFromPath(p) && !(kind === "deb-go" && !p.endsWith(".go")));
  let shipsTs = false;
  let shipsUnbundled = false;
  if (kind === "npm") {
    let ts = 0;
    let js = 0;
    for (const p of candidates) {
      if (VENDORED.test(p) || /\.d\.(ts|mts|cts)$/.test(p)) continue;
      // TypeScript in tests, examples or schema typings does not make the package's JS compiled output.
      if (/\.(ts|tsx|mts|cts)$/.test(p) && !/(^|\/)(tests?|examples?|fixtures|schemas|types)\//.test(p) && !/\.d\.\w+\.ts$/.test(p)) ts++;
      if (/\.[cm]?jsx?$/.test(p)) js++;
      if (!BUNDLE_DIRS.test(p)) shipsUnbundled = true;
    }
    shipsTs = ts > 0 && ts >= 0.3 * js;
  }
  const files: SourceFile[] = [];
  for (const path of candidates) {
    const lang = languageFromPath(path)!;
    current = lang;
    if (VENDORED.test(path)) { skip("vendored"); continue; }
    if (/(^|\/)testdata(\/|$)/.test(path)) { skip("testdata"); continue; }
    if (/(^|\/)(generated|__generated__)\//.test(path) || /_pb2\.py$|\.generated\.\w+$/.test(path)) { skip("generated"); continue; }
    if (/\.d\.(ts|mts|cts)$/.test(path)) { skip("declaration file"); continue; }
    if (/[.-]min\.[cm]?js$|\.bundle\.[cm]?js$/.test(path)) { skip("minified"); continue; }
    if (kind === "npm" && shipsTs && lang === "javascript") { skip("compiled (TS sources shipped)"); continue; }
    if (kind === "npm" && shipsUnbundled && BUNDLE_DIRS.test(path)) { skip("dist bundle"); continue; }
    files.push({ abs: join(base, path), path, unit: unitOf(path), lang });
  }
  return { files, skipped, seen: candidates.length, skippedByLang };
}
