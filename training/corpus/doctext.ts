/** Raw documentation text out of docstring literals and doc comments (used while mining). */

/** Python: the docstring literal's text, without prefix and quotes; undefined for bytes/f-strings. */
export function pythonDocstringText(literal: string): string | undefined {
  const match = /^([rRuU]?)("""|'''|"|')([\s\S]*)\2$/.exec(literal);
  if (!match) return undefined;
  return match[3];
}

/** inspect.cleandoc: strip the common indentation of lines after the first, and blank edges. */
export function cleandoc(text: string): string {
  const lines = text.replace(/\t/g, "        ").split(/\r?\n/);
  let margin = Infinity;
  for (const line of lines.slice(1)) {
    const stripped = line.trimStart();
    if (stripped) margin = Math.min(margin, line.length - stripped.length);
  }
  const out = [lines[0].trimStart(), ...lines.slice(1).map((l) => (margin === Infinity ? l : l.slice(margin)))];
  while (out.length && !out[0].trim()) out.shift();
  while (out.length && !out[out.length - 1].trim()) out.pop();
  return out.join("\n");
}

/** ... *\/) to its text lines, without the leading stars. */
export function blockCommentText(comment: string): string {
  const body = comment.replace(/^\/\*\*+/, "").replace(/\*+\/$/, "");
  return body.split(/\r?\n/).map((line) => line.replace(/^\s*\*(?!\/) ?/, "")).join("\n");
}

/** Go (or any //) line comments to text. */
export function lineCommentText(lines: string[]): string {
  return lines.map((line) => line.replace(/^\/\/ ?/, "")).join("\n");
}
