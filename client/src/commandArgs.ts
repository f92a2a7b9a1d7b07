import type { RefineResult, SummarizeResult } from "../../common/src/protocol";

/**
 * The editor-independent parts of the Summarize/Refine commands (unit-tested without VS Code):
 * reading the arguments a code lens or code action passes, and the texts shown to the user.
 */
export interface PositionLike {
  line: number;
  character: number;
}

export interface RangeLike {
  start: PositionLike;
  end: PositionLike;
}

export interface CommandTarget {
  uri: string;
  position: PositionLike;
  range?: RangeLike;
}

const isPosition = (value: unknown): value is PositionLike =>
  !!value && typeof value === "object" && Number.isInteger((value as PositionLike).line) && Number.isInteger((value as PositionLike).character);

const isRange = (value: unknown): value is RangeLike =>
  !!value && typeof value === "object" && isPosition((value as RangeLike).start) && isPosition((value as RangeLike).end);

/**
 * Arguments of `codeadapt.summarize` / `codeadapt.refine` when a lens or an action invokes them:
 * `(uri: string, position: Position, range?: Range)`. From the palette there are none (undefined):
 * the active editor's selection is used instead.
 */
export function commandTarget(args: unknown[]): CommandTarget | undefined {
  const [uri, position, range] = args;
  if (typeof uri !== "string" || !isPosition(position)) return undefined;
  return { uri, position: { line: position.line, character: position.character }, range: isRange(range) ? range : undefined };
}

export const TRUNCATED_NOTICE = "The code was longer than the model reads, so only its beginning was used";

/** The message showing a summary, with the truncation notice when the input was cut. */
export function summaryMessage(result: Pick<SummarizeResult, "summary" | "truncated">): string {
  const summary = result.summary.trim() || "(the model returned an empty summary)";
  return result.truncated ? `${summary} — ${TRUNCATED_NOTICE}.` : summary;
}

/** The question asked next to the diff editor. */
export function refinePrompt(result: Pick<RefineResult, "truncated" | "original" | "refined" | "edit">): string {
  if (result.original === result.refined) return "CodeAdapt: the model proposes no change.";
  const how = result.edit ? ` One edit (${result.edit.operator}), the likeliest of ${result.edit.candidates} the model ranked.` : "";
  const base = `CodeAdapt: apply the refinement?${how}`;
  return result.truncated ? `${base} ${TRUNCATED_NOTICE}: accepting replaces the whole code with the refinement of its beginning.` : base;
}

/** Path of a virtual diff side: keeps the document's file name so the diff gets its language. */
export function diffSidePath(id: string, side: "original" | "refined", documentPath: string): string {
  const name = documentPath.split("/").pop() || "code";
  return `/${id}/${side}/${name}`;
}

/** Whether an edit computed for `version` may still be applied. */
export function stillApplies(documentVersion: number, resultVersion: number | undefined): boolean {
  return resultVersion === undefined || documentVersion === resultVersion;
}
