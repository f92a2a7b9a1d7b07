import os

import torch

import eval_ttc
from model import ModelConfig, Seq2Seq, adapter_state_dict, base_state_dict


def test_ttc_report_against_the_majority_baseline(corpus, tmp_path):
    cfg = {"vocab_size": 1500, "d_model": 32, "n_heads": 4, "d_ff": 64, "n_enc_layers": 2,
           "n_dec_layers": 2, "max_src": 128, "max_tgt": 16}
    torch.manual_seed(0)
    model = Seq2Seq(ModelConfig(**cfg))
    base = os.path.join(tmp_path, "base.pt")
    torch.save({"config": {"model": cfg}, "model": base_state_dict(model)}, base)
    model.enable_ner_adapters(bottleneck=8)
    ner = os.path.join(tmp_path, "ner.pt")
    torch.save({"kind": "ner", "adapter_config": {"ner": model.adapter_config["ner"]},
                "state_dict": adapter_state_dict(model, "ner")}, ner)
    result = eval_ttc.main(["--data", corpus, "--base", base, "--ner", ner, "--limit", "20"])
    # synthetic labels are a function of the token id: the majority baseline is perfect on them,
    # an untrained head is not.
    assert result["majority_baseline"]["accuracy"] == 1.0
    assert result["model"]["accuracy"] < 0.5
    assert result["model"]["tokens"] == result["majority_baseline"]["tokens"] > 0
    assert set(result["model"]["per_label"]) >= {"parameter", "keyword"}
