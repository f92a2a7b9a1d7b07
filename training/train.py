"""Train CodeAdapt's model. One file, three modes:

  pretrain  denoising (span corruption) of the whole base model on raw code
  task      task adapters (LoRA) for summarize + refine on the frozen base
            (optionally on top of frozen NER adapters: --ner)
  ttc       NER adapters + token-type head on the frozen base

Examples
  /usr/bin/python3 training/train.py --config training/configs/small.json --mode pretrain \
      --data .cache/encoded --run training/runs/small-base --max-minutes 150 --resume
  /usr/bin/python3 training/train.py --config training/configs/small.json --mode ttc \
      --data .cache/encoded --run training/runs/small-ner --base training/runs/small-base/base.pt
  /usr/bin/python3 training/train.py --config training/configs/small.json --mode task \
      --data .cache/encoded --run training/runs/small-task-ner --base training/runs/small-base/base.pt \
      --ner training/runs/small-ner/ner.pt
  torchrun --nproc_per_node=8 training/train.py ...   (DDP when WORLD_SIZE is set)

Run directory
  ckpt.pt     training state (trainable weights, optimizer, data position, RNG), replaced
              atomically every `ckpt_minutes` and at the end; --resume continues from it
  base.pt     pretrain: the base weights (config + state dict, no adapter tensors)
  lora.pt / ner.pt   task / ttc: the adapter tensors only (the base file is never rewritten)
  log.jsonl   one JSON line per log/eval event
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import signal
import sys
import time
from contextlib import nullcontext
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import BatchStream, DataConfig, Prefetcher, load_datasets  # noqa: E402
from model import (ModelConfig, Seq2Seq, adapter_state_dict, base_state_dict,  # noqa: E402
                   load_adapter_state_dict)

TRAIN_DEFAULTS = {
    "lr": 1e-3, "min_lr_ratio": 0.1, "warmup": 200, "max_steps": 10000, "weight_decay": 0.01,
    "grad_clip": 1.0, "beta2": 0.98, "log_every": 10, "eval_every": 500, "eval_batches": 20,
    "ckpt_minutes": 10.0, "seed": 1234,
}
ADAPTER_DEFAULTS = {
    "lora": {"rank": 8, "alpha": 16.0, "targets": ["all"]},
    "ner": {"bottleneck": 64, "placement": "pfeiffer"},
}


class CheckpointError(RuntimeError):
    pass


class NonFiniteLoss(FloatingPointError):
    pass


# ----------------------------------------------------------------------------- config

def load_config(path: str, mode: str) -> dict:
    with open(path) as f:
        raw = json.load(f)
    for key in ("model",):
        if key not in raw:
            raise ValueError(f"{path}: missing section {key!r}")
    train = dict(TRAIN_DEFAULTS)
    train.update(raw.get("train", {}))
    train.update(raw.get(mode, {}).get("train", {}))
    unknown = set(train) - set(TRAIN_DEFAULTS)
    if unknown:
        raise ValueError(f"{path}: unknown train keys {sorted(unknown)}")
    adapters = {k: dict(v) for k, v in ADAPTER_DEFAULTS.items()}
    for k, v in raw.get("adapters", {}).items():
        adapters.setdefault(k, {}).update(v)
    data = dict(raw.get("data", {}))
    data.update(raw.get(mode, {}).get("data", {}))
    data = DataConfig(**data)
    return {"name": os.path.splitext(os.path.basename(path))[0], "model": raw["model"],
            "train": train, "adapters": adapters, "data": data.__dict__, "mode": mode}


def lr_at(step: int, t: dict, time_frac: float = 0.0) -> float:
    """Linear warmup, then cosine decay to min_lr_ratio over max_steps, or over a wall-clock
    budget when time_frac (elapsed / --schedule-minutes) runs ahead of the steps."""
    if step < t["warmup"]:
        return t["lr"] * (step + 1) / t["warmup"]
    frac = min(1.0, max(time_frac, (step - t["warmup"]) / max(1, t["max_steps"] - t["warmup"])))
    return t["lr"] * (t["min_lr_ratio"] + (1 - t["min_lr_ratio"]) * 0.5 * (1 + math.cos(math.pi * frac)))


# ----------------------------------------------------------------------------- files

def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def atomic_save(obj, path: str) -> None:
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_checked(path: str, required: tuple, what: str) -> dict:
    """torch.load with a clear error for missing, truncated or foreign files."""
    if not os.path.exists(path):
        raise CheckpointError(f"{what} not found: {path}")
    try:
        # our own run files; explicit because PyTorch >= 2.6 defaults to weights_only=True
        obj = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:  # truncated zip, garbage bytes, pickle errors
        raise CheckpointError(f"{what} {path} is corrupt or truncated and cannot be loaded "
                              f"({type(e).__name__}: {e}). Delete it to start over, or restore a copy.") from e
    if not isinstance(obj, dict) or any(k not in obj for k in required):
        have = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise CheckpointError(f"{what} {path} lacks required entries {list(required)} (has {have})")
    return obj


def load_base(path: str) -> tuple:
    obj = load_checked(path, ("config", "model"), "base model file")
    cfg = ModelConfig.from_dict(obj["config"]["model"])
    model = Seq2Seq(cfg)
    try:
        model.load_state_dict(obj["model"], strict=True)
    except RuntimeError as e:
        raise CheckpointError(f"base model file {path} does not match its own config: {e}") from e
    return model, obj


def warm_start(model: Seq2Seq, path: str) -> dict:
    """Copy a base file's tensors into `model` where name and shape match; report the rest."""
    obj = load_checked(path, ("config", "model"), "base model file")
    own = model.state_dict()
    fits = {k: v for k, v in obj["model"].items() if k in own and own[k].shape == v.shape}
    if not fits:
        raise CheckpointError(f"{path} shares no tensor with this model config")
    model.load_state_dict(fits, strict=False)
    return {"copied": len(fits), "dropped": ",".join(sorted(set(obj["model"]) - set(fits))) or "-",
            "fresh": ",".join(sorted(set(own) - set(fits))) or "-"}


def apply_task_lora(model: Seq2Seq, path: str) -> dict:
    """Enable and load the task LoRA of a `--mode task` run (lora.pt) on a loaded base."""
    obj = load_checked(path, ("adapter_config", "state_dict"), "task adapter file")
    lc = obj["adapter_config"]["lora"]
    model.enable_lora(lc["rank"], lc["alpha"], tuple(lc["targets"]))
    load_adapter_state_dict(model, obj["state_dict"])
    return obj


def add_adapters(model: Seq2Seq, mode: str, cfg: dict, ner_path: Optional[str]) -> Optional[dict]:
    """Enable the hooks the mode trains (and the frozen NER adapters for task --ner)."""
    ner_obj = None
    if mode == "ttc":
        model.enable_ner_adapters(**cfg["adapters"]["ner"])
    if mode == "task":
        if ner_path:
            ner_obj = load_checked(ner_path, ("adapter_config", "state_dict"), "NER adapter file")
            model.enable_ner_adapters(**ner_obj["adapter_config"]["ner"])
            load_adapter_state_dict(model, ner_obj["state_dict"])
        l = cfg["adapters"]["lora"]
        model.enable_lora(l["rank"], l["alpha"], tuple(l["targets"]))
    if mode == "pretrain":
        return None
    model.freeze_base()
    if mode == "task":  # NER adapters stay frozen under task training
        for n, p in model.named_parameters():
            if ".ner_" in n or n.startswith("ttc_head"):
                p.requires_grad = False
    return ner_obj


# ----------------------------------------------------------------------------- loss

class LossModel(nn.Module):
    """Wraps the model so that DDP sees one forward() per step."""

    def __init__(self, model: Seq2Seq):
        super().__init__()
        self.model = model

    def forward(self, batch: Dict[str, torch.Tensor]) -> tuple:
        m = self.model
        if "ttc_labels" in batch:
            logits = m.ttc_logits(m.encode(batch["src"]))
            labels = batch["ttc_labels"]
        else:
            keep = batch["labels"] != -100
            logits = m(batch["src"], batch["tgt_in"], logits_at=keep)  # (N,V): padding skipped
            labels = batch["labels"][keep]
        logits = logits.float()
        loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1), ignore_index=-100)
        with torch.no_grad():
            valid = labels != -100
            correct = ((logits.argmax(-1) == labels) & valid).sum()
        return loss, valid.sum(), correct


def batch_tokens(batch) -> int:
    n = int((batch["src"] != 0).sum())
    if "labels" in batch:
        n += int((batch["labels"] != -100).sum())
    return n


def to_device(batch: dict, device) -> dict:
    return {k: (v.to(device, non_blocking=True) if torch.is_tensor(v) else v) for k, v in batch.items()}


# ----------------------------------------------------------------------------- main

def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--mode", required=True, choices=["pretrain", "task", "ttc"])
    ap.add_argument("--data", required=True, help="directory of encoded shards (.cache/encoded)")
    ap.add_argument("--run", required=True, help="run directory (training/runs/NAME)")
    ap.add_argument("--base", help="base.pt of a pretrain run (task, ttc)")
    ap.add_argument("--ner", help="ner.pt of a ttc run: frozen NER adapters under task training")
    ap.add_argument("--init-from", help="pretrain: start from another base.pt's weights wherever names and "
                    "shapes match (e.g. a learned-position base into a rotary config); the rest is fresh")
    ap.add_argument("--resume", action="store_true", help="continue from RUN/ckpt.pt if it exists")
    ap.add_argument("--max-minutes", type=float, default=None, help="wall-clock budget; stop cleanly after it")
    ap.add_argument("--max-steps", type=int, default=None, help="override train.max_steps (the LR schedule's length)")
    ap.add_argument("--schedule-minutes", type=float, default=None,
                    help="time-boxed schedule: the LR decays over this much wall-clock training time "
                         "(or max_steps, whichever ends first) and the run ends, finished, when it is spent")
    ap.add_argument("--prefetch", type=int, default=None,
                    help="batches built ahead on a background thread (default: 8 on CUDA, 0 on CPU)")
    ap.add_argument("--stop-at-step", type=int, default=None,
                    help="stop cleanly (checkpoint) at this step without changing the LR schedule")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--dtype", choices=["bf16", "fp32"], default="bf16")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (torch.set_num_threads)")
    ap.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    ap.add_argument("--ner-placement", choices=["pfeiffer", "houlsby"], default=None,
                    help="override adapters.ner.placement (ttc: to compare placements)")
    ap.add_argument("--ner-bottleneck", type=int, default=None, help="override adapters.ner.bottleneck")
    ap.add_argument("--full-target", type=float, default=None,
                    help="override data.full_target (pretrain: share of windows rebuilt whole under <refine>)")
    ap.add_argument("--tasks", help="task mode: comma-separated tasks to train (summarize,refine; default both), "
                    "for one adapter per task")
    args = ap.parse_args(argv)

    cfg = load_config(args.config, args.mode)
    t = cfg["train"]
    if args.max_steps is not None:
        t["max_steps"] = args.max_steps
    if args.seed is not None:
        t["seed"] = args.seed
    if args.ner_placement:
        cfg["adapters"]["ner"]["placement"] = args.ner_placement
    if args.ner_bottleneck:
        cfg["adapters"]["ner"]["bottleneck"] = args.ner_bottleneck
    if args.full_target is not None:
        if not 0.0 <= args.full_target <= 1.0:
            ap.error("--full-target must be within [0, 1]")
        cfg["data"]["full_target"] = args.full_target
    if args.tasks:
        if args.mode != "task":
            ap.error("--tasks only applies to --mode task")
        cfg["data"]["tasks"] = tuple(t.strip() for t in args.tasks.split(",") if t.strip())
    if args.mode in ("task", "ttc") and not args.base:
        ap.error(f"--mode {args.mode} needs --base (the base.pt of a pretrain run)")
    if args.ner and args.mode != "task":
        ap.error("--ner only applies to --mode task")
    if args.init_from and args.mode != "pretrain":
        ap.error("--init-from only applies to --mode pretrain")

    # ---- distributed / device
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = (args.device or ("cuda" if torch.cuda.is_available() else "cpu")) == "cuda"
    device = torch.device(f"cuda:{local_rank}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(device)
        torch.backends.cuda.matmul.allow_tf32 = True
    else:
        torch.set_num_threads(args.threads)
    if world > 1:
        import torch.distributed as dist
        dist.init_process_group("nccl" if use_cuda else "gloo")
    master = rank == 0
    log_path = os.path.join(args.run, "log.jsonl")
    ckpt_path = os.path.join(args.run, "ckpt.pt")

    def log(event: dict) -> None:
        if not master:
            return
        print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in event.items()), flush=True)
        with open(log_path, "a") as f:
            f.write(json.dumps(event) + "\n")

    if master:
        os.makedirs(args.run, exist_ok=True)
    torch.manual_seed(t["seed"] + rank)

    # ---- model
    base_sha = None
    if args.mode == "pretrain":
        model = Seq2Seq(ModelConfig.from_dict(cfg["model"]))
        if args.init_from and not (args.resume and os.path.exists(ckpt_path)):
            log({"event": "init_from", "path": args.init_from, **warm_start(model, args.init_from)})
    else:
        model, base_obj = load_base(args.base)
        base_sha = sha256_file(args.base)
        cfg["model"] = base_obj["config"]["model"]  # the base decides the architecture
    ner_obj = add_adapters(model, args.mode, cfg, args.ner)
    model.to(device)
    mcfg = model.cfg
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    if not trainable:
        raise RuntimeError("nothing to train")

    # ---- data
    dc = DataConfig(**cfg["data"])
    if dc.max_src > mcfg.max_src or dc.max_tgt > mcfg.max_tgt:
        raise ValueError(f"data lengths {dc.max_src}/{dc.max_tgt} exceed the model's {mcfg.max_src}/{mcfg.max_tgt}")
    train_sets = load_datasets(args.mode, args.data, "train", dc, mcfg.vocab_size, mcfg.num_labels)
    try:
        valid_sets = load_datasets(args.mode, args.data, "valid", dc, mcfg.vocab_size, mcfg.num_labels)
    except FileNotFoundError:
        valid_sets = None
    stream = BatchStream(train_sets, dc, t["seed"], rank, world)

    # ---- optimizer (weight decay on matrices only)
    decay = [p for n, p in trainable.items() if p.dim() >= 2]
    no_decay = [p for n, p in trainable.items() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": t["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=t["lr"], betas=(0.9, t["beta2"]), eps=1e-8,
                            foreach=True)  # multi-tensor: far fewer ops per step

    # ---- resume
    step, tokens_seen, elapsed_before, cpu_before = 0, 0, 0.0, 0.0
    if args.resume and os.path.exists(ckpt_path):
        ck = load_checked(ckpt_path, ("step", "trainable", "optimizer", "data", "mode", "config", "rng"), "checkpoint")
        if ck["mode"] != args.mode:
            raise CheckpointError(f"{ckpt_path} is a {ck['mode']} checkpoint, not {args.mode}")
        if ck["config"]["model"] != cfg["model"]:
            raise CheckpointError(f"{ckpt_path} was trained with another model config: "
                                  f"{ck['config']['model']} != {cfg['model']}")
        changed = sorted(k for sec in ("train", "data", "adapters") for k in set(cfg[sec]) | set(ck["config"][sec])
                         if cfg[sec].get(k) != ck["config"][sec].get(k))
        if changed:  # allowed (e.g. a longer max_steps), but never silent
            log({"event": "warning", "config_changed_since_checkpoint": ",".join(changed)})
        if ck.get("base_sha256") != base_sha:
            raise CheckpointError(f"{ckpt_path} was trained on a different base file (sha256 mismatch)")
        missing = set(trainable) - set(ck["trainable"])
        if missing:
            raise CheckpointError(f"{ckpt_path} lacks trainable tensors {sorted(missing)[:5]}")
        model.load_state_dict(ck["trainable"], strict=False)
        opt.load_state_dict(ck["optimizer"])
        stream.load_state(ck["data"])
        torch.set_rng_state(ck["rng"]["torch"])
        if use_cuda and ck["rng"].get("cuda") is not None:
            torch.cuda.set_rng_state(ck["rng"]["cuda"])
        step, tokens_seen, elapsed_before = ck["step"], ck["tokens"], ck["elapsed"]
        cpu_before = ck.get("cpu_s", 0.0)
        log({"event": "resume", "step": step, "from": ckpt_path})
    elif args.resume:
        log({"event": "resume", "note": f"no checkpoint at {ckpt_path}; starting fresh"})
    elif os.path.exists(ckpt_path):
        raise CheckpointError(f"{ckpt_path} exists: pass --resume to continue it, or use another --run")

    prefetch = args.prefetch if args.prefetch is not None else (8 if use_cuda else 0)
    if prefetch > 0:
        stream = Prefetcher(stream, prefetch)
    lm = LossModel(model)
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP
        lm = DDP(lm, device_ids=[local_rank] if use_cuda else None)
    amp = (torch.autocast(device_type="cuda" if use_cuda else "cpu", dtype=torch.bfloat16)
           if args.dtype == "bf16" else nullcontext())

    stats = {type(d).__name__ + ("" if not hasattr(d, "task") else ":" + d.task): d.stats for d in train_sets}
    log({"event": "start", "mode": args.mode, "config": cfg["name"], "device": str(device), "world": world,
         "params": model.num_params(), "trainable": sum(p.numel() for p in trainable.values()),
         "batches_per_epoch": stream.batches_per_epoch(), "data": json.dumps(stats)})

    # ---- saving
    def save(final: bool) -> None:
        if not master:
            return
        raw = model.state_dict()
        ck = {"step": step, "tokens": tokens_seen, "elapsed": elapsed_before + time.time() - t0,
              "cpu_s": cpu_before + time.process_time() - cpu0,
              "mode": args.mode, "config": cfg, "base_sha256": base_sha,
              "trainable": {n: raw[n].detach().cpu() for n in trainable},
              "optimizer": opt.state_dict(), "data": stream.state(),
              "rng": {"torch": torch.get_rng_state(),
                      "cuda": torch.cuda.get_rng_state() if use_cuda else None}}
        atomic_save(ck, ckpt_path)
        meta = {"step": step, "tokens": tokens_seen, "elapsed_s": ck["elapsed"], "cpu_s": ck["cpu_s"],
                "trainable": sum(p.numel() for p in trainable.values()), "final": final,
                "device": torch.cuda.get_device_name(device) if use_cuda else "cpu"}
        if args.mode == "pretrain":
            atomic_save({"config": cfg, "model": {k: v.cpu() for k, v in base_state_dict(model).items()},
                         "meta": meta}, os.path.join(args.run, "base.pt"))
        else:
            kind = "ner" if args.mode == "ttc" else "lora"
            atomic_save({"kind": kind, "adapter_config": {kind: model.adapter_config[kind]},
                         "state_dict": {k: v.cpu() for k, v in adapter_state_dict(model, kind).items()},
                         "base_sha256": base_sha, "ner_sha256": sha256_file(args.ner) if args.ner else None,
                         "config": cfg, "meta": meta}, os.path.join(args.run, f"{kind}.pt"))
        log({"event": "checkpoint", "step": step, "path": ckpt_path})

    @torch.no_grad()
    def evaluate() -> dict:
        if not valid_sets:
            return {}
        model.eval()
        vs = BatchStream(valid_sets, dc, seed=0)
        tot, n, correct = 0.0, 0, 0
        for _ in range(min(t["eval_batches"], vs.batches_per_epoch())):
            b = to_device(next(vs), device)
            with amp:
                loss, cnt, cor = LossModel(model)(b)
            tot += float(loss) * int(cnt); n += int(cnt); correct += int(cor)
        model.train()
        return {"valid_loss": tot / max(1, n), "valid_acc": correct / max(1, n)}

    # ---- stop on budget / signal
    stop_reason = [None]

    def on_signal(signum, frame):
        stop_reason[0] = f"signal {signum}"
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, on_signal)

    t0, cpu0 = time.time(), time.process_time()
    last_ckpt = t0
    win_tokens, win_t, win_loss, win_n, win_cpu = 0, time.time(), 0.0, 0, time.process_time()
    model.train()
    budget_s = args.schedule_minutes * 60 if args.schedule_minutes else None
    time_frac = lambda: (elapsed_before + time.time() - t0) / budget_s if budget_s else 0.0  # noqa: E731
    schedule_done = False
    while step < t["max_steps"]:
        batch = next(stream)
        meta = batch.pop("meta")
        b = to_device(batch, device)
        lr = lr_at(step, t, time_frac())
        for g in opt.param_groups:
            g["lr"] = lr
        with amp:
            loss, _, _ = lm(b)
        if not torch.isfinite(loss):
            raise NonFiniteLoss(f"loss is {float(loss)} at step {step} (batch: task={meta['task']} "
                                f"epoch={meta['epoch']} index={meta['index']} first examples={meta['examples']}); "
                                f"run stopped, last good checkpoint is {ckpt_path}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(list(trainable.values()), t["grad_clip"])
        if not torch.isfinite(gnorm):
            raise NonFiniteLoss(f"gradient norm is {float(gnorm)} at step {step} (batch: task={meta['task']} "
                                f"epoch={meta['epoch']} index={meta['index']}); run stopped")
        opt.step()
        step += 1
        n_tok = batch_tokens(batch)
        tokens_seen += n_tok * world
        win_tokens += n_tok * world; win_loss += float(loss.detach()); win_n += 1

        if step % t["log_every"] == 0 or step == t["max_steps"]:
            now = time.time()
            cpu = time.process_time()
            # tok_cpu_s: tokens per CPU-second of this process, a measure that other processes
            # on a shared machine disturb far less than wall-clock tok_s
            log({"step": step, "loss": win_loss / win_n, "lr": lr, "gnorm": float(gnorm),
                 "tok_s": win_tokens / max(1e-9, now - win_t),
                 "tok_cpu_s": win_tokens / world / max(1e-9, cpu - win_cpu), "tokens": tokens_seen,
                 "elapsed_min": (elapsed_before + now - t0) / 60})
            win_tokens, win_t, win_loss, win_n, win_cpu = 0, now, 0.0, 0, cpu
        if t["eval_every"] and step % t["eval_every"] == 0:
            ev = evaluate()
            if ev:
                log({"event": "eval", "step": step, **ev})

        # stop/checkpoint decisions are made by rank 0 and shared so all ranks agree
        now = time.time()
        schedule_done = budget_s is not None and time_frac() >= 1.0
        flags = torch.tensor([
            float(args.max_minutes is not None and now - t0 >= args.max_minutes * 60 or stop_reason[0] is not None
                  or (args.stop_at_step is not None and step >= args.stop_at_step) or schedule_done),
            float(now - last_ckpt >= t["ckpt_minutes"] * 60)], device=device)
        if world > 1:
            import torch.distributed as dist
            dist.broadcast(flags, 0)
        if flags[0]:
            reason = stop_reason[0] or (f"--stop-at-step {args.stop_at_step}" if args.stop_at_step is not None
                                        and step >= args.stop_at_step else
                                        f"--schedule-minutes {args.schedule_minutes} spent" if schedule_done
                                        else f"--max-minutes {args.max_minutes}")
            log({"event": "stop", "step": step, "reason": reason})
            break
        if flags[1]:
            save(final=False)
            last_ckpt = time.time()

    save(final=step >= t["max_steps"] or (schedule_done and stop_reason[0] is None))
    ev = evaluate()
    if ev:
        log({"event": "eval", "step": step, **ev})
    if world > 1:
        import torch.distributed as dist
        dist.barrier()
        dist.destroy_process_group()
    return {"step": step, "tokens": tokens_seen, **ev}


def _tune_runtime_and_reexec() -> None:
    """Two settings that must exist before the process starts, hence the re-exec:
    - glibc keeps freed memory in the heap: on this kind of VM a page fault is expensive, and
      by default big freed blocks go back to the OS so every step faults its activations in again;
    - OpenMP threads sleep instead of spinning while they wait: on a shared machine a spinning
      thread waits for a core that another process holds (measured on 2 busy cores, small, bf16:
      ~300 tokens/s with spinning threads, ~1400-2200 with OMP_WAIT_POLICY=PASSIVE).
    Values already in the environment win. Opt out with CODEADAPT_RUNTIME_TUNE=0."""
    if os.environ.get("CODEADAPT_RUNTIME_TUNE", "1") == "0" or os.environ.get("CODEADAPT_TUNED") == "1":
        return
    if not sys.platform.startswith("linux"):
        return
    env = dict(MALLOC_MMAP_THRESHOLD_="17179869184", MALLOC_TRIM_THRESHOLD_="17179869184",
               MALLOC_TOP_PAD_="536870912", OMP_WAIT_POLICY="PASSIVE")
    env.update(os.environ)
    env["CODEADAPT_TUNED"] = "1"
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


if __name__ == "__main__":
    _tune_runtime_and_reexec()
    main()
