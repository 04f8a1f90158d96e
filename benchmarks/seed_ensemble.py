"""Does averaging INN models trained with different seeds pay? (issue 18's ensembling lever)

For each dataset, k INN models with default settings are fitted on the same split (the split of
``--seed``; member 0 uses the seed itself, so it is the default run), and the test AUROC of
member 0 is compared with that of the mean logit of the first k members. The mean of per-row
linear models is one, so such an ensemble keeps INN's explanations exact; the question is
whether its accuracy is worth k times the training. Store datasets, one thread.
"""

from __future__ import annotations

import argparse
import statistics
import time

import common
import numpy as np


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--datasets", nargs="+",
                   default=["bupa", "13", "53", "mammographic", "1498", "37", "15", "bands", "50",
                            "40981", "29", "59", "40", "307", "23", "54", "1510", "31"],
                   help="classification datasets (store keys or OpenML ids; default: the 18 "
                        "smallest classification sets of the store)")
    p.add_argument("--members", type=int, nargs="+", default=[3, 5],
                   help="ensemble sizes k to score (default: 3 5)")
    p.add_argument("--seed", type=int, default=0, help="split seed (default: 0)")
    p.add_argument("--data_dir", default=None,
                   help="dataset store folder (default: the data layer's)")
    return p


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    import torch

    from inn.data.prepared import prepare_data
    from inn.experiment import fit_method

    torch.set_num_threads(1)
    k_max = max(args.members)
    rows, gains = [], {k: [] for k in args.members}
    for key in args.datasets:
        data = prepare_data(key, args.seed, "inn", data_dir=args.data_dir)  # normalises key
        if data.dataset.task == "regression":
            raise SystemExit(f"error: {key} is a regression dataset; this compares AUROC")
        start, logits = time.perf_counter(), []
        for j in range(k_max):
            seed = args.seed + 1000 * j  # member 0 is the default run of this split
            model = fit_method("inn", data.dataset.task, {}, seed, data)
            out = model.model_.decision_function(data.X["test"])
            logits.append(np.asarray(out, dtype=np.float64))
        y = np.asarray(data.y["test"])
        single = common.logit_auroc(y, logits[0])
        row = [data.dataset.name, single]
        for k in args.members:
            score = common.logit_auroc(y, np.mean(logits[:k], axis=0))
            gains[k].append(score - single)
            row.append(score)
        rows.append([*row, time.perf_counter() - start])
        print(f"{data.dataset.name}: " + ", ".join(f"{v:.4f}" for v in row[1:]), flush=True)
    common.print_table(["dataset", "k=1", *(f"k={k}" for k in args.members),
                        f"fit s ({k_max} members)"], rows)
    for k in args.members:
        g = gains[k]
        print(f"k={k}: mean AUROC gain over one model {statistics.mean(g):+.4f} "
              f"({sum(v > 0 for v in g)} wins, {sum(v < 0 for v in g)} losses, "
              f"{len(g)} datasets), at {k}x the training")
    common.reproduce()


if __name__ == "__main__":
    main()
