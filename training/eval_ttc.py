"""Token Type Classification (TTC) evaluation of NER adapters on held-out project units.

Reports overall accuracy, per-label precision/recall/F1, and macro-F1 over the identifier roles
(the hard part: keywords and punctuation are trivial), against a baseline that gives every
subword its most frequent label in the training shard. Label names come from the labeler
(server/src/labeler/labels.ts), the one source of truth.

  /usr/bin/python3 training/eval_ttc.py --data .cache/encoded --base RUN/base.pt --ner RUN/ner.pt \\
      [--split test] [--shard ttc.test.broken] [--json OUT] [--limit N]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter, defaultdict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import NO_LABEL, Shard  # noqa: E402
from model import load_adapter_state_dict  # noqa: E402
from package_model import label_set  # noqa: E402
from train import load_base, load_checked  # noqa: E402

IDENTIFIER_ROLES = ["function.definition", "method.definition", "type.definition", "parameter",
                    "variable.definition", "variable.reference", "attribute", "function.call",
                    "method.call", "type.reference", "module", "builtin"]


def majority_table(shard: Shard) -> dict:
    counts = defaultdict(Counter)
    ids, labs = np.asarray(shard.ids), np.asarray(shard.lab)
    keep = labs != NO_LABEL
    for token, label in zip(ids[keep].tolist(), labs[keep].tolist()):
        counts[token][label] += 1
    return {t: c.most_common(1)[0][0] for t, c in counts.items()}


def scores(gold: np.ndarray, pred: np.ndarray, labels: list) -> dict:
    out = {"accuracy": float((gold == pred).mean()) if len(gold) else float("nan"), "tokens": int(len(gold)), "per_label": {}}
    f1s = []
    for i, name in enumerate(labels):
        tp = int(((pred == i) & (gold == i)).sum())
        p_den, r_den = int((pred == i).sum()), int((gold == i).sum())
        p = tp / p_den if p_den else 0.0
        r = tp / r_den if r_den else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        out["per_label"][name] = {"precision": p, "recall": r, "f1": f1, "support": r_den}
        if name in IDENTIFIER_ROLES and r_den:
            f1s.append(f1)
    out["identifier_macro_f1"] = float(np.mean(f1s)) if f1s else float("nan")
    return out


@torch.no_grad()
def predict(model, shard: Shard, limit: int, batch: int = 16) -> tuple:
    gold, pred = [], []
    n = min(len(shard), limit)
    for start in range(0, n, batch):
        seqs = [shard[i][:model.cfg.max_src] for i in range(start, min(n, start + batch))]
        labs = [shard.labels(i)[:model.cfg.max_src] for i in range(start, min(n, start + batch))]
        T = max(len(s) for s in seqs)
        src = torch.zeros(len(seqs), T, dtype=torch.long)
        for j, s in enumerate(seqs):
            src[j, :len(s)] = torch.from_numpy(s)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model.ttc_logits(model.encode(src))
        best = logits.float().argmax(-1)
        for j, l in enumerate(labs):
            keep = l != NO_LABEL
            gold.append(l[keep])
            pred.append(best[j, :len(l)].numpy()[keep])
    return np.concatenate(gold), np.concatenate(pred)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--ner", required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--shard", help="shard name to evaluate (default ttc.SPLIT)")
    ap.add_argument("--limit", type=int, default=10**9)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    labels, set_id = label_set()
    model, _ = load_base(args.base)
    ner = load_checked(args.ner, ("adapter_config", "state_dict"), "NER adapter file")
    model.enable_ner_adapters(**ner["adapter_config"]["ner"])
    load_adapter_state_dict(model, ner["state_dict"])
    model.eval()
    shard = Shard(os.path.join(args.data, args.shard or f"ttc.{args.split}"), with_labels=True)
    gold, pred = predict(model, shard, args.limit)
    table = majority_table(Shard(os.path.join(args.data, "ttc.train"), with_labels=True))
    n = min(len(shard), args.limit)
    base_pred = np.concatenate([np.array([table.get(int(t), 13) for t, l in zip(shard[i][:model.cfg.max_src], shard.labels(i)[:model.cfg.max_src]) if l != NO_LABEL], dtype=np.int64) for i in range(n)])
    result = {"label_set": set_id, "shard": shard.prefix, "model": scores(gold, pred, labels), "majority_baseline": scores(gold, base_pred, labels)}
    print(f"| | accuracy | identifier macro-F1 | tokens |\n|---|---|---|---|")
    for name in ("model", "majority_baseline"):
        r = result[name]
        print(f"| {name} | {100 * r['accuracy']:.2f} | {100 * r['identifier_macro_f1']:.2f} | {r['tokens']} |")
    print("\n| label | P | R | F1 | support | baseline F1 |\n|---|---|---|---|---|---|")
    for name in labels:
        m, b = result["model"]["per_label"][name], result["majority_baseline"]["per_label"][name]
        print(f"| {name} | {100 * m['precision']:.1f} | {100 * m['recall']:.1f} | {100 * m['f1']:.1f} | {m['support']} | {100 * b['f1']:.1f} |")
    if args.json:
        json.dump(result, open(args.json, "w"), indent=1)
    return result


if __name__ == "__main__":
    main()
