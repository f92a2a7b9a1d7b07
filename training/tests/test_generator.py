import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from export import delta_slots  # noqa: E402
from generator import GenerativeAdapter, StreamAdapter, as_delta_dict, context_states, newton_schulz  # noqa: E402
from model import ModelConfig, Seq2Seq  # noqa: E402


def tiny():
    torch.manual_seed(0)
    return Seq2Seq(ModelConfig(vocab_size=300, d_model=32, n_heads=4, d_ff=64, n_enc_layers=2,
                               n_dec_layers=2, max_src=64, max_tgt=16)).eval()


def test_newton_schulz_orthogonalizes_and_is_scale_free():
    S = torch.randn(3, 16, 8)
    N = newton_schulz(S, steps=12)
    eye = torch.eye(8).expand(3, 8, 8)
    assert torch.allclose(N.transpose(-1, -2) @ N, eye, atol=2e-2)
    assert torch.allclose(newton_schulz(S * 1000.0), newton_schulz(S), atol=1e-4)
    assert torch.count_nonzero(newton_schulz(torch.zeros(2, 4, 4))) == 0


def test_state_is_additive_so_streaming_and_updates_are_exact():
    model = tiny()
    gen = GenerativeAdapter(model, delta_slots(model), r1=8, r2=4)
    chunks = torch.randint(4, 300, (5, 12))
    whole = gen.contribution(*context_states(model, chunks))
    streamed = sum(gen.contribution(*context_states(model, chunks[i:i + 1])) for i in range(5))
    assert torch.allclose(whole, streamed, atol=1e-4)
    # An edit: subtract the old chunk's contribution, add the new one == full rebuild.
    edited = chunks.clone()
    edited[2] = torch.randint(4, 300, (12,))
    updated = whole - gen.contribution(*context_states(model, chunks[2:3])) + gen.contribution(*context_states(model, edited[2:3]))
    assert torch.allclose(updated, gen.contribution(*context_states(model, edited)), atol=1e-4)


def test_padding_does_not_change_the_state():
    model = tiny()
    gen = GenerativeAdapter(model, delta_slots(model), r1=8, r2=4)
    ids = torch.randint(4, 300, (1, 10))
    padded = torch.cat([ids, torch.zeros(1, 6, dtype=torch.long)], dim=1)
    assert torch.allclose(gen.contribution(*context_states(model, ids)), gen.contribution(*context_states(model, padded)), atol=1e-4)


def test_fresh_generators_are_the_identity_and_gradients_reach_them():
    model = tiny()
    src = torch.randint(4, 300, (2, 9))
    tgt = torch.randint(4, 300, (2, 5))
    base = model(src, tgt)
    for gen in (GenerativeAdapter(model, delta_slots(model), r1=8, r2=4), StreamAdapter(model, delta_slots(model), queries=4)):
        A, B = gen(model, torch.randint(4, 300, (3, 12)))
        logits = model(src, tgt, deltas=as_delta_dict(gen.slots, A, B))
        assert torch.allclose(logits, base, atol=1e-5)  # B starts at zero
        logits.float().logsumexp(-1).mean().backward()
        assert gen.B.grad is not None and gen.B.grad.abs().sum() > 0
