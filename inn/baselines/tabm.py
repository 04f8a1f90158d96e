"""TabM-D (pytabkit, Gorishniy et al., ICLR 2025) with library defaults."""

from __future__ import annotations

import re
from typing import Any

from inn.baselines.pytabkit import PytabkitBaseline, _number


class TabMBaseline(PytabkitBaseline):
    """pytabkit ``TabM_D_Classifier`` / ``TabM_D_Regressor`` with library defaults.

    k = 32 members, 3 blocks of width 512, AdamW lr 2e-3, batch 256; training stops after 16
    epochs without a better validation score (classification error / RMSE on our validation
    split) and the best epoch's weights are restored.
    """

    name = "tabm"
    estimators = ("TabM_D_Classifier", "TabM_D_Regressor")
    _verbosity = 1
    _VAL_LINE = re.compile(r"^\(val\) (\S+)$", re.MULTILINE)
    _RESULT_LINE = re.compile(r"\{'val': ([^,]+), 'epoch': (-?\d+)\}")

    def _training_record(self, model, log_text, val_metric):
        config = model.get_config()
        record: dict[str, Any] = {}
        if config.get("n_blocks", "auto") == "auto":
            record["n_blocks"] = 2 if config.get("num_emb_type", "none") == "pwl" else 3
        # TabM logs minus the validation error (higher is better) after every epoch
        scores = [_number(v) for v in self._VAL_LINE.findall(log_text)]
        record["epochs_run"] = len(scores) if scores else None
        result = self._RESULT_LINE.search(log_text)
        if result is not None:
            record["best_epoch"] = int(result.group(2)) + 1
            record["best_val_error"] = -_number(result.group(1))
        else:
            record["best_epoch"] = record["best_val_error"] = None
        return record


WEIGHT_DECAYS = (0.0, 1e-4, 1e-3, 1e-2, 1e-1)


def search_space(trial, task: str) -> dict:
    """The TabM paper's space for TabM without numeric embeddings (Gorishniy et al. 2025):
    learning rate, weight decay (a grid over the paper's 0-or-log-uniform range), blocks, width,
    dropout."""
    return {
        "lr": trial.suggest_float("lr", 1e-4, 3e-3, log=True),
        "weight_decay": trial.suggest_categorical("weight_decay", list(WEIGHT_DECAYS)),
        "n_blocks": trial.suggest_int("n_blocks", 1, 4),
        "d_block": trial.suggest_int("d_block", 64, 1024, step=16),
        "dropout": trial.suggest_float("dropout", 0.0, 0.5),
    }
