/**
 * Runs the extension-host test suite (test/e2e/extension-host-suite) inside code-server's
 * extension host, against the packaged .vsix.
 *
 * @vscode/test-electron would run the suite in a downloaded desktop VS Code; that download is not
 * possible here. code-server runs the same extension host (VS Code 1.100) behind a web workbench,
 * and the workbench accepts `extensionDevelopmentPath` and `extensionTestsPath` in its `payload`
 * URL parameter (what @vscode/test-web uses). The suite is bundled with esbuild, the .vsix is
 * installed into a fresh extensions dir and that installed folder is the development path, so the
 * suite tests exactly what a user installs. When the suite ends, the workbench calls
 * `window.codeAutomationExit(code)`, which this test exposes to read the result.
 */
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { build } from "esbuild";
import type { BrowserContext } from "playwright-core";
import {
  ensureCodeServer,
  ensureVsix,
  installExtension,
  listExtensions,
  makeDirs,
  repoRoot,
  startCodeServer,
  writeUserSettings,
  type RunningCodeServer,
} from "./codeServer";
import { launchBrowser } from "./workbench";

const results = join(repoRoot, "test-results", "extension-host");

describe("extension-host suite in code-server's extension host", { timeout: 10 * 60_000 }, () => {
  let tmpRoot = "";
  let server: RunningCodeServer | undefined;
  let context: BrowserContext | undefined;

  after(async () => {
    await context?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    if (tmpRoot) rmSync(tmpRoot, { recursive: true, force: true });
  });

  it("passes every test of the suite against the installed .vsix", async () => {
    rmSync(results, { recursive: true, force: true });
    mkdirSync(results, { recursive: true });
    const entry = ensureCodeServer();
    const vsix = ensureVsix();
    tmpRoot = mkdtempSync(join(tmpdir(), "codeadapt-exthost-"));

    const suite = join(tmpRoot, "suite", "index.js");
    await build({
      entryPoints: [join(repoRoot, "test", "e2e", "extension-host-suite", "index.ts")],
      outfile: suite,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      external: ["vscode"],
      logLevel: "warning",
    });

    const dirs = makeDirs(tmpRoot);
    writeUserSettings(dirs);
    installExtension(entry, dirs, vsix);
    const installed = listExtensions(entry, dirs).find((e) => e.startsWith("codeadapt.codeadapt@"));
    assert.ok(installed, "the .vsix did not install");
    const extensionPath = join(dirs.extensionsDir, installed.replace("@", "-"));

    const workspace = join(tmpRoot, "workspace-example");
    cpSync(join(repoRoot, "test", "workspace-example"), workspace, { recursive: true });
    server = await startCodeServer({ entry, dirs, folder: workspace, logFile: join(results, "code-server.log") });

    context = await launchBrowser(tmpRoot);
    const page = context.pages()[0] ?? (await context.newPage());
    const lines: string[] = [];
    page.on("console", (m) => lines.push(m.text()));
    let exitCode: number | undefined;
    const exited = new Promise<number>((resolve) => {
      void page.exposeFunction("codeAutomationExit", (code: number) => {
        exitCode = code;
        resolve(code);
      });
    });

    const authority = `127.0.0.1:${server.port}`;
    const payload = [
      ["extensionDevelopmentPath", `vscode-remote://${authority}${extensionPath}`],
      ["extensionTestsPath", `vscode-remote://${authority}${suite}`],
    ];
    await page.goto(`${server.url}?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("the extension-host suite did not finish in 6 minutes")), 6 * 60_000).unref(),
    );
    try {
      await Promise.race([exited, timeout]);
    } finally {
      const suiteLines = lines.filter((l) => l.includes("[codeadapt-suite]")).map((l) => l.slice(l.indexOf("[codeadapt-suite]")));
      for (const l of suiteLines) console.log(`# ${l}`);
      writeFileSync(join(results, "browser-console.log"), lines.join("\n") + "\n");
      if (exitCode !== 0) await page.screenshot({ path: join(results, "FAILED.png") }).catch(() => undefined);
    }
    assert.equal(exitCode, 0, "the extension-host suite failed (see its lines above and test-results/extension-host/)");
    assert.ok(lines.some((l) => /\[codeadapt-suite\] \d+ passed, 0 failed/.test(l)), "the suite's summary line is missing");
  });
});
