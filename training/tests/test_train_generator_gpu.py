"""scripts/train-generator-gpu on CPU with a tiny packaged model: the bundle (import from the model
folder, portable base and LoRA, shards), two variants side by side, and the import back here."""
import json
import os
import subprocess
import sys

import torch

from test_train_generator import unit_corpus

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TINY = os.path.join(ROOT, "training", "configs", "tiny.json")


def script(args, env):
    return subprocess.run([os.path.join(ROOT, "scripts", "train-generator-gpu"), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYTHON": "/usr/bin/python3",
                                                       "CUDA_VISIBLE_DEVICES": "", **env})


def test_bundle_run_and_import_on_a_tiny_model(tmp_path):
    export, models, data = str(tmp_path / "export"), str(tmp_path / "models"), unit_corpus(str(tmp_path / "data"))
    subprocess.run([sys.executable, os.path.join(ROOT, "training", "export.py"), "--random-config", TINY,
                    "--random-adapters", "--out", export], check=True, capture_output=True)
    subprocess.run([sys.executable, os.path.join(ROOT, "training", "package_model.py"), "--export", export, "--out", models,
                    "--tokenizer", os.path.join(ROOT, "models", "tokenizer.json"), "--config", TINY,
                    "--summarize-adapter", "lora", "--name", "tiny"], check=True, capture_output=True)
    os.rename(os.path.join(models, "adapters", "lora.json"), os.path.join(models, "adapters", "summarize.json"))
    os.rename(os.path.join(models, "adapters", "lora.bin"), os.path.join(models, "adapters", "summarize.bin"))
    bundle, out, runs = str(tmp_path / "bundle"), str(tmp_path / "out"), str(tmp_path / "runs")
    made = script(["--bundle", bundle, "--model", models, "--config", TINY, "--data", data], {})
    assert made.returncode == 0, made.stdout + made.stderr
    assert {"base.npz", "summarize.npz", "config.json", "data.tar.xz"} <= set(os.listdir(bundle))
    common = "context=summaries,targets=2,context_chunks=3,context_len=16,units_per_step=2,lr_floor=0.1"
    ran = script(["--run-bundle", bundle, "--minutes", "0.05", "--variant", f"a:r1=4,r2=2,{common}",
                  "--variant", f"b:r1=8,r2=4,{common}", "--eval-args", "--targets 2 --min-context 2 --units 2"],
                 {"OUT": out, "RUNS": runs})
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert {"a.npz", "b.npz", "a.log.jsonl", "b.log.jsonl", "train-generator-gpu.log", "a-valid.json", "b-valid.json"} \
        <= set(os.listdir(out)), ran.stdout
    scored = json.load(open(os.path.join(out, "a-valid.json")))
    assert {"none", "generated", "generated-control"} <= set(scored["arms"]) and len(scored["units"]) == 2
    back = script(["--import", out], {"RUNS": str(tmp_path / "here")})
    assert back.returncode == 0, back.stdout + back.stderr
    for name, r1 in (("a", 4), ("b", 8)):
        gen = torch.load(str(tmp_path / "here" / f"gpu-gen-{name}" / "generator.pt"), map_location="cpu")
        assert gen["kind"] == "generative" and gen["cfg"]["r1"] == r1 and gen["meta"]["final"]
        assert gen["cfg"]["context"] == "summaries" and gen["generator"]["A1"].shape[1] == r1
