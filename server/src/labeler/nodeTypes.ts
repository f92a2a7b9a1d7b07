/**
 * Grammar node types grouped by what they mean, across the six grammars
 * (tree-sitter-python, -javascript, -typescript/tsx, -java, -go).
 * The labeler reads these tables; docs/labels.md explains the mapping per language.
 */
const set = (...types: string[]): ReadonlySet<string> => new Set(types);

export const IDENTIFIER_TYPES = set(
  "identifier", "property_identifier", "field_identifier", "type_identifier",
  "shorthand_property_identifier", "shorthand_property_identifier_pattern",
  "package_identifier", "statement_identifier", "private_property_identifier",
  "label_name", "blank_identifier", "keyword_identifier", "namespace_identifier",
);

export const STRING_TYPES = set(
  "string", "string_literal", "template_string", "interpreted_string_literal",
  "raw_string_literal", "rune_literal", "character_literal", "text_block", "regex",
  "jsx_text", "string_fragment", "string_content", "concatenated_string",
);

/** Code inside a string: f-string and template-literal substitutions. */
export const INTERPOLATION_TYPES = set("interpolation", "template_substitution");

export const COMMENT_TYPES = set("comment", "line_comment", "block_comment", "html_comment");

export const NUMBER_TYPES = set(
  "integer", "float", "number", "decimal_integer_literal", "hex_integer_literal",
  "octal_integer_literal", "binary_integer_literal", "decimal_floating_point_literal",
  "hex_floating_point_literal", "int_literal", "float_literal", "imaginary_literal",
);

export const LITERAL_TYPES = set("true", "false", "none", "null", "null_literal", "nil", "undefined", "iota");

/** Built-in type names written as keywords by their grammar. */
export const PRIMITIVE_TYPE_PARENTS = set(
  "predefined_type", "integral_type", "floating_point_type", "boolean_type", "void_type",
);

export const PUNCTUATION = set("(", ")", "[", "]", "{", "}", ",", ";", ":", ".", "...", "@", "`", "${", "'", '"');

export const FUNCTION_DEFINITIONS = set(
  "function_definition", "function_declaration", "generator_function_declaration",
  "function_signature", "function_expression", "generator_function", "function",
);

export const METHOD_DEFINITIONS = set(
  "method_definition", "method_signature", "abstract_method_signature", "method_declaration",
  "constructor_declaration", "compact_constructor_declaration", "method_spec", "method_elem",
);

export const TYPE_DEFINITIONS = set(
  "class_definition", "class_declaration", "class", "abstract_class_declaration",
  "interface_declaration", "type_alias_declaration", "enum_declaration", "record_declaration",
  "annotation_type_declaration", "type_spec", "type_alias", "type_parameter",
);

export const IMPORT_CONTEXTS = set(
  "import_statement", "import_from_statement", "future_import_statement", "import_declaration",
  "package_declaration", "package_clause", "import_spec", "import_clause", "import_specifier",
  "namespace_import", "named_imports", "export_specifier", "aliased_import", "dotted_name",
  "scoped_identifier", "import_alias", "relative_import",
);

/** Nodes that pass a binding position through to their children (destructuring and the like). */
export const PATTERN_WRAPPERS = set(
  "pattern_list", "tuple_pattern", "list_pattern", "list_splat_pattern", "dictionary_splat_pattern",
  "array_pattern", "object_pattern", "pair_pattern", "assignment_pattern", "rest_pattern",
  "object_assignment_pattern", "expression_list", "parenthesized_expression", "as_pattern_target",
  "default_parameter", "typed_parameter", "typed_default_parameter", "required_parameter",
  "optional_parameter", "formal_parameter", "spread_parameter", "receiver_parameter",
  "parameter_declaration", "variadic_parameter_declaration", "catch_formal_parameter",
  "variable_declarator", "tuple", "list",
);

/** Fields of a wrapper that hold values or types rather than the bound name. */
export const NON_BINDING_FIELDS = set("value", "type", "default", "right", "key", "return_type", "dimensions");

export const PARAMETER_CONTAINERS = set(
  "parameters", "lambda_parameters", "formal_parameters", "inferred_parameters", "parameter_list",
);

export const BUILTINS: Record<string, ReadonlySet<string>> = {
  python: set(
    "abs", "all", "any", "bool", "bytes", "callable", "chr", "dict", "dir", "divmod", "enumerate",
    "filter", "float", "format", "frozenset", "getattr", "globals", "hasattr", "hash", "hex", "id",
    "input", "int", "isinstance", "issubclass", "iter", "len", "list", "locals", "map", "max",
    "min", "next", "object", "oct", "open", "ord", "pow", "print", "range", "repr", "reversed",
    "round", "set", "setattr", "slice", "sorted", "str", "sum", "super", "tuple", "type", "vars",
    "zip", "NotImplemented", "Ellipsis", "__name__", "__file__",
  ),
  javascript: set(
    "console", "Math", "JSON", "Object", "Array", "Promise", "Number", "String", "Boolean",
    "Symbol", "Error", "TypeError", "Date", "RegExp", "Map", "Set", "WeakMap", "WeakSet",
    "window", "document", "globalThis", "process", "require", "module", "exports", "parseInt",
    "parseFloat", "isNaN", "isFinite", "setTimeout", "clearTimeout", "setInterval",
    "clearInterval", "Buffer", "arguments", "Reflect", "Proxy",
  ),
  go: set(
    "append", "cap", "clear", "close", "complex", "copy", "delete", "imag", "len", "make", "max",
    "min", "new", "panic", "print", "println", "real", "recover",
  ),
  java: set(),
};
BUILTINS.typescript = BUILTINS.javascript;
BUILTINS.tsx = BUILTINS.javascript;
