import json
import os
import shutil

import pytest
import torch

from train import CheckpointError, NonFiniteLoss, main, sha256_file


def run(cfg, corpus, run_dir, mode="pretrain", *extra):
    return main(["--config", cfg, "--mode", mode, "--data", corpus, "--run", str(run_dir), "--threads", "1", *extra])


def losses(run_dir):
    with open(os.path.join(run_dir, "log.jsonl")) as f:
        return [e["loss"] for e in map(json.loads, f) if "loss" in e]


def test_pretrain_learns_and_writes_files(base_run):
    ls = losses(base_run)
    assert ls[-1] < ls[0] - 0.5, ls
    for name in ("ckpt.pt", "base.pt", "log.jsonl"):
        assert os.path.exists(os.path.join(base_run, name))
    base = torch.load(os.path.join(base_run, "base.pt"))
    assert base["meta"]["final"] and base["meta"]["step"] == 16
    assert not any(".lora_" in k or ".ner_" in k for k in base["model"])


def test_resume_equals_uninterrupted(corpus, test_config, base_run, tmp_path):
    run(test_config, corpus, tmp_path / "a", "pretrain", "--stop-at-step", "8")
    run(test_config, corpus, tmp_path / "a", "pretrain", "--resume")
    a = torch.load(tmp_path / "a" / "base.pt")["model"]
    b = torch.load(os.path.join(base_run, "base.pt"))["model"]
    assert all(torch.equal(a[k], b[k]) for k in b), "resumed run diverged from the uninterrupted one"


def test_adapter_modes_never_rewrite_the_base(corpus, test_config, base_run, tmp_path):
    base = os.path.join(base_run, "base.pt")
    before = sha256_file(base)
    res = run(test_config, corpus, tmp_path / "ner", "ttc", "--base", base)
    ls = losses(tmp_path / "ner")
    assert ls[-1] < ls[0] - 0.2, ls
    ner = torch.load(tmp_path / "ner" / "ner.pt")
    assert ner["kind"] == "ner" and ner["base_sha256"] == before
    assert ner["state_dict"] and all(".ner_" in k or k.startswith("ttc_head") for k in ner["state_dict"])
    run(test_config, corpus, tmp_path / "task", "task", "--base", base, "--ner", str(tmp_path / "ner" / "ner.pt"))
    lora = torch.load(tmp_path / "task" / "lora.pt")
    assert lora["state_dict"] and all(".lora_" in k for k in lora["state_dict"])
    assert lora["ner_sha256"] == sha256_file(str(tmp_path / "ner" / "ner.pt"))
    assert sha256_file(base) == before
    ls = losses(tmp_path / "task")
    assert ls[-1] < ls[0]


def test_corrupt_checkpoint_and_base_are_clear_errors(corpus, test_config, base_run, tmp_path):
    shutil.copytree(base_run, tmp_path / "r")
    ck = tmp_path / "r" / "ckpt.pt"
    data = ck.read_bytes()
    ck.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        run(test_config, corpus, tmp_path / "r", "pretrain", "--resume")
    with pytest.raises(CheckpointError, match="exists: pass --resume"):
        run(test_config, corpus, tmp_path / "r", "pretrain")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="corrupt"):
        run(test_config, corpus, tmp_path / "t", "ttc", "--base", str(bad))


def test_nan_loss_stops_with_step_and_batch(corpus, test_config, base_run, tmp_path):
    obj = torch.load(os.path.join(base_run, "base.pt"))
    obj["model"]["enc_norm.weight"][:] = float("nan")
    torch.save(obj, tmp_path / "nan.pt")
    with pytest.raises(NonFiniteLoss, match=r"step 0 \(batch: task=ttc epoch=0 index=0"):
        run(test_config, corpus, tmp_path / "t", "ttc", "--base", str(tmp_path / "nan.pt"))


def test_ddp_two_processes_on_gloo(corpus, test_config, tmp_path):
    """The torchrun path (WORLD_SIZE/RANK set) with two CPU processes; Debian's torchrun itself
    fails on Python 3.11, so the processes are started the way torchrun would start them."""
    import socket
    import subprocess
    import sys
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = os.path.join(os.path.dirname(__file__), "..", "train.py")
    procs = []
    for rank in (0, 1):
        env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE="2",
                   RANK=str(rank), LOCAL_RANK=str(rank), OMP_NUM_THREADS="1",
                   CODEADAPT_RUNTIME_TUNE="0")  # no re-exec: one torch import per process
        procs.append(subprocess.Popen([sys.executable, script, "--config", test_config, "--mode", "pretrain",
                                       "--data", corpus, "--run", str(tmp_path / "ddp"), "--threads", "1",
                                       "--max-steps", "4"], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True))
    outs = [p.communicate(timeout=240)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert "world=2" in outs[0] and "step=4" in outs[0]
    assert torch.load(tmp_path / "ddp" / "base.pt")["meta"]["step"] == 4


def test_wall_clock_budget_stops_cleanly_and_resumes(corpus, test_config, tmp_path):
    res = run(test_config, corpus, tmp_path / "b", "pretrain", "--max-minutes", "0.0001")
    assert res["step"] == 1
    base = torch.load(tmp_path / "b" / "base.pt")
    assert base["meta"]["final"] is False and base["meta"]["step"] == 1
    with open(tmp_path / "b" / "log.jsonl") as f:
        assert any(e.get("event") == "stop" and "max-minutes" in e["reason"] for e in map(json.loads, f))
    res = run(test_config, corpus, tmp_path / "b", "pretrain", "--resume")
    assert res["step"] == 16 and torch.load(tmp_path / "b" / "base.pt")["meta"]["final"] is True


def test_init_from_warm_starts_a_rotary_config_from_a_learned_base(corpus, test_config, base_run, tmp_path):
    with open(test_config) as f:
        cfg = json.load(f)
    cfg["model"]["positions"] = "rotary"
    rotary_config = tmp_path / "rotary.json"
    rotary_config.write_text(json.dumps(cfg))
    base = os.path.join(base_run, "base.pt")
    run(str(rotary_config), corpus, tmp_path / "r", "pretrain", "--init-from", base, "--stop-at-step", "1")
    with open(tmp_path / "r" / "log.jsonl") as f:
        init = next(e for e in map(json.loads, f) if e.get("event") == "init_from")
    assert init["dropped"] == "dec_pos.weight,enc_pos.weight" and init["fresh"] == "-"
    learned = torch.load(base)["model"]
    # one step at the warmup's small learning rate leaves the copied weights close to the base's
    warm = torch.load(tmp_path / "r" / "ckpt.pt")["trainable"]
    assert (warm["embed.weight"] - learned["embed.weight"]).abs().max() < 0.05
    with pytest.raises(SystemExit):
        run(test_config, corpus, tmp_path / "t", "task", "--base", base, "--init-from", base)


def test_tasks_selects_the_pairs_one_adapter_trains_on(corpus, test_config, base_run, tmp_path):
    base = os.path.join(base_run, "base.pt")
    run(test_config, corpus, tmp_path / "s", "task", "--base", base, "--tasks", "summarize", "--stop-at-step", "1")
    with open(tmp_path / "s" / "log.jsonl") as f:
        start = next(e for e in map(json.loads, f) if e.get("event") == "start")
    assert list(json.loads(start["data"])) == ["Seq2SeqData:summarize"]
    with pytest.raises(ValueError, match="tasks must be"):
        run(test_config, corpus, tmp_path / "x", "task", "--base", base, "--tasks", "translate")


def test_time_boxed_schedule_decays_by_the_clock_or_the_steps():
    from train import TRAIN_DEFAULTS, lr_at
    t = {**TRAIN_DEFAULTS, "lr": 1.0, "warmup": 10, "max_steps": 1000, "min_lr_ratio": 0.1}
    assert lr_at(5, t, time_frac=0.9) == lr_at(5, t)  # warmup goes by steps
    assert lr_at(20, t, time_frac=1.0) == pytest.approx(0.1)  # the clock ran out first
    assert lr_at(20, t, time_frac=0.5) == pytest.approx(0.55)
    assert lr_at(1000, t, time_frac=0.0) == pytest.approx(0.1)  # the steps ran out first
