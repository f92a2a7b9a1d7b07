import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { sha256 } from "./util";

/**
 * The pinned sources manifest (training/corpus/sources.json) and the code that fetches,
 * verifies and unpacks each source into .cache/sources/. Nothing is installed system-wide:
 * Debian packages are fetched with `apt-get download` and unpacked with `dpkg-deb -x`,
 * npm packages with `npm pack`.
 */
export type SourceKind = "deb-python" | "deb-stdlib" | "deb-jdk" | "deb-go" | "npm";

export interface SourceEntry {
  kind: SourceKind;
  name: string;
  version?: string;
  sha256?: string;
  licence?: string;
}

export interface Manifest {
  comment?: string;
  sources: SourceEntry[];
}

export const MANIFEST_PATH = resolve(__dirname, "sources.json");

export function loadManifest(path = MANIFEST_PATH): Manifest {
  return JSON.parse(readFileSync(path, "utf8")) as Manifest;
}

export function saveManifest(manifest: Manifest, path = MANIFEST_PATH): void {
  writeFileSync(path, JSON.stringify(manifest, null, 2) + "\n");
}

export function sourceId(entry: SourceEntry): string {
  return entry.kind === "npm" ? `npm/${entry.name}` : entry.name;
}

function run(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
}

let aptUpdated = false;

function aptDownload(spec: string, dir: string): void {
  try {
    run("apt-get", ["download", spec], dir);
  } catch (error) {
    if (aptUpdated) throw error;
    // A fresh machine may have no package lists yet, or stale ones.
    run("apt-get", ["update", "-qq"]);
    aptUpdated = true;
    run("apt-get", ["download", spec], dir);
  }
}

function aptCandidate(name: string): string {
  const policy = run("apt-cache", ["policy", name]);
  const match = /Candidate:\s*(\S+)/.exec(policy);
  if (!match || match[1] === "(none)") throw new Error(`apt has no candidate for ${name}`);
  return match[1];
}

/** The archive file of a source: downloads it when absent, returns its path. */
export function fetchArchive(entry: SourceEntry, cacheRoot: string, log: (m: string) => void): string {
  if (entry.kind === "npm") {
    const dir = join(cacheRoot, "npm");
    mkdirSync(dir, { recursive: true });
    const version = entry.version ?? run("npm", ["view", entry.name, "version"]).trim();
    const file = join(dir, `${entry.name.replace(/^@/, "").replace(/\//g, "-")}-${version}.tgz`);
    if (!existsSync(file)) {
      log(`npm pack ${entry.name}@${version}`);
      const out = JSON.parse(run("npm", ["pack", `${entry.name}@${version}`, "--json", "--pack-destination", dir]));
      const produced = join(dir, out[0].filename);
      if (produced !== file) renameSync(produced, file);
    }
    entry.version = version;
    return file;
  }
  const dir = join(cacheRoot, "deb");
  mkdirSync(dir, { recursive: true });
  const version = entry.version ?? aptCandidate(entry.name);
  // apt-get download names files NAME_VERSION_ARCH.deb with ':' in versions written as %3a.
  const fileVersion = version.replace(/:/g, "%3a");
  const find = () => readdirSync(dir).find((f) => f.startsWith(`${entry.name}_${fileVersion}_`) && f.endsWith(".deb"));
  let file = find();
  if (!file) {
    log(`apt-get download ${entry.name}=${version}`);
    aptDownload(`${entry.name}=${version}`, dir);
    file = find();
    if (!file) throw new Error(`apt-get download produced no file for ${entry.name}=${version}`);
  }
  entry.version = version;
  return join(dir, file);
}

/** Unpacks an archive once into cacheRoot/x/<id>; returns the unpacked folder. */
export function unpack(entry: SourceEntry, archive: string, digest: string, cacheRoot: string): string {
  const target = join(cacheRoot, "x", sourceId(entry).replace(/\//g, "__"));
  const marker = join(target, ".unpacked");
  if (existsSync(marker) && readFileSync(marker, "utf8") === digest) return target;
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  if (entry.kind === "npm") {
    run("tar", ["-xzf", archive, "-C", target, "--no-same-owner"]);
  } else {
    run("dpkg-deb", ["-x", archive, target]);
    if (entry.kind === "deb-jdk") {
      const zip = findFile(target, "src.zip");
      if (!zip) throw new Error("openjdk source package has no src.zip");
      mkdirSync(join(target, "src"), { recursive: true });
      run("unzip", ["-q", "-o", zip, "-d", join(target, "src")]);
    }
  }
  writeFileSync(marker, digest);
  return target;
}

function findFile(dir: string, name: string): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name === name) return path;
    if (entry.isDirectory()) {
      const found = findFile(path, name);
      if (found) return found;
    }
  }
  return undefined;
}

/** The licence a source declares: npm's package.json field, a Debian copyright file's first License:. */
export function detectLicence(entry: SourceEntry, unpacked: string): string {
  if (entry.kind === "npm") {
    try {
      const pkg = JSON.parse(readFileSync(join(unpacked, "package", "package.json"), "utf8"));
      const licence = pkg.license ?? pkg.licenses;
      return typeof licence === "string" ? licence : JSON.stringify(licence ?? "unknown");
    } catch {
      return "unknown";
    }
  }
  if (entry.kind === "deb-jdk") return "GPL-2.0 with Classpath Exception";
  const docDir = join(unpacked, "usr", "share", "doc", entry.name);
  const copyright = join(docDir, "copyright");
  if (!existsSync(copyright)) return "see Debian copyright file";
  const text = readFileSync(copyright, "utf8");
  const licences = [...text.matchAll(/^License:\s*(\S[^\n]*)$/gm)].map((m) => m[1].trim());
  // A DEP-5 "License:" line names the licence in its first words; prose means an old-style file.
  const named = licences.find((l) => /^[\w.+-]+( (or|and|with) [\w.+-]+)*$/i.test(l));
  return named ?? "see Debian copyright file (set by hand)";
}

export interface ReadySource {
  entry: SourceEntry;
  id: string;
  root: string; // the unpacked folder
  digest: string;
}

/**
 * Makes every source available. With `pin`, fills in missing versions, digests and licences
 * and rewrites the manifest; without it, every entry must be pinned and must match.
 */
export function prepareSources(
  manifest: Manifest, cacheRoot: string, pin: boolean, log: (m: string) => void, only?: Set<string>,
): ReadySource[] {
  const ready: ReadySource[] = [];
  for (const entry of manifest.sources) {
    if (only && !only.has(entry.name)) continue;
    if (!pin && (!entry.version || !entry.sha256)) {
      throw new Error(`source ${entry.name} is not pinned; run scripts/build-corpus --pin`);
    }
    const archive = fetchArchive(entry, cacheRoot, log);
    const digest = sha256(readFileSync(archive));
    if (entry.sha256 && entry.sha256 !== digest) {
      throw new Error(`sha256 mismatch for ${entry.name} ${entry.version}: manifest ${entry.sha256}, got ${digest} (${archive})`);
    }
    entry.sha256 = digest;
    const root = unpack(entry, archive, digest, cacheRoot);
    if (!entry.licence) entry.licence = detectLicence(entry, root);
    ready.push({ entry, id: sourceId(entry), root, digest });
  }
  if (pin) saveManifest(manifest);
  return ready;
}
