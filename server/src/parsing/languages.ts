/** The languages CodeAdapt parses, keyed by the id our grammars and models use. */
export type LanguageId = "python" | "javascript" | "typescript" | "tsx" | "java" | "go";

export const LANGUAGE_IDS: readonly LanguageId[] = ["python", "javascript", "typescript", "tsx", "java", "go"];

/** VS Code document language ids mapped to our grammar ids. */
const FROM_EDITOR: Record<string, LanguageId> = {
  python: "python",
  javascript: "javascript",
  javascriptreact: "javascript",
  typescript: "typescript",
  typescriptreact: "tsx",
  java: "java",
  go: "go",
};

const FROM_EXTENSION: Record<string, LanguageId> = {
  ".py": "python",
  ".js": "javascript",
  ".mjs": "javascript",
  ".cjs": "javascript",
  ".jsx": "javascript",
  ".ts": "typescript",
  ".mts": "typescript",
  ".cts": "typescript",
  ".tsx": "tsx",
  ".java": "java",
  ".go": "go",
};

/** File extensions CodeAdapt reads from disk (workspace adapters), dot included. */
export const SOURCE_EXTENSIONS: readonly string[] = Object.keys(FROM_EXTENSION);

export function languageFromEditorId(editorLanguageId: string): LanguageId | undefined {
  return FROM_EDITOR[editorLanguageId];
}

export function languageFromPath(path: string): LanguageId | undefined {
  const dot = path.lastIndexOf(".");
  return dot < 0 ? undefined : FROM_EXTENSION[path.slice(dot).toLowerCase()];
}

export function grammarFileName(language: LanguageId): string {
  return `tree-sitter-${language}.wasm`;
}
