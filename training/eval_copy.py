"""Does the base rebuild its input under <refine>? The skill repair adapters build on.

On held-out repair pairs (refine.SPLIT), with the base alone (or base + a task LoRA):
  - teacher-forced token accuracy of the fixed function, and of the buggy input itself
    (pure copy), given `<refine> buggy`;
  - greedy decoding on the first N pairs: share of outputs equal to the input, equal to the
    fix, and mean token-level overlap (longest-common-prefix share) with the input.
A base that copies scores near 100% on the copy rows; the repair adapter then only has to
learn the change.

  /usr/bin/python3 training/eval_copy.py --data .cache/encoded --base RUN/base.pt [--lora RUN/lora.pt] \\
      [--split valid] [--limit 200] [--greedy 20] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import BOS, EOS, DataConfig, Seq2SeqData, Shard, _strip  # noqa: E402
from export import greedy_with  # noqa: E402
from train import apply_task_lora, load_base  # noqa: E402


@torch.no_grad()
def forced_accuracy(model, src: np.ndarray, tgt: np.ndarray) -> tuple:
    """(correct, total) next-token predictions of tgt given src, teacher forced."""
    s = torch.tensor(src)[None]
    dec_in = torch.tensor(np.concatenate([[1], tgt[:-1]]))[None]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits, _ = model.decode(dec_in, model.cross_kv(model.encode(s)), s != 0)
    pred = logits[0].float().argmax(-1).numpy()
    return int((pred == tgt).sum()), len(tgt)


def prefix_share(out: list, ref: list) -> float:
    n = 0
    for a, b in zip(out, ref):
        if a != b:
            break
        n += 1
    return n / max(len(ref), 1)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--lora", help="a task LoRA (lora.pt) to apply on top of the base")
    ap.add_argument("--split", default="valid")
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--greedy", type=int, default=20, help="pairs to decode greedily")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    model, _ = load_base(args.base)
    if args.lora:
        apply_task_lora(model, args.lora)
    model.eval()
    dc = DataConfig(max_src=model.cfg.max_src, max_tgt=model.cfg.max_tgt)
    p = lambda n: os.path.join(args.data, n)
    ds = Seq2SeqData("refine", Shard(p(f"refine.{args.split}.src")), Shard(p(f"refine.{args.split}.tgt")), dc)
    rng = np.random.default_rng(0)
    n = min(args.limit, len(ds))
    fix_ok = fix_n = copy_ok = copy_n = 0
    same_input = same_fix = 0
    overlap = []
    for j in range(n):
        src, tgt = ds.example(j, rng)
        buggy = np.concatenate([_strip(src[1:], ())[1:], [EOS]])  # input code without <lang>
        buggy = buggy[:model.cfg.max_tgt]
        a, b = forced_accuracy(model, src, tgt)
        fix_ok, fix_n = fix_ok + a, fix_n + b
        a, b = forced_accuracy(model, src, buggy)
        copy_ok, copy_n = copy_ok + a, copy_n + b
        if j < args.greedy:
            # A base alone rebuilds a window the way pretraining taught it, <lang> tag first
            # (a special token, banned in decoding), so its decoder starts after that tag.
            prefix = [BOS] if args.lora else [BOS, int(src[1])]
            out = greedy_with(model, src.tolist(), len(tgt) + 16, None, prefix)
            same_input += out == buggy[:-1].tolist()
            same_fix += out == tgt[:-1].tolist()
            overlap.append(prefix_share(out, buggy[:-1].tolist()))
    g = min(args.greedy, n)
    result = {"base": args.base, "lora": args.lora, "split": args.split, "pairs": n,
              "forced_acc_fix": fix_ok / fix_n, "forced_acc_copy": copy_ok / copy_n,
              "greedy_pairs": g, "greedy_equals_input": same_input / max(g, 1),
              "greedy_equals_fix": same_fix / max(g, 1),
              "greedy_prefix_share": float(np.mean(overlap)) if overlap else float("nan")}
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
