import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createParser, parseText } from "../../server/src/parsing/parser";
import { languageFromPath } from "../../server/src/parsing/languages";
import { labelIdsOf } from "../../server/src/labeler/labeler";
import {
  BYTE_OFFSET, countPretokens, EOS, FIRST_MERGE_ID, languageTagId, SPECIAL_TOKENS, Tokenizer, trainBpe, TRUNCATED,
} from "./bpe";
import { crossingTokens, leafBoundaries } from "./leaves";
import { GOLDEN, goldenMismatches, readGolden } from "./golden";
import { DEFAULT_PRETOKENIZER, MAX_PIECE, pretokenize, pretokenizerOptions, PRETOKENIZERS } from "./pretokenize";
import { pretrainChunks, sourceSequence, targetSequence, ttcSequence } from "./sequences";
import { readShard } from "./shards";
import { buildTokenizerFile, canonicalHash, loadTokenizer, writeTokenizerFile } from "./tokenizer-file";
import { NO_LABEL, tokenLabels } from "./ttc-labels";

const HERE = __dirname;
const ROOT = join(HERE, "..", "..");
const FIXTURE_DIRS = [join(HERE, "fixtures"), join(ROOT, "server", "src", "labeler", "fixtures")];
const fixtures = FIXTURE_DIRS.flatMap((d) => (existsSync(d) ? readdirSync(d).sort().map((f) => join(d, f)) : []))
  .filter((p) => languageFromPath(p));
const SHIPPED = join(ROOT, "models", "tokenizer.json");

/** A tokenizer over-fitted to the fixtures: its merges cover whole pretokens, the harshest case. */
function fixtureTokenizer(pretokenizer = DEFAULT_PRETOKENIZER, merges = 3000): Tokenizer {
  const options = pretokenizerOptions(pretokenizer);
  const counts = new Map<string, number>();
  for (const f of fixtures) countPretokens(readFileSync(f, "utf8"), options, counts);
  countPretokens(EDGE_CASES.join(" "), options, counts);
  return new Tokenizer(trainBpe(counts, merges, { minCount: 1 }).merges, options);
}

const EDGE_CASES = [
  "",
  " ",
  "\t",
  "\n",
  "\r\n",
  "\r",
  "\r\r\n\n",
  "\f\v",
  "  \t  \n\t\t\n    \n",
  "x\r\n    y\r\n\r\n\tz",
  "trailing spaces   \n   \n",
  "a".repeat(MAX_PIECE * 3 + 7),
  " ".repeat(300) + "x",
  "\n" + " ".repeat(200) + "deep",
  "9".repeat(1000),
  "café naïve résumé",
  "日本語のテキスト",
  "emoji 🙂👍🏽👨‍👩‍👧 flags 🇩🇪",
  "combining e\u0301 a\u0308",
  "rtl עברית العربية",
  "nbsp\u00a0here\u2003em\u2028ls\u2029ps\ufeffbom",
  "lone \ud800 high, lone \udc00 low, reversed \udc00\ud800, end \ud83d",
  "\ud83d",
  "\u0000nul\u0001\u001f\u007f del",
  "<s> </s> <pad> <extra_0> <truncated> <0x41>",
  "${a}$${b}$$ $ ${",
  "\\n\\t\\\\\\",
  "x = 'it\\'s' + \"q\\\"\" + `t${y}`",
  "getHTTPServerURL2Fast snake_case__name __dunder__ _private $jq A1b2C3",
  "0x1F 0b101 1_000 3.14e-10 10n 2j 1e3f 0777",
  "\u{10FFFF}\u{1F600}\uFFFF\uFFFE",
];

function randomStrings(count: number, seed: number): string[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const pool = [" ", "  ", "\t", "\n", "\r\n", "\r", "a", "Z", "_", "$", "{", "}", "\\", "\"", "'", "0", "9", "é", "ß",
    "中", "🙂", "\ud800", "\udfff", "\u0000", "\u00a0", "=", "=>", "(", ")", ".", "x1", "HTTPServer", "\u200d"];
  return Array.from({ length: count }, () => {
    const n = Math.floor(rand() * 40);
    let t = "";
    for (let k = 0; k < n; k++) t += pool[Math.floor(rand() * pool.length)];
    return t;
  });
}

describe("pretokenize", () => {
  const plain = pretokenizerOptions("code-ascii-v1");
  const space = pretokenizerOptions("code-ascii-space-v1");
  const split = pretokenizerOptions("code-ascii-space-split-v1");

  it("pieces concatenate to the input for every pretokenizer", () => {
    for (const options of Object.values(PRETOKENIZERS)) {
      for (const t of [...EDGE_CASES, ...randomStrings(300, 7)]) assert.equal(pretokenize(t, options).join(""), t);
    }
  });

  it("follows the ASCII rules", () => {
    assert.deepEqual(pretokenize("foo_bar1 = x$y+42;", plain), ["foo_bar1", " ", "=", " ", "x$y", "+", "42", ";"]);
    assert.deepEqual(pretokenize("if a:\n    b\n\n\tc", plain), ["if", " ", "a", ":", "\n    ", "b", "\n\n\t", "c"]);
    assert.deepEqual(pretokenize("`a${b}`", plain), ["`", "a", "$", "{", "b", "}", "`"]);
    assert.deepEqual(pretokenize('"\\n\\"x\\\n', plain), ['"', "\\n", '\\"', "x", "\\", "\n"]);
    assert.deepEqual(pretokenize("\\xffraw\\u00e9abc\\0123\\U0001F600z\\x4", plain),
      ["\\xff", "raw", "\\u00e9", "abc", "\\012", "3", "\\U0001F600", "z", "\\x4"]);
    assert.deepEqual(pretokenize("é🙂x", plain), ["é", "🙂", "x"]);
    assert.deepEqual(pretokenize("a\r\n  b", plain), ["a", "\r\n  ", "b"]);
  });

  it("glues one space to the next identifier, number or punctuation with spacePrefix", () => {
    assert.deepEqual(pretokenize("x = foo(1,  2)", space), ["x", " =", " foo", "(", "1", ",", " ", " 2", ")"]);
    assert.deepEqual(pretokenize("a \n b\t c é", space), ["a", " ", "\n ", "b", "\t", " c", " ", "é"]);
  });

  it("splits identifiers at humps, digits and underscores", () => {
    assert.deepEqual(pretokenize("getHTTPServer2Fast snake_case __init__", split),
      ["get", "HTTP", "Server", "2", "Fast", " snake", "_case", " __init", "__"]);
  });

  it("cuts long ASCII pieces", () => {
    const pieces = pretokenize("b".repeat(300), plain);
    assert.deepEqual(pieces.map((p) => p.length), [MAX_PIECE, MAX_PIECE, 300 - 2 * MAX_PIECE]);
  });
});

describe("BPE", () => {
  const tok = fixtureTokenizer();

  it("round-trips edge cases, random strings and fixtures exactly", () => {
    const texts = [...EDGE_CASES, ...randomStrings(2000, 42), ...fixtures.map((f) => readFileSync(f, "utf8"))];
    for (const t of texts) {
      const ids = tok.encode(t);
      assert.equal(tok.decode(ids), t, JSON.stringify(t));
      for (const id of ids) assert.ok(id >= BYTE_OFFSET && id < tok.vocabSize, `id ${id} is a byte or merge`);
    }
  });

  it("falls back to bytes for text it never saw", () => {
    const t = "\u0915\u094D\u0937";
    const ids = tok.encode(t);
    assert.equal(tok.decode(ids), t);
    assert.deepEqual(ids.slice(0, 3), [0xe0, 0xa4, 0x95].map((b) => b + BYTE_OFFSET));
  });

  it("decodes invalid byte sequences to U+FFFD and can show specials", () => {
    assert.equal(tok.decode([0xff + BYTE_OFFSET, 0x41 + BYTE_OFFSET]), "\ufffdA");
    assert.equal(tok.decode([0xe6 + BYTE_OFFSET]), "\ufffd");
    assert.equal(tok.decode([1, 0x41 + BYTE_OFFSET, 2]), "A");
    assert.equal(tok.decode([1, 0x41 + BYTE_OFFSET, TRUNCATED], { specials: "text" }), "<s>A<truncated>");
    assert.throws(() => tok.decode([tok.vocabSize]), /outside the vocabulary/);
  });

  it("has the special ids of the team plan", () => {
    assert.equal(SPECIAL_TOKENS.length, 114);
    assert.deepEqual(SPECIAL_TOKENS.slice(0, 14), ["<pad>", "<s>", "</s>", "<unk>", "<summarize>", "<refine>", "<denoise>",
      "<python>", "<javascript>", "<typescript>", "<tsx>", "<java>", "<go>", "<truncated>"]);
    assert.equal(SPECIAL_TOKENS[14], "<extra_0>");
    assert.equal(SPECIAL_TOKENS[113], "<extra_99>");
    assert.equal(BYTE_OFFSET, 114);
    assert.equal(FIRST_MERGE_ID, 370);
    assert.equal(languageTagId("go"), 12);
    assert.equal(tok.tokenText(BYTE_OFFSET + 0x41), "A");
  });

  it("trains deterministically, whatever the order of the counts", () => {
    const options = pretokenizerOptions(DEFAULT_PRETOKENIZER);
    const a = new Map<string, number>();
    for (const f of fixtures) countPretokens(readFileSync(f, "utf8"), options, a);
    const b = new Map([...a].reverse());
    assert.deepEqual(trainBpe(a, 500).merges, trainBpe(b, 500).merges);
    const t1 = new Tokenizer(trainBpe(a, 500).merges, options);
    const t2 = new Tokenizer(trainBpe(b, 500).merges, options);
    const text = readFileSync(fixtures[0], "utf8");
    assert.deepEqual(t1.encode(text), t2.encode(text));
    assert.deepEqual(t1.encode(text), t1.encode(text));
  });

  it("learns the most frequent pair first and stops when no pair repeats", () => {
    const counts = new Map([["ab", 5], ["abc", 3], ["xy", 1]]);
    const { merges, stats } = trainBpe(counts, 10);
    const b = (c: string) => c.charCodeAt(0) + BYTE_OFFSET;
    assert.deepEqual(merges, [[b("a"), b("b")], [FIRST_MERGE_ID, b("c")]]);
    assert.equal(stats.stoppedEarly, true);
    const t = new Tokenizer(merges, pretokenizerOptions("code-ascii-v1"));
    assert.deepEqual(t.encode("abc ab"), [FIRST_MERGE_ID + 1, b(" "), FIRST_MERGE_ID]);
  });

  it("rejects merges that refer to later ids", () => {
    assert.throws(() => new Tokenizer([[FIRST_MERGE_ID, 200]], pretokenizerOptions("code-ascii-v1")), /earlier merge/);
  });
});

describe("tree-sitter leaves", () => {
  for (const pretokenizer of Object.keys(PRETOKENIZERS)) {
    it(`no token crosses a leaf boundary on the fixtures (${pretokenizer})`, async () => {
      const tok = fixtureTokenizer(pretokenizer);
      for (const f of fixtures) {
        const text = readFileSync(f, "utf8");
        const lang = languageFromPath(f)!;
        const parser = await createParser(lang);
        const tree = parseText(parser, text);
        const enc = tok.encodeWithSpans(text);
        const bad = crossingTokens(text, enc, leafBoundaries(tree));
        assert.deepEqual(bad.map((k) => JSON.stringify(text.slice(enc.starts[k], enc.ends[k]))), [], f);
        // The labeler's leaves: every non-whitespace token gets the label of one leaf.
        const labeled = tokenLabels(text, enc, labelIdsOf(tree, lang));
        assert.equal(labeled.crossings, 0, f);
        tree.delete();
        parser.delete();
      }
    });
  }
});

describe("invalid escapes (tree-sitter-python splits the backslash off)", () => {
  const source = "import re\npat = re.compile('^\\s+name\\:\\d*\\.x')\nok = '\\n\\t\\x41\\u00e9\\\\'\n";
  const crossings = async (pretokenizer: string) => {
    const options = pretokenizerOptions(pretokenizer);
    const counts = new Map<string, number>();
    countPretokens(source, options, counts);
    const tok = new Tokenizer(trainBpe(counts, 200, { minCount: 1 }).merges, options);
    const parser = await createParser("python");
    const tree = parseText(parser, source);
    const enc = tok.encodeWithSpans(source);
    const bad = crossingTokens(source, enc, leafBoundaries(tree)).map((k) => source.slice(enc.starts[k], enc.ends[k]));
    tree.delete();
    parser.delete();
    return bad;
  };
  it("v1 glues them (known: a handful of tokens per corpus)", async () => {
    assert.deepEqual(await crossings("code-ascii-space-split-v1"), ["\\s", "\\:", "\\d", "\\."]);
  });
  it("v2 (strictEscapes) keeps every token inside one leaf", async () => {
    assert.deepEqual(await crossings("code-ascii-space-split-v2"), []);
    assert.deepEqual(pretokenize("'\\d\\n\\x41'", pretokenizerOptions("code-ascii-space-split-v2")), ["'", "\\", "d", "\\n", "\\x41", "'"]);
  });
});

describe("TTC labels and sequences", () => {
  const tok = fixtureTokenizer();

  it("labels tokens by leaf, whitespace 255", () => {
    const text = "x = 1\n  y";
    const enc = tok.encodeWithSpans(text);
    const { labels } = tokenLabels(text, enc, [[0, 1, 13], [2, 3, 1], [4, 5, 6], [8, 9, 13]]);
    const byText = enc.ids.map((_, k) => [text.slice(enc.starts[k], enc.ends[k]), labels[k]]);
    for (const [piece, label] of byText) {
      if (/^\s+$/.test(piece as string)) assert.equal(label, NO_LABEL);
      else if ((piece as string).trim() === "=") assert.equal(label, 1);
      else if ((piece as string).trim() === "1") assert.equal(label, 6);
      else assert.equal(label, 13);
    }
  });

  it("labels every byte token of a non-ASCII char with that char's leaf", () => {
    const text = "s = '\u{1F9EC}'";
    const enc = tok.encodeWithSpans(text);
    const { labels } = tokenLabels(text, enc, [[0, 1, 13], [2, 3, 1], [4, 8, 5]]);
    enc.ids.forEach((_, k) => {
      if (enc.starts[k] >= 4) assert.equal(labels[k], 5);
    });
  });

  it("rejects leaves outside the text", () => {
    const enc = tok.encodeWithSpans("ab");
    assert.throws(() => tokenLabels("ab", enc, [[0, 5, 1]]), /outside the text/);
  });

  it("truncates sources with <truncated> and targets with <truncated> </s>", () => {
    const long = "value = compute(value)\n".repeat(200);
    const src = sourceSequence(tok, "python", long, 64);
    assert.equal(src.ids.length, 64);
    assert.equal(src.ids[0], languageTagId("python"));
    assert.equal(src.ids[63], TRUNCATED);
    assert.ok(src.truncated);
    const short = sourceSequence(tok, "go", "x := 1", 64);
    assert.ok(!short.truncated);
    assert.equal(tok.decode(short.ids), "x := 1");
    const tgt = targetSequence(tok, long, 32);
    assert.deepEqual(tgt.ids.slice(-2), [TRUNCATED, EOS]);
    assert.equal(tgt.ids.length, 32);
    assert.deepEqual(targetSequence(tok, "Returns x.").ids.slice(-1), [EOS]);
    const ttc = ttcSequence(tok, "python", long, [[0, 5, 13]], 64);
    assert.equal(ttc.ids.length, 64);
    assert.equal(ttc.labels.length, 64);
    assert.equal(ttc.labels[0], NO_LABEL);
    assert.equal(ttc.labels[63], NO_LABEL);
    assert.equal(ttc.ids[63], TRUNCATED);
    assert.equal(ttc.labels[1], 13);
  });

  it("cuts pretraining text into <= maxLen chunks that decode back to the text", () => {
    const text = readFileSync(fixtures.find((f) => f.endsWith("tricky.py"))!, "utf8").repeat(5);
    const chunks = pretrainChunks(tok, "python", text, 100, 1);
    assert.ok(chunks.length > 2);
    for (const c of chunks) {
      assert.ok(c.length <= 100);
      assert.equal(c[0], languageTagId("python"));
    }
    assert.equal(chunks.map((c) => tok.decode(c.slice(1))).join(""), text);
  });
});

describe("tokenizer.json", () => {
  it("hashes its canonical content and detects tampering", () => {
    const tok = fixtureTokenizer(DEFAULT_PRETOKENIZER, 200);
    const file = buildTokenizerFile(tok.merges.map(([a, b]) => [a, b]), DEFAULT_PRETOKENIZER, { test: true });
    assert.equal(file.sha256, canonicalHash(file));
    assert.equal(file.vocab.length, file.vocabSize);
    const dir = mkdtempSync(join(tmpdir(), "tok-"));
    const path = join(dir, "tokenizer.json");
    writeTokenizerFile(path, file);
    const loaded = loadTokenizer(path);
    assert.equal(loaded.file.sha256, file.sha256);
    const text = "def f(x):\n    return x + 1\n";
    assert.deepEqual(loaded.tokenizer.encode(text), tok.encode(text));
    const tampered = JSON.parse(readFileSync(path, "utf8"));
    tampered.merges[3] = [tampered.merges[3][0], tampered.merges[3][1] + 1];
    writeFileSync(path, JSON.stringify(tampered));
    assert.throws(() => loadTokenizer(path), /sha256 mismatch/);
  });

  it("the shipped tokenizer loads, uses the default pretokenizer and round-trips the fixtures", { skip: !existsSync(SHIPPED) && "models/tokenizer.json not trained yet" }, () => {
    const { tokenizer, file } = loadTokenizer(SHIPPED);
    assert.equal(file.pretokenizer, DEFAULT_PRETOKENIZER);
    for (const f of fixtures) {
      const text = readFileSync(f, "utf8");
      assert.equal(tokenizer.decode(tokenizer.encode(text)), text);
    }
  });
});

describe("golden ids", () => {
  const golden = readGolden(GOLDEN);
  it("holds at least 1,000 samples", () => {
    assert.ok(golden.rows.length >= 1000, `${golden.rows.length} samples`);
  });
  it("the shipped tokenizer gives the golden ids", { skip: !existsSync(SHIPPED) && "models/tokenizer.json not trained yet" }, () => {
    const { tokenizer, file } = loadTokenizer(SHIPPED);
    assert.equal(golden.header.tokenizer_sha256, file.sha256,
      "models/tokenizer.json changed: regenerate with `npx tsx training/tokenizer/golden.ts`");
    assert.deepEqual(goldenMismatches(tokenizer, golden.rows), []);
    for (const r of golden.rows) assert.equal(tokenizer.decode(r.ids), r.text);
  });
});

describe("encode-corpus", () => {
  it("writes shards that decode back to the corpus text, with aligned labels", async () => {
    const dir = mkdtempSync(join(tmpdir(), "enc-"));
    const tok = fixtureTokenizer(DEFAULT_PRETOKENIZER, 800);
    const tokPath = join(dir, "tokenizer.json");
    writeTokenizerFile(tokPath, buildTokenizerFile(tok.merges.map(([a, b]) => [a, b]), DEFAULT_PRETOKENIZER, { test: true }));
    const rows: object[] = [];
    const splits = ["train", "valid", "test"];
    for (const [k, f] of fixtures.entries()) {
      const code = readFileSync(f, "utf8");
      const lang = languageFromPath(f)!;
      const parser = await createParser(lang);
      const tree = parseText(parser, code);
      const split = splits[k % 3];
      rows.push({ id: `fn${k}`, lang, unit: `unit${k % 3}`, split, path: f, name: "f", code, summary: k % 4 ? `Summary ${k} — naïve.` : "", leaves: labelIdsOf(tree, lang) });
      rows.push({ id: `rp${k}`, lang, unit: `unit${k % 3}`, split, buggy: code.replace("=", "!="), fixed: code, bug_type: "operator misuse" });
      rows.push({ unit: `unit${k % 3}`, split, path: f, lang, text: code.repeat(3) });
      tree.delete();
      parser.delete();
    }
    mkdirSync(join(dir, "corpus"));
    writeFileSync(join(dir, "corpus", "rows.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    // The training CLI reads the train split only.
    const trained = join(dir, "trained.json");
    const train = spawnSync(process.execPath, ["--import", "tsx", join(HERE, "train-tokenizer.ts"), "--corpus", join(dir, "corpus"),
      "--vocab", "600", "--out", trained], { encoding: "utf8", cwd: ROOT });
    assert.equal(train.status, 0, train.stderr);
    const trainedFile = loadTokenizer(trained).file;
    assert.equal(trainedFile.vocabSize, 600);
    assert.equal((trainedFile.training.data as { rows: number }).rows, rows.filter((r) => (r as { split: string }).split === "train").length);
    assert.equal(trainedFile.pretokenizer, DEFAULT_PRETOKENIZER);
    const out = join(dir, "encoded");
    const run = spawnSync(process.execPath, ["--import", "tsx", join(HERE, "encode-corpus.ts"), "--corpus", join(dir, "corpus"),
      "--out", out, "--tokenizer", tokPath, "--max-src", "200", "--chunk", "128", "--codexglue", "off"], { encoding: "utf8", cwd: ROOT });
    assert.equal(run.status, 0, run.stderr);
    const byId = new Map(rows.map((r) => [(r as { id?: string }).id, r as Record<string, unknown>]));
    let checkedTtc = 0;
    for (const split of splits) {
      const ttc = readShard(join(out, `ttc.${split}`));
      assert.equal(ttc.labels!.length, ttc.sequences.length);
      ttc.sequences.forEach((ids, i) => {
        const row = byId.get(ttc.meta[i].id)!;
        assert.ok(ids.length <= 200);
        assert.equal(ids[0], languageTagId(row.lang as string));
        const truncated = ids[ids.length - 1] === TRUNCATED;
        const body = ids.slice(1, truncated ? -1 : undefined);
        const text = tok.decode(body);
        assert.ok((row.code as string).startsWith(text));
        if (!truncated) assert.equal(text, row.code);
        assert.equal(ttc.labels![i].length, ids.length);
        assert.equal(ttc.labels![i][0], NO_LABEL);
        const enc = tok.encodeWithSpans(row.code as string);
        const expect = tokenLabels(row.code as string, enc, row.leaves as [number, number, number][]).labels;
        assert.deepEqual(ttc.labels![i].slice(1, 1 + body.length), Array.from(expect.slice(0, body.length)));
        checkedTtc++;
      });
      const src = readShard(join(out, `refine.${split}.src`));
      const tgt = readShard(join(out, `refine.${split}.tgt`));
      assert.equal(src.sequences.length, tgt.sequences.length);
      tgt.sequences.forEach((ids, i) => {
        assert.equal(ids[ids.length - 1], EOS);
        assert.deepEqual(src.meta[i], tgt.meta[i]);
      });
      if (split !== "test") {
        const pre = readShard(join(out, `pretrain.${split}`));
        for (const ids of pre.sequences) assert.ok(ids.length <= 128);
      } else assert.ok(!existsSync(join(out, "pretrain.test.ids.bin")));
    }
    assert.equal(checkedTtc, fixtures.length);
    const sum = readShard(join(out, "summarize.valid.tgt"));
    for (const ids of sum.sequences) assert.match(tok.decode(ids), /^Summary \d+ — naïve\.$/);
    const report = JSON.parse(readFileSync(join(out, "encode-report.json"), "utf8"));
    assert.equal(report.counts["ttc.leafCrossings"] ?? 0, 0);
    assert.ok(report.corpus.snapshotSha256.length === 64);
    assert.equal(report.counts["codexglue.notIncluded"], 1);

    // CodeXGLUE refinement: the first 80% of each valid file joins refine.train, the rest never.
    const shared = join(dir, "shared");
    mkdirSync(join(shared, "codexglue-refinement"), { recursive: true });
    for (const size of ["small", "medium"]) {
      const buggy = Array.from({ length: 10 }, (_, i) => `public int f${i} ( ) { return ${i} ; }`);
      writeFileSync(join(shared, "codexglue-refinement", `${size}.valid.buggy`), buggy.join("\n") + "\n");
      writeFileSync(join(shared, "codexglue-refinement", `${size}.valid.fixed`), buggy.map((b) => b.replace("return", "return -")).join("\n") + "\n");
    }
    const withCxg = join(dir, "encoded-cxg");
    const again = spawnSync(process.execPath, ["--import", "tsx", join(HERE, "encode-corpus.ts"), "--corpus", join(dir, "corpus"),
      "--out", withCxg, "--tokenizer", tokPath, "--max-src", "200", "--chunk", "128", "--codexglue", shared], { encoding: "utf8", cwd: ROOT });
    assert.equal(again.status, 0, again.stderr);
    const cxg = readShard(join(withCxg, "refine.train.tgt")).meta.filter((m) => m.unit.startsWith("codexglue-refinement-"));
    assert.deepEqual(cxg.map((m) => m.id), ["small", "medium"].flatMap((size) => Array.from({ length: 8 }, (_, i) => `codexglue-${size}-${i}`)));
    for (const split of ["valid", "test"]) {
      assert.ok(!readShard(join(withCxg, `refine.${split}.src`)).meta.some((m) => m.unit.startsWith("codexglue")));
    }
  });

  it("fails clearly without a corpus", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", join(HERE, "encode-corpus.ts"), "--corpus", "/nonexistent"], { encoding: "utf8", cwd: ROOT });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /no corpus JSONL/);
  });
});

