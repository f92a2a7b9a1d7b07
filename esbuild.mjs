// Bundles the extension in three entry points: dist/client.js (runs in the VS Code extension host,
// `vscode` provided by the host), dist/server.js (the language server, a plain Node process) and
// dist/cli.js (the `codeadapt` command line).
// Everything JavaScript is bundled; what cannot be bundled stays external and ships in the .vsix:
// onnxruntime-node (a native addon, one .vsix per platform). Grammars and web-tree-sitter.wasm
// are read at run time from grammars/, found by walking up from dist/.
//
//   node esbuild.mjs            production build (minified, with source maps)
//   node esbuild.mjs --dev      unminified
//   node esbuild.mjs --watch    rebuild on change
import * as esbuild from "esbuild";

const dev = process.argv.includes("--dev") || process.argv.includes("--watch");
const watch = process.argv.includes("--watch");

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: true,
  minify: !dev,
  keepNames: true,
  logLevel: "info",
  external: ["vscode", "onnxruntime-node"],
  // Bundle web-tree-sitter's CommonJS build: its ESM build reads import.meta.url, which is
  // empty in a CommonJS bundle (it then cannot find its .wasm nor require node:fs).
  alias: { "web-tree-sitter": "./node_modules/web-tree-sitter/web-tree-sitter.cjs" },
};

const builds = [
  { ...common, entryPoints: { client: "client/src/extension.ts" }, outdir: "dist" },
  { ...common, entryPoints: { server: "server/src/main.ts" }, outdir: "dist" },
  // The same engine on the command line (scripts, benchmarks, the evaluation harness).
  { ...common, entryPoints: { cli: "server/src/cli.ts" }, outdir: "dist", banner: { js: "#!/usr/bin/env node" } },
];

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
