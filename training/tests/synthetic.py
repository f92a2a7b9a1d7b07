"""Synthetic shards in the tokenizer's binary format, so the training tests run without
the real corpus. The data is learnable on purpose (a tiny model's loss must fall):
  pretrain   token chains where the next id is mostly a fixed function of the previous one
  summarize  target = the first tokens of the source, in order
  refine     source = target with a few tokens replaced; target = the original
  ttc        label = a fixed function of the token id (255 for some "whitespace" ids), 60 ids
Usage: /usr/bin/python3 training/tests/synthetic.py OUT_DIR [--n 400]
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from data import write_shard  # noqa: E402

LO, HI = 400, 1400  # ids drawn from the merged-token region of the vocabulary


def _chain(rng, n):
    out = [int(rng.integers(LO, HI))]
    for _ in range(n - 1):
        nxt = LO + (out[-1] * 7 + 3) % (HI - LO) if rng.random() < 0.9 else int(rng.integers(LO, HI))
        out.append(nxt)
    return out


def make_corpus(out_dir: str, n: int = 400, seed: int = 0, max_len: int = 160) -> str:
    rng = np.random.default_rng(seed)
    os.makedirs(out_dir, exist_ok=True)
    for split, count in (("train", n), ("valid", max(8, n // 10)), ("test", max(8, n // 10))):
        lens = rng.integers(10, max_len, size=count)
        if split != "test":
            write_shard(os.path.join(out_dir, f"pretrain.{split}"), [_chain(rng, int(l)) for l in lens])
        src = [_chain(rng, int(l)) for l in lens]
        write_shard(os.path.join(out_dir, f"summarize.{split}.src"), src)
        write_shard(os.path.join(out_dir, f"summarize.{split}.tgt"), [s[:6] for s in src])
        fixed = [_chain(rng, int(l) // 4 + 4) for l in lens]
        buggy = []
        for f in fixed:
            b = list(f)
            for k in rng.choice(len(b), size=2, replace=False):
                b[k] = int(rng.integers(LO, HI))
            buggy.append(b)
        write_shard(os.path.join(out_dir, f"refine.{split}.src"), buggy)
        write_shard(os.path.join(out_dir, f"refine.{split}.tgt"), fixed)
        ids = [list(rng.integers(LO, LO + 60, size=int(l))) for l in lens]  # few types: learnable fast
        labs = [[255 if t % 7 == 0 else t % 20 for t in s] for s in ids]
        write_shard(os.path.join(out_dir, f"ttc.{split}"), ids, labs)
        with open(os.path.join(out_dir, f"ttc.{split}.meta.jsonl"), "w") as f:
            for i in range(count):
                f.write(json.dumps({"id": f"syn-{split}-{i}", "unit": f"unit{i % 5}", "lang": "python"}) + "\n")
    return out_dir


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    print(make_corpus(a.out, a.n, a.seed))
