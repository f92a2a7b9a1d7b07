import type { Node, Tree } from "web-tree-sitter";
import type { LanguageId } from "../parsing/languages";
import {
  FUNCTION_DEFINITIONS, IDENTIFIER_TYPES, METHOD_DEFINITIONS, NON_BINDING_FIELDS,
  PARAMETER_CONTAINERS, PATTERN_WRAPPERS, TYPE_DEFINITIONS,
} from "./nodeTypes";

/** What a definition is, for hover text ("parameter of `load`") and for the corpus. */
export type DefinitionKind = "function" | "method" | "class";

export interface Definition {
  kind: DefinitionKind;
  name: string;
  node: Node;
}

const CALLABLE_VALUES = new Set(["arrow_function", "function_expression", "function", "generator_function"]);

export function isCallableValue(node: Node | null): boolean {
  return !!node && CALLABLE_VALUES.has(node.type);
}

/** The definition `node` introduces, if any (functions, methods, classes; arrow functions by their variable). */
export function definitionOf(node: Node): Definition | undefined {
  const type = node.type;
  if (CALLABLE_VALUES.has(type)) {
    const holder = node.parent;
    const name = holder?.type === "variable_declarator" || holder?.type === "pair"
      ? holder.childForFieldName(holder.type === "pair" ? "key" : "name")
      : node.childForFieldName("name");
    return name ? { kind: "function", name: name.text, node } : undefined;
  }
  const isMethod = METHOD_DEFINITIONS.has(type) || (type === "function_definition" && isInClassBody(node));
  if (!isMethod && !FUNCTION_DEFINITIONS.has(type) && !TYPE_DEFINITIONS.has(type)) return undefined;
  if (type === "type_parameter") return undefined;
  const name = node.childForFieldName("name");
  if (!name) return undefined;
  const kind: DefinitionKind = isMethod ? "method" : TYPE_DEFINITIONS.has(type) ? "class" : "function";
  return { kind, name: name.text, node };
}

/** Python: a def directly inside a class body (through decorators) is a method. */
export function isInClassBody(node: Node): boolean {
  let parent = node.parent;
  if (parent?.type === "decorated_definition") parent = parent.parent;
  return parent?.type === "block" && parent.parent?.type === "class_definition";
}

/** The innermost definition that contains `node`, excluding `node` itself. */
export function enclosingDefinition(node: Node): Definition | undefined {
  for (let current = node.parent; current; current = current.parent) {
    const definition = definitionOf(current);
    if (definition) return definition;
  }
  return undefined;
}

/** Names bound by the parameter list of a function-like node. */
export function parameterNames(fn: Node): Set<string> {
  const names = new Set<string>();
  const lists = [fn.childForFieldName("parameters"), fn.childForFieldName("parameter"), fn.childForFieldName("receiver")];
  const visit = (node: Node, field: string | null) => {
    if (IDENTIFIER_TYPES.has(node.type)) {
      if (!field || !NON_BINDING_FIELDS.has(field)) names.add(node.text);
      return;
    }
    if (field && NON_BINDING_FIELDS.has(field) && node.parent?.type !== "pair_pattern") return;
    for (let i = 0; i < node.childCount; i++) {
      const child = node.child(i)!;
      const childField = node.fieldNameForChild(i);
      if (PATTERN_WRAPPERS.has(child.type) || PARAMETER_CONTAINERS.has(child.type) || IDENTIFIER_TYPES.has(child.type)) {
        visit(child, childField);
      }
    }
  };
  for (const list of lists) if (list) visit(list, null);
  return names;
}

/**
 * Names that stand for modules in this file: `import os`, `import * as path from`,
 * Go imports (alias or last path segment). Used to label `os` in `os.path` as a module.
 */
const moduleAliasCache = new WeakMap<Tree, Set<string>>();

export function moduleAliases(tree: Tree, language: LanguageId): Set<string> {
  let aliases = moduleAliasCache.get(tree);
  if (aliases) return aliases;
  aliases = new Set<string>();
  const root = tree.rootNode;
  for (let i = 0; i < root.childCount; i++) collectImports(root.child(i)!, language, aliases);
  moduleAliasCache.set(tree, aliases);
  return aliases;
}

function collectImports(node: Node, language: LanguageId, into: Set<string>): void {
  if (language === "python" && node.type === "import_statement") {
    for (const name of node.childrenForFieldName("name")) {
      if (!name) continue;
      const alias = name.type === "aliased_import" ? name.childForFieldName("alias") : name.namedChild(0);
      if (alias) into.add(alias.text);
    }
  } else if (node.type === "import_statement" && language !== "python") {
    for (const ns of node.descendantsOfType("namespace_import")) {
      const id = ns?.namedChild(0);
      if (id) into.add(id.text);
    }
  } else if (language === "go" && node.type === "import_declaration") {
    for (const spec of node.descendantsOfType("import_spec")) {
      if (!spec) continue;
      const alias = spec.childForFieldName("name");
      const path = spec.childForFieldName("path")?.text.replace(/["`]/g, "");
      if (alias) into.add(alias.text);
      else if (path) into.add(path.slice(path.lastIndexOf("/") + 1));
    }
  }
}
