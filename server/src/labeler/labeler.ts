import type { Node, Tree } from "web-tree-sitter";
import type { LanguageId } from "../parsing/languages";
import { labelId, type Label } from "./labels";
import {
  BUILTINS, COMMENT_TYPES, IDENTIFIER_TYPES, IMPORT_CONTEXTS, INTERPOLATION_TYPES,
  LITERAL_TYPES, NUMBER_TYPES, PRIMITIVE_TYPE_PARENTS, PUNCTUATION, STRING_TYPES,
} from "./nodeTypes";
import { enclosingDefinition, moduleAliases, type Definition } from "./scopes";
import { identifierRole } from "./identifierRoles";

/**
 * The token labeler: maps each tree-sitter leaf to a TTC label. The same code labels the
 * training corpus and answers hovers, so training and serving never disagree.
 */
export interface LabeledLeaf {
  start: number; // UTF-16 offset, inclusive
  end: number; // UTF-16 offset, exclusive
  label: Label;
}

export interface LeafAtOffset extends LabeledLeaf {
  text: string;
  definition?: Pick<Definition, "kind" | "name">;
  /** The enclosing definition of a parameter/local: "parameter of `load_config`". */
  inError: boolean;
}

export interface LabelContext {
  language: LanguageId;
  tree: Tree;
  builtins: ReadonlySet<string>;
  modules: ReadonlySet<string>;
}

/** The module aliases are read only when a leaf needs them (a walk of the file's top level). */
export function contextFor(tree: Tree, language: LanguageId): LabelContext {
  let modules: ReadonlySet<string> | undefined;
  return {
    language,
    tree,
    builtins: BUILTINS[language] ?? new Set(),
    get modules() {
      modules ??= moduleAliases(tree, language);
      return modules;
    },
  };
}

/** Labels of every leaf overlapping [start, end), in document order. */
export function labelLeaves(tree: Tree, language: LanguageId, start = 0, end = Infinity): LabeledLeaf[] {
  const context = contextFor(tree, language);
  const out: LabeledLeaf[] = [];
  walkLeaves(tree, start, end, (node) => out.push({ start: node.startIndex, end: node.endIndex, label: labelOf(node, context) }));
  return out;
}

/**
 * The extents of every non-empty leaf overlapping [start, end), in document order, without
 * labelling them (labelling is most of the cost: a caller that needs only where the leaves lie,
 * such as the workspace memory's mining, skips it).
 */
export function leafExtents(tree: Tree, start = 0, end = Infinity): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  walkLeaves(tree, start, end, (node) => out.push({ start: node.startIndex, end: node.endIndex }));
  return out;
}

function walkLeaves(tree: Tree, start: number, end: number, visit: (leaf: Node) => void): void {
  const cursor = tree.walk();
  try {
    let descend = true;
    for (;;) {
      const node = cursor.currentNode;
      const overlaps = node.endIndex > start && node.startIndex < end;
      if (descend && overlaps && isLeaf(node)) {
        if (node.endIndex > node.startIndex) visit(node);
      } else if (descend && overlaps && cursor.gotoFirstChild()) {
        continue;
      }
      if (cursor.gotoNextSibling()) {
        descend = true;
        continue;
      }
      if (!cursor.gotoParent()) break;
      descend = false;
    }
  } finally {
    cursor.delete();
  }
}

/** Leaf labels with numeric ids, as stored in the corpus. Offsets relative to `base`. */
export function labelIdsOf(tree: Tree, language: LanguageId, base = 0, end = Infinity): [number, number, number][] {
  return labelLeaves(tree, language, base, end).map((leaf) => [leaf.start - base, leaf.end - base, labelId(leaf.label)]);
}

/** The labelled leaf at a UTF-16 offset (hover), or undefined between tokens. */
export function labelAt(tree: Tree, language: LanguageId, offset: number): LeafAtOffset | undefined {
  let node: Node | null = tree.rootNode.descendantForIndex(offset, offset + 1);
  if (node && !isLeaf(node)) node = null;
  if (!node || node.startIndex > offset || node.endIndex <= offset) return undefined;
  const label = labelOf(node, contextFor(tree, language));
  const definition = enclosingDefinition(node);
  return {
    start: node.startIndex,
    end: node.endIndex,
    label,
    text: node.text,
    definition: definition && { kind: definition.kind, name: definition.name },
    inError: hasErrorAncestor(node),
  };
}

/**
 * Leaves are childless nodes, and Python's `string_content`, whose only children are escape
 * sequences: its text between escapes belongs to no child, so it is labelled as one piece.
 */
function isLeaf(node: Node): boolean {
  return node.childCount === 0 || node.type === "string_content";
}

function hasErrorAncestor(node: Node): boolean {
  for (let current: Node | null = node; current; current = current.parent) {
    if (current.type === "ERROR" || current.isMissing) return true;
  }
  return false;
}

export function labelOf(leaf: Node, context: LabelContext): Label {
  const type = leaf.type;
  if (COMMENT_TYPES.has(type)) return isDocComment(leaf, context.language) ? "docstring" : "comment";
  const parentType = leaf.parent?.type ?? "";
  if (PRIMITIVE_TYPE_PARENTS.has(parentType) || PRIMITIVE_TYPE_PARENTS.has(type)) return "type.reference";
  const stringNode = enclosingString(leaf);
  if (stringNode) return isPythonDocstring(stringNode) ? "docstring" : "string";
  if (leaf.isNamed && NUMBER_TYPES.has(type)) return "number";
  if (LITERAL_TYPES.has(type) && (leaf.isNamed || type === "undefined")) return "literal";
  if (IDENTIFIER_TYPES.has(type)) return identifierRole(leaf, context);
  if (type === "this" || type === "super" || type === "self") return "keyword";
  if (IMPORT_CONTEXTS.has(parentType) && /^[A-Za-z_]\w*$/.test(leaf.text) && leaf.isNamed) return "module";
  const text = leaf.text;
  if (/^[A-Za-z_]+$/.test(text)) return "keyword";
  if (PUNCTUATION.has(text)) return "punctuation";
  return "operator";
}

/** The string node a leaf belongs to, unless an interpolation (`${x}`, f"{x}") comes first. */
function enclosingString(leaf: Node): Node | undefined {
  let found: Node | undefined;
  let current: Node | null = leaf;
  for (let depth = 0; current && depth < 4; depth++, current = current.parent) {
    if (INTERPOLATION_TYPES.has(current.type)) return undefined;
    if (current.isNamed && STRING_TYPES.has(current.type)) found = current;
    else if (found) break;
  }
  return found;
}

const PY_DOC_OWNERS = new Set(["function_definition", "class_definition"]);

function isPythonDocstring(stringNode: Node): boolean {
  const statement = stringNode.parent;
  if (statement?.type !== "expression_statement" || statement.namedChildCount !== 1) return false;
  const body = statement.parent;
  if (!body) return false;
  const first = body.namedChild(0);
  if (!first || first.id !== statement.id) return false;
  return body.type === "module" || (body.type === "block" && PY_DOC_OWNERS.has(body.parent?.type ?? ""));
}

/** `/** ... *\/` in JS/TS/Java, and Go's `//` comment directly above a declaration. */
function isDocComment(comment: Node, language: LanguageId): boolean {
  if (comment.text.startsWith("/**")) return language !== "python";
  if (language !== "go") return false;
  let last = comment;
  let next = comment.nextSibling;
  while (next && COMMENT_TYPES.has(next.type) && next.startPosition.row === last.endPosition.row + 1) {
    last = next;
    next = next.nextSibling;
  }
  return !!next && next.startPosition.row === last.endPosition.row + 1 && /declaration$/.test(next.type);
}
