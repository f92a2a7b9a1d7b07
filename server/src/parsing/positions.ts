import type { Edit, Point } from "web-tree-sitter";

/**
 * The one place where editor positions meet tree-sitter positions.
 *
 * LSP positions count UTF-16 code units. web-tree-sitter parses JavaScript strings as UTF-16,
 * so its `startIndex` is a UTF-16 offset and a Point's `column` is a UTF-16 column: the
 * conversion is a change of shape, not of unit. Keeping it here means a grammar binding that
 * reports UTF-8 bytes (the native one) would change only this file.
 */
export interface LspPosition {
  line: number;
  character: number;
}

export function toPoint(position: LspPosition): Point {
  return { row: position.line, column: position.character };
}

export function toLspPosition(point: Point): LspPosition {
  return { line: point.row, character: point.column };
}

/** Position of a UTF-16 offset in `text` (lines split on \n; \r\n counts \r in the column). */
export function pointAt(text: string, offset: number): Point {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: offset - lineStart };
}

/** The tree-sitter edit for replacing text[start, oldEnd) with `inserted`. */
export function editFor(text: string, start: number, oldEnd: number, inserted: string): Edit {
  const startPosition = pointAt(text, start);
  const oldEndPosition = pointAt(text, oldEnd);
  const lines = inserted.split("\n");
  const newEndPosition =
    lines.length === 1
      ? { row: startPosition.row, column: startPosition.column + inserted.length }
      : { row: startPosition.row + lines.length - 1, column: lines[lines.length - 1].length };
  return {
    startIndex: start,
    oldEndIndex: oldEnd,
    newEndIndex: start + inserted.length,
    startPosition,
    oldEndPosition,
    newEndPosition,
  } as Edit;
}
