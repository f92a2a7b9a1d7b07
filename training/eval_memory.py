"""The workspace memory, torch side: a nearest-neighbour next-token distribution over a held-out
unit's own documented functions, mixed into decoding (kNN-LM, Khandelwal et al., ICLR 2020, here
per workspace). The runtime version is server/src/workspace/memory.ts; this script chose its
settings on the valid units and measures them next to eval_oracle.py's arms, on the same units,
targets and context (eval_oracle.UnitPairs, the same seed).

For each unit: the frozen base + summarize adapter reads each context pair's summary teacher
forced; each position's final (normed) decoder state is a key, the token it predicts the value.
Decoding a target, the state at each step finds its k nearest keys by cosine, their values get
weights softmax(similarity / temperature), and p = (1 - lambda) p_model + lambda p_memory.
Arms, each with its control (the next unit's memory, same settings):
  none                     the model alone
  knn{lambda}{variant}     the memory; variant "" mixes at every step, "skip0" not at the first,
                           "gate" scales lambda by 1 - max p_model, "gate2" mixes only where
                           max p_model < 0.5
Output: eval_oracle's JSON (per-arm greedy ids and the references) for
training/eval/scoreOracle.ts, plus "verbatim": whether a target's summary appears word for word
among its unit's context summaries.

  /usr/bin/python3 training/eval_memory.py --data .cache/encoded-next --base RUN/base.pt \\
      --task RUN/lora.pt --split valid --units 8 --context 64 --configs 0.5:0.05,0.7:0.05 --json OUT.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import EOS, PAD  # noqa: E402
from eval_oracle import UnitPairs  # noqa: E402
from model import BOS_ID  # noqa: E402
from train_generator import frozen_model  # noqa: E402

Store = Tuple[torch.Tensor, torch.Tensor]


@torch.no_grad()
def datastore(model, data: UnitPairs, rows: List[int], batch: int = 16) -> Store:
    """(keys [n,d] unit vectors, values [n]) over the pairs' summary tokens, </s> included."""
    keys, values = [], []
    for i in range(0, len(rows), batch):
        b = data.batch(rows[i:i + batch], model.cfg.max_src, model.cfg.max_tgt)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            src_mask = b["src"] != PAD
            enc = model.encode(b["src"], src_mask)
            h, _ = model.decode(b["tgt_in"], model.cross_kv(enc), src_mask, return_hidden=True)
        real = b["labels"] != -100
        keys.append(F.normalize(h.float()[real], dim=-1))
        values.append(b["labels"][real])
    return torch.cat(keys), torch.cat(values)


@torch.no_grad()
def generate(model, src: torch.Tensor, store: Optional[Store], lam: float, tau: float, variant: str = "",
             k: int = 16, max_len: int = 48) -> torch.Tensor:
    """Greedy decoding with the memory mixed in (store None: the model alone)."""
    src_mask = src != PAD
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ckv = model.cross_kv(model.encode(src, src_mask))
    B, V = src.shape[0], model.cfg.vocab_size
    tok = torch.full((B, 1), BOS_ID, dtype=torch.long)
    outs, past, done = [], None, torch.zeros(B, dtype=torch.bool)
    for step in range(min(max_len, model.cfg.max_tgt)):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            h, past = model.decode(tok, ckv, src_mask, past, return_hidden=True)
        h = h[:, -1].float()
        p = F.softmax(model.lm_head(h), -1)
        if store is not None and lam > 0:
            keys, values = store
            top, idx = (F.normalize(h, dim=-1) @ keys.T).topk(min(k, keys.shape[0]), -1)
            memory = torch.zeros(B, V).scatter_add_(1, values[idx], F.softmax(top / tau, -1))
            weight = torch.full((B, 1), lam)
            if variant == "skip0" and step == 0:
                weight = weight * 0
            elif variant == "gate":
                weight = lam * (1 - p.max(-1, keepdim=True).values)
            elif variant == "gate2":
                weight = lam * (p.max(-1, keepdim=True).values < 0.5).float()
            p = (1 - weight) * p + weight * memory
        tok = p.argmax(-1, keepdim=True).masked_fill(done[:, None], PAD)
        outs.append(tok)
        done |= tok[:, 0] == EOS
        if bool(done.all()):
            break
    return torch.cat(outs, 1)


def parse_configs(text: str) -> List[Tuple[float, float, str]]:
    out = []
    for item in text.split(","):
        parts = item.split(":")
        out.append((float(parts[0]), float(parts[1]), parts[2] if len(parts) > 2 else ""))
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--task", help="lora.pt of the summarize adapter")
    ap.add_argument("--split", default="valid")
    ap.add_argument("--units", type=int, default=8)
    ap.add_argument("--targets", type=int, default=8)
    ap.add_argument("--context", type=int, default=64, help="at most this many of the unit's other pairs")
    ap.add_argument("--min-context", type=int, default=8)
    ap.add_argument("--configs", default="0.5:0.05", help="lambda:temperature[:variant],...")
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = frozen_model(args.base, args.task)
    data = UnitPairs(args.data, args.split)
    # eval_oracle.py's split: the same units, targets and context.
    plans = data.plans(args.split, args.units, args.targets, args.context, args.min_context)
    configs = parse_configs(args.configs)
    result = {"split": args.split, "settings": {"rank": 0, "steps": 0, "lr": 0, "k": args.k, "context": args.context},
              "trainable": 0, "units": [], "references": [], "verbatim": [], "arms": {}}
    ids = {}
    t0 = time.time()
    for n, (unit, targets, context) in enumerate(plans):
        own, control = datastore(model, data, context), datastore(model, data, plans[(n + 1) % len(plans)][2])
        batch = data.batch(targets, model.cfg.max_src, model.cfg.max_tgt)
        arms = {"none": (None, 0.0, 1.0, "")}
        for lam, tau, variant in configs:
            arms[f"knn{lam}{variant}"] = (own, lam, tau, variant)
            arms[f"knn{lam}{variant}-ctl"] = (control, lam, tau, variant)
        for name, (store, lam, tau, variant) in arms.items():
            out = generate(model, batch["src"], store, lam, tau, variant, k=args.k)
            ids.setdefault(name, []).extend([[int(x) for x in row if x not in (PAD, EOS)] for row in out.tolist()])
        context_summaries = {tuple(int(x) for x in data.tgt[i]) for i in context}
        result["verbatim"].extend([tuple(int(x) for x in data.tgt[i]) in context_summaries for i in targets])
        result["references"].extend([[int(x) for x in data.tgt[i] if x != EOS] for i in targets])
        result["units"].append({"unit": unit, "entries": int(own[0].shape[0]), "context": [int(i) for i in context]})
        print(f"[{time.time() - t0:.0f}s] {unit}: {len(targets)} targets, memory of {own[0].shape[0]} entries", flush=True)
    for name, rows in ids.items():
        result["arms"][name] = {"loss": [0, 0, 0], "token_acc": [0, 0, 0], "ids": rows}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f)
    return result


if __name__ == "__main__":
    main()
