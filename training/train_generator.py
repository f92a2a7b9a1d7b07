"""Meta-train a workspace adapter generator on the corpus's project units.

Each step picks one training unit (a package), a few of its summarize pairs as targets, and
up to C raw chunks of *other* files of the same unit as context (the target's own file is left
out, so the generator cannot copy a docstring it should predict). With `context=summaries` the
context is instead the summaries (docstring first sentences) of documented functions in the
unit's other files, one per chunk: the workspace's own phrasing, which is what a per-workspace
delta fitted by gradient learns (training/eval_oracle.py). The frozen base, with its
frozen task adapter, is trained on nothing; only the generator learns, through the task loss
of the targets under the deltas it generates from the context.

`units_per_step` > 1 (GenerativeAdapter only) draws that many units per step and batches them, each
target under its own unit's deltas: one unit per step leaves a GPU idle. `--schedule-minutes` time-
boxes a run (the rate decays over wall time, down to `lr_floor`), as scripts/train-generator-gpu uses.

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
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import BOS, EOS, PAD, SUMMARIZE, Shard, _pad  # noqa: E402
from export import delta_slots  # noqa: E402
from generator import GenerativeAdapter, StreamAdapter, as_delta_dict, context_states  # noqa: E402
from train import CheckpointError, apply_task_lora, atomic_save, load_base, load_checked  # noqa: E402

DEFAULTS = {"lr": 2e-3, "max_steps": 3000, "targets": 4, "context": "raw", "context_chunks": 12, "context_len": 256,
            "r1": 16, "r2": 8, "queries": 8, "ckpt_minutes": 10.0, "seed": 1234, "log_every": 20,
            "units_per_step": 1, "lr_floor": 1.0}


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


def units_batch(data: "UnitData", samples: list, cfg: dict, max_src: int, max_tgt: int) -> dict:
    """Several units' targets in one batch, with every unit's context rows stacked and each row's unit."""
    pairs = [p for _, ps, _ in samples for p in ps]
    chunks = [c for _, _, cs in samples for c in cs]
    return summarize_batch(data.src, data.tgt, pairs, max_src, max_tgt) | {
        "context": context_rows(data.raw, chunks, cfg["context_len"]),
        "row_unit": torch.tensor([u for u, (_, ps, _) in enumerate(samples) for _ in ps]),
        "chunk_unit": torch.tensor([u for u, (_, _, cs) in enumerate(samples) for _ in cs]),
        "units": len(samples)}


def units_deltas(model, gen: GenerativeAdapter, batch: dict) -> dict:
    """Per target row, the deltas of its own unit's context. GenerativeAdapter only: its state is a
    sum over chunks, so per-unit states are an index_add of the chunks' contributions."""
    hidden, out, mask = context_states(model, batch["context"])
    per_chunk = gen.chunk_contributions(hidden, out, mask)                     # (chunks, n, R1, R2)
    S = per_chunk.new_zeros((batch["units"],) + per_chunk.shape[1:]).index_add_(0, batch["chunk_unit"], per_chunk)
    A, B = gen.deltas(S)                                                       # (U, n, R2, d), (n, d, R2)
    A_rows = A[batch["row_unit"]]
    B_rows = B.expand(A_rows.shape[0], *B.shape)
    return {name: (A_rows[:, i], B_rows[:, i]) for i, name in enumerate(gen.slots)}


def units_loss(model, gen: GenerativeAdapter, batch: dict) -> torch.Tensor:
    """The task loss of several units at once, each target under its own unit's deltas."""
    logits = model(batch["src"], batch["tgt_in"], deltas=units_deltas(model, gen, batch))
    return F.cross_entropy(logits.float().flatten(0, 1), batch["labels"].flatten(), ignore_index=-100)


def to_device(batch: dict, device: torch.device) -> dict:
    return {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}


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
    ap.add_argument("--schedule-minutes", type=float,
                    help="a time-boxed run: the rate decays over this wall time (not max_steps) and the run ends finished")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a generator setting")
    args = ap.parse_args(argv)
    raw_cfg = json.load(open(args.config))
    cfg = dict(DEFAULTS, **raw_cfg.get("generator", {}))
    for kv in args.set:
        k, v = kv.split("=", 1)
        cfg[k] = type(DEFAULTS[k])(v)
    torch.manual_seed(cfg["seed"])
    torch.set_num_threads(int(os.environ.get("CODEADAPT_THREADS", "2")))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = frozen_model(args.base, args.task).to(device)
    gen = make_generator(args.kind, model, cfg).to(device)
    if cfg["units_per_step"] > 1 and args.kind != "generative":
        raise ValueError("units_per_step > 1 needs the generative kind (the stream's recurrence is per unit)")
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
    autocast = torch.autocast(device.type, dtype=torch.bfloat16)
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
            b = to_device(valid.batch(pairs, chunks, cfg, mc.max_src, mc.max_tgt), device)
            with autocast:
                with_gen.append(float(loss_of(model, gen, b, True)))
                without.append(float(loss_of(model, gen, b, False)))
        return {"valid_loss": float(np.mean(with_gen)), "valid_loss_no_adapter": float(np.mean(without))}

    def progress(at: int) -> float:
        if args.schedule_minutes:
            return (elapsed + time.time() - t0) / (args.schedule_minutes * 60)
        return at / cfg["max_steps"]

    def decay(at: int) -> float:
        """Cosine from 1 down to lr_floor over the run (lr_floor 1.0: a constant rate, as before)."""
        return cfg["lr_floor"] + (1 - cfg["lr_floor"]) * 0.5 * (1 + np.cos(np.pi * min(progress(at), 1.0)))

    t0 = last_ckpt = time.time()
    cpu0 = time.process_time()
    while step < cfg["max_steps"] and progress(step) < 1.0:
        if cfg["units_per_step"] > 1:
            samples = [train.sample(rng, cfg) for _ in range(cfg["units_per_step"])]
            batch = to_device(units_batch(train, samples, cfg, mc.max_src, mc.max_tgt), device)
            pairs = samples[0][1]
        else:
            _, pairs, chunks = train.sample(rng, cfg)
            batch = to_device(train.batch(pairs, chunks, cfg, mc.max_src, mc.max_tgt), device)
        for group in opt.param_groups:
            group["lr"] = cfg["lr"] * min(1.0, (step + 1) / 100) * decay(step)
        with autocast:
            loss = units_loss(model, gen, batch) if cfg["units_per_step"] > 1 else loss_of(model, gen, batch, True)
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
    save(step >= cfg["max_steps"] or progress(step) >= 1.0)
    return result


if __name__ == "__main__":
    main()
