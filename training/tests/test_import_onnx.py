import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "training"))
from import_onnx import import_base, import_lora  # noqa: E402
from train import apply_task_lora, atomic_save, load_base  # noqa: E402


@pytest.fixture(scope="module")
def packaged(tmp_path_factory):
    """A random tiny model with random adapters, exported and packaged as models/ ships (int8)."""
    tmp = tmp_path_factory.mktemp("import")
    export, out = str(tmp / "export"), str(tmp / "models")
    config = os.path.join(ROOT, "training", "configs", "tiny.json")
    subprocess.run([sys.executable, os.path.join(ROOT, "training", "export.py"), "--random-config", config,
                    "--random-adapters", "--out", export], check=True, capture_output=True)
    subprocess.run([sys.executable, os.path.join(ROOT, "training", "package_model.py"), "--export", export, "--out", out,
                    "--tokenizer", os.path.join(ROOT, "models", "tokenizer.json"), "--config", config,
                    "--summarize-adapter", "lora", "--name", "tiny-import"], check=True, capture_output=True)
    return export, out, tmp


def first_logits(model, case) -> np.ndarray:
    with torch.no_grad():
        return model(torch.tensor([case["ids"]]), torch.tensor([[1]]))[0, 0].numpy()


def close(got: np.ndarray, want, what: str) -> None:
    want = np.array(want)
    # int8 weights (and this random model's large ones) move the logits a little; a wrong mapping
    # leaves them uncorrelated. The shipped model's first parity case agrees within 0.04.
    assert np.abs(got[:len(want)] - want).max() < 0.1 * np.abs(want).max(), what
    assert np.corrcoef(got[:len(want)], want)[0, 1] > 0.99, what


def test_imported_base_reproduces_the_exported_models_logits(packaged, tmp_path):
    export, out, _ = packaged
    path = str(tmp_path / "base.pt")
    atomic_save(import_base(out), path)
    model, obj = load_base(path)
    assert obj["meta"]["final"]
    for case in json.load(open(os.path.join(export, "parity.json")))["cases"]:
        close(first_logits(model.eval(), case), case["first_logits"], f"base, ids {case['ids'][:4]}")


def test_imported_lora_is_the_exported_lora(packaged, tmp_path):
    export, out, _ = packaged
    original = torch.load(os.path.join(export, "lora.pt"), map_location="cpu")
    scale = original["adapter_config"]["lora"]["alpha"] / original["adapter_config"]["lora"]["rank"]
    imported = import_lora(out, "lora")
    lc = imported["adapter_config"]["lora"]
    assert lc["alpha"] == lc["rank"] and lc["targets"] == ["attn.k", "attn.o", "attn.q", "attn.v"]
    sd, orig = imported["state_dict"], original["state_dict"]
    slots = sorted(k[:-len(".lora_A")] for k in orig if k.endswith(".lora_A"))
    assert slots == sorted(k[:-len(".lora_A")] for k in sd if k.endswith(".lora_A"))
    for slot in slots:
        want = scale * orig[slot + ".lora_B"] @ orig[slot + ".lora_A"]
        assert torch.allclose(sd[slot + ".lora_B"] @ sd[slot + ".lora_A"], want, atol=1e-5), slot
    # and it loads onto the imported base
    atomic_save(import_base(out), str(tmp_path / "base.pt"))
    atomic_save(imported, str(tmp_path / "lora.pt"))
    model, _ = load_base(str(tmp_path / "base.pt"))
    apply_task_lora(model, str(tmp_path / "lora.pt"))


def test_a_model_folder_without_a_config_or_with_a_short_adapter_is_refused(packaged, tmp_path):
    _, out, tmp = packaged
    broken = tmp_path / "models"
    subprocess.run(["cp", "-r", out, str(broken)], check=True)
    manifest = json.load(open(broken / "manifest.json"))
    json.dump({**manifest, "config": None}, open(broken / "manifest.json", "w"))
    with pytest.raises(ValueError, match="no model config"):
        import_base(str(broken))
    with open(broken / "adapters" / "lora.bin", "r+b") as f:
        f.truncate(100)
    with pytest.raises(ValueError, match="shorter"):
        import_lora(str(broken), "lora")
