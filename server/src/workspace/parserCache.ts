import type { Parser } from "web-tree-sitter";
import type { LanguageId } from "../parsing/languages";
import { createParser } from "../parsing/parser";

/** One tree-sitter parser per language, created on first use. */
export class ParserCache {
  private readonly parsers = new Map<LanguageId, Promise<Parser>>();

  get(language: LanguageId): Promise<Parser> {
    let parser = this.parsers.get(language);
    if (!parser) this.parsers.set(language, (parser = createParser(language)));
    return parser;
  }

  async dispose(): Promise<void> {
    for (const parser of this.parsers.values()) (await parser).delete();
    this.parsers.clear();
  }
}
