"""Portable run files: a torch run file (base.pt, lora.pt, ner.pt) as one .npz of numpy arrays
with its metadata as JSON inside, so that a file written under one PyTorch version loads under
another (the lent GPU machine runs PyTorch 2.x, this machine Debian's 1.13) and nothing is
unpickled from elsewhere. `--int8` stores every large matrix as int8 rows with a float32 scale
per row, to fit the GPU machine's 64 MiB return limit; training on the GPU then continues on
the unpacked (rounded) base, so the adapters fit exactly the weights that come back.

  python3 training/portable.py pack IN.pt OUT.npz [--int8]
  python3 training/portable.py unpack IN.npz OUT.pt [--rebase SHA256=LOCAL_BASE.pt]

Every tensor's sha256 (of its float32 bytes as unpacked) is recorded at pack time and checked
at unpack, so an unpacked file holds bit for bit the tensors the other side trained with.
--rebase: an adapter records the sha256 of its base *file*; files written by two PyTorch
versions differ in bytes even when their tensors are identical, so unpack replaces that
sha256 (which must equal SHA256) by LOCAL_BASE.pt's, whose tensors were checked the same way.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train import atomic_save, load_checked, sha256_file  # noqa: E402

INT8_MIN_ELEMENTS = 4096  # smaller matrices (and every vector) stay float32
TENSOR_KEY = "__tensor__"
META_KEY = "__meta__"


def quantize_rows(w: np.ndarray) -> tuple:
    """Symmetric int8 per row: w ~= q * scale[:, None]."""
    scale = np.abs(w).max(axis=1) / 127.0
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    q = np.clip(np.rint(w / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale


def dequantize_rows(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return q.astype(np.float32) * scale[:, None]


def digest(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a, dtype=np.float32).tobytes()).hexdigest()


def _flatten(obj, arrays: dict, int8: bool, path: str = ""):
    """JSON-able copy of obj with each tensor replaced by a reference into `arrays`."""
    if torch.is_tensor(obj):
        a = obj.detach().cpu().float().numpy()
        key = f"t{len(arrays)}"  # unique: each tensor adds at least one entry
        if int8 and a.ndim == 2 and a.size >= INT8_MIN_ELEMENTS:
            q, scale = quantize_rows(a)
            arrays[key + ".q"], arrays[key + ".scale"] = q, scale
            a = dequantize_rows(q, scale)
            kind = "int8_rows"
        else:
            arrays[key + ".f32"] = a
            kind = "f32"
        return {TENSOR_KEY: key, "kind": kind, "dtype": str(obj.dtype).replace("torch.", ""),
                "sha256": digest(a)}
    if isinstance(obj, dict):
        if any(not isinstance(k, str) for k in obj):
            raise TypeError(f"{path or 'file'}: only string keys can be packed")
        return {k: _flatten(v, arrays, int8, f"{path}/{k}") for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_flatten(v, arrays, int8, f"{path}[{i}]") for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"{path or 'file'}: cannot pack a {type(obj).__name__}")


def _restore(obj, arrays):
    if isinstance(obj, dict) and TENSOR_KEY in obj:
        key = obj[TENSOR_KEY]
        if obj["kind"] == "int8_rows":
            a = dequantize_rows(arrays[key + ".q"], arrays[key + ".scale"])
        else:
            a = arrays[key + ".f32"]
        if digest(a) != obj["sha256"]:
            raise ValueError(f"tensor {key}: sha256 differs from the one recorded at pack time")
        return torch.from_numpy(np.array(a)).to(getattr(torch, obj["dtype"]))
    if isinstance(obj, dict):
        return {k: _restore(v, arrays) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_restore(v, arrays) for v in obj]
    return obj


def pack(src: str, dst: str, int8: bool = False) -> dict:
    obj = load_checked(src, (), "run file")
    obj = {k: v for k, v in obj.items() if k not in ("optimizer", "rng")}  # training state stays behind
    arrays: dict = {}
    meta = _flatten(obj, arrays, int8)
    arrays[META_KEY] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    tmp = dst + ".tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, dst)
    return meta


def unpack(src: str, dst: str, rebase: dict | None = None) -> dict:
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files}
    if META_KEY not in arrays:
        raise ValueError(f"{src} is not a packed run file (no metadata)")
    obj = _restore(json.loads(arrays[META_KEY].tobytes().decode()), arrays)
    if rebase and isinstance(obj, dict) and obj.get("base_sha256"):
        recorded = obj["base_sha256"]
        if recorded not in rebase:
            raise ValueError(f"{src} was trained on base {recorded[:12]}, not on any base given to --rebase")
        obj["base_sha256"] = sha256_file(rebase[recorded])
    atomic_save(obj, dst)
    return obj


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("src"); p.add_argument("dst"); p.add_argument("--int8", action="store_true")
    u = sub.add_parser("unpack")
    u.add_argument("src"); u.add_argument("dst")
    u.add_argument("--rebase", action="append", default=[], help="SHA256=LOCAL_BASE.pt")
    args = ap.parse_args(argv)
    if args.cmd == "pack":
        pack(args.src, args.dst, args.int8)
        print(f"packed {args.src} -> {args.dst} ({os.path.getsize(args.dst) / 2**20:.1f} MiB)")
    else:
        rebase = dict(r.split("=", 1) for r in args.rebase)
        unpack(args.src, args.dst, rebase)
        print(f"unpacked {args.src} -> {args.dst}")


if __name__ == "__main__":
    main()
