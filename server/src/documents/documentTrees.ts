import type { Parser, Tree } from "web-tree-sitter";
import { TextDocument, type TextDocumentContentChangeEvent } from "vscode-languageserver-textdocument";
import { languageFromEditorId, languageFromPath, type LanguageId } from "../parsing/languages";
import { createParser, parseText } from "../parsing/parser";
import { editFor } from "../parsing/positions";
import { classifyContent, type ContentKind } from "./binary";
import type { ParserPool } from "./parserPool";

export interface DocumentTreesOptions {
  /** After an edit the tree is re-parsed at the first request, or after this quiet period (-1: never in the background). */
  reparseDelayMs: number;
  /** Documents larger than this are not parsed at all (a tree costs ~40 bytes per character). */
  maxParseChars: number;
  /** Documents larger than this are parsed in time slices, yielding to other requests in between. */
  sliceAboveChars: number;
  /** Length of one parse slice. */
  sliceMs: number;
}

export const DEFAULT_TREE_OPTIONS: DocumentTreesOptions = {
  reparseDelayMs: 150,
  maxParseChars: 8 * 1024 * 1024,
  sliceAboveChars: 256 * 1024,
  sliceMs: 15,
};

/** A time-sliced parse in progress; cancelled (and its parser reset) when the text changes. */
interface SlicedParse {
  promise: Promise<void>;
  cancelled: boolean;
}

interface Entry {
  uri: string;
  editorLanguage: string;
  language?: LanguageId;
  /** "unchecked" after an edit that may have brought NUL or undecodable characters. */
  content: ContentKind | "unchecked";
  tree?: Tree;
  /** The tree has edits applied (tree.edit) but was not re-parsed yet. */
  stale: boolean;
  timer?: NodeJS.Timeout;
  /** Large documents parse with their own parser, which keeps a suspended parse's state between slices. */
  ownParser?: Parser;
  slicing?: SlicedParse;
}

/** Why a document has no tree; each case gets its own hover text or error. */
export type TreeUnavailable =
  | { reason: "unsupported"; editorLanguage: string }
  | { reason: "grammar-failed"; language: LanguageId; error: string }
  | { reason: "content"; content: Exclude<ContentKind, "text"> }
  | { reason: "too-large"; chars: number }
  /** A large document is being parsed in the background; `ensure()` waits for it. */
  | { reason: "parsing"; chars: number }
  | { reason: "not-open" };

export type TreeLookup = { tree: Tree; language: LanguageId } | TreeUnavailable;

export interface TreeStats {
  fullParses: number;
  incrementalParses: number;
}

/**
 * The tree-sitter tree of every open document, kept in step with the text: each LSP change
 * is applied to the old tree with `tree.edit` (positions converted by parsing/positions.ts),
 * and the tree is re-parsed incrementally from the edited old tree, which is then deleted.
 * Re-parsing is coalesced: a burst of keystrokes costs one parse, done when a request needs
 * the tree or after a short quiet period. Large documents are parsed in slices of a few
 * milliseconds (tree-sitter resumes a parse its progress callback halted), so a multi-MB file
 * never blocks the server: other documents' hovers run between the slices.
 */
export class DocumentTrees {
  private readonly entries = new Map<string, Entry>();
  readonly stats: TreeStats = { fullParses: 0, incrementalParses: 0 };

  private readonly options: DocumentTreesOptions;

  constructor(
    private readonly parsers: ParserPool,
    private readonly getDocument: (uri: string) => TextDocument | undefined,
    options: Partial<DocumentTreesOptions> = {},
  ) {
    this.options = { ...DEFAULT_TREE_OPTIONS, ...options };
  }

  /**
   * Applies LSP content changes to `document` (in order, as LSP requires), editing the tree
   * before each change moves the text on. Used as TextDocuments' `update`.
   */
  update(document: TextDocument, changes: TextDocumentContentChangeEvent[], version: number): TextDocument {
    for (const change of changes) {
      if ("range" in change) {
        const start = document.offsetAt(change.range.start);
        const end = Math.max(start, document.offsetAt(change.range.end));
        this.edit(document.uri, document.getText(), start, end, change.text);
      } else {
        this.replaced(document.uri);
      }
      TextDocument.update(document, [change], version);
    }
    return document;
  }

  open(document: TextDocument): void {
    this.close(document.uri);
    const text = document.getText();
    this.entries.set(document.uri, {
      uri: document.uri,
      editorLanguage: document.languageId,
      language: languageFromEditorId(document.languageId) ?? languageFromPath(document.uri),
      content: classifyContent(text),
      stale: true,
    });
    this.scheduleReparse(document.uri);
  }

  /** Text `before[start, oldEnd)` is about to become `inserted`. Call once per change, in order. */
  edit(uri: string, before: string, start: number, oldEnd: number, inserted: string): void {
    const entry = this.entries.get(uri);
    if (!entry) return;
    this.cancelSlicing(entry);
    if (entry.tree) entry.tree.edit(editFor(before, start, oldEnd, inserted));
    if (entry.content !== "text" || inserted.includes("\u0000") || inserted.includes("\uFFFD")) entry.content = "unchecked";
    entry.stale = true;
    this.scheduleReparse(uri);
  }

  /** The whole text was replaced (full-sync change): the old tree says nothing about the new text. */
  replaced(uri: string): void {
    const entry = this.entries.get(uri);
    if (!entry) return;
    this.cancelSlicing(entry);
    this.dropTree(entry);
    entry.content = "unchecked";
    entry.stale = true;
    this.scheduleReparse(uri);
  }

  /** The up-to-date tree of an open document, parsing now if edits are pending. */
  /** Installs a freshly parsed tree, frees the one it replaces, and counts the parse. */
  private adopt(entry: Entry, tree: Tree, old: Tree | undefined | null): Tree {
    entry.tree = tree;
    if (old) {
      old.delete();
      this.stats.incrementalParses++;
    } else {
      this.stats.fullParses++;
    }
    entry.stale = false;
    return tree;
  }

  lookup(uri: string): TreeLookup {
    const entry = this.entries.get(uri);
    const document = this.getDocument(uri);
    if (!entry || !document) return { reason: "not-open" };
    if (!entry.language) return { reason: "unsupported", editorLanguage: entry.editorLanguage };
    const parser = this.parsers.get(entry.language);
    if (!parser) {
      const error = this.parsers.failed.get(entry.language) ?? "grammar not loaded yet";
      return { reason: "grammar-failed", language: entry.language, error };
    }
    const text = document.getText();
    if (entry.content === "unchecked") entry.content = classifyContent(text);
    if (entry.content !== "text") {
      this.dropTree(entry);
      return { reason: "content", content: entry.content };
    }
    if (text.length > this.options.maxParseChars) {
      this.dropTree(entry);
      return { reason: "too-large", chars: text.length };
    }
    if ((entry.stale || !entry.tree) && text.length > this.options.sliceAboveChars) {
      return { reason: "parsing", chars: text.length };
    }
    const tree = entry.stale || !entry.tree ? this.adopt(entry, parseText(parser, text, entry.tree), entry.tree) : entry.tree;
    if (entry.timer) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
    }
    return { tree, language: entry.language };
  }

  /**
   * Brings a large document's tree up to date without blocking: parses in slices, yielding
   * between them, and starts over if the text changes meanwhile. Small documents need nothing
   * (lookup() parses them at once). Never throws.
   */
  async ensure(uri: string): Promise<void> {
    for (;;) {
      const before = this.lookup(uri);
      if (!("reason" in before) || before.reason !== "parsing") return;
      const entry = this.entries.get(uri)!;
      const document = this.getDocument(uri)!;
      try {
        await (entry.slicing ?? this.startSlicedParse(entry, document)).promise;
      } catch {
        return; // lookup() reports what is wrong
      }
      if (this.entries.get(uri) !== entry) return;
    }
  }

  private startSlicedParse(entry: Entry, document: TextDocument): SlicedParse {
    const slicing: SlicedParse = { cancelled: false, promise: Promise.resolve() };
    entry.slicing = slicing;
    slicing.promise = (async () => {
      try {
        const parser = (entry.ownParser ??= await createParser(entry.language!));
        if (slicing.cancelled) return;
        const text = document.getText();
        const old = entry.tree;
        for (;;) {
          const deadline = performance.now() + this.options.sliceMs;
          // web-tree-sitter halts the parse when the callback returns true (its .d.ts says void).
          const halt = (() => performance.now() > deadline) as unknown as () => void;
          const tree = parser.parse(text, old ?? null, { progressCallback: halt });
          if (tree) {
            this.adopt(entry, tree, old);
            return;
          }
          await new Promise((resume) => setImmediate(resume));
          if (slicing.cancelled) return; // the canceller reset the parser
        }
      } finally {
        if (entry.slicing === slicing) entry.slicing = undefined;
      }
    })();
    return slicing;
  }

  /** Abandons a suspended sliced parse; must run before the old tree is edited or deleted. */
  private cancelSlicing(entry: Entry): void {
    if (!entry.slicing) return;
    entry.slicing.cancelled = true;
    entry.slicing = undefined;
    entry.ownParser?.reset();
  }

  has(uri: string): boolean {
    return this.entries.has(uri);
  }

  close(uri: string): void {
    const entry = this.entries.get(uri);
    if (!entry) return;
    if (entry.timer) clearTimeout(entry.timer);
    this.cancelSlicing(entry);
    this.dropTree(entry);
    entry.ownParser?.delete();
    this.entries.delete(uri);
  }

  /** Number of documents and live trees, for status and the soak test. */
  counts(): { documents: number; trees: number } {
    let trees = 0;
    for (const entry of this.entries.values()) if (entry.tree) trees++;
    return { documents: this.entries.size, trees };
  }

  dispose(): void {
    for (const uri of [...this.entries.keys()]) this.close(uri);
  }

  private dropTree(entry: Entry): void {
    entry.tree?.delete();
    entry.tree = undefined;
  }

  private scheduleReparse(uri: string): void {
    const delayMs = this.options.reparseDelayMs;
    if (delayMs < 0) return;
    const entry = this.entries.get(uri);
    if (!entry || !entry.language) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (this.entries.get(uri) !== entry || !entry.stale) return;
      // Background parse: failures surface at the next lookup, never as a crash here.
      this.parsers.ready
        .then(() => {
          if (this.entries.get(uri) === entry && entry.stale) return this.ensure(uri);
        })
        .catch(() => undefined);
    }, delayMs);
    entry.timer.unref?.();
  }
}
