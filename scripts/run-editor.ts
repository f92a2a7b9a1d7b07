/**
 * Starts code-server on 127.0.0.1 with the packaged CodeAdapt .vsix installed and the example
 * workspace open, prints the URL, and runs until Ctrl+C. Called by scripts/run-editor, which sets
 * everything up first. The editor state (user data, extensions) is fresh on every start, under
 * .cache/run-editor/, so what you see is what a new user sees.
 *
 * Options: --port N (default: CODEADAPT_PORT, else 8080 when free, else a free port),
 *          --folder PATH (default: test/workspace-example), --vsix PATH.
 */
import { existsSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import {
  ensureCodeServer,
  ensureVsix,
  freePort,
  installExtension,
  listExtensions,
  makeDirs,
  repoRoot,
  startCodeServer,
  writeUserSettings,
} from "../test/e2e/codeServer";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((r) => {
    const srv = createServer();
    srv.once("error", () => r(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => r(true)));
  });
}

/** Paths given on the command line are relative to where scripts/run-editor was started. */
const fromCaller = (path: string) => resolve(process.env.CODEADAPT_INVOKED_FROM ?? process.cwd(), path);

async function main(): Promise<void> {
  const folder = option("folder") ? fromCaller(option("folder")!) : join(repoRoot, "test", "workspace-example");
  if (!existsSync(folder)) throw new Error(`no such folder: ${folder}`);
  const requested = option("port") ?? process.env.CODEADAPT_PORT;
  const port = requested ? Number(requested) : (await portIsFree(8080)) ? 8080 : await freePort();
  if (!Number.isInteger(port) || port <= 0) throw new Error(`bad port ${requested}`);

  const entry = ensureCodeServer();
  const vsix = option("vsix") ? fromCaller(option("vsix")!) : ensureVsix();

  const stateRoot = join(repoRoot, ".cache", "run-editor");
  rmSync(stateRoot, { recursive: true, force: true });
  const dirs = makeDirs(stateRoot);
  writeUserSettings(dirs);
  installExtension(entry, dirs, vsix);
  const installed = listExtensions(entry, dirs).filter((e) => e.startsWith("codeadapt."));
  console.log(`run-editor: installed ${installed.join(", ") || "(nothing?)"} from ${vsix}`);

  const logFile = join(stateRoot, "code-server.log");
  const server = await startCodeServer({ entry, dirs, folder, port, logFile });
  const url = `${server.url}?folder=${encodeURIComponent(folder)}`;
  console.log("");
  console.log(`CodeAdapt in code-server: ${url}`);
  console.log(`(workspace ${folder}; logs ${logFile}, extension logs under ${join(dirs.userDataDir, "logs")}; Ctrl+C stops)`);

  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  server.process.on("exit", (code) => {
    console.error(`run-editor: code-server exited (${code}); see ${logFile}`);
    process.exit(code ?? 1);
  });
}

main().catch((err) => {
  console.error(`run-editor: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
