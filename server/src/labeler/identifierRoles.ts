import type { Node } from "web-tree-sitter";
import type { Label } from "./labels";
import type { LabelContext } from "./labeler";
import {
  FUNCTION_DEFINITIONS, IMPORT_CONTEXTS, METHOD_DEFINITIONS, NON_BINDING_FIELDS,
  PARAMETER_CONTAINERS, PATTERN_WRAPPERS, TYPE_DEFINITIONS,
} from "./nodeTypes";
import { definitionOf, isCallableValue, isInClassBody, parameterNames } from "./scopes";

/**
 * The role of an identifier leaf, decided from its parent chain and field names.
 * Order matters: imports, then definitions and bindings, then types, calls, attributes,
 * builtins, and finally plain references (which become `parameter` when they name one).
 */
export function identifierRole(leaf: Node, context: LabelContext): Label {
  const parent = leaf.parent;
  if (!parent) return "variable.reference";
  const field = fieldOf(leaf);
  if (isInImport(leaf)) return "module";
  if (leaf.type === "package_identifier" || leaf.type === "namespace_identifier") return "module";
  const defined = definitionRole(leaf, parent, field);
  if (defined) return defined;
  const bound = bindingRole(leaf);
  if (bound) return bound;
  if (leaf.type === "type_identifier" || isPythonTypeContext(leaf, context) || isTypeOnlyPosition(parent, field)) {
    return "type.reference";
  }
  const accessed = accessRole(leaf, parent, field, context);
  if (accessed) return accessed;
  if (leaf.type === "property_identifier" || leaf.type === "field_identifier" || leaf.type === "private_property_identifier") {
    return "attribute";
  }
  if (leaf.type === "shorthand_property_identifier_pattern") return "variable.definition";
  if (parent.type === "keyword_argument" && field === "name") return "parameter";
  if (leaf.type === "statement_identifier" || leaf.type === "label_name") return "keyword";
  if (context.builtins.has(leaf.text)) return isShadowed(leaf) ? referenceRole(leaf) : "builtin";
  if (context.language === "java" && /^[A-Z]/.test(leaf.text) && isQualifierOfAccess(leaf, parent, field)) {
    return "type.reference";
  }
  return referenceRole(leaf);
}

export function fieldOf(node: Node): string | null {
  const parent = node.parent;
  if (!parent) return null;
  for (let i = 0; i < parent.childCount; i++) {
    if (parent.child(i)!.id === node.id) return parent.fieldNameForChild(i);
  }
  return null;
}

function isInImport(leaf: Node): boolean {
  let current: Node | null = leaf.parent;
  for (let depth = 0; current && depth < 6; depth++, current = current.parent) {
    if (IMPORT_CONTEXTS.has(current.type)) {
      // dotted_name/scoped_identifier also occur outside imports; require a real import above.
      if (current.type !== "dotted_name" && current.type !== "scoped_identifier") return true;
    }
  }
  return false;
}

/** The name of a function, method or type definition. */
function definitionRole(leaf: Node, parent: Node, field: string | null): Label | undefined {
  const type = parent.type;
  if (type === "type_parameter") return field === "name" || !field ? "type.definition" : undefined;
  if (field !== "name") return undefined;
  if (METHOD_DEFINITIONS.has(type)) return "method.definition";
  if (type === "function_definition") return isInClassBody(parent) ? "method.definition" : "function.definition";
  if (FUNCTION_DEFINITIONS.has(type)) return "function.definition";
  if (TYPE_DEFINITIONS.has(type)) return "type.definition";
  if (type === "variable_declarator" && isCallableValue(parent.childForFieldName("value"))) return "function.definition";
  if (type === "field_declaration" || type === "public_field_definition" || type === "field_definition" ||
      type === "property_signature" || type === "enum_constant") {
    return "attribute";
  }
  return undefined;
}

/** Names bound by parameters, declarations, assignments and loops (through destructuring). */
function bindingRole(leaf: Node): Label | undefined {
  let child = leaf;
  let field = fieldOf(leaf);
  let parent = leaf.parent;
  while (parent && PATTERN_WRAPPERS.has(parent.type)) {
    if (field && NON_BINDING_FIELDS.has(field) && !(parent.type === "pair_pattern" && field === "value")) return undefined;
    if (parent.type === "variable_declarator") return declaratorRole(parent, field);
    if ((parent.type === "tuple" || parent.type === "list" || parent.type === "parenthesized_expression") &&
        !isAssignmentTarget(parent)) {
      return undefined;
    }
    if (parent.type === "expression_list" && fieldOf(parent) !== "left") return undefined;
    child = parent;
    field = fieldOf(parent);
    parent = parent.parent;
  }
  if (!parent) return undefined;
  if (PARAMETER_CONTAINERS.has(parent.type)) return "parameter";
  if (child !== leaf && PARAMETER_CONTAINERS.has(child.type)) return "parameter";
  if (field === "parameter" && parent.type === "arrow_function") return "parameter";
  if (field === "parameters" && parent.type === "lambda_expression") return "parameter";
  return binderRole(parent, field, child === leaf);
}

function declaratorRole(declarator: Node, field: string | null): Label | undefined {
  if (field !== "name") return undefined;
  const holder = declarator.parent?.type ?? "";
  if (holder === "field_declaration" || holder === "constant_declaration") return "attribute";
  if (holder === "spread_parameter") return "parameter";
  if (isCallableValue(declarator.childForFieldName("value"))) return "function.definition";
  return "variable.definition";
}

const DEFINING_FIELDS: Record<string, string[]> = {
  assignment: ["left"],
  for_statement: ["left"],
  for_in_clause: ["left"],
  for_in_statement: ["left"],
  enhanced_for_statement: ["name"],
  catch_formal_parameter: ["name"],
  catch_clause: ["parameter"],
  short_var_declaration: ["left"],
  var_spec: ["name"],
  const_spec: ["name"],
  range_clause: ["left"],
  as_pattern: ["alias"],
  with_item: ["alias"],
  except_clause: ["alias"],
  named_expression: ["name"],
  resource: ["name"],
  lexical_binding: ["name"],
};

function binderRole(binder: Node, field: string | null, direct: boolean): Label | undefined {
  const fields = DEFINING_FIELDS[binder.type];
  if (binder.type === "as_pattern_target" || binder.type === "as_pattern") return "variable.definition";
  if (!fields) return undefined;
  if (field && fields.includes(field)) {
    if (binder.type === "assignment" && direct && isClassLevel(binder)) return "attribute";
    return "variable.definition";
  }
  // Python's except clause and Go's var/const specs list names without a field on every child.
  if (!field && (binder.type === "var_spec" || binder.type === "const_spec")) return "variable.definition";
  return undefined;
}

function isAssignmentTarget(node: Node): boolean {
  const field = fieldOf(node);
  return field === "left" || node.parent?.type === "pattern_list";
}

function isClassLevel(assignment: Node): boolean {
  const statement = assignment.parent;
  return statement?.type === "expression_statement" && statement.parent?.type === "block" &&
    statement.parent.parent?.type === "class_definition";
}

/** Python annotations are wrapped in a `type` node; superclasses are types too. */
function isPythonTypeContext(leaf: Node, context: LabelContext): boolean {
  if (context.language !== "python") return false;
  let current: Node | null = leaf.parent;
  for (let depth = 0; current && depth < 5; depth++, current = current.parent) {
    if (current.type === "type") return true;
    if (current.type === "argument_list" && fieldOf(current) === "superclasses") return true;
    if (/statement$|definition$|^block$/.test(current.type)) return false;
  }
  return false;
}

function isTypeOnlyPosition(parent: Node, field: string | null): boolean {
  if (parent.type === "new_expression" && field === "constructor") return true;
  if (parent.type === "extends_clause" && field === "value") return true;
  if ((parent.type === "marker_annotation" || parent.type === "annotation") && field === "name") return true;
  if (parent.type === "object_creation_expression" && field === "type") return true;
  return false;
}

/** Calls and member access: `f()`, `obj.m()`, `obj.attr`, `pkg.Func()`. */
function accessRole(leaf: Node, parent: Node, field: string | null, context: LabelContext): Label | undefined {
  const type = parent.type;
  if ((type === "call" || type === "call_expression") && field === "function") {
    return context.builtins.has(leaf.text) && !isShadowed(leaf) ? "builtin" : "function.call";
  }
  if (type === "method_invocation") {
    if (field === "name") return "method.call";
    if (field === "object" && /^[A-Z]/.test(leaf.text)) return "type.reference";
    return undefined;
  }
  const memberField = type === "attribute" ? "attribute" : type === "member_expression" ? "property"
    : type === "selector_expression" ? "field" : type === "field_access" ? "field" : undefined;
  if (!memberField) return undefined;
  const objectField = type === "attribute" || type === "member_expression" || type === "field_access" ? "object" : "operand";
  if (field === objectField) {
    return context.modules.has(leaf.text) && !isShadowed(leaf) ? "module" : undefined;
  }
  if (field !== memberField) return undefined;
  const grand = parent.parent;
  const calledHere = (grand?.type === "call" || grand?.type === "call_expression") && fieldOf(parent) === "function";
  if (!calledHere) return "attribute";
  const object = parent.childForFieldName(objectField);
  return object && context.modules.has(object.text) ? "function.call" : "method.call";
}

function isQualifierOfAccess(leaf: Node, parent: Node, field: string | null): boolean {
  return (parent.type === "field_access" || parent.type === "method_invocation") && field === "object" && leaf.type === "identifier";
}

/** A plain name: a parameter of an enclosing function, or a variable reference. */
function referenceRole(leaf: Node): Label {
  const name = leaf.text;
  for (let current = leaf.parent; current; current = current.parent) {
    const definition = definitionOf(current);
    if (definition && definition.kind !== "class" && parameterNames(current).has(name)) return "parameter";
  }
  return "variable.reference";
}

/** True when a builtin's name is rebound as a parameter of an enclosing function. */
function isShadowed(leaf: Node): boolean {
  return referenceRole(leaf) === "parameter";
}
