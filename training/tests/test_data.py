import os

import numpy as np
import pytest

from data import (DENOISE, EOS, SENTINEL0, SUMMARIZE, TRUNCATED, BatchStream, DataConfig, DenoiseData,
                  Prefetcher, Seq2SeqData, Shard, ShardError, TTCData, collate, corrupt_counts, load_datasets,
                  max_denoise_window, plan_batches, span_corrupt, write_shard)


def test_shard_roundtrip_with_labels(tmp_path):
    p = str(tmp_path / "x")
    seqs = [[5, 6, 7], [], [900, 8191]]
    write_shard(p, seqs, [[0, 1, 255], [], [19, 3]])
    sh = Shard(p, with_labels=True)
    assert len(sh) == 3
    assert sh[0].tolist() == [5, 6, 7] and sh[1].tolist() == [] and sh[2].tolist() == [900, 8191]
    assert sh.labels(0).tolist() == [0, 1, 255]
    sh.check_vocab(8192)
    with pytest.raises(ShardError, match="vocab_size"):
        sh.check_vocab(8000)


def test_bad_shards_give_clear_errors(tmp_path):
    p = str(tmp_path / "e")
    write_shard(p, [])
    with pytest.raises(ShardError, match="empty shard"):
        Shard(p)
    p = str(tmp_path / "b")
    write_shard(p, [[1, 2, 3]])
    with open(p + ".ids.bin", "ab") as f:
        f.write(b"\x00\x00")  # ids beyond the last offset
    with pytest.raises(ShardError, match="offsets"):
        Shard(p)
    with open(p + ".ids.bin", "ab") as f:
        f.write(b"\x00")
    with pytest.raises(ShardError, match="multiple of 2"):
        Shard(p)
    with pytest.raises(FileNotFoundError, match="lab.bin"):
        Shard(str(tmp_path / "e"), with_labels=True)
    with pytest.raises(FileNotFoundError):
        Shard(str(tmp_path / "missing"))


def test_span_corruption_is_reconstructible():
    rng = np.random.default_rng(0)
    for L in (2, 3, 10, 57, 300, 560):
        toks = rng.integers(200, 8000, size=L)
        inp, tgt = span_corrupt(toks, rng)
        n_noise, n_spans = corrupt_counts(L, 0.15, 3.0)
        assert len(tgt) == n_noise + n_spans and len(inp) == L - n_noise + n_spans
        # put the spans back where the sentinels are
        spans, cur = {}, None
        for t in tgt:
            if SENTINEL0 <= t < SENTINEL0 + 100:
                cur = int(t); spans[cur] = []
            else:
                spans[cur].append(int(t))
        rebuilt = [x for t in inp for x in (spans[int(t)] if int(t) in spans else [int(t)])]
        assert rebuilt == toks.tolist()


def test_denoise_window_fits_limits():
    w = max_denoise_window(512, 128, 0.15, 3.0)
    n_noise, n_spans = corrupt_counts(w, 0.15, 3.0)
    assert w - n_noise + n_spans + 2 <= 512 and n_noise + n_spans + 1 <= 128
    assert w > 500


def test_seq2seq_truncation_is_visible(tmp_path):
    write_shard(str(tmp_path / "s"), [list(range(300, 400)), [300, 301]])
    write_shard(str(tmp_path / "t"), [list(range(500, 540)), [1, 600, 2]])
    dc = DataConfig(max_src=32, max_tgt=16, max_tgt_summarize=8)
    ds = Seq2SeqData("summarize", Shard(str(tmp_path / "s")), Shard(str(tmp_path / "t")), dc)
    src, tgt = ds.example(0, np.random.default_rng(0))
    assert len(src) == 32 and src[0] == SUMMARIZE and src[-2] == TRUNCATED and src[-1] == EOS
    assert len(tgt) == 8 and tgt[-2] == TRUNCATED and tgt[-1] == EOS
    src, tgt = ds.example(1, np.random.default_rng(0))
    assert src.tolist() == [SUMMARIZE, 300, 301, EOS] and tgt.tolist() == [600, EOS]  # <s>/</s> stripped
    assert ds.stats["src_truncated"] == 1 and ds.stats["tgt_truncated"] == 1
    b = collate("seq2seq", [ds.example(i, np.random.default_rng(0)) for i in range(2)])
    assert b["tgt_in"][1].tolist()[:3] == [1, 600, 0] and b["labels"][1].tolist()[:3] == [600, EOS, -100]


def test_plan_respects_token_budget():
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 200, size=500)
    dc = DataConfig(batch_tokens=1000, bucket_batches=5)
    plan = plan_batches(lengths, dc, rng)
    assert sorted(np.concatenate(plan).tolist()) == list(range(500))
    assert all(lengths[b].max() * len(b) <= 1000 or len(b) == 1 for b in plan)


def test_stream_is_deterministic_resumable_and_sharded(corpus):
    dc = DataConfig(max_src=64, max_tgt=32, max_tgt_summarize=16, batch_tokens=512)
    sets = load_datasets("task", corpus, "train", dc, 8192)
    assert {d.task for d in sets} == {"summarize", "refine"}
    a = BatchStream(sets, dc, seed=3)
    first = [next(a) for _ in range(5)]
    st = a.state()
    nxt = next(a)
    b = BatchStream(sets, dc, seed=3)
    b.load_state(st)
    again = next(b)
    assert all((nxt[k] == again[k]).all() for k in ("src", "tgt_in", "labels"))
    c0 = next(BatchStream(sets, dc, seed=3))
    assert all((first[0][k] == c0[k]).all() for k in ("src", "labels"))
    # epochs roll over
    n = a.batches_per_epoch()
    for _ in range(n):
        next(a)
    assert a.epoch == 1
    # two ranks see disjoint batches
    r0, r1 = BatchStream(sets, dc, 3, rank=0, world=2), BatchStream(sets, dc, 3, rank=1, world=2)
    assert r0.batches_per_epoch() == r1.batches_per_epoch()
    ids0 = {tuple(next(r0)["meta"]["examples"]) for _ in range(4)}
    ids1 = {tuple(next(r1)["meta"]["examples"]) for _ in range(4)}
    assert not ids0 & ids1


def test_prefetcher_hands_out_the_same_batches_and_the_consumed_position(corpus):
    dc = DataConfig(max_src=64, max_tgt=32, max_tgt_summarize=16, batch_tokens=512)
    sets = load_datasets("task", corpus, "train", dc, 8192)
    plain, ahead = BatchStream(sets, dc, seed=3), Prefetcher(BatchStream(sets, dc, seed=3), depth=4)
    assert ahead.batches_per_epoch() == plain.batches_per_epoch()
    for _ in range(6):
        a, b = next(plain), next(ahead)
        assert all((a[k] == b[k]).all() for k in ("src", "tgt_in", "labels"))
        assert ahead.state() == plain.state()  # not the producer's, which runs ahead


def test_denoise_and_ttc_batches(corpus):
    dc = DataConfig(max_src=64, max_tgt=32, batch_tokens=512)
    (dn,) = load_datasets("pretrain", corpus, "train", dc, 8192)
    assert isinstance(dn, DenoiseData)
    b = next(BatchStream([dn], dc, 0))
    assert b["src"].shape[1] <= 64 and b["labels"].shape[1] <= 32
    assert (b["src"][:, 0] == DENOISE).all()
    # a leading language tag stays in front, outside the noise (the first kept segment)
    write_shard(os.path.join(corpus, "..", "lang.train"), [[7] + list(range(300, 340))])
    dl = DenoiseData(Shard(os.path.join(corpus, "..", "lang.train")), dc)
    src, tgt = dl.example(0, np.random.default_rng(1))
    assert src[:2].tolist() == [DENOISE, 7] and 7 not in tgt.tolist()
    (tt,) = load_datasets("ttc", corpus, "train", dc, 8192)
    assert isinstance(tt, TTCData)
    b = next(BatchStream([tt], dc, 0))
    lab, src = b["ttc_labels"], b["src"]
    assert ((lab == -100) | ((lab >= 0) & (lab < 20))).all()
    assert (lab[src == 0] == -100).all()
    # labels outside the label set are refused
    with pytest.raises(ShardError, match="label ids"):
        TTCData(tt.shard, dc, num_labels=5)


def test_full_target_denoising_rebuilds_the_window_under_the_refine_token():
    import numpy as np
    from data import DataConfig, DenoiseData, EOS, REFINE, DENOISE, Shard, write_shard
    import tempfile, os
    d = tempfile.mkdtemp()
    rng = np.random.default_rng(0)
    write_shard(os.path.join(d, "p"), [rng.integers(400, 900, size=200).tolist() for _ in range(20)])
    data = DenoiseData(Shard(os.path.join(d, "p")), DataConfig(max_src=128, max_tgt=64, full_target=0.5))
    kinds = set()
    groups = data.set_epoch(seed=0, epoch=0)  # draws this epoch's full-target windows
    assert 0 < groups.sum() < len(data)
    for j in range(len(data)):
        src, tgt = data.example(j, np.random.default_rng(j))
        kinds.add(int(src[0]))
        if src[0] == REFINE:
            window = data.shard[data.seq[j]][data.start[j]:data.start[j] + data.lengths[j]][:63]
            assert tgt.tolist() == window.tolist() + [EOS]
            assert len(tgt) <= 64
    assert kinds == {REFINE, DENOISE}
    # batches never mix the two variants (their target lengths differ ~5x)
    from data import BatchStream
    stream = BatchStream([data], data.dc, seed=1)
    for _ in range(stream.batches_per_epoch()):
        assert len(set(next(stream)["src"][:, 0].tolist())) == 1


def test_identifier_masking_uses_one_sentinel_per_name():
    from data import mask_identifiers
    # def f ( x ) : return x + g(x)   with labels: kw fdef punct param punct punct kw ref op call ( ref )
    ids = np.array([500, 600, 501, 700, 502, 503, 504, 700, 505, 800, 801, 501, 700, 502])
    lab = np.array([0, 8, 2, 11, 2, 2, 0, 13, 1, 15, 15, 2, 13, 2])
    inp, tgt = mask_identifiers(ids, lab, max_tgt=64)
    s0, s1, s2 = SENTINEL0, SENTINEL0 + 1, SENTINEL0 + 2
    assert tgt.tolist() == [s0, 600, s1, 700, s2, 800, 801]
    assert inp.tolist() == [500, s0, 501, s1, 502, 503, 504, s1, 505, s2, 501, s1, 502]
    # a tight target budget masks fewer names, never cuts one
    inp, tgt = mask_identifiers(ids, lab, max_tgt=5)
    assert tgt.tolist() == [s0, 600, s1, 700] and 800 in inp.tolist()


def test_pretrain_with_identifier_masking(corpus):
    dc = DataConfig(max_src=64, max_tgt=32, batch_tokens=512, identifier_masking=True)
    sets = load_datasets("pretrain", corpus, "train", dc, 8192)
    assert [d.task for d in sets] == ["denoise", "identifiers"]
    src, tgt = sets[1].example(0, np.random.default_rng(0))
    assert len(src) <= 64 and len(tgt) <= 32 and src[0] == DENOISE and tgt[-1] == EOS
