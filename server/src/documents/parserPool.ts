import type { Parser } from "web-tree-sitter";
import { LANGUAGE_IDS, type LanguageId } from "../parsing/languages";
import { createParser, findGrammarRoot } from "../parsing/parser";

/**
 * One tree-sitter parser per language, shared by every open document (parsing is synchronous,
 * so a parser is never used by two parses at once). Grammars load in the background at start;
 * a grammar that fails to load is reported in `codeadapt/status` and in hovers, not thrown.
 */
export class ParserPool {
  private readonly parsers = new Map<LanguageId, Parser>();
  readonly failed = new Map<LanguageId, string>();
  readonly ready: Promise<void>;
  folder = "";

  constructor(languages: readonly LanguageId[] = LANGUAGE_IDS) {
    this.ready = this.load(languages);
  }

  private async load(languages: readonly LanguageId[]): Promise<void> {
    try {
      this.folder = findGrammarRoot();
    } catch (error) {
      for (const language of languages) this.failed.set(language, String((error as Error).message ?? error));
      return;
    }
    for (const language of languages) {
      try {
        this.parsers.set(language, await createParser(language));
      } catch (error) {
        this.failed.set(language, String((error as Error).message ?? error));
      }
    }
  }

  get(language: LanguageId): Parser | undefined {
    return this.parsers.get(language);
  }

  loaded(): LanguageId[] {
    return [...this.parsers.keys()];
  }

  dispose(): void {
    for (const parser of this.parsers.values()) parser.delete();
    this.parsers.clear();
  }
}
