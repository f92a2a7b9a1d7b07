import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")


def test_packaged_model_manifest_lists_every_file_with_its_hash(tmp_path):
    export, out = str(tmp_path / "export"), str(tmp_path / "models")
    metrics = str(tmp_path / "eval.json")
    row = {"set": "s", "metric": "m", "n": 2, "baseline": {"value": 1.0}, "model": {"value": 2.0}}
    json.dump([{**row, "modelScores": [1, 3], "baselineScores": [1, 1]}], open(metrics, "w"))
    subprocess.run([sys.executable, os.path.join(ROOT, "training", "export.py"), "--random-config",
                    os.path.join(ROOT, "training", "configs", "tiny.json"), "--random-adapters", "--random-generator",
                    "--out", export],
                   check=True, capture_output=True)
    subprocess.run([sys.executable, os.path.join(ROOT, "training", "package_model.py"), "--export", export, "--out", out,
                    "--tokenizer", os.path.join(ROOT, "models", "tokenizer.json"), "--task-adapter", "lora",
                    "--ner-adapter", "ner", "--summarize-adapter", "lora", "--name", "tiny-test",
                    "--refine-strategy", "edits", "--metrics", metrics], check=True, capture_output=True)
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    assert manifest["labelSet"] == "ttc-v1" and len(manifest["labels"]) == 20
    assert manifest["adapters"] == {"task": {"path": "adapters/lora.json"}, "ner": {"path": "adapters/ner.json"},
                                   "summarize": {"path": "adapters/lora.json"}}
    assert manifest["tasks"] == {"refine": {"strategy": "edits"}}
    assert manifest["metrics"] == [row]  # per-item scores stay in the evaluation JSON
    assert manifest["onnx"]["storage"] == "int8 MatMul weights, float16 other weights"
    assert manifest["generator"] == {"contribution": "generator-contribution.onnx", "adapter": "generator-adapter.onnx",
                                     "config": "generator.json"}
    listed = {f["path"] for f in manifest["files"]}
    assert set(manifest["generator"].values()) <= listed
    assert {"encoder.onnx", "decoder.onnx", "tokenizer.json", "onnx-contract.json", "adapters/lora.bin"} <= listed
    for f in manifest["files"]:
        data = open(os.path.join(out, f["path"]), "rb").read()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"]
    tokenizer = json.load(open(os.path.join(out, "tokenizer.json")))
    assert manifest["tokenizer"]["sha256"] == tokenizer["sha256"]
    # int8 weights and float16 storage shrink the graphs
    assert os.path.getsize(os.path.join(out, "decoder.onnx")) < 0.6 * os.path.getsize(os.path.join(export, "decoder.onnx"))


def test_int8_matmuls_replace_every_constant_weight_matmul_and_stay_close(tmp_path):
    import numpy as np
    import onnx
    sys.path.insert(0, os.path.join(ROOT, "training"))
    from onnx_compact import int8_matmuls, quantize_columns
    w = np.random.default_rng(0).normal(size=(256, 64)).astype(np.float32)
    q, scale = quantize_columns(w)
    assert q.dtype == np.int8 and scale.shape == (64,)
    assert np.abs(q * scale - w).max() <= scale.max() / 2 + 1e-6
    export = str(tmp_path / "export")
    subprocess.run([sys.executable, os.path.join(ROOT, "training", "export.py"), "--random-config",
                    os.path.join(ROOT, "training", "configs", "tiny.json"), "--out", export],
                   check=True, capture_output=True)
    model = int8_matmuls(onnx.load(os.path.join(export, "decoder.onnx")))
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("MatMulInteger") > 0 and ops.count("MatMulInteger") == ops.count("DynamicQuantizeLinear")
    inits = {i.name for i in model.graph.initializer}
    assert not any(n.op_type == "MatMul" and n.input[1] in inits for n in model.graph.node), "a float weight MatMul is left"
