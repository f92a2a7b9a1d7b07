"""Recover torch run files from a packaged model folder (models/): the base as base.pt and a LoRA
adapter as lora.pt, read back from the ONNX graphs and the adapter files the runtime loads.

Why: the shipped model's torch checkpoints live in an ignored folder and are lost with the machine
they trained on, while later work (a workspace generator, more adapter training) needs the exact
weights the editor runs. These are those weights: int8 MatMul weights times their column scales,
float16 tensors widened. No ONNX-to-torch converter does this for our own graph layout, so the
name mapping is written here, and checked by a round trip (tests/test_import_onnx.py).

  /usr/bin/python3 training/import_onnx.py --model models --out training/runs/shipped \\
      [--adapter summarize] [--adapter refine]
  -> OUT/base.pt, OUT/summarize/lora.pt, ...

Two things differ from the run that exported the model: the base's output layer is the tied
embedding (float16, more exact than the graph's int8 copy of it), and a LoRA comes back with
alpha = rank, its scale folded into B as the runtime receives it.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Dict, List, Tuple

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import ModelConfig, Seq2Seq, base_state_dict  # noqa: E402
from train import atomic_save  # noqa: E402

SUFFIXES = ("__fp16",)


def graph_tensors(graph) -> Dict[str, np.ndarray]:
    """Every initializer as float32 (float16 storage widened), by its name without storage suffixes."""
    from onnx import numpy_helper
    out = {}
    for init in graph.initializer:
        name = init.name
        for s in SUFFIXES:
            name = name.replace(s, "")
        array = numpy_helper.to_array(init)
        out[name] = array if array.dtype in (np.int8, np.uint8, np.int64) else array.astype(np.float32)
    return out


def readers(graph) -> List[Tuple[str, str]]:
    """(initializer name without suffixes, name of a node that reads it) for every read, looking
    through the Cast nodes that float16 storage puts in front of the weights and the Identity nodes
    by which the exporter shares one initializer among equal tensors (norms still at their initial
    ones), so one initializer can have many readers."""
    cast_of = {n.output[0]: n.input[0] for n in graph.node if n.op_type in ("Cast", "Identity")}
    found = []
    for node in graph.node:
        for name in node.input:
            source = cast_of.get(name, name)
            for s in SUFFIXES:
                source = source.replace(s, "")
            found.append((source, node.name))
    return found


def module_of(onnx_scope: str) -> str:
    """'/enc_blocks.0/attn/q/' -> 'enc_blocks.0.attn.q'; the cross-attention keys and values the
    encoder graph computes for each decoder block are scoped '/k_i/', '/v_i/' (block i, '' for 0)."""
    m = re.fullmatch(r"/([kv])(?:_(\d+))?/", onnx_scope)
    if m:
        return f"dec_blocks.{int(m.group(2) or 0)}.cross_attn.{m.group(1)}"
    return onnx_scope.strip("/").replace("/", ".")


def matmul_weights(tensors: Dict[str, np.ndarray]) -> Dict[str, torch.Tensor]:
    """int8 MatMul weights W_s8 [d_in, d_out] with column scales -> torch Linear weights [d_out, d_in]."""
    out = {}
    for name, q in tensors.items():
        if not name.endswith("MatMul__w_s8"):
            continue
        scope = name[: -len("MatMul__w_s8")]
        if scope == "/":  # the decoder's output layer: a copy of the tied embedding
            continue
        zp = tensors.get(scope + "MatMul__w_zp")
        if zp is not None and np.any(zp != 0):
            raise ValueError(f"{scope}: int8 weights with a non-zero zero point are not ours")
        w = q.astype(np.float32) * tensors[scope + "MatMul__w_scale"][None, :]
        out[module_of(scope) + ".weight"] = torch.from_numpy(np.ascontiguousarray(w.T))
    return out


def norm_weights(graph, tensors: Dict[str, np.ndarray]) -> Dict[str, torch.Tensor]:
    """RMSNorm weights are anonymous ('onnx::Mul_1410'); the Mul that reads one is named after its module."""
    out = {}
    for name, reader in readers(graph):
        m = re.fullmatch(r"/((?:enc|dec)_blocks\.\d+/norm\d|enc_norm|dec_norm)/Mul_1", reader)
        if m and name in tensors and tensors[name].ndim == 1:
            out[m.group(1).replace("/", ".") + ".weight"] = torch.from_numpy(tensors[name].copy())
    return out


def import_base(model_dir: str) -> dict:
    manifest = json.load(open(os.path.join(model_dir, "manifest.json")))
    if not manifest.get("config"):
        raise ValueError(f"{model_dir}/manifest.json records no model config")
    cfg = ModelConfig.from_dict(manifest["config"]["model"])
    import onnx
    state: Dict[str, torch.Tensor] = {}
    for name in ("encoder.onnx", "decoder.onnx"):
        graph = onnx.load(os.path.join(model_dir, name)).graph  # read once, for its tensors and its nodes
        tensors = graph_tensors(graph)
        if "model.embed.weight" in tensors and "embed.weight" not in state:
            state["embed.weight"] = torch.from_numpy(tensors["model.embed.weight"].copy())
        for name, array in tensors.items():  # learned position tables, when the config has them
            if name.startswith("model.") and name.endswith("_pos.weight"):
                state[name[len("model."):]] = torch.from_numpy(array.copy())
        state.update(matmul_weights(tensors))
        state.update(norm_weights(graph, tensors))
    model = Seq2Seq(cfg)
    expected = base_state_dict(model)
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        raise ValueError(f"{model_dir}: tensors missing {missing[:6]}, unexpected {extra[:6]}")
    for k, v in state.items():
        if tuple(v.shape) != tuple(expected[k].shape):
            raise ValueError(f"{k}: shape {tuple(v.shape)} in the graph, {tuple(expected[k].shape)} in the config")
    return {"config": manifest["config"], "model": state,
            "meta": {"final": True, "imported_from": os.path.abspath(model_dir), "model_name": manifest.get("name"),
                     "model_version": manifest.get("version")}}


def import_lora(model_dir: str, name: str) -> dict:
    """adapters/NAME.json/.bin (delta_A [n, r, d], delta_B [n, d, r], scale folded in) -> lora.pt."""
    meta = json.load(open(os.path.join(model_dir, "adapters", name + ".json")))
    if meta.get("kind") != "lora":
        raise ValueError(f"adapter {name} is {meta.get('kind')!r}, not a LoRA")
    raw = np.fromfile(os.path.join(model_dir, "adapters", name + ".bin"), dtype="<f4")
    def tensor(key):
        t = meta["tensors"][key]
        count = int(np.prod(t["shape"]))
        start = t["offset"] // 4
        if start + count > raw.size:
            raise ValueError(f"adapters/{name}.bin is shorter than its {key} ({raw.size} floats)")
        return raw[start:start + count].reshape(t["shape"])
    A, B = tensor("delta_A"), tensor("delta_B")
    rank = A.shape[1]
    targets = sorted({".".join(s.split(".")[-2:]).replace("self_attn", "attn").replace("cross_attn", "attn")
                      for s in meta["slots"]})
    state = {}
    for i, slot in enumerate(meta["slots"]):
        state[slot + ".lora_A"] = torch.from_numpy(A[i].copy())
        state[slot + ".lora_B"] = torch.from_numpy(B[i].copy())
    return {"adapter_config": {"lora": {"rank": rank, "alpha": float(rank), "targets": targets}}, "state_dict": state,
            "meta": {"final": True, "imported_from": os.path.abspath(model_dir), "adapter": name}}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="models")
    ap.add_argument("--out", required=True)
    ap.add_argument("--adapter", action="append", default=[], help="a LoRA under MODEL/adapters to import")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    atomic_save(import_base(args.model), os.path.join(args.out, "base.pt"))
    print(f"wrote {args.out}/base.pt")
    for name in args.adapter:
        os.makedirs(os.path.join(args.out, name), exist_ok=True)
        atomic_save(import_lora(args.model, name), os.path.join(args.out, name, "lora.pt"))
        print(f"wrote {args.out}/{name}/lora.pt")


if __name__ == "__main__":
    main()
