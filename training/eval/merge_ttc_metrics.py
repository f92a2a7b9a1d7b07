"""Adds the TTC rows (training/eval_ttc.py --json output, clean and broken code) to an evaluation
harness JSON (training/eval/evaluate.ts --json), for package_model.py --metrics.

  /usr/bin/python3 training/eval/merge_ttc_metrics.py EVAL.json --clean CLEAN.json [--broken BROKEN.json] --out OUT.json
"""
import argparse
import json

NOTE = "NER adapter (Pfeiffer, bottleneck 64) + TTC head; baseline: each subword's most frequent training label"


def ttc_rows(path: str, name: str) -> list:
    t = json.load(open(path))
    point = lambda x: {"value": x, "n": None}  # noqa: E731  (token-level figures, no interval)
    return [{"set": name, "metric": metric, "n": t["model"]["tokens"], "baseline": point(100 * t["majority_baseline"][key]),
             "model": point(100 * t["model"][key]), "note": NOTE}
            for key, metric in (("accuracy", "accuracy %"), ("identifier_macro_f1", "identifier macro-F1"))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("eval")
    ap.add_argument("--clean", required=True, help="eval_ttc.py --json on ttc.test")
    ap.add_argument("--broken", help="eval_ttc.py --json on ttc.test.broken")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rows = [r for r in json.load(open(args.eval)) if not r["set"].startswith("TTC")]
    rows += ttc_rows(args.clean, "TTC ttc.test (first 1,000 sequences, clean code)")
    if args.broken:
        rows += ttc_rows(args.broken, "TTC ttc.test.broken (first 3,000 sequences, injected syntax errors)")
    json.dump(rows, open(args.out, "w"), indent=1)
    print(f"{args.out}: {len(rows)} rows")


if __name__ == "__main__":
    main()
