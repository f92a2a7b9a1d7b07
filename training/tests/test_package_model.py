import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")


def test_packaged_model_manifest_lists_every_file_with_its_hash(tmp_path):
    export, out = str(tmp_path / "export"), str(tmp_path / "models")
    subprocess.run([sys.executable, os.path.join(ROOT, "training", "export.py"), "--random-config",
                    os.path.join(ROOT, "training", "configs", "tiny.json"), "--random-adapters", "--out", export],
                   check=True, capture_output=True)
    subprocess.run([sys.executable, os.path.join(ROOT, "training", "package_model.py"), "--export", export, "--out", out,
                    "--tokenizer", os.path.join(ROOT, "models", "tokenizer.json"), "--task-adapter", "lora",
                    "--ner-adapter", "ner", "--name", "tiny-test"], check=True, capture_output=True)
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    assert manifest["labelSet"] == "ttc-v1" and len(manifest["labels"]) == 20
    assert manifest["adapters"] == {"task": {"path": "adapters/lora.json"}, "ner": {"path": "adapters/ner.json"}}
    assert manifest["onnx"]["storage"] == "float16"
    listed = {f["path"] for f in manifest["files"]}
    assert {"encoder.onnx", "decoder.onnx", "tokenizer.json", "onnx-contract.json", "adapters/lora.bin"} <= listed
    for f in manifest["files"]:
        data = open(os.path.join(out, f["path"]), "rb").read()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"]
    tokenizer = json.load(open(os.path.join(out, "tokenizer.json")))
    assert manifest["tokenizer"]["sha256"] == tokenizer["sha256"]
    # float16 storage halves the graphs
    assert os.path.getsize(os.path.join(out, "decoder.onnx")) < 0.6 * os.path.getsize(os.path.join(export, "decoder.onnx"))
