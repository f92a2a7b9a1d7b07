"""Assemble models/ from an export: compact graphs, adapters, tokenizer, and manifest.json.

The manifest is what the server verifies at start (server/src/model/modelManifest.ts and
server/src/engine/codeModel.ts): every file with sha256 and size, the label set, the tokenizer
hash, the ONNX contract, the adapters, the training configuration and runs (with CPU hours),
the data snapshot, and measured metrics.

  /usr/bin/python3 training/package_model.py --export .cache/export/small --out models \\
      --tokenizer .cache/tokenizer/tokenizer.json --runs training/runs/small-base training/runs/small-task \\
      [--task-adapter task] [--task-ner ner] [--ner-adapter ner] [--metrics eval.json] [--data .cache/encoded]
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_compact import fp16_storage, int8_matmuls  # noqa: E402
from train import sha256_file as sha256  # noqa: E402

LABELS_TS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server", "src", "labeler", "labels.ts")


def label_set() -> tuple:
    """The label ids and set id, read from the labeler (one source of truth)."""
    text = open(LABELS_TS).read()
    body = text[text.index("export const LABELS = [") + 23:text.index("] as const")]
    labels = [x.strip().strip('"') for x in body.split(",") if x.strip()]
    set_id = text.split('LABEL_SET_ID = "', 1)[1].split('"', 1)[0]
    return labels, set_id


def manifest_metrics(path: str) -> list:
    """The harness's rows without their per-item scores (`modelScores`, `baselineScores`): those
    serve paired comparisons from the evaluation JSON, and would make the manifest that the server
    parses at every model load grow with the test sets."""
    return [{k: v for k, v in row.items() if not k.endswith("Scores")} for row in json.load(open(path))]


def run_summary(run_dir: str) -> dict:
    """Steps, tokens, trainable parameters, wall and CPU hours of a training run, from the meta
    of its output file (CPU hours are recorded since 2026-11-27's second session; earlier
    checkpoints carry wall hours only)."""
    import torch
    for name in ("base.pt", "lora.pt", "ner.pt", "generator.pt"):
        path = os.path.join(run_dir, name)
        if os.path.exists(path):
            meta = torch.load(path, map_location="cpu").get("meta", {})
            return {"run": os.path.basename(run_dir), "file": name, "step": meta.get("step"),
                    "tokens": meta.get("tokens"), "final": meta.get("final"),
                    "trainable": meta.get("trainable"),
                    "wall_hours": round(meta.get("elapsed_s", 0) / 3600, 3),
                    "cpu_hours": round(meta["cpu_s"] / 3600, 3) if "cpu_s" in meta else None,
                    "device": meta.get("device") or logged_device(run_dir)}
    return {"run": os.path.basename(run_dir), "missing": True}


def logged_device(run_dir: str) -> str:
    """Where a run trained, from its log's last start event (files written before train.py
    recorded the device in their meta); cpu when unknown. On a GPU, cpu_hours is the host
    process's time, not GPU time."""
    device = "cpu"
    log = os.path.join(run_dir, "log.jsonl")
    if os.path.exists(log):
        for line in open(log):
            event = json.loads(line)
            if event.get("event") == "start" and "device" in event:
                device = event["device"]
    return device


def data_snapshot(data_dir: str) -> str:
    """sha256 over the encoded shards' index files and metadata (the training data's identity)."""
    h = hashlib.sha256()
    for name in sorted(os.listdir(data_dir)):
        if name.endswith((".idx.bin", ".meta.jsonl", ".json")):
            h.update(name.encode())
            h.update(sha256(os.path.join(data_dir, name)).encode())
    return h.hexdigest()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--export", required=True, help="folder written by export.py")
    ap.add_argument("--out", default="models")
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--name", default="codeadapt-small")
    ap.add_argument("--config", help="training config json (recorded)")
    ap.add_argument("--runs", nargs="*", default=[])
    ap.add_argument("--task-adapter", help="adapter name in EXPORT/adapters used for summarize/refine")
    ap.add_argument("--summarize-adapter", help="adapter trained on summaries alone (train.py --tasks summarize); "
                    "used for summarize instead of --task-adapter")
    ap.add_argument("--refine-adapter", help="adapter trained on repairs alone; used for refine instead of --task-adapter")
    ap.add_argument("--task-ner", help="NER adapter the task adapters (task, summarize, refine) were trained on top of")
    ap.add_argument("--ner-adapter", help="NER adapter for model-predicted token types (hover)")
    ap.add_argument("--metrics", help="JSON written by the evaluation harness")
    ap.add_argument("--data", help="encoded data folder (its snapshot hash is recorded)")
    ap.add_argument("--storage", choices=["int8", "fp16", "fp32"], default="int8",
                    help="weights as shipped: int8 MatMul weights (default; measured against fp16 on the "
                         "evaluation harness, see docs/training.md), float16 storage, or float32")
    ap.add_argument("--disable-task", action="append", default=[], metavar="TASK=REASON",
                    help="a task (summarize, refine) the shipped model must not serve, and why "
                         "(e.g. it scores below the baseline); the runtime refuses it with REASON")
    ap.add_argument("--refine-strategy", choices=["edits", "generate"],
                    help="how refine proposes a fix by default: rank single candidate edits by the model's "
                         "likelihood, or generate the whole function (server/src/engine/codeModel.ts); "
                         "choose the one the evaluation harness measures better")
    args = ap.parse_args(argv)

    os.makedirs(args.out, exist_ok=True)
    import onnx
    for graph in ("encoder.onnx", "decoder.onnx"):
        src, dst = os.path.join(args.export, graph), os.path.join(args.out, graph)
        model = onnx.load(src)
        if args.storage == "int8":
            model = int8_matmuls(model)
        onnx.save(model if args.storage == "fp32" else fp16_storage(model), dst)
    for name in ("onnx-contract.json", "parity.json"):
        shutil.copy(os.path.join(args.export, name), os.path.join(args.out, name))
    contract_of_export = json.load(open(os.path.join(args.export, "onnx-contract.json")))
    for key in ("memory_search", "memory_mix", "matmul"):  # the workspace memory's graphs (no weights: copied as they are)
        if contract_of_export.get(key):
            shutil.copy(os.path.join(args.export, contract_of_export[key]), os.path.join(args.out, contract_of_export[key]))
    generator = None
    if os.path.exists(os.path.join(args.export, "generator.json")):  # export.py --generator wrote it
        generator = {"contribution": "generator-contribution.onnx", "adapter": "generator-adapter.onnx",
                     "config": "generator.json"}
        for name in generator.values():
            shutil.copy(os.path.join(args.export, name), os.path.join(args.out, name))
    shutil.copy(args.tokenizer, os.path.join(args.out, "tokenizer.json"))
    adapters = {}
    for role, name in (("task", args.task_adapter), ("ner", args.ner_adapter), ("task_ner", args.task_ner),
                       ("summarize", args.summarize_adapter), ("refine", args.refine_adapter)):
        if not name:
            continue
        os.makedirs(os.path.join(args.out, "adapters"), exist_ok=True)
        for ext in (".json", ".bin"):
            shutil.copy(os.path.join(args.export, "adapters", name + ext), os.path.join(args.out, "adapters", name + ext))
        adapters[role] = "adapters/" + name + ".json"
    labels, set_id = label_set()
    tokenizer = json.load(open(args.tokenizer))
    manifest = {
        "name": args.name,
        "version": dt.date.today().isoformat(),
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "labelSet": set_id,
        "labels": labels,
        "tokenizer": {"path": "tokenizer.json", "sha256": tokenizer.get("sha256"), "vocabSize": tokenizer.get("vocabSize")},
        "onnx": {"dir": ".", "contract": json.load(open(os.path.join(args.out, "onnx-contract.json"))),
                 "storage": {"int8": "int8 MatMul weights, float16 other weights", "fp16": "float16",
                             "fp32": "float32"}[args.storage]},
        "adapters": {},
        "config": json.load(open(args.config)) if args.config else None,
        "runs": [run_summary(r) for r in args.runs],
        "data": {"snapshot": data_snapshot(args.data)} if args.data else None,
        "metrics": manifest_metrics(args.metrics) if args.metrics else None,
    }
    for spec in args.disable_task:
        task, _, reason = spec.partition("=")
        if task not in ("summarize", "refine") or not reason.strip():
            ap.error(f"--disable-task wants summarize=REASON or refine=REASON, not {spec!r}")
        manifest.setdefault("tasks", {})[task] = {"disabled": reason.strip()}
    if args.refine_strategy:
        manifest.setdefault("tasks", {}).setdefault("refine", {})["strategy"] = args.refine_strategy
    if "task" in adapters:
        manifest["adapters"]["task"] = {"path": adapters["task"], **({"ner": adapters["task_ner"]} if "task_ner" in adapters else {})}
    if "ner" in adapters:
        manifest["adapters"]["ner"] = {"path": adapters["ner"]}
    for task in ("summarize", "refine"):
        if task in adapters:
            manifest["adapters"][task] = {"path": adapters[task], **({"ner": adapters["task_ner"]} if "task_ner" in adapters else {})}
    if generator:
        manifest["generator"] = generator
    files = []
    for root, _, names in os.walk(args.out):
        for n in sorted(names):
            path = os.path.join(root, n)
            rel = os.path.relpath(path, args.out)
            if rel in ("manifest.json", "README.md"):
                continue
            files.append({"path": rel, "sha256": sha256(path), "bytes": os.path.getsize(path)})
    manifest["files"] = sorted(files, key=lambda f: f["path"])
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    total = sum(f["bytes"] for f in files)
    print(f"wrote {args.out}/manifest.json: {len(files)} files, {total / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
