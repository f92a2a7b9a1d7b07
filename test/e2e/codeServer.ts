/**
 * Starting code-server for the end-to-end test and for scripts/run-editor: where it is installed
 * (scripts/setup-editor), installing a .vsix into a fresh extensions dir, and starting the server on
 * 127.0.0.1 with a free port, no auth, and its own user-data dir, so a test never touches the
 * user's own editor state.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";

export const repoRoot = resolve(__dirname, "..", "..");
export const CODE_SERVER_VERSION = "4.100.3";

export function codeServerEntry(): string {
  const dir = process.env.CODEADAPT_CODE_SERVER_DIR ?? join(repoRoot, ".cache", "code-server");
  return join(dir, "node_modules", "code-server", "out", "node", "entry.js");
}

/** Installs code-server when it is missing (scripts/setup-editor is idempotent and quick when done). */
export function ensureCodeServer(): string {
  const entry = codeServerEntry();
  if (!existsSync(entry)) {
    const r = spawnSync(join(repoRoot, "scripts", "setup-editor"), { stdio: "inherit", cwd: repoRoot });
    if (r.status !== 0) throw new Error(`scripts/setup-editor failed (exit ${r.status}); code-server is not installed`);
  }
  if (!existsSync(entry)) throw new Error(`code-server not found at ${entry} after scripts/setup-editor`);
  return entry;
}

/** The newest linux-x64 .vsix that `npm run package` wrote, or null. CODEADAPT_VSIX overrides. */
export function findVsix(): string | null {
  if (process.env.CODEADAPT_VSIX) {
    if (!existsSync(process.env.CODEADAPT_VSIX)) throw new Error(`CODEADAPT_VSIX=${process.env.CODEADAPT_VSIX} does not exist`);
    return resolve(process.env.CODEADAPT_VSIX);
  }
  const candidates: { path: string; mtime: number }[] = [];
  for (const dir of [repoRoot, join(repoRoot, "dist"), join(repoRoot, "out")]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (!name.endsWith(".vsix") || !name.startsWith("codeadapt")) continue;
      const path = join(dir, name);
      candidates.push({ path, mtime: statSync(path).mtimeMs });
    }
  }
  candidates.sort((a, b) => b.mtime - a.mtime);
  return candidates[0]?.path ?? null;
}

/** The packaged extension: the one `npm run package` produced, or built now with it if there is none. */
export function ensureVsix(): string {
  const found = findVsix();
  if (found) {
    const newer = newestSource();
    if (newer && newer.mtime > statSync(found).mtimeMs) {
      console.log(`# warning: ${newer.path} is newer than ${found}; run \`npm run package\` (scripts/test does) to test the current code`);
    }
    return found;
  }
  console.log("# no .vsix found: running `npm run package`");
  const r = spawnSync("npm", ["run", "package"], { stdio: "inherit", cwd: repoRoot });
  if (r.status !== 0) throw new Error(`npm run package failed (exit ${r.status})`);
  const built = findVsix();
  if (!built) throw new Error("npm run package succeeded but no codeadapt*.vsix was found in the repo root or dist/");
  return built;
}

/** The most recently modified source file of the extension (client, server, common, package.json). */
function newestSource(): { path: string; mtime: number } | null {
  let best: { path: string; mtime: number } | null = null;
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    const st = statSync(path);
    if (st.isDirectory()) {
      for (const name of readdirSync(path)) if (name !== "node_modules" && name !== "fixtures") visit(join(path, name));
    } else if (path.endsWith(".test.ts")) {
      return;
    } else if (!best || st.mtimeMs > best.mtime) {
      best = { path, mtime: st.mtimeMs };
    }
  };
  for (const p of ["client/src", "server/src", "common/src", "package.json"]) visit(join(repoRoot, p));
  return best;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      if (addr && typeof addr === "object") {
        const port = addr.port;
        srv.close(() => resolvePort(port));
      } else {
        srv.close(() => reject(new Error("no port")));
      }
    });
  });
}

export interface CodeServerDirs {
  /** --user-data-dir: settings, logs, state. */
  userDataDir: string;
  /** --extensions-dir: where the .vsix is installed. */
  extensionsDir: string;
  /** XDG config/data home, so code-server writes nothing under ~/.config or ~/.local. */
  home: string;
}

export function makeDirs(root: string): CodeServerDirs {
  const dirs = {
    userDataDir: join(root, "user-data"),
    extensionsDir: join(root, "extensions"),
    home: join(root, "xdg"),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  return dirs;
}

/** User settings that keep the workbench quiet and deterministic (no tips, updates, telemetry). */
export function writeUserSettings(dirs: CodeServerDirs, extra: Record<string, unknown> = {}): void {
  const userDir = join(dirs.userDataDir, "User");
  mkdirSync(userDir, { recursive: true });
  const settings = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "workbench.welcomePage.walkthroughs.openOnInstall": false,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "extensions.ignoreRecommendations": true,
    "git.enabled": false,
    "git.openRepositoryInParentFolders": "never",
    "editor.hover.delay": 300,
    "editor.minimap.enabled": false,
    "window.restoreWindows": "none",
    "files.hotExit": "off",
    "chat.commandCenter.enabled": false,
    ...extra,
  };
  writeFileSync(join(userDir, "settings.json"), JSON.stringify(settings, null, 2));
}

function envFor(dirs: CodeServerDirs): NodeJS.ProcessEnv {
  return {
    ...process.env,
    XDG_CONFIG_HOME: join(dirs.home, "config"),
    XDG_DATA_HOME: join(dirs.home, "data"),
    XDG_CACHE_HOME: join(dirs.home, "cache"),
    // code-server would otherwise pick these up from the environment of whoever runs the test.
    PASSWORD: undefined,
    HASHED_PASSWORD: undefined,
    VSCODE_PROXY_URI: undefined,
  };
}

/** `code-server --install-extension VSIX` into the given dirs; throws with its output on failure. */
export function installExtension(entry: string, dirs: CodeServerDirs, vsix: string): string {
  const args = [
    entry,
    "--user-data-dir", dirs.userDataDir,
    "--extensions-dir", dirs.extensionsDir,
    "--install-extension", vsix,
    "--force",
  ];
  const r = spawnSync(process.execPath, args, { env: envFor(dirs), encoding: "utf8", timeout: 180_000 });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  if (r.status !== 0 || !/successfully installed/i.test(out)) {
    throw new Error(`code-server --install-extension ${vsix} failed (exit ${r.status}):\n${out}`);
  }
  return out;
}

export function listExtensions(entry: string, dirs: CodeServerDirs): string[] {
  const r = spawnSync(
    process.execPath,
    [entry, "--user-data-dir", dirs.userDataDir, "--extensions-dir", dirs.extensionsDir, "--list-extensions", "--show-versions"],
    { env: envFor(dirs), encoding: "utf8", timeout: 60_000 },
  );
  return (r.stdout ?? "").split("\n").map((l) => l.trim()).filter((l) => /^[\w.-]+\.[\w.-]+@/.test(l));
}

export interface RunningCodeServer {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts code-server on 127.0.0.1:port with --auth none and waits until /healthz answers.
 * Its output goes to logFile.
 */
export async function startCodeServer(opts: {
  entry: string;
  dirs: CodeServerDirs;
  folder: string;
  port?: number;
  logFile: string;
  timeoutMs?: number;
}): Promise<RunningCodeServer> {
  const port = opts.port ?? (await freePort());
  const configFile = join(opts.dirs.home, "code-server-config.yaml");
  writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = [
    opts.entry,
    "--config", configFile,
    "--bind-addr", `127.0.0.1:${port}`,
    "--auth", "none",
    "--disable-telemetry",
    "--disable-update-check",
    "--disable-workspace-trust", // the workspace is trusted (the trust feature is off)
    "--disable-getting-started-override",
    "--ignore-last-opened",
    "--user-data-dir", opts.dirs.userDataDir,
    "--extensions-dir", opts.dirs.extensionsDir,
    opts.folder,
  ];
  const log = createWriteStream(opts.logFile, { flags: "a" });
  const child = spawn(process.execPath, args, { env: envFor(opts.dirs), stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  // Never leave code-server running after the test process ends, however it ends.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let exited: string | null = null;
  child.on("exit", (code, signal) => {
    process.removeListener("exit", killOnExit);
    exited = `code-server exited (code ${code}, signal ${signal}); see ${opts.logFile}`;
  });

  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  for (;;) {
    if (exited) throw new Error(exited);
    try {
      const res = await fetch(`${url}healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill("SIGTERM");
      throw new Error(`code-server did not answer on ${url}healthz in time; see ${opts.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  return {
    url,
    port,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await done;
      clearTimeout(timer);
      log.end();
    },
  };
}
