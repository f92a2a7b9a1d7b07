"""scripts/train-model end to end on the tiny test config: base, both arms of the NER ablation
(per-task LoRAs without and on the frozen NER adapters), export and packaging."""
import json
import os
import shutil
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def train_model(tmp_path, corpus, test_config, *extra):
    pipe = tmp_path / "pipeline"
    pipe.mkdir(exist_ok=True)
    shutil.copy(os.path.join(ROOT, "models", "tokenizer.json"), pipe / "tokenizer.json")
    stages = "pretrain,task-summarize,task-refine,ttc,task-summarize-ner,task-refine-ner,export"
    cmd = [os.path.join(ROOT, "scripts", "train-model"), "--config", test_config, "--stages", stages,
           "--threads", "1", "--pretrain-steps", "0", "--task-steps", "0", "--ttc-steps", "0",  # the config's own
           "--data", corpus, "--pretrain-data", corpus, "--runs", str(tmp_path / "runs"),
           "--pipeline", str(pipe), "--out", str(tmp_path / "models"), *extra]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PYTHON": "/usr/bin/python3"})


def test_one_command_trains_both_ablation_arms_and_ships_the_chosen_one(corpus, test_config, tmp_path):
    done = train_model(tmp_path, corpus, test_config, "--ship", "ner")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    name = os.path.basename(test_config)[:-5]
    for run in ("base", "task-summarize", "task-refine", "ner", "task-summarize-ner", "task-refine-ner"):
        assert os.listdir(tmp_path / "runs" / f"{name}-{run}"), run
    adapters = os.listdir(tmp_path / "pipeline" / f"export-{name}" / "adapters")
    assert {"summarize.json", "refine.json", "summarize-ner.json", "refine-ner.json", "ner.json"} <= set(adapters)
    manifest = json.load(open(tmp_path / "models" / "manifest.json"))
    assert manifest["adapters"]["summarize"] == {"path": "adapters/summarize-ner.json", "ner": "adapters/ner.json"}
    assert manifest["adapters"]["refine"] == {"path": "adapters/refine-ner.json", "ner": "adapters/ner.json"}
    assert manifest["adapters"]["ner"] == {"path": "adapters/ner.json"}
    assert {r["run"] for r in manifest["runs"]} >= {f"{name}-task-summarize-ner", f"{name}-task-refine-ner"}
    # Run again: every stage is already finished, nothing retrains.
    again = train_model(tmp_path, corpus, test_config, "--ship", "plain", "--no-ner")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "already finished" in again.stdout and "-> " not in again.stdout.replace("installed into", "")
    manifest = json.load(open(tmp_path / "models" / "manifest.json"))
    assert manifest["adapters"] == {"summarize": {"path": "adapters/summarize.json"}, "refine": {"path": "adapters/refine.json"}}
