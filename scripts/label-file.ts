// Prints each leaf of a file with its TTC label: a debugging aid for the labeler.
import { readFileSync } from "node:fs";
import { languageFromPath } from "../server/src/parsing/languages";
import { createParser, parseText } from "../server/src/parsing/parser";
import { labelLeaves } from "../server/src/labeler/labeler";

async function main(path: string): Promise<void> {
  const language = languageFromPath(path);
  if (!language) throw new Error(`unsupported file type: ${path}`);
  const text = readFileSync(path, "utf8");
  const parser = await createParser(language);
  const tree = parseText(parser, text);
  for (const leaf of labelLeaves(tree, language)) {
    const token = text.slice(leaf.start, leaf.end);
    if (token.trim()) console.log(`${JSON.stringify(token).padEnd(24)} ${leaf.label}`);
  }
  tree.delete();
  parser.delete();
}

main(process.argv[2]).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
