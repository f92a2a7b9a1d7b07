import eval_memory
from test_train_generator import tiny_setup


def test_lambda_zero_is_the_model_and_lambda_one_decodes_from_the_memory_alone(tmp_path):
    data, base, _ = tiny_setup(tmp_path, {})
    args = ["--data", data, "--base", base, "--split", "valid", "--targets", "3", "--min-context", "2"]
    out = eval_memory.main(args + ["--configs", "0:0.05,1:0.05,1:0.05:skip0"])
    arms = out["arms"]
    assert arms["knn0.0"]["ids"] == arms["none"]["ids"]
    assert len(out["references"]) == len(out["verbatim"]) == len(arms["none"]["ids"]) == 6
    # With all weight on the memory every token is one the unit's context summaries hold.
    pairs = eval_memory.UnitPairs(data, "valid")
    for n, unit in enumerate(out["units"]):
        held = {int(t) for i in unit["context"] for t in pairs.tgt[i]}
        for ids in arms["knn1.0"]["ids"][3 * n:3 * n + 3]:
            assert ids and set(ids) <= held
