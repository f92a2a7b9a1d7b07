import json
import os

import numpy as np
import torch

from data import write_shard
from model import ModelConfig, Seq2Seq, base_state_dict
import train_generator


def unit_corpus(out: str) -> str:
    """Two splits of a few units, each with raw chunks from several files and summarize pairs."""
    rng = np.random.default_rng(0)
    for split, units in (("train", 4), ("valid", 2)):
        raw, raw_meta, src, tgt, meta = [], [], [], [], []
        for u in range(units):
            unit = f"{split}-pkg{u}"
            vocab = rng.integers(400, 1400, size=20)  # each unit has its own vocabulary
            for f in range(3):
                for k in range(2):
                    raw.append(rng.choice(vocab, size=40).tolist())
                    raw_meta.append({"id": f"{unit}:f{f}.py#{k}", "unit": unit, "lang": "python"})
                for line in range(3):
                    s = rng.choice(vocab, size=15).tolist()
                    src.append([7] + s)
                    tgt.append(s[:4] + [2])
                    meta.append({"id": f"{unit}:f{f}.py:{line}:fn{line}", "unit": unit, "lang": "python"})
        write_shard(os.path.join(out, f"pretrain.{split}"), raw)
        write_shard(os.path.join(out, f"summarize.{split}.src"), src)
        write_shard(os.path.join(out, f"summarize.{split}.tgt"), tgt)
        for name, rows in ((f"pretrain.{split}", raw_meta), (f"summarize.{split}.src", meta)):
            with open(os.path.join(out, name + ".meta.jsonl"), "w") as fh:
                fh.write("\n".join(json.dumps(r) for r in rows) + "\n")
    return out


TINY_MODEL = {"vocab_size": 1500, "d_model": 32, "n_heads": 4, "d_ff": 64, "n_enc_layers": 2,
              "n_dec_layers": 2, "max_src": 64, "max_tgt": 16}


def tiny_setup(tmp_path, generator: dict) -> tuple:
    """The unit corpus, a random tiny base (seeded) and a config with these generator settings."""
    data = unit_corpus(str(tmp_path))
    torch.manual_seed(0)
    base = os.path.join(tmp_path, "base.pt")
    torch.save({"config": {"model": TINY_MODEL}, "model": base_state_dict(Seq2Seq(ModelConfig(**TINY_MODEL)))}, base)
    config = os.path.join(tmp_path, "cfg.json")
    json.dump({"model": TINY_MODEL, "generator": generator}, open(config, "w"))
    return data, base, config


def test_meta_training_runs_resumes_and_keeps_targets_out_of_their_context(tmp_path):
    data, base, config = tiny_setup(tmp_path, {"max_steps": 6, "targets": 2, "context_chunks": 3,
                                               "context_len": 32, "r1": 4, "r2": 2, "log_every": 2})
    run = os.path.join(tmp_path, "run")
    args = ["--config", config, "--data", data, "--base", base, "--run", run]
    result = train_generator.main(args)
    assert np.isfinite(result["valid_loss"]) and np.isfinite(result["valid_loss_no_adapter"])
    assert torch.load(os.path.join(run, "generator.pt"))["meta"]["final"]
    # resuming a finished run trains no further steps and keeps the same weights
    before = torch.load(os.path.join(run, "generator.pt"))["generator"]["B"].clone()
    train_generator.main(args + ["--resume"])
    assert torch.equal(torch.load(os.path.join(run, "generator.pt"))["generator"]["B"], before)
    # contexts never include the file of a target
    units = train_generator.UnitData(data, "train")
    rng = np.random.default_rng(1)
    for _ in range(20):
        _, pairs, chunks = units.sample(rng, {"targets": 2, "context_chunks": 3})
        assert not {units.pair_path[p] for p in pairs} & {units.chunk_path[c] for c in chunks}


def test_summaries_as_context_train_and_never_show_a_target_or_its_file(tmp_path):
    data, base, config = tiny_setup(tmp_path, {"max_steps": 3, "targets": 2, "context": "summaries",
                                               "context_chunks": 4, "context_len": 16, "r1": 4, "r2": 2})
    result = train_generator.main(["--config", config, "--data", data, "--base", base, "--run", os.path.join(tmp_path, "run")])
    assert np.isfinite(result["valid_loss"])
    units = train_generator.UnitData(data, "train", "summaries")
    rng = np.random.default_rng(1)
    for targets in (2, 9) * 10:  # 9: every pair of a unit, so every file holds a target
        _, pairs, chunks = units.sample(rng, {"targets": targets, "context_chunks": 4})
        assert len(pairs) and len(chunks)
        assert not {units.pair_path[p] for p in pairs} & {units.pair_path[c] for c in chunks}
        ctx = units.batch(pairs, chunks, {"context_len": 16}, 64, 16)["context"]
        assert ctx.shape[0] == len(chunks) and not (ctx == 2).any()  # summaries without </s>


def test_stream_generator_trains_too(tmp_path):
    data, base, config = tiny_setup(tmp_path, {"max_steps": 3, "targets": 2, "context_chunks": 2,
                                               "context_len": 16, "queries": 2})
    result = train_generator.main(["--config", config, "--data", data, "--base", base,
                                   "--run", os.path.join(tmp_path, "run"), "--kind", "stream"])
    assert np.isfinite(result["valid_loss"])


def test_eval_generator_pairs_arms_on_identical_samples(tmp_path):
    import eval_generator
    data, base, config = tiny_setup(tmp_path, {"max_steps": 4, "targets": 2, "context_chunks": 3,
                                               "context_len": 32, "r1": 4, "r2": 2, "queries": 2})
    gens = []
    for kind in ("generative", "stream"):
        run = os.path.join(tmp_path, kind)
        train_generator.main(["--config", config, "--data", data, "--base", base, "--run", run, "--kind", kind])
        gens.append(f"{kind}={os.path.join(run, 'generator.pt')}")
    # a generator whose B is zero makes zero deltas: its arm must equal "none" exactly
    zero = torch.load(os.path.join(tmp_path, "generative", "generator.pt"))
    zero["generator"]["B"].zero_()
    torch.save(zero, os.path.join(tmp_path, "zero.pt"))
    gens.append(f"zero={os.path.join(tmp_path, 'zero.pt')}")
    args = ["--data", data, "--base", base, "--split", "valid", "--samples", "4"]
    out = eval_generator.main(args + [a for g in gens for a in ("--generator", g)])
    assert set(out["arms"]) == {"none", "generative", "stream", "zero"}
    assert out["targets"] > 0 and out["units"] >= 1
    assert out["arms"]["zero"]["loss_vs_none"] == [0.0, 0.0, 0.0]
    assert all(np.isfinite(v) for arm in out["arms"].values() for v in arm["loss"])


def test_several_units_per_step_give_each_target_its_own_units_deltas(tmp_path):
    data, base, config = tiny_setup(tmp_path, {"targets": 2, "context_chunks": 3, "context_len": 32, "r1": 4, "r2": 2,
                                               "context": "summaries"})
    cfg = dict(train_generator.DEFAULTS, **json.load(open(config))["generator"])
    model = train_generator.frozen_model(base, None)
    gen = train_generator.make_generator("generative", model, cfg)
    gen.B.data.normal_(0, 0.5)  # B starts at zero: make the deltas matter
    units = train_generator.UnitData(data, "train", "summaries")
    rng = np.random.default_rng(3)
    samples = [units.sample(rng, cfg) for _ in range(3)]
    batch = train_generator.units_batch(units, samples, cfg, 64, 16)
    with torch.no_grad():
        together = model(batch["src"], batch["tgt_in"], deltas=train_generator.units_deltas(model, gen, batch))
        row = 0
        for unit, pairs, chunks in samples:
            alone = units.batch(pairs, chunks, cfg, 64, 16)
            deltas = train_generator.as_delta_dict(gen.slots, *gen(model, alone["context"]))
            logits = model(alone["src"], alone["tgt_in"], deltas=deltas)
            rows = together[row:row + len(pairs), :logits.shape[1]]
            assert torch.allclose(rows, logits, atol=1e-4), unit
            row += len(pairs)
    assert samples[0][0] != samples[1][0] or samples[1][0] != samples[2][0], "the sample drew one unit thrice"


def test_a_time_boxed_run_with_several_units_per_step_ends_finished(tmp_path):
    data, base, config = tiny_setup(tmp_path, {"max_steps": 100000, "targets": 2, "context_chunks": 3, "context_len": 32,
                                               "r1": 4, "r2": 2, "units_per_step": 3, "context": "summaries",
                                               "lr_floor": 0.1, "log_every": 5})
    run = os.path.join(tmp_path, "run")
    result = train_generator.main(["--config", config, "--data", data, "--base", base, "--run", run,
                                   "--schedule-minutes", "0.05"])
    assert np.isfinite(result["valid_loss"])
    saved = torch.load(os.path.join(run, "generator.pt"))
    assert saved["meta"]["final"] and 0 < saved["meta"]["step"] < 100000
