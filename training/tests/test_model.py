import pytest
import torch

from model import ModelConfig, Seq2Seq, adapter_state_dict, base_state_dict, load_adapter_state_dict

CFG = ModelConfig(vocab_size=512, d_model=32, n_heads=4, d_ff=64, n_enc_layers=2, n_dec_layers=2,
                  max_src=64, max_tgt=16)


def make(seed=0, positions="learned"):
    torch.manual_seed(seed)
    return Seq2Seq(ModelConfig.from_dict({**CFG.to_dict(), "positions": positions})).eval()


def batch():
    g = torch.Generator().manual_seed(1)
    src = torch.randint(3, 512, (2, 12), generator=g)
    src[1, 8:] = 0  # padding
    tgt = torch.randint(3, 512, (2, 7), generator=g)
    return src, tgt


@pytest.mark.parametrize("positions", ["learned", "rotary"])
def test_kv_cache_step_matches_full_decoder(positions):
    m = make(positions=positions)
    src, tgt = batch()
    full = m(src, tgt)
    mask = src != 0
    ckv = m.cross_kv(m.encode(src, mask))
    past, steps = None, []
    for t in range(tgt.shape[1]):
        logits, past = m.decode(tgt[:, t:t + 1], ckv, mask, past)
        steps.append(logits)
    assert torch.allclose(torch.cat(steps, 1), full, atol=1e-5)
    # two new tokens at once on top of a cache (causal mask with an offset)
    _, past3 = m.decode(tgt[:, :3], ckv, mask)
    logits, _ = m.decode(tgt[:, 3:5], ckv, mask, past3)
    assert torch.allclose(logits, full[:, 3:5], atol=1e-5)


@pytest.mark.parametrize("positions", ["learned", "rotary"])
def test_padding_does_not_change_real_rows(positions):
    m = make(positions=positions)
    src, tgt = batch()
    alone = m(src[1:2, :8], tgt[1:2])
    padded = m(src, tgt)[1:2]
    assert torch.allclose(alone, padded, atol=1e-5)


def test_workspace_delta_equals_merged_weight():
    m = make()
    src, tgt = batch()
    name = "dec_blocks.1.cross_attn.v"
    lin = m.linear_layers()[name]
    A, B = torch.randn(3, lin.d_in) * 0.1, torch.randn(lin.d_out, 3) * 0.1
    with_delta = m(src, tgt, deltas={name: (A, B), "enc_blocks.0.ffn.wo": (torch.zeros(3, 64), torch.zeros(32, 3))})
    with torch.no_grad():
        lin.weight += B @ A
    merged = m(src, tgt)
    assert torch.allclose(with_delta, merged, atol=1e-5)
    # batched deltas: row i gets its own adapter
    A2 = torch.stack([A, torch.zeros_like(A)])
    B2 = torch.stack([B, torch.zeros_like(B)])
    with torch.no_grad():
        lin.weight -= B @ A
    out = m(src, tgt, deltas={name: (A2, B2)})
    assert torch.allclose(out[0], merged[0], atol=1e-5)
    assert torch.allclose(out[1], m(src, tgt)[1], atol=1e-5)


def test_hooks_start_as_identity_and_are_separable():
    m = make()
    src, tgt = batch()
    before = m(src, tgt)
    base_keys = set(m.state_dict())
    m.enable_ner_adapters(bottleneck=8, placement="houlsby")
    chosen = m.enable_lora(rank=4, alpha=8, targets=("all",))
    assert len(chosen) == len(m.linear_layers())
    assert torch.allclose(m(src, tgt), before, atol=1e-6)
    assert set(base_state_dict(m)) == base_keys
    m.freeze_base()
    trainable = {n for n, p in m.named_parameters() if p.requires_grad}
    assert trainable and all(".ner_" in n or ".lora_" in n or n.startswith("ttc_head") for n in trainable)
    ner, lora = adapter_state_dict(m, "ner"), adapter_state_dict(m, "lora")
    assert set(ner) | set(lora) == trainable and not set(ner) & set(lora)
    assert sum(".ner_attn." in k for k in ner) == 4 * CFG.n_enc_layers  # houlsby: two per block
    assert m.ttc_logits(m.encode(src)).shape == (2, 12, CFG.num_labels)
    # load into a fresh model with the same hooks
    m2 = make(seed=5)
    m2.enable_ner_adapters(bottleneck=8, placement="houlsby")
    load_adapter_state_dict(m2, ner)
    assert torch.equal(m2.ttc_head.weight, m.ttc_head.weight)
    with pytest.raises(KeyError):
        load_adapter_state_dict(make(), ner)  # adapters not enabled


def test_pfeiffer_places_one_adapter_per_block():
    m = make()
    m.enable_ner_adapters(bottleneck=8)
    assert all(b.ner_attn is None and b.ner_ffn is not None for b in m.enc_blocks)


def test_length_limits_are_errors():
    m = make()
    with pytest.raises(ValueError, match="max_src"):
        m.encode(torch.ones(1, CFG.max_src + 1, dtype=torch.long))
    src, _ = batch()
    mask = src != 0
    ckv = m.cross_kv(m.encode(src))
    with pytest.raises(ValueError, match="max_tgt"):
        m.decode(torch.ones(2, CFG.max_tgt + 1, dtype=torch.long), ckv, mask)


def test_hidden_states_and_generate():
    m = make()
    src, _ = batch()
    out, hidden = m.encode(src, return_hidden=True)
    assert len(hidden) == CFG.n_enc_layers and hidden[0].shape == out.shape
    gen = m.generate(src, max_len=5)
    assert gen.shape[0] == 2 and gen.shape[1] <= 5


def test_bf16_autocast_runs():
    m = make()
    src, tgt = batch()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = m(src, tgt)
    assert torch.isfinite(out.float()).all()


def test_logits_at_selects_rows_of_full_logits():
    m = make()
    src, tgt = batch()
    keep = torch.rand(tgt.shape, generator=torch.Generator().manual_seed(3)) > 0.4
    assert torch.allclose(m(src, tgt, logits_at=keep), m(src, tgt)[keep], atol=1e-6)


def test_rotary_scores_depend_only_on_relative_position():
    from model import rotary_tables, rotate
    cos, sin = rotary_tables(40, 8, 10000.0)
    q, k = torch.randn(1, 1, 1, 8), torch.randn(1, 1, 1, 8)
    score = lambda a, b: float((rotate(q, (cos[a:a + 1], sin[a:a + 1])) * rotate(k, (cos[b:b + 1], sin[b:b + 1]))).sum())
    assert score(5, 2) == pytest.approx(score(33, 30), abs=1e-4)
    assert score(5, 2) != pytest.approx(score(5, 4), abs=1e-3)


def test_rotary_model_has_no_position_tables_and_a_clean_state_dict():
    m = make(positions="rotary")
    assert m.enc_pos is None and m.dec_pos is None
    assert not any("pos" in k or "rope" in k for k in base_state_dict(m))
    with pytest.raises(ValueError, match="positions"):
        ModelConfig.from_dict({**CFG.to_dict(), "positions": "alibi"})
