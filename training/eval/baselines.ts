import type { LanguageId } from "../../server/src/parsing/languages";
import { createParser, parseText } from "../../server/src/parsing/parser";
import { definitionOf } from "../../server/src/labeler/scopes";
import type { Node } from "web-tree-sitter";

/**
 * The baselines every model row is compared with in the same table:
 * summarization = the function's name split into words; repair = the input unchanged.
 */
export function splitIdentifier(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .replace(/[_$]+/g, " ")
    .trim()
    .toLowerCase();
}

function firstDefinitionName(node: Node): string | undefined {
  const definition = definitionOf(node);
  if (definition && definition.kind !== "class") return definition.name;
  for (let i = 0; i < node.namedChildCount; i++) {
    const name = firstDefinitionName(node.namedChild(i)!);
    if (name) return name;
  }
  return undefined;
}

export async function functionName(language: LanguageId, code: string): Promise<string | undefined> {
  const parser = await createParser(language);
  const tree = parseText(parser, code);
  try {
    return firstDefinitionName(tree.rootNode);
  } finally {
    tree.delete();
    parser.delete();
  }
}

export async function nameBaseline(items: { language: LanguageId; code: string }[]): Promise<string[]> {
  const out: string[] = [];
  for (const item of items) out.push(splitIdentifier((await functionName(item.language, item.code)) ?? ""));
  return out;
}
