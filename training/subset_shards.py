"""A random subset of the encoded shards, within a token budget per family, for a machine the full
shards cannot reach (the lent GPU machine takes 64 MiB with the working tree).

  python3 training/subset_shards.py --src .cache/encoded --out .cache/encoded-gpu \\
      --budget pretrain=12e6,summarize=5e6,refine=4e6,ttc=2e6 [--valid 2000] [--seed 0]

Each family's train split keeps sequences drawn at random without replacement until its budget
(ids counted over every shard of the family: a pair's source and target together) is spent; a
paired family (summarize, refine) keeps the same sequences in its .src and .tgt shards. Each valid
split keeps at most --valid sequences. subset.json records what was kept.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import Shard, write_shard  # noqa: E402

FAMILIES = ("pretrain", "ttc", "summarize", "refine")
PAIRED = ("summarize", "refine")  # a .src and a .tgt shard, row for row


def shard_prefixes(src: str, family: str, split: str) -> list:
    prefix = os.path.join(src, f"{family}.{split}")
    return [prefix + ".src", prefix + ".tgt"] if family in PAIRED else [prefix]


def pick(lengths: np.ndarray, budget: float, rng: np.random.Generator) -> np.ndarray:
    """Random indices, sorted, whose lengths add up to at most `budget`."""
    order = rng.permutation(len(lengths))
    keep = order[np.cumsum(lengths[order]) <= budget]
    return np.sort(keep)


def copy_subset(prefixes: list, out: str, keep: np.ndarray) -> int:
    total = 0
    for prefix in prefixes:
        labels = os.path.exists(prefix + ".lab.bin")
        sh = Shard(prefix, with_labels=labels)
        seqs = [sh[int(i)] for i in keep]
        total += sum(len(s) for s in seqs)
        write_shard(os.path.join(out, os.path.basename(prefix)), seqs,
                    [sh.labels(int(i)) for i in keep] if labels else None)
    return total


def subset(src: str, out: str, budgets: dict, valid: int, seed: int) -> dict:
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(seed)
    kept = {}
    for family, budget in budgets.items():
        for split in ("train", "valid"):
            prefixes = shard_prefixes(src, family, split)
            if not all(os.path.exists(p + ".idx.bin") for p in prefixes):
                continue
            lengths = sum(Shard(p).lengths for p in prefixes)
            keep = pick(lengths, budget, rng) if split == "train" else np.sort(rng.permutation(len(lengths))[:valid])
            ids = copy_subset(prefixes, out, keep)
            kept[f"{family}.{split}"] = {"sequences": int(len(keep)), "of": int(len(lengths)), "ids": ids}
    if os.path.exists(os.path.join(src, "encode-report.json")):
        shutil.copy(os.path.join(src, "encode-report.json"), out)
    report = {"source": os.path.abspath(src), "seed": seed, "budgets": budgets, "kept": kept}
    with open(os.path.join(out, "subset.json"), "w") as f:
        json.dump(report, f, indent=1)
    return report


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget", required=True, help="FAMILY=IDS,... for pretrain, summarize, refine, ttc")
    ap.add_argument("--valid", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    budgets = {}
    for item in args.budget.split(","):
        family, value = item.split("=")
        if family not in FAMILIES:
            ap.error(f"unknown family {family}; known: {', '.join(FAMILIES)}")
        budgets[family] = float(value)
    report = subset(args.src, args.out, budgets, args.valid, args.seed)
    for k, v in report["kept"].items():
        print(f"{k}: {v['sequences']} of {v['of']} sequences, {v['ids'] / 1e6:.2f}M ids")


if __name__ == "__main__":
    main()
