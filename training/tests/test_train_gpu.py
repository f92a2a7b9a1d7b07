"""scripts/train-gpu on CPU with the tiny test config: the time-boxed pretraining, the int8
rounding, the three adapters side by side, the transfer parts, and their import on this side."""
import json
import os
import subprocess

import numpy as np
import pytest
import torch

from portable import dequantize_rows, pack, quantize_rows, unpack
from train import sha256_file

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run_script(args, env):
    return subprocess.run([os.path.join(ROOT, "scripts", "train-gpu"), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYTHON": "/usr/bin/python3",
                                                       "CUDA_VISIBLE_DEVICES": "", **env})


def test_quantize_rows_round_trips_within_half_a_step():
    w = np.random.default_rng(0).normal(size=(64, 96)).astype(np.float32)
    w[3] = 0.0
    q, scale = quantize_rows(w)
    back = dequantize_rows(q, scale)
    assert q.dtype == np.int8 and np.all(back[3] == 0)
    assert np.all(np.abs(back - w) <= scale[:, None] / 2 + 1e-7)


def test_pack_unpack_keeps_every_tensor_bit_for_bit(base_run, tmp_path):
    src = os.path.join(base_run, "base.pt")
    pack(src, str(tmp_path / "f.npz"))
    out = unpack(str(tmp_path / "f.npz"), str(tmp_path / "f.pt"))
    orig = torch.load(src, map_location="cpu")
    assert out["config"]["model"] == orig["config"]["model"] and out["meta"] == orig["meta"]
    for k, v in orig["model"].items():
        assert torch.equal(out["model"][k], v), k


def test_int8_pack_is_smaller_and_a_damaged_file_is_refused(base_run, tmp_path):
    src = os.path.join(base_run, "base.pt")
    pack(src, str(tmp_path / "f.npz"))
    pack(src, str(tmp_path / "q.npz"), int8=True)
    assert os.path.getsize(tmp_path / "q.npz") < 0.5 * os.path.getsize(tmp_path / "f.npz")
    with np.load(tmp_path / "q.npz") as z:
        arrays = {k: z[k] for k in z.files}
    key = next(k for k in arrays if k.endswith(".q"))
    arrays[key] = arrays[key].copy()
    arrays[key].flat[0] ^= 1
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match="sha256"):
        unpack(str(tmp_path / "bad.npz"), str(tmp_path / "bad.pt"))


def test_gpu_script_trains_packs_and_imports_on_cpu(corpus, test_config, tmp_path):
    """Schedules long enough that the minutes, not the steps, end every stage."""
    with open(test_config) as f:
        cfg = json.load(f)
    cfg["train"]["max_steps"] = 100000
    for mode in ("task", "ttc"):
        cfg.get(mode, {}).get("train", {}).pop("max_steps", None)
    test_config = str(tmp_path / "timeboxed.json")
    with open(test_config, "w") as f:
        json.dump(cfg, f)
    name = "timeboxed"
    out, gpu_runs, here_runs = tmp_path / "out", tmp_path / "gpu-runs", tmp_path / "runs"
    done = run_script(["--config", test_config, "--data", corpus, "--pretrain-minutes", "0.1",
                       "--task-minutes", "0.05"], {"OUT": str(out), "RUNS": str(gpu_runs)})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    parts = sorted(os.listdir(out))
    assert {"base.tar.part-00", "adapters.tar.part-00", "train-gpu.log"} <= set(parts)
    base_log = [json.loads(line) for line in open(gpu_runs / f"{name}-base" / "log.jsonl")]
    assert any(e.get("reason", "").startswith("--schedule-minutes") for e in base_log)

    got = run_script(["--config", test_config, "--import", str(out)], {"RUNS": str(here_runs)})
    assert got.returncode == 0, got.stdout[-3000:] + got.stderr[-3000:]
    base = here_runs / f"{name}-base" / "base.pt"
    rounded = torch.load(gpu_runs / f"{name}-base" / "base-int8.pt", map_location="cpu")["model"]
    imported = torch.load(base, map_location="cpu")
    assert imported["meta"]["final"]
    for k, v in rounded.items():
        assert torch.equal(imported["model"][k], v), k
    for run, kind in (("task-summarize", "lora"), ("task-refine", "lora"), ("ner", "ner")):
        adapter = torch.load(here_runs / f"{name}-{run}" / f"{kind}.pt", map_location="cpu")
        assert adapter["base_sha256"] == sha256_file(str(base)), run
        assert adapter["meta"]["final"], run
