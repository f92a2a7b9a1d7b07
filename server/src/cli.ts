// The CodeAdapt engine on the command line, for scripts, benchmarks and evaluation.
//   codeadapt summarize FILE:LINE [--json]     prints only the summary
//   codeadapt refine FILE:LINE [--json]        prints only the refined function
//   codeadapt summarize|refine --jsonl IN      lines {id, language, code} -> {id, summary}|{id, code}
// Options: --model DIR (default: the extension's models/), --providers cpu,cuda --threads N --beams N
//          --strategy edits|generate (refine; default: the model manifest's) --length-penalty A --edit-window N (edits)
// Diagnostics go to stderr; the exit code is non-zero on error.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { createReadStream } from "node:fs";
import { parseArgs } from "node:util";
import { CodeModel, REFINE_STRATEGIES, type GenerationResult, type RefineStrategy } from "./engine/codeModel";
import { functionAt, reindent } from "./functions/functionAt";
import { resolveModelDir } from "./model/modelManifest";
import { languageFromPath, type LanguageId } from "./parsing/languages";
import { createParser, parseText } from "./parsing/parser";

type Task = "summarize" | "refine";

const USAGE = "usage: codeadapt summarize|refine FILE:LINE [--json] | --jsonl IN.jsonl [--model DIR] [--beams N] [--strategy edits|generate]";

interface RunOptions {
  beams?: number;
  strategy?: RefineStrategy;
  lengthPenalty?: number;
  editWindow?: number;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      jsonl: { type: "string" },
      model: { type: "string" },
      providers: { type: "string", default: "cpu" },
      threads: { type: "string", default: "2" },
      beams: { type: "string" },
      strategy: { type: "string" },
      "length-penalty": { type: "string" },
      "edit-window": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  const task = positionals[0] as Task;
  if (values.help || (task !== "summarize" && task !== "refine")) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  if (values.strategy && !REFINE_STRATEGIES.includes(values.strategy as RefineStrategy)) {
    console.error(`unknown --strategy ${values.strategy} (${REFINE_STRATEGIES.join(", ")})`);
    return 2;
  }
  const model = await CodeModel.load(resolveModelDir(values.model ?? ""), values.providers!.split(","), Number(values.threads));
  try {
    const options: RunOptions = {
      beams: values.beams ? Number(values.beams) : undefined,
      strategy: values.strategy as RefineStrategy | undefined,
      lengthPenalty: values["length-penalty"] ? Number(values["length-penalty"]) : undefined,
      editWindow: values["edit-window"] ? Number(values["edit-window"]) : undefined,
    };
    if (values.jsonl) return await batch(model, task, values.jsonl, options);
    if (!positionals[1]) throw new Error(USAGE);
    return await single(model, task, positionals[1], values.json!, options);
  } finally {
    await model.release();
  }
}

function run(model: CodeModel, task: Task, language: LanguageId, code: string, options: RunOptions): Promise<GenerationResult> {
  return task === "summarize" ? model.summarize({ code, language, beams: options.beams }) : model.refine({ code, language, ...options });
}

/** What refine did, for --json and --jsonl rows. */
function refineDetails(result: GenerationResult): Record<string, unknown> {
  return result.strategy ? { strategy: result.strategy, ...(result.edit ? { edit: result.edit } : {}) } : {};
}

async function single(model: CodeModel, task: Task, target: string, json: boolean, options: RunOptions): Promise<number> {
  const match = /^(.*):(\d+)$/.exec(target);
  if (!match) throw new Error(`expected FILE:LINE, got ${target}`);
  const [, path, lineText] = match;
  const language = languageFromPath(path);
  if (!language) throw new Error(`unsupported language for ${path}`);
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  const line = Number(lineText);
  if (line < 1 || line > lines.length) throw new Error(`${path} has ${lines.length} lines; line ${line} is outside it`);
  const offset = lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0) + (lines[line - 1].length - lines[line - 1].trimStart().length);
  const parser = await createParser(language);
  const tree = parseText(parser, text);
  try {
    const span = functionAt(tree, text, offset);
    if (!span) throw new Error(`no function or method contains ${path}:${line}`);
    const result = await run(model, task, language, span.code, options);
    if (result.truncated) console.error(`note: ${span.name} is longer than the model reads (${result.inputTokens} tokens); its end was cut`);
    const output = task === "refine" ? reindent(result.text, span.indent) : result.text;
    console.log(json ? JSON.stringify({ file: path, line, function: span.name, [task === "summarize" ? "summary" : "code"]: output, truncated: result.truncated, ...refineDetails(result) }) : output);
    return 0;
  } finally {
    tree.delete();
    parser.delete();
  }
}

async function batch(model: CodeModel, task: Task, input: string, options: RunOptions): Promise<number> {
  const lines = createInterface({ input: createReadStream(input, "utf8"), crlfDelay: Infinity });
  let failures = 0;
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (!line.trim()) continue;
    const row = JSON.parse(line) as { id: string; language: LanguageId; code: string };
    try {
      const result = await run(model, task, row.language, row.code, options);
      const key = task === "summarize" ? "summary" : "code";
      console.log(JSON.stringify({ id: row.id, [key]: result.text, truncated: result.truncated, ...refineDetails(result) }));
    } catch (error) {
      failures++;
      console.error(`line ${lineNo} (${row.id}): ${error instanceof Error ? error.message : error}`);
      console.log(JSON.stringify({ id: row.id, error: String(error) }));
    }
  }
  return failures ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`codeadapt: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  },
);
