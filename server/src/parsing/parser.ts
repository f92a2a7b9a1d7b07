import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Language, Parser, type Tree } from "web-tree-sitter";
import { grammarFileName, type LanguageId } from "./languages";

/**
 * Loads web-tree-sitter and the grammar .wasm files from `grammars/`.
 * The grammar folder is found by walking up from this module (source tree or bundled dist/),
 * unless CODEADAPT_GRAMMARS or an explicit folder says otherwise.
 */
let initialized: Promise<void> | undefined;
const languages = new Map<LanguageId, Promise<Language>>();
let grammarRoot: string | undefined;

export function setGrammarRoot(folder: string): void {
  grammarRoot = folder;
}

export function findGrammarRoot(start = __dirname): string {
  if (grammarRoot) return grammarRoot;
  if (process.env.CODEADAPT_GRAMMARS) return process.env.CODEADAPT_GRAMMARS;
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const candidate = join(dir, "grammars");
    if (existsSync(join(candidate, grammarFileName("python")))) return candidate;
    if (dirname(dir) === dir) throw new Error(`grammars/ folder not found above ${start}`);
  }
}

function initParser(): Promise<void> {
  initialized ??= Parser.init({
    locateFile: (name: string, prefix: string) => {
      // The bundled server ships web-tree-sitter.wasm beside the grammars.
      const shipped = join(findGrammarRoot(), name);
      return existsSync(shipped) ? shipped : join(prefix, name);
    },
  });
  return initialized;
}

export async function loadLanguage(language: LanguageId): Promise<Language> {
  await initParser();
  let loaded = languages.get(language);
  if (!loaded) {
    loaded = Language.load(join(findGrammarRoot(), grammarFileName(language)));
    languages.set(language, loaded);
  }
  return loaded;
}

/** A parser bound to one language; reuse it, and call delete() when done. */
export async function createParser(language: LanguageId): Promise<Parser> {
  const loaded = await loadLanguage(language);
  const parser = new Parser();
  parser.setLanguage(loaded);
  return parser;
}

/** Parses source text; the caller owns the returned tree and must delete() it. */
export function parseText(parser: Parser, text: string, oldTree?: Tree): Tree {
  const tree = parser.parse(text, oldTree ?? null);
  if (!tree) throw new Error("tree-sitter returned no tree (parse cancelled or no language set)");
  return tree;
}
