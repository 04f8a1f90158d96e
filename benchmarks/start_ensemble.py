"""The mean logit of two INN models that start differently (issue 18's ensembling lever).

On each split, INN with default settings (a 50-epoch additive start, shared parts at 10x the
trunk's learning rate) and INN with ``--partner`` settings (default: a plain start,
``additive_epochs=0 global_lr_multiplier=1``) are fitted with the same seed; the test AUROC of
each and of their mean logit are printed. The mean of two per-row linear models is one, so the
pair keeps INN's explanations exact; it costs two fits. Classification store datasets, one
thread; the default model is the suite's INN run of that split and seed.
"""

from __future__ import annotations

import argparse
import statistics
import time

import common
import numpy as np


def _setting(text: str) -> tuple[str, object]:
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    from inn.suite.config import load_yaml

    return name, load_yaml(value)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--datasets", nargs="+", default=None,
                   help="classification datasets (store keys or OpenML ids; default: every "
                        "classification set of the store)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0],
                   help="split and model seeds (default: 0)")
    p.add_argument("--partner", type=_setting, nargs="+",
                   default=[("additive_epochs", 0), ("global_lr_multiplier", 1.0)],
                   help="the second model's settings, NAME=VALUE (default: additive_epochs=0 "
                        "global_lr_multiplier=1)")
    p.add_argument("--data_dir", default=None,
                   help="dataset store folder (default: the data layer's)")
    return p


def _classification_keys(data_dir) -> list[str]:
    import json

    from inn.data.store import list_store, resolve_data_dir, store_paths

    folder = resolve_data_dir(data_dir)
    keys = list_store(data_dir)
    if not keys:
        raise SystemExit("error: no dataset store found; give --datasets or --data_dir")
    return [str(k) for k in keys
            if json.loads(store_paths(k, folder)[1].read_text())["task"] != "regression"]


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    import torch

    from inn.data.prepared import prepare_data
    from inn.experiment import fit_method

    torch.set_num_threads(1)
    partner = dict(args.partner)
    keys = args.datasets or _classification_keys(args.data_dir)
    rows, scores = [], {"default": {}, "partner": {}, "pair": {}}
    for key in keys:
        for seed in args.seeds:
            data = prepare_data(key, seed, "inn", data_dir=args.data_dir)  # normalises key
            if data.dataset.task == "regression":
                raise SystemExit(f"error: {key} is a regression dataset; this compares AUROC")
            start, logits = time.perf_counter(), []
            for params in ({}, partner):
                model = fit_method("inn", data.dataset.task, params, seed, data)
                out = model.model_.decision_function(data.X["test"])
                logits.append(np.asarray(out, dtype=np.float64))
            y = np.asarray(data.y["test"])
            pair = (logits[0] + logits[1]) / 2
            row = {name: common.logit_auroc(y, value)
                   for name, value in (("default", logits[0]), ("partner", logits[1]),
                                       ("pair", pair))}
            for name, value in row.items():
                scores[name].setdefault(data.dataset.name, []).append(value)
            rows.append([data.dataset.name, seed, *row.values(), time.perf_counter() - start])
            print(f"{data.dataset.name} seed {seed}: " +
                  ", ".join(f"{k} {v:.4f}" for k, v in row.items()), flush=True)
    common.print_table(["dataset", "seed", "default", "partner", "pair", "fit s (2 models)"],
                       rows)
    means = {k: {d: statistics.mean(v) for d, v in s.items()} for k, s in scores.items()}
    diff = [means["pair"][d] - means["default"][d] for d in means["default"]]
    print("mean test AUROC over datasets (each the mean over seeds): " +
          ", ".join(f"{k} {statistics.mean(m.values()):.4f}" for k, m in means.items()) +
          f"; pair better on {sum(d > 0.0005 for d in diff)} datasets, worse on "
          f"{sum(d < -0.0005 for d in diff)}; summed fit time {sum(r[-1] for r in rows):,.0f} s")
    common.reproduce()


if __name__ == "__main__":
    main()
