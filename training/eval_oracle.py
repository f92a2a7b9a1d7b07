"""The oracle for workspace adapters: can *any* per-workspace low-rank delta help held-out summaries?

A generator maps a workspace to deltas in one forward pass, so it can at best find deltas that
gradient descent on that workspace's own data would find. This script measures that ceiling on
held-out project units, torch side. For each unit: its files are shuffled (fixed seed); the
documented functions of the first files make the targets (up to --targets), those of the other
files the workspace's own supervision (up to --context). Arms, on the same targets:
  none     the frozen base and task adapter alone;
  oracle   a fresh low-rank delta on the generator's slots (export.delta_slots, rank --rank),
           trained by gradient for --steps on the unit's *other* documented functions;
  code     the same delta trained on the same functions' code alone (span corruption under
           <denoise>, as in pretraining): does the workspace's code, without its summaries,
           carry the gain? (--code-arm)
  generated, generated-control  with --generator (one trained with context=summaries): the
           deltas it makes in one forward pass from the same functions' summaries, and from the
           next unit's (the control), next to what gradient descent finds from the same data.
  control  the same training on the *next* unit's functions: the part of the oracle's gain that
           is not about this workspace (more summarize training, a shift of style or length).
Per target: teacher-forced mean token loss and accuracy, and the greedy summary's token ids,
which training/eval/scoreOracle.ts decodes with the real tokenizer and scores (smoothed BLEU-4).

  /usr/bin/python3 training/eval_oracle.py --data .cache/encoded-next --base RUN/base.pt \\
      --task RUN/lora.pt --split test [--units 20] [--steps 40] [--lr 2e-3] --json OUT.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from typing import Dict, List

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import DENOISE, EOS, PAD, Shard, span_corrupt  # noqa: E402
from eval_generator import bootstrap, load_generator, per_target  # noqa: E402
from export import delta_slots, unpack_deltas  # noqa: E402
from generator import as_delta_dict  # noqa: E402
from train_generator import by_unit, context_rows, frozen_model, summarize_batch, teacher_forced, to_device  # noqa: E402


class UnitPairs:
    """Summarize pairs of one split grouped by unit, then by file."""

    def __init__(self, data_dir: str, split: str):
        self.src = Shard(os.path.join(data_dir, f"summarize.{split}.src"))
        self.tgt = Shard(os.path.join(data_dir, f"summarize.{split}.tgt"))
        self.files: Dict[str, Dict[str, List[int]]] = defaultdict(lambda: defaultdict(list))
        units, paths = by_unit(self.src.prefix)
        for unit, rows in units.items():
            for i in rows:
                self.files[unit][paths[i]].append(i)

    def split_unit(self, unit: str, rng: np.random.Generator, n_targets: int, n_context: int):
        """(targets, context): pairs of disjoint files, so no target's file teaches the delta."""
        paths = sorted(self.files[unit])
        rng.shuffle(paths)
        targets: List[int] = []
        while paths and len(targets) < n_targets:
            targets += self.files[unit][paths.pop(0)]
        context = [i for p in paths for i in self.files[unit][p]]
        rng.shuffle(context)
        return targets[:n_targets], context[:n_context]

    def plans(self, split: str, units: int, n_targets: int, n_context: int, min_context: int):
        """[(unit, targets, context)] of the first `units` units, in name order, with two or more files
        and `min_context`+ context pairs; a fixed seed, so every script sees the same split."""
        rng = np.random.default_rng(12345)
        plans = []
        for unit in sorted(self.files):
            if len(self.files[unit]) < 2:
                continue
            targets, context = self.split_unit(unit, rng, n_targets, n_context)
            if len(context) >= min_context:
                plans.append((unit, targets, context))
            if len(plans) == units:
                break
        if len(plans) < 2:
            raise ValueError(f"{split}: fewer than two units with {min_context}+ context pairs")
        return plans

    def batch(self, pairs: List[int], max_src: int, max_tgt: int, rng=None) -> dict:
        return summarize_batch(self.src, self.tgt, pairs, max_src, max_tgt)

    def denoise_batch(self, pairs: List[int], max_src: int, max_tgt: int, rng: np.random.Generator) -> dict:
        """The pairs' code alone, span-corrupted as in pretraining (its summary never shown)."""
        src, tgt = [], []
        for i in pairs:
            inp, spans = span_corrupt(self.src[i][:max_src - 2], rng)
            src.append(np.concatenate([[DENOISE], inp[:max_src - 2], [EOS]]))
            tgt.append(np.concatenate([spans[:max_tgt - 1], [EOS]]))
        return teacher_forced(src, tgt)


def train_delta(model, slots: List[str], make_batch, pairs: List[int], args, seed: int):
    """A rank-r delta per slot, fitted by AdamW to make_batch(pairs...); B starts at zero (no change)."""
    g = torch.Generator().manual_seed(seed)
    d, device = model.cfg.d_model, model.embed.weight.device
    A = (torch.randn(len(slots), args.rank, d, generator=g) / d ** 0.5).to(device).requires_grad_()
    B = torch.zeros(len(slots), d, args.rank, device=device, requires_grad=True)
    opt = torch.optim.AdamW([A, B], lr=args.lr, weight_decay=0.0)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(args.steps):
        pick = rng.choice(pairs, size=min(args.batch, len(pairs)), replace=False)
        b = to_device(make_batch([int(i) for i in pick], model.cfg.max_src, model.cfg.max_tgt, rng), device)
        with torch.autocast(device.type, dtype=torch.bfloat16):
            logits = model(b["src"], b["tgt_in"], deltas=unpack_deltas(slots, A, B))
        loss = F.cross_entropy(logits.float().flatten(0, 1), b["labels"].flatten(), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return unpack_deltas(slots, A.detach(), B.detach()), float(np.mean(losses[-5:])) if losses else None


@torch.no_grad()
def score(model, batch: dict, deltas) -> dict:
    loss, acc = per_target(model, batch, deltas)
    with torch.autocast(batch["src"].device.type, dtype=torch.bfloat16):
        out = model.generate(batch["src"], max_len=48, deltas=deltas)
    ids = [[int(t) for t in row if t not in (PAD, EOS)] for row in out.tolist()]
    return {"loss": loss.tolist(), "acc": acc.tolist(), "ids": ids}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--task", help="lora.pt of the summarize adapter the deltas add to")
    ap.add_argument("--split", default="test")
    ap.add_argument("--units", type=int, default=20, help="units with enough files, in name order")
    ap.add_argument("--targets", type=int, default=8)
    ap.add_argument("--context", type=int, default=64, help="at most this many of the unit's other pairs")
    ap.add_argument("--min-context", type=int, default=8)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--code-arm", action="store_true", help="add the arm trained on the code alone")
    ap.add_argument("--generator", help="generator.pt trained with context=summaries: adds its arms")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = frozen_model(args.base, args.task).to(device)
    slots = delta_slots(model)
    gen = None
    if args.generator:
        gen, gen_obj = load_generator(model, args.generator)
        if gen_obj["cfg"].get("context") != "summaries" or gen.slots != slots:
            raise ValueError(f"{args.generator}: not a generator of summaries for this model's delta slots")
        gen_len = gen_obj["cfg"]["context_len"]
    data = UnitPairs(args.data, args.split)
    plans = data.plans(args.split, args.units, args.targets, args.context, args.min_context)
    names = ("none", "oracle", "control") + (("code",) if args.code_arm else ()) + \
        (("generated", "generated-control") if gen else ())
    arms = {name: defaultdict(list) for name in names}
    units, t0 = [], time.time()
    for k, (unit, targets, context) in enumerate(plans):
        other = plans[(k + 1) % len(plans)]
        b = to_device(data.batch(targets, model.cfg.max_src, model.cfg.max_tgt), device)
        oracle, fit = train_delta(model, slots, data.batch, context, args, seed=k)
        control, _ = train_delta(model, slots, data.batch, other[2], args, seed=k)
        deltas = {"none": None, "oracle": oracle, "control": control}
        if args.code_arm:
            deltas["code"] = train_delta(model, slots, data.denoise_batch, context, args, seed=k)[0]
        if gen:
            with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16):
                deltas["generated"] = as_delta_dict(slots, *gen(model, context_rows(data.tgt, context, gen_len).to(device)))
                deltas["generated-control"] = as_delta_dict(slots, *gen(model, context_rows(data.tgt, other[2], gen_len).to(device)))
        for name, dl in deltas.items():
            for key, values in score(model, b, dl).items():
                arms[name][key].extend(values)
        arms["none"]["references"].extend([[int(t) for t in data.tgt[i] if t != EOS] for i in targets])
        units.append({"unit": unit, "targets": len(targets), "context": len(context), "control_from": other[0],
                      "oracle_fit_loss": fit})
        print(f"[{time.time() - t0:.0f}s] {unit}: {len(targets)} targets, {len(context)} context pairs, "
              f"oracle's last training loss {fit if fit is None else round(fit, 3)}", flush=True)
    base_loss = np.array(arms["none"]["loss"])
    result = {"split": args.split, "settings": {k: getattr(args, k) for k in ("rank", "steps", "batch", "lr", "targets", "context")},
              "slots": len(slots), "trainable": len(slots) * args.rank * 2 * model.cfg.d_model,
              "units": units, "references": arms["none"].pop("references"), "arms": {}}
    for name, arm in arms.items():
        loss = np.array(arm["loss"])
        row = {"loss": bootstrap(loss), "token_acc": bootstrap(np.array(arm["acc"])), "ids": arm["ids"]}
        if name != "none":
            row["loss_vs_none"] = bootstrap(loss - base_loss)
        result["arms"][name] = row
    print(json.dumps({n: {k: v for k, v in r.items() if k != "ids"} for n, r in result["arms"].items()}, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f)
    return result


if __name__ == "__main__":
    main()
