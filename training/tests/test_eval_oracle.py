import eval_oracle
from test_train_generator import tiny_setup


def test_targets_and_context_come_from_different_files(tmp_path):
    data_dir, _, _ = tiny_setup(tmp_path, {})
    import numpy as np
    data = eval_oracle.UnitPairs(data_dir, "valid")
    for unit in data.files:
        targets, context = data.split_unit(unit, np.random.default_rng(0), 3, 64)
        file_of = {i: p for p, rows in data.files[unit].items() for i in rows}
        assert targets and context
        assert not {file_of[i] for i in targets} & {file_of[i] for i in context}


def test_oracle_and_control_arms_pair_with_none(tmp_path):
    data, base, _ = tiny_setup(tmp_path, {})
    args = ["--data", data, "--base", base, "--split", "valid", "--targets", "3", "--min-context", "2",
            "--rank", "2", "--batch", "2"]
    # No training step leaves B at zero: both deltas change nothing, to the last bit.
    still = eval_oracle.main(args + ["--steps", "0"])
    assert still["arms"]["oracle"]["loss_vs_none"] == [0.0, 0.0, 0.0]
    assert still["arms"]["control"]["ids"] == still["arms"]["none"]["ids"]
    out = eval_oracle.main(args + ["--steps", "3", "--lr", "1e-2", "--code-arm"])
    assert [u["control_from"] for u in out["units"]] == [out["units"][1]["unit"], out["units"][0]["unit"]]
    assert len(out["references"]) == len(out["arms"]["none"]["ids"]) == 6
    for arm in ("oracle", "control", "code"):
        assert out["arms"][arm]["loss_vs_none"] != [0.0, 0.0, 0.0], arm


def test_generator_arms_read_the_same_context_and_a_zero_generator_changes_nothing(tmp_path):
    import os
    import torch
    import train_generator
    data, base, config = tiny_setup(tmp_path, {"max_steps": 2, "targets": 2, "context": "summaries",
                                               "context_chunks": 4, "context_len": 16, "r1": 4, "r2": 2})
    run = os.path.join(tmp_path, "gen")
    train_generator.main(["--config", config, "--data", data, "--base", base, "--run", run])
    zero = torch.load(os.path.join(run, "generator.pt"))
    zero["generator"]["B"].zero_()
    torch.save(zero, os.path.join(tmp_path, "zero.pt"))
    args = ["--data", data, "--base", base, "--split", "valid", "--targets", "3", "--min-context", "2",
            "--rank", "2", "--batch", "2", "--steps", "1"]
    out = eval_oracle.main(args + ["--generator", os.path.join(tmp_path, "zero.pt")])
    assert out["arms"]["generated"]["loss_vs_none"] == [0.0, 0.0, 0.0]
    assert out["arms"]["generated-control"]["ids"] == out["arms"]["none"]["ids"]
    out = eval_oracle.main(args + ["--generator", os.path.join(run, "generator.pt")])
    assert out["arms"]["generated"]["loss_vs_none"] != [0.0, 0.0, 0.0]
