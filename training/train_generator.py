"""Meta-train a workspace adapter generator on the corpus's project units.

Each step picks one training unit (a package), a few of its summarize pairs as targets, and
up to C raw chunks of *other* files of the same unit as context (the target's own file is left
out, so the generator cannot copy a docstring it should predict). With `context=summaries` the
context is instead the summaries (docstring first sentences) of documented functions in the
unit's other files, one per chunk: the workspace's own phrasing, which is what a per-workspace
delta fitted by gradient learns (training/eval_oracle.py). The frozen base, with its
frozen task adapter, is trained on nothing; only the generator learns, through the task loss
of the targets under the deltas it generates from the context.

  /usr/bin/python3 training/train_generator.py --config training/configs/small.json \\
      --data .cache/encoded --base RUN/base.pt --task RUN/lora.pt --kind generative \\
      --run training/runs/small-gen --max-minutes 60 --resume
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from contextlib import nullcontext
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import BOS, EOS, PAD, SUMMARIZE, Shard, _pad  # noqa: E402
from export import delta_slots  # noqa: E402
from generator import GenerativeAdapter, StreamAdapter, as_delta_dict  # noqa: E402
from train import CheckpointError, apply_task_lora, atomic_save, load_base, load_checked  # noqa: E402

DEFAULTS = {"lr": 2e-3, "max_steps": 3000, "targets": 4, "context": "raw", "context_chunks": 12, "context_len": 256,
            "r1": 16, "r2": 8, "queries": 8, "ckpt_minutes": 10.0, "seed": 1234, "log_every": 20}


def meta_rows(prefix: str) -> List[dict]:
    with open(prefix + ".meta.jsonl") as f:
        return [json.loads(line) for line in f]


def path_of(seq_id: str, unit: str) -> str:
    """Corpus ids: functions 'unit:path:line:name', raw chunks 'unit:path#k'."""
    rest = seq_id[len(unit) + 1:] if seq_id.startswith(unit + ":") else seq_id
    return rest.split("#", 1)[0].rsplit(":", 2)[0] if "#" not in rest else rest.split("#", 1)[0]


def by_unit(prefix: str) -> Tuple[Dict[str, List[int]], Dict[int, str]]:
    """A shard's sequence indices grouped by unit, and each index's file path."""
    groups: Dict[str, List[int]] = defaultdict(list)
    paths: Dict[int, str] = {}
    for i, row in enumerate(meta_rows(prefix)):
        groups[row["unit"]].append(i)
        paths[i] = path_of(row["id"], row["unit"])
    return groups, paths


def teacher_forced(src: List[np.ndarray], tgt: List[np.ndarray]) -> dict:
    return {"src": _pad(src, PAD), "tgt_in": _pad([np.concatenate([[BOS], t[:-1]]) for t in tgt], PAD),
            "labels": _pad(tgt, -100)}


def summarize_batch(src: Shard, tgt: Shard, pairs: List[int], max_src: int, max_tgt: int) -> dict:
    return teacher_forced([np.concatenate([[SUMMARIZE], src[i][:max_src - 2], [EOS]]) for i in pairs],
                          [tgt[i][:max_tgt] for i in pairs])


def context_rows(shard: Shard, rows: List[int], max_len: int) -> torch.Tensor:
    """Generator context, one row per chunk (or summary, without its closing </s>)."""
    ctx = [shard[c][:max_len] for c in rows]
    return _pad([c[c != EOS] for c in ctx], PAD)


def frozen_model(base: str, task: Optional[str]):
    """The base with its task adapter, every weight frozen, in eval mode."""
    model, _ = load_base(base)
    if task:
        apply_task_lora(model, task)
    for p in model.parameters():
        p.requires_grad = False
    return model.eval()


class UnitData:
    """Summarize pairs and context chunks grouped by unit, for one split. Context chunks are raw
    file chunks (`context="raw"`) or the summarize targets themselves (`"summaries"`)."""

    def __init__(self, data_dir: str, split: str, context: str = "raw"):
        if context not in ("raw", "summaries"):
            raise ValueError(f"context must be raw or summaries, not {context!r}")
        self.src = Shard(os.path.join(data_dir, f"summarize.{split}.src"))
        self.tgt = Shard(os.path.join(data_dir, f"summarize.{split}.tgt"))
        self.pairs, self.pair_path = by_unit(self.src.prefix)
        if context == "summaries":
            self.raw, self.chunks, self.chunk_path = self.tgt, self.pairs, self.pair_path
        else:
            self.raw = Shard(os.path.join(data_dir, f"pretrain.{split}"))
            self.chunks, self.chunk_path = by_unit(self.raw.prefix)
        self.units = sorted(u for u in self.pairs if len({self.chunk_path[c] for c in self.chunks.get(u, [])}) >= 2)
        if not self.units:
            raise ValueError(f"{data_dir}: no {split} unit has summarize pairs and {context} context from two files")

    def sample(self, rng: np.random.Generator, cfg: dict):
        unit = self.units[rng.integers(len(self.units))]
        pairs = rng.choice(self.pairs[unit], size=min(cfg["targets"], len(self.pairs[unit])), replace=False)
        excluded = {self.pair_path[int(i)] for i in pairs}
        pool = [c for c in self.chunks[unit] if self.chunk_path[c] not in excluded]
        if not pool and self.raw is self.tgt:
            # Summaries: the targets span every file. The last target's file becomes context instead.
            moved = self.pair_path[int(pairs[-1])]
            pairs = np.array([i for i in pairs if self.pair_path[int(i)] != moved])
            pool = [c for c in self.chunks[unit] if self.chunk_path[c] == moved]
        if not pool:  # raw: every chunk is from a target's file
            pool = self.chunks[unit]
        chunks = rng.choice(pool, size=min(cfg["context_chunks"], len(pool)), replace=False)
        return unit, [int(i) for i in pairs], [int(c) for c in chunks]

    def batch(self, pairs: List[int], chunks: List[int], cfg: dict, max_src: int, max_tgt: int):
        return summarize_batch(self.src, self.tgt, pairs, max_src, max_tgt) | \
            {"context": context_rows(self.raw, chunks, cfg["context_len"])}


def make_generator(kind: str, model, cfg: dict):
    slots = delta_slots(model)
    if kind == "generative":
        return GenerativeAdapter(model, slots, cfg["r1"], cfg["r2"])
    if kind == "stream":
        return StreamAdapter(model, slots, cfg["queries"])
    raise ValueError(f"unknown generator kind {kind!r}")


def loss_of(model, gen, batch, use_generator: bool) -> torch.Tensor:
    deltas = as_delta_dict(gen.slots, *gen(model, batch["context"])) if use_generator else None
    logits = model(batch["src"], batch["tgt_in"], deltas=deltas)
    return F.cross_entropy(logits.float().flatten(0, 1), batch["labels"].flatten(), ignore_index=-100)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--task", help="lora.pt of the task adapter the generator works with")
    ap.add_argument("--kind", default="generative", choices=["generative", "stream"])
    ap.add_argument("--run", required=True)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--max-minutes", type=float)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a generator setting")
    args = ap.parse_args(argv)
    raw_cfg = json.load(open(args.config))
    cfg = dict(DEFAULTS, **raw_cfg.get("generator", {}))
    for kv in args.set:
        k, v = kv.split("=", 1)
        cfg[k] = type(DEFAULTS[k])(v)
    torch.manual_seed(cfg["seed"])
    torch.set_num_threads(int(os.environ.get("CODEADAPT_THREADS", "2")))
    model = frozen_model(args.base, args.task)
    gen = make_generator(args.kind, model, cfg)
    opt = torch.optim.AdamW(gen.parameters(), lr=cfg["lr"], weight_decay=0.0)
    train, valid = UnitData(args.data, "train", cfg["context"]), UnitData(args.data, "valid", cfg["context"])
    os.makedirs(args.run, exist_ok=True)
    ckpt = os.path.join(args.run, "ckpt.pt")
    step, elapsed, cpu_before = 0, 0.0, 0.0
    if args.resume and os.path.exists(ckpt):
        ck = load_checked(ckpt, ("step", "generator", "optimizer", "kind"), "generator checkpoint")
        if ck["kind"] != args.kind:
            raise CheckpointError(f"{ckpt} holds a {ck['kind']} generator, not {args.kind}")
        gen.load_state_dict(ck["generator"])
        opt.load_state_dict(ck["optimizer"])
        step, elapsed, cpu_before = ck["step"], ck.get("elapsed", 0.0), ck.get("cpu_s", 0.0)
    rng = np.random.default_rng(cfg["seed"] + step)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if not torch.cuda.is_available() else nullcontext()
    mc = model.cfg
    log = open(os.path.join(args.run, "log.jsonl"), "a")

    def save(final: bool) -> None:
        state = {"step": step, "elapsed": elapsed + time.time() - t0, "kind": args.kind, "cfg": cfg,
                 "slots": gen.slots, "generator": gen.state_dict(), "optimizer": opt.state_dict()}
        atomic_save(state, ckpt)
        meta = {"step": step, "final": final, "elapsed_s": state["elapsed"], "cpu_s": cpu_before + time.process_time() - cpu0,
                "trainable": sum(p.numel() for p in gen.parameters())}
        state["cpu_s"] = meta["cpu_s"]
        atomic_save({k: state[k] for k in ("kind", "cfg", "slots", "generator")} | {"meta": meta},
                    os.path.join(args.run, "generator.pt"))

    @torch.no_grad()
    def evaluate(batches: int = 12) -> dict:
        r = np.random.default_rng(0)
        with_gen, without = [], []
        for _ in range(batches):
            _, pairs, chunks = valid.sample(r, cfg)
            b = valid.batch(pairs, chunks, cfg, mc.max_src, mc.max_tgt)
            with autocast:
                with_gen.append(float(loss_of(model, gen, b, True)))
                without.append(float(loss_of(model, gen, b, False)))
        return {"valid_loss": float(np.mean(with_gen)), "valid_loss_no_adapter": float(np.mean(without))}

    t0 = last_ckpt = time.time()
    cpu0 = time.process_time()
    while step < cfg["max_steps"]:
        _, pairs, chunks = train.sample(rng, cfg)
        batch = train.batch(pairs, chunks, cfg, mc.max_src, mc.max_tgt)
        for group in opt.param_groups:
            group["lr"] = cfg["lr"] * min(1.0, (step + 1) / 100)
        with autocast:
            loss = loss_of(model, gen, batch, True)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"non-finite loss at step {step} (units sample {pairs[:3]}...)")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(gen.parameters(), 1.0)
        opt.step()
        step += 1
        if step % cfg["log_every"] == 0:
            log.write(json.dumps({"step": step, "loss": float(loss), "seconds": time.time() - t0}) + "\n")
            log.flush()
            print(f"step {step} loss {float(loss):.4f}", flush=True)
        if time.time() - last_ckpt > cfg["ckpt_minutes"] * 60:
            save(False)
            last_ckpt = time.time()
        if args.max_minutes and time.time() - t0 > args.max_minutes * 60:
            break
    result = evaluate()
    log.write(json.dumps({"event": "eval", "step": step, **result}) + "\n")
    print(json.dumps(result))
    save(step >= cfg["max_steps"])
    return result


if __name__ == "__main__":
    main()
