import type { LanguageId } from "../parsing/languages";
import type { FunctionSpan } from "./functionAt";

/**
 * A summary as the language's documentation comment, and where it goes:
 * Python: a docstring as the first statement of the body; JS/TS: JSDoc; Java: Javadoc;
 * Go: a `// Name ...` comment. Returns the insertion offset and the text to insert there.
 */
export interface DocInsertion {
  offset: number;
  text: string;
  /** When set, the text replaces [offset, end): the function's existing docstring/doc comment. */
  end?: number;
}

export function docCommentFor(language: LanguageId, span: FunctionSpan, summary: string, text: string): DocInsertion {
  const sentence = finish(summary);
  const pad = " ".repeat(span.indent);
  // An existing docstring (Python: inside the function) or doc comment (above it) is replaced, not doubled.
  // Elsewhere only a real doc comment (`/** */`; any `//` comment above a Go function) counts.
  const doc = span.doc;
  const existing = !doc ? undefined
    : language === "python" ? (doc.start > span.start ? doc : undefined)
    : doc.end <= span.start && (language === "go" || text.startsWith("/**", doc.start)) ? doc : undefined;
  if (language === "python") {
    const quoted = sentence.replace(/\\/g, "\\\\").replace(/"""/g, '\\"\\"\\"');
    if (existing) return { offset: existing.start, end: existing.end, text: `"""${quoted}"""` };
    const bodyIndent = pad + indentUnit(text, span);
    const colon = pythonHeaderEnd(text, span);
    return { offset: colon, text: `\n${bodyIndent}"""${quoted}"""` };
  }
  const lineStart = text.lastIndexOf("\n", span.start - 1) + 1;
  const comment = language === "go"
    ? `// ${sentence.startsWith(span.name) ? sentence : `${span.name} ${lowerFirst(sentence)}`}`
    : `/** ${sentence.replace(/\*\//g, "* /")} */`;
  if (existing) return { offset: existing.start, end: existing.end, text: comment };
  return { offset: lineStart, text: `${pad}${comment}\n` };
}

function finish(summary: string): string {
  const trimmed = summary.trim().replace(/\s+/g, " ");
  if (!trimmed) return trimmed;
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

function lowerFirst(s: string): string {
  return s ? s[0].toLowerCase() + s.slice(1) : s;
}

/** End of the `def ...:` header line (the colon ending the signature, before the body). */
function pythonHeaderEnd(text: string, span: FunctionSpan): number {
  const body = text.slice(span.start, span.end);
  const match = /\)\s*(->[^:]*)?:/.exec(body);
  return span.start + (match ? match.index + match[0].length : body.indexOf(":") + 1);
}

/** The body's indentation relative to the def (4 spaces when it cannot be seen). */
function indentUnit(text: string, span: FunctionSpan): string {
  const lines = text.slice(span.start, span.end).split("\n").slice(1);
  for (const line of lines) {
    const m = /^([ \t]+)\S/.exec(line);
    if (m && m[1].length > span.indent) return m[1].slice(span.indent);
  }
  return "    ";
}
