/**
 * Binary and undecodable content. Editors decode files before sending them, so "binary" reaches
 * the server as text with NUL characters, and non-UTF-8 files as text full of U+FFFD
 * replacement characters. Neither is source code worth parsing or labelling.
 */
export type ContentKind = "text" | "binary" | "undecodable";

const SAMPLE = 64 * 1024;

export function classifyContent(text: string): ContentKind {
  if (text.indexOf("\u0000") >= 0) return "binary";
  const sample = text.length > SAMPLE ? text.slice(0, SAMPLE) : text;
  let replacements = 0;
  for (let i = sample.indexOf("\uFFFD"); i >= 0; i = sample.indexOf("\uFFFD", i + 1)) replacements++;
  // A stray replacement character is plausible in real code; many of them mean a wrong encoding.
  if (replacements >= 8 && replacements * 100 >= sample.length) return "undecodable";
  return "text";
}

export function describeContent(kind: ContentKind): string {
  return kind === "binary"
    ? "the document contains NUL bytes and looks binary"
    : "the document is not valid UTF-8 text (many undecodable bytes)";
}
