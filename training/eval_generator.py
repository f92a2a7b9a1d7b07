"""Workspace generators compared on held-out project units, torch side, on identical samples.

For each sampled unit of the split: a few documented functions as targets and raw chunks of the
unit's *other* files as context (train_generator.UnitData.sample, fixed seed). Per target, the
summary's mean token loss and token accuracy under teacher forcing with
  (a) no workspace adapter, and
  (b, d, ...) the deltas each given generator makes from the context,
with the frozen base and task adapter. Paired differences against (a) with bootstrap 95%
intervals. This is where the StreamAdapter (no runtime graph) is compared with the
GenerativeAdapter at equal data; `npm run eval:workspace` measures BLEU through the runtime.

  /usr/bin/python3 training/eval_generator.py --data .cache/encoded-next --base RUN/base.pt \\
      --task RUN/lora.pt --generator NAME=RUN/generator.pt [...] [--split test] [--samples 60] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generator import as_delta_dict  # noqa: E402
from train import load_checked  # noqa: E402
from train_generator import DEFAULTS, UnitData, frozen_model, make_generator  # noqa: E402


def bootstrap(x: np.ndarray, reps: int = 2000, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(reps, len(x)))].mean(1)
    return [float(x.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))]


@torch.no_grad()
def per_target(model, batch: dict, deltas) -> tuple:
    """Mean token loss and accuracy of each target row."""
    with torch.autocast(batch["src"].device.type, dtype=torch.bfloat16):
        logits = model(batch["src"], batch["tgt_in"], deltas=deltas).float()
    labels = batch["labels"]
    keep = labels != -100
    nll = F.cross_entropy(logits.transpose(1, 2), labels.clamp(min=0), reduction="none") * keep
    hit = (logits.argmax(-1) == labels) & keep
    n = keep.sum(1).clamp(min=1)
    return (nll.sum(1) / n).cpu().numpy(), (hit.sum(1) / n).cpu().numpy()


def load_generator(model, path: str):
    obj = load_checked(path, ("kind", "cfg", "slots", "generator"), "generator file")
    gen = make_generator(obj["kind"], model, obj["cfg"]).to(model.embed.weight.device).eval()
    gen.load_state_dict(obj["generator"])
    return gen, obj


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--task", help="lora.pt of the task adapter the generators were trained with")
    ap.add_argument("--generator", action="append", default=[], metavar="NAME=PATH")
    ap.add_argument("--split", default="test")
    ap.add_argument("--samples", type=int, default=60, help="unit samples (each with up to 4 targets)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    model = frozen_model(args.base, args.task)
    gens = {}
    for spec in args.generator:
        name, path = spec.split("=", 1)
        gens[name] = load_generator(model, path)
    cfg = dict(DEFAULTS, **(next(iter(gens.values()))[1]["cfg"] if gens else {}))  # the generators' sampling
    if len({g[1]["cfg"].get("context", "raw") for g in gens.values()}) > 1:
        raise ValueError("the generators compared read different contexts (raw chunks vs summaries)")
    data = UnitData(args.data, args.split, cfg["context"])
    rng = np.random.default_rng(12345)
    arms = {"none": ([], [])} | {name: ([], []) for name in gens}
    units = set()
    for _ in range(args.samples):
        unit, pairs, chunks = data.sample(rng, cfg)
        units.add(unit)
        b = data.batch(pairs, chunks, cfg, model.cfg.max_src, model.cfg.max_tgt)
        for name, (losses, accs) in arms.items():
            deltas = None
            if name != "none":
                gen = gens[name][0]
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    deltas = as_delta_dict(gen.slots, *gen(model, b["context"]))
            loss, acc = per_target(model, b, deltas)
            losses.extend(loss.tolist()); accs.extend(acc.tolist())
    none_loss, none_acc = (np.array(x) for x in arms["none"])
    result = {"split": args.split, "samples": args.samples, "units": len(units), "targets": len(none_loss), "arms": {}}
    for name, (losses, accs) in arms.items():
        loss, acc = np.array(losses), np.array(accs)
        row = {"loss": bootstrap(loss), "token_acc": bootstrap(acc)}
        if name != "none":
            row["loss_vs_none"] = bootstrap(loss - none_loss)
            row["acc_vs_none"] = bootstrap(acc - none_acc)
            meta = gens[name][1].get("meta", {})
            row["generator"] = {"kind": gens[name][1]["kind"], "step": meta.get("step"),
                                "trainable": sum(p.numel() for p in gens[name][0].parameters())}
        result["arms"][name] = row
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
