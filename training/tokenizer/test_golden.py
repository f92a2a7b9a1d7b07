"""The Python side of the golden check: Python never tokenizes, but it must read the same
vocabulary as the TypeScript encoder. From models/tokenizer.json alone (merges -> bytes) it
decodes the golden ids written by training/tokenizer/golden.ts and must get the texts back, and it
recomputes the file's sha256 the way tokenizer-file.ts defines it.

    /usr/bin/python3 -m pytest training/tokenizer/test_golden.py -q
"""
import hashlib
import json
import os

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOKENIZER = os.path.join(ROOT, "models", "tokenizer.json")
GOLDEN = os.path.join(ROOT, "training", "tokenizer", "golden", "golden.jsonl")
CORPUS_GOLDEN = os.path.join(ROOT, ".cache", "encoded", "golden.corpus.jsonl")
CORPUS = os.path.join(ROOT, ".cache", "corpus")


def load_tokenizer():
    with open(TOKENIZER, encoding="utf-8") as f:
        tok = json.load(f)
    pieces = [b""] * tok["byteOffset"] + [bytes([b]) for b in range(256)]
    for a, b in tok["merges"]:
        pieces.append(pieces[a] + pieces[b])
    return tok, pieces


def decode(pieces, ids):
    # surrogatepass: a lone surrogate in a JS string is encoded as its 3-byte form (WTF-8)
    return b"".join(pieces[i] for i in ids).decode("utf-8", "surrogatepass")


def read_golden(path):
    with open(path, encoding="utf-8") as f:
        lines = [json.loads(line) for line in f if line.strip()]
    return lines[0], lines[1:]


pytestmark = pytest.mark.skipif(not os.path.exists(TOKENIZER), reason="models/tokenizer.json not trained yet")


def test_sha256_is_reproducible_in_python():
    tok, _ = load_tokenizer()
    body = {k: v for k, v in tok.items() if k != "sha256"}
    canonical = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest() == tok["sha256"]
    assert len(tok["vocab"]) == tok["vocabSize"] == tok["byteOffset"] + 256 + len(tok["merges"])


def test_golden_ids_decode_to_their_texts():
    tok, pieces = load_tokenizer()
    header, rows = read_golden(GOLDEN)
    assert header["tokenizer_sha256"] == tok["sha256"], "regenerate: npx tsx training/tokenizer/golden.ts"
    assert len(rows) >= 1000
    for row in rows:
        assert all(tok["byteOffset"] <= i < tok["vocabSize"] for i in row["ids"])
        assert decode(pieces, row["ids"]) == row["text"]


@pytest.mark.skipif(not os.path.exists(CORPUS_GOLDEN), reason="no corpus golden (golden.ts --corpus)")
def test_corpus_golden_ids_decode_to_the_corpus_code():
    tok, pieces = load_tokenizer()
    header, rows = read_golden(CORPUS_GOLDEN)
    if header["tokenizer_sha256"] != tok["sha256"]:
        pytest.skip("corpus golden was written for another tokenizer")
    assert rows and header["samples"] == len(rows)  # 1,200 when the corpus has that many functions
    for row in rows:
        code = decode(pieces, row["ids"])
        assert hashlib.sha256(code.encode("utf-8")).hexdigest() == row["sha256"], row["id"]
