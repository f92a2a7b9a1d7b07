"""training/subset_shards.py: budgets respected, pairs kept aligned, a subset the trainer loads."""
import json
import os

from data import DataConfig, Shard, load_datasets
from subset_shards import subset


def test_subset_keeps_pairs_aligned_within_each_budget(corpus, tmp_path):
    out = str(tmp_path / "sub")
    report = subset(corpus, out, {"pretrain": 2000, "summarize": 1500, "refine": 1500, "ttc": 800}, valid=5, seed=1)
    kept = report["kept"]
    for family, budget in (("pretrain", 2000), ("summarize", 1500), ("refine", 1500), ("ttc", 800)):
        assert 0 < kept[f"{family}.train"]["ids"] <= budget, family
        assert kept[f"{family}.train"]["sequences"] < kept[f"{family}.train"]["of"], family
        assert kept[f"{family}.valid"]["sequences"] == 5, family
    # A pair's source and target are the same pair as in the full shards.
    full_src, full_tgt = Shard(os.path.join(corpus, "summarize.train.src")), Shard(os.path.join(corpus, "summarize.train.tgt"))
    src, tgt = Shard(os.path.join(out, "summarize.train.src")), Shard(os.path.join(out, "summarize.train.tgt"))
    pairs = {(tuple(full_src[i]), tuple(full_tgt[i])) for i in range(len(full_src))}
    assert all((tuple(src[i]), tuple(tgt[i])) in pairs for i in range(len(src)))
    ttc = Shard(os.path.join(out, "ttc.train"), with_labels=True)
    assert len(ttc.lab) == len(ttc.ids)
    assert json.load(open(os.path.join(out, "subset.json")))["kept"] == kept
    dc = DataConfig(max_src=64, max_tgt=32, max_tgt_summarize=16, batch_tokens=512)
    assert load_datasets("task", out, "train", dc, 8192) and load_datasets("pretrain", out, "train", dc, 8192)
