/**
 * Code-aware pre-tokenization: splits text into pieces that BPE never merges across.
 *
 * The rules look only at ASCII, so they are deterministic and need no Unicode tables:
 *   - identifier runs   [A-Za-z_$][A-Za-z0-9_$]*   ("$" ends the run when "{" follows it, so a
 *                        template literal's "${" is never glued to the text before it)
 *   - digit runs        [0-9]+
 *   - line breaks       [\r\n]+ followed by the next line's indentation [ \t]* (one piece)
 *   - other whitespace  [ \t\f\v]+ runs
 *   - escapes           "\" followed by one printable ASCII char ("\n", "\\", "\"") is one piece,
 *                        with the digits of \xHH, \uHHHH, \UHHHHHHHH and octal \ooo
 *   - any other ASCII char alone (operators, brackets, quotes, control chars)
 *   - each non-ASCII code point alone (BPE may merge its UTF-8 bytes; else byte fallback)
 * With `spacePrefix`, one plain space right before an identifier, number, escape or ASCII
 * punctuation char is glued to it (" foo", " =", " 42"), like GPT-2: the space is whitespace
 * between leaves, so a piece's non-whitespace part still lies in one tree-sitter leaf.
 * ASCII pieces longer than MAX_PIECE code units are cut into MAX_PIECE chunks (minified code,
 * base64 blobs) so that BPE's per-piece work stays bounded.
 *
 * Offsets are UTF-16 code units, like JavaScript strings, LSP and web-tree-sitter 0.27.
 */

export interface PretokenizerOptions {
  /** Glue one leading space to the following identifier/number/punctuation piece. */
  spacePrefix: boolean;
  /** Also split identifiers at camelCase humps, letter/digit changes and before "_". */
  splitIdentifiers: boolean;
  /**
   * Glue "\\" only to chars that start an escape in every grammar (Python's set:
   * \\ ' " a b f n r t v 0-7 x N u U). tree-sitter-python makes the backslash of an invalid
   * escape such as '\\d' in a non-raw string a leaf of its own, so "\\d" must not be one piece.
   */
  strictEscapes?: boolean;
}

export const MAX_PIECE = 128;

/** The pretokenizer ids recorded in tokenizer.json; each names one fixed set of options. */
export const PRETOKENIZERS: Record<string, PretokenizerOptions> = {
  "code-ascii-v1": { spacePrefix: false, splitIdentifiers: false },
  "code-ascii-space-v1": { spacePrefix: true, splitIdentifiers: false },
  "code-ascii-split-v1": { spacePrefix: false, splitIdentifiers: true },
  "code-ascii-space-split-v1": { spacePrefix: true, splitIdentifiers: true },
  "code-ascii-space-split-v2": { spacePrefix: true, splitIdentifiers: true, strictEscapes: true },
};

/** The pretokenizer new tokenizers use (chosen by measurement, see README.md). */
export const DEFAULT_PRETOKENIZER = "code-ascii-space-split-v1";

export function pretokenizerOptions(id: string): PretokenizerOptions {
  const options = PRETOKENIZERS[id];
  if (!options) throw new Error(`unknown pretokenizer "${id}" (known: ${Object.keys(PRETOKENIZERS).join(", ")})`);
  return options;
}

const enum C {
  Other = 0,
  Word = 1, // A-Z a-z _ $
  Digit = 2,
  Newline = 3, // \n \r
  Space = 4, // space \t \f \v
  Backslash = 5,
  Punct = 6, // any other ASCII
}

const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  let k: C = C.Punct;
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36) k = C.Word;
  else if (c >= 48 && c <= 57) k = C.Digit;
  else if (c === 10 || c === 13) k = C.Newline;
  else if (c === 32 || c === 9 || c === 11 || c === 12) k = C.Space;
  else if (c === 92) k = C.Backslash;
  CLASS[c] = k;
}

const isUpper = (c: number) => c >= 65 && c <= 90;
const isLower = (c: number) => c >= 97 && c <= 122;
const isDigit = (c: number) => c >= 48 && c <= 57;

/** True when the char at i continues an identifier ("$" does not when "{" follows). */
function isWordChar(text: string, i: number, n: number): boolean {
  const c = text.charCodeAt(i);
  if (c >= 128 || (CLASS[c] !== C.Word && CLASS[c] !== C.Digit)) return false;
  return c !== 36 || i + 1 >= n || text.charCodeAt(i + 1) !== 123;
}

/** True when the char at i may start an identifier. */
function isWordStart(text: string, i: number, n: number): boolean {
  const c = text.charCodeAt(i);
  return c < 128 && CLASS[c] === C.Word && (c !== 36 || i + 1 >= n || text.charCodeAt(i + 1) !== 123);
}

/**
 * Splits `text` and returns the start offset of every piece followed by text.length
 * (so piece k is text.slice(bounds[k], bounds[k + 1])). Empty text gives [0].
 */
export function pretokenizeBounds(text: string, options: PretokenizerOptions): number[] {
  const n = text.length;
  const bounds: number[] = [];
  const push = (start: number, end: number) => {
    // Cut long ASCII pieces into fixed chunks (never splits a surrogate pair: pieces holding
    // non-ASCII chars are at most 2 code units long).
    for (let s = start; s < end; s += MAX_PIECE) bounds.push(s);
  };
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c >= 128) {
      // One code point alone; a lone surrogate is one code unit.
      const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < n && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      bounds.push(i);
      i += pair ? 2 : 1;
      continue;
    }
    const k = CLASS[c];
    let start = i;
    if (k === C.Space) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d >= 128 || CLASS[d] !== C.Space) break;
        j++;
      }
      if (options.spacePrefix && j < n && text.charCodeAt(j - 1) === 32 && gluesToSpace(text, j, n)) {
        // All but the last space form their own piece; the last space starts the next piece.
        if (j - 1 > i) push(i, j - 1);
        start = j - 1;
        i = j;
        // fall through to scan the glued piece starting at i, recorded from `start`
      } else {
        push(i, j);
        i = j;
        continue;
      }
    }
    const d = text.charCodeAt(i);
    const kd = CLASS[d];
    let j = i + 1;
    if (kd === C.Newline) {
      while (j < n && (text.charCodeAt(j) === 10 || text.charCodeAt(j) === 13)) j++;
      while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
      push(start, j);
    } else if (kd === C.Word && isWordStart(text, i, n)) {
      while (j < n && isWordChar(text, j, n)) j++;
      if (options.splitIdentifiers) pushIdentifierParts(text, start, i, j, push);
      else push(start, j);
    } else if (kd === C.Digit) {
      while (j < n && isDigit(text.charCodeAt(j))) j++;
      push(start, j);
    } else if (kd === C.Backslash) {
      j = escapeEnd(text, i, n, options.strictEscapes === true);
      push(start, j);
    } else {
      push(start, j);
    }
    i = j;
  }
  bounds.push(n);
  return bounds;
}

const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isOctal = (c: number) => c >= 48 && c <= 55;

/**
 * End of the escape starting with the backslash at i: "\" plus one printable ASCII char, and
 * the digits of a numeric escape (\x + 2 hex, \u + 4, \U + 8, up to 3 octal digits), so that
 * "\xffraw" splits as "\xff" "raw" the way grammars split escape_sequence from string text.
 * A backslash before whitespace, non-ASCII or the end stands alone.
 */
const STRICT_ESCAPE = new Uint8Array(128);
for (const ch of "\\'\"abfnrtv01234567xNuU") STRICT_ESCAPE[ch.charCodeAt(0)] = 1;

function escapeEnd(text: string, i: number, n: number, strict: boolean): number {
  if (i + 1 >= n) return i + 1;
  const e = text.charCodeAt(i + 1);
  if (e <= 32 || e >= 127) return i + 1;
  if (strict && !STRICT_ESCAPE[e]) return i + 1;
  let j = i + 2;
  let max = 0;
  let ok = isHex;
  if (e === 120) max = 2; // x
  else if (e === 117) max = 4; // u
  else if (e === 85) max = 8; // U
  else if (isOctal(e)) {
    max = 2;
    ok = isOctal;
  }
  const limit = Math.min(n, j + max);
  while (j < limit && ok(text.charCodeAt(j))) j++;
  return j;
}

/** Whether a single space before text[j] is glued to the piece starting at j. */
function gluesToSpace(text: string, j: number, n: number): boolean {
  const c = text.charCodeAt(j);
  if (c >= 128) return false;
  const k = CLASS[c];
  return k === C.Word || k === C.Digit || k === C.Backslash || k === C.Punct;
}

/**
 * Splits one identifier run [wordStart, end) at camelCase humps ("getHTTPServer" -> get HTTP
 * Server), letter/digit changes and before each "_" run ("snake_case" -> snake _case).
 * `pieceStart` may be one less than `wordStart` when a space was glued in front.
 */
function pushIdentifierParts(
  text: string,
  pieceStart: number,
  wordStart: number,
  end: number,
  push: (s: number, e: number) => void,
): void {
  let s = pieceStart;
  for (let i = wordStart + 1; i < end; i++) {
    const p = text.charCodeAt(i - 1);
    const c = text.charCodeAt(i);
    let cut = false;
    if (c === 95) cut = p !== 95; // before an underscore run
    else if (isUpper(c)) cut = isLower(p) || isDigit(p) || (isUpper(p) && i + 1 < end && isLower(text.charCodeAt(i + 1)));
    else if (isDigit(c)) cut = !isDigit(p) && p !== 95;
    else if (isLower(c)) cut = isDigit(p);
    if (cut && i > s) {
      push(s, i);
      s = i;
    }
  }
  push(s, end);
}

/** The pieces themselves (convenience for tests and counting). */
export function pretokenize(text: string, options: PretokenizerOptions): string[] {
  const b = pretokenizeBounds(text, options);
  const out: string[] = [];
  for (let k = 0; k + 1 < b.length; k++) out.push(text.slice(b[k], b[k + 1]));
  return out;
}

/** True when the piece is whitespace only (such tokens get no TTC label). */
export function isWhitespacePiece(piece: string): boolean {
  for (let i = 0; i < piece.length; i++) {
    const c = piece.charCodeAt(i);
    if (c >= 128 || (CLASS[c] !== C.Space && CLASS[c] !== C.Newline)) return false;
  }
  return true;
}
