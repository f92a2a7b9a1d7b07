"""Baseline for bench/runtime.ts: the same model's greedy generation in PyTorch eager mode.

  /usr/bin/python3 bench/torch_eager.py --inputs IN.json [--base base.pt | --random-config CFG]
IN.json: {"summarize": [[ids...], ...], "max_tokens": 32, "repeats": 5}
Prints JSON: median milliseconds per request in float32 and in bfloat16 autocast.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "training"))
from export import BANNED, load_base  # noqa: E402
from model import ModelConfig, Seq2Seq  # noqa: E402


@torch.no_grad()
def generate(model, ids, max_tokens):
    src = torch.tensor([ids])
    ckv = model.cross_kv(model.encode(src))
    tok, past = torch.tensor([[1]]), None
    for _ in range(min(max_tokens, model.cfg.max_tgt - 1)):
        logits, past = model.decode(tok, ckv, src != 0, past)
        row = logits[0, -1].float()
        row[BANNED] = float("-inf")
        nxt = int(row.argmax())
        if nxt == 2:
            break
        tok = torch.tensor([[nxt]])


def median_ms(model, inputs, max_tokens, repeats, autocast):
    times = []
    for _ in range(repeats):
        for ids in inputs:
            t0 = time.perf_counter()
            with (torch.autocast("cpu", dtype=torch.bfloat16) if autocast else torch.no_grad()):
                generate(model, ids, max_tokens)
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--base")
    ap.add_argument("--random-config")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.base:
        model = load_base(args.base)
    else:
        model = Seq2Seq(ModelConfig.from_dict(json.load(open(args.random_config))["model"]))
    model = model.float().eval()
    spec = json.load(open(args.inputs))
    out = {}
    for task in ("summarize", "refine"):
        if spec.get(task):
            out[task] = {"fp32_ms": median_ms(model, spec[task], spec["max_tokens"][task], spec["repeats"], False),
                         "bf16_ms": median_ms(model, spec[task], spec["max_tokens"][task], spec["repeats"], True)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
