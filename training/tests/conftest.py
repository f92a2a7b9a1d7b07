import json
import os
import sys

import pytest

try:
    import torch
except ImportError:  # e.g. a pyenv python3 first on PATH
    pytest.exit("training tests need Debian's PyTorch 1.13: run `/usr/bin/python3 -m pytest training/tests -q`",
                returncode=4)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

torch.set_num_threads(1)  # the machine is shared; tests stay small


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    from synthetic import make_corpus
    return make_corpus(str(tmp_path_factory.mktemp("encoded")), n=120, max_len=90)


@pytest.fixture(scope="session")
def test_config(tmp_path_factory):
    """The tiny config with shorter data lengths so each step costs milliseconds."""
    with open(os.path.join(HERE, "..", "configs", "tiny.json")) as f:
        cfg = json.load(f)
    cfg["data"].update({"max_src": 64, "max_tgt": 32, "max_tgt_summarize": 16, "batch_tokens": 512})
    cfg["train"].update({"max_steps": 16, "log_every": 4, "warmup": 4, "eval_every": 8, "eval_batches": 2})
    cfg["ttc"] = {"train": {"lr": 2e-2, "max_steps": 40}}
    path = str(tmp_path_factory.mktemp("cfg") / "test.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    return path


@pytest.fixture(scope="session")
def base_run(corpus, test_config, tmp_path_factory):
    from train import main
    run = str(tmp_path_factory.mktemp("runs") / "base")
    main(["--config", test_config, "--mode", "pretrain", "--data", corpus, "--run", run, "--threads", "1"])
    return run
