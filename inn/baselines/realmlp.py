"""RealMLP-TD (pytabkit; Holzmueller et al., NeurIPS 2024, "Better by Default"), defaults."""

from __future__ import annotations

import re
from typing import Any

from inn.baselines.pytabkit import PytabkitBaseline, _number


class RealMLPBaseline(PytabkitBaseline):
    """pytabkit ``RealMLP_TD_Classifier`` / ``RealMLP_TD_Regressor`` with library defaults.

    256 epochs (coslog4 schedule); the epoch with the lowest validation error (classification
    error / RMSE on our validation split, latest epoch among ties) is kept.
    """

    name = "realmlp"
    estimators = ("RealMLP_TD_Classifier", "RealMLP_TD_Regressor")
    _EPOCH_LINE = re.compile(r"^Epoch (\d+)/(\d+): val (\S+) = (\S+)$", re.MULTILINE)

    def _training_record(self, model, log_text, val_metric):
        record: dict[str, Any] = {"batch_size": model.get_config().get("batch_size", 256)}
        fit_params = getattr(model, "fit_params_", None) or {}
        stop = fit_params.get("stop_epoch", {})
        best = stop.get(val_metric) if isinstance(stop, dict) else stop
        record["best_epoch"] = None if best is None else int(best)
        curve = [(int(e), _number(v)) for e, _, name, v in self._EPOCH_LINE.findall(log_text)
                 if name == val_metric]
        record["epochs_run"] = len(curve) if curve else None
        errors = dict(curve)
        record["best_val_error"] = errors.get(record["best_epoch"])
        return record


def search_space(trial, task: str) -> dict:
    """A part of the RealMLP paper's HPO space (Holzmueller et al. 2024; pytabkit's
    ``RealMLPParamSampler``): learning rate, dropout, weight decay, numeric embedding type, PLR
    sigma, label smoothing (classification)."""
    params = {
        "lr": trial.suggest_float("lr", 2e-2, 3e-1, log=True),
        "p_drop": trial.suggest_categorical("p_drop", [0.0, 0.15, 0.3]),
        "wd": trial.suggest_categorical("wd", [0.0, 0.02]),
        "num_emb_type": trial.suggest_categorical("num_emb_type", ["none", "pbld", "pl", "plr"]),
        "plr_sigma": trial.suggest_float("plr_sigma", 0.05, 0.5, log=True),
    }
    if task != "regression":
        params["ls_eps"] = trial.suggest_categorical("ls_eps", [0.0, 0.1])
    return params
