/**
 * The Token Type Classification (TTC) label set, one set for every language.
 * Label ids are part of the model contract: they are recorded in models/manifest.json and
 * checked at load. Append new labels at the end; never reorder or reuse an id.
 * docs/labels.md documents each label and the per-language mapping.
 */
export const LABELS = [
  "keyword",
  "operator",
  "punctuation",
  "comment",
  "docstring",
  "string",
  "number",
  "literal",
  "function.definition",
  "method.definition",
  "type.definition",
  "parameter",
  "variable.definition",
  "variable.reference",
  "attribute",
  "function.call",
  "method.call",
  "type.reference",
  "module",
  "builtin",
] as const;

export type Label = (typeof LABELS)[number];

/** Version of the label set; bump when LABELS changes. */
export const LABEL_SET_ID = "ttc-v1";

const IDS = new Map<Label, number>(LABELS.map((label, id) => [label, id]));

export function labelId(label: Label): number {
  return IDS.get(label)!;
}

/** The identifier roles whose prediction is the real test of a TTC model. */
export const IDENTIFIER_LABELS: readonly Label[] = [
  "function.definition",
  "method.definition",
  "type.definition",
  "parameter",
  "variable.definition",
  "variable.reference",
  "attribute",
  "function.call",
  "method.call",
  "type.reference",
  "module",
  "builtin",
];

/** Human-readable description for hovers. */
export function describeLabel(label: Label): string {
  return label.replace(".", " ").replace(/^(\w+) (\w+)$/, "$1 $2");
}
