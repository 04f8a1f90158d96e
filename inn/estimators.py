"""scikit-learn estimators: INNClassifier, INNRegressor and the TabResNet twins.

All settings are constructor arguments that ``__init__`` only stores; ``fit`` learns the fitted
attributes (ending in ``_``). ``X`` is a numeric array, or a pandas DataFrame with numeric,
string/categorical and missing values: a DataFrame is encoded by a
:class:`inn.data.TabularPreprocessor` fitted in ``fit`` (``preprocessor_``; median imputation of
numeric columns, one-hot categorical columns), and explanations and importances are then per
column of the frame. Numeric columns are scaled once: by the network's ``robust`` scaling, or
without it by the frame encoder (``numeric_scaling``).
"""

from __future__ import annotations

import copy
import json
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, check_X_y, validate_data

from inn.data.preprocessing import TabularPreprocessor, float32_offsets, network_frame_encoder
from inn.data.store import file_sha256
from inn.explanation import Explanation, bias_share, described_features, global_importance
from inn.modules import INN, TabResNet
from inn.settings import DEFAULTS, INN_SETTINGS, NETWORK_SETTINGS, SETTINGS, args_doc
from inn.tasks import target_mean_std
from inn.threads import resolve_threads, torch_threads
from inn.training import Trainer, TrainingConfig
from inn.validation import Int, check_device_name, check_random_state, plain

# Rows per forward pass at predict, explain and fit's importances: the (rows, d, n_bins) encoding
# of 8,192 rows stays near the caches; 65,536 at once took 1.9x as long (48,000 x 100, one thread).
PREDICT_CHUNK = 8192
# Inputs whose encoded columns reach this magnitude get a warning at fit: BatchNorm squares its
# float32 inputs (overflow near 1e19) and the linear terms w * x swamp the loss long before.
LARGE_INPUT = 1e6
FLOAT32_MAX = float(np.finfo(np.float32).max)


def resolve_device(device: str) -> torch.device:
    """``"auto"`` picks CUDA when available, else the CPU; ``"cpu"``, ``"cuda"``, ``"cuda:N"``
    and ``"mps"`` (or a ``torch.device``) are checked to exist, with a ValueError that says
    what is missing."""
    if isinstance(device, torch.device):
        device = str(device)
    check_device_name("device", device)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            build = "a CPU-only build" if torch.version.cuda is None else \
                f"built for CUDA {torch.version.cuda}"
            raise ValueError(f"device {device!r}: torch finds no CUDA GPU (torch "
                             f"{torch.__version__}, {build}); use device 'auto' or 'cpu' (on a GPU "
                             "machine, make gpu-env installs a CUDA build of torch)")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r}: there are only {torch.cuda.device_count()} "
                             "CUDA device(s)")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {device!r}: torch finds no MPS device; use 'auto' or 'cpu'")
    return dev


def _free_memory(device: torch.device) -> int | None:
    """Bytes free for a new network on ``device`` (None where it cannot be told)."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    if device.type != "cpu":
        return None
    try:
        with open("/proc/meminfo") as fh:  # Linux: MemAvailable counts reclaimable caches
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _rng_devices(device: torch.device) -> list[int]:
    """The CUDA devices whose random state a fit on ``device`` uses (for ``fork_rng``)."""
    if device.type != "cuda":
        return []
    return [device.index if device.index is not None else torch.cuda.current_device()]


def _store(est, arguments: dict) -> None:
    """The whole body of the estimators' ``__init__`` (scikit-learn's rule: store, no logic):
    each argument becomes the attribute of its name."""
    for name, value in arguments.items():
        if name != "self":
            setattr(est, name, value)


def _column_names(est, columns) -> list[str]:
    """Names of the network's input columns (the encoded ones for a DataFrame X)."""
    pre = getattr(est, "preprocessor_", None)
    names = pre.feature_names_out_ if pre is not None else getattr(est, "feature_names_in_", None)
    return [str(names[j]) if names is not None else f"x{j}" for j in columns]


class _NetworkEstimator(BaseEstimator):
    """Shared fit/predict machinery; subclasses set the task handling and the module."""

    _interpretable = False

    # Every default, check and description is in inn.settings.SETTINGS; __init__ only stores.
    def __init__(
        self,
        *,
        nr_blocks: int = DEFAULTS["nr_blocks"],
        hidden_size: int = DEFAULTS["hidden_size"],
        dropout_rate: float = DEFAULTS["dropout_rate"],
        nr_epochs: int = DEFAULTS["nr_epochs"],
        batch_size: int | None = DEFAULTS["batch_size"],
        learning_rate: float = DEFAULTS["learning_rate"],
        weight_decay: float = DEFAULTS["weight_decay"],
        nr_restarts: int = DEFAULTS["nr_restarts"],
        scheduler_t_mult: int = DEFAULTS["scheduler_t_mult"],
        augmentation_probability: float = DEFAULTS["augmentation_probability"],
        early_stopping: bool = DEFAULTS["early_stopping"],
        validation_fraction: float = DEFAULTS["validation_fraction"],
        patience: int = DEFAULTS["patience"],
        n_bins: int = DEFAULTS["n_bins"],
        robust: bool = DEFAULTS["robust"],
        categorical: list | None = DEFAULTS["categorical"],
        numeric_scaling: str = DEFAULTS["numeric_scaling"],
        max_categories: int = DEFAULTS["max_categories"],
        device: str = DEFAULTS["device"],
        n_jobs: int | None = DEFAULTS["n_jobs"],
        random_state: int | None = DEFAULTS["random_state"],
        verbose: int = DEFAULTS["verbose"],
    ) -> None:
        _store(self, locals())

    # ---- subclass hooks ----------------------------------------------------------------------
    def _encode_target(self, y):
        raise NotImplementedError

    def _build_module(self, n_features: int, n_outputs: int):
        return TabResNet(
            n_features=n_features,
            n_outputs=n_outputs,
            hidden_size=self.hidden_size,
            nr_blocks=self.nr_blocks,
            dropout=self.dropout_rate,
            n_bins=self.n_bins,
            robust=self.robust,
        )

    # ---- validation --------------------------------------------------------------------------
    def _check_params(self) -> None:
        """Check every setting with its spec in :data:`inn.settings.SETTINGS`; a ValueError
        naming the first bad one."""
        for name in self._get_param_names():
            SETTINGS[name].check(name, getattr(self, name))

    def _validate_X(self, X, *, reset: bool, y=None):
        """``X`` as the float32 matrix the network reads (and ``y``, when ``reset``).

        With ``reset`` (in ``fit``) a DataFrame fits ``preprocessor_``, which encodes it; later
        calls encode with it. Arrays are read in float64 (float32 ones as they are), and the
        columns of a large offset (``input_offset_``, set with ``reset``) are centred before
        the cast to float32 (:meth:`_centre`).
        """
        if reset:
            self.preprocessor_ = None
            self.input_offset_ = None
            if isinstance(X, pd.DataFrame):
                validate_data(self, X, reset=True, skip_check_array=True)  # names, n_features_in_
                self.preprocessor_ = network_frame_encoder(X, self.get_params())
                return check_X_y(self.preprocessor_.transform(X), y, dtype=np.float32)
        elif self.preprocessor_ is not None:
            return self._centre(self.preprocessor_.transform(self._as_frame(X)))
        dtypes = (np.float64, np.float32)  # float32 input is kept: no copy, nothing to recover
        try:
            if reset:
                X, y = validate_data(self, X, y, dtype=dtypes, y_numeric=False)
                self.input_offset_ = float32_offsets(X)
                return self._centre(X), y
            return self._centre(validate_data(self, X, dtype=dtypes, reset=False))
        except ValueError as err:
            if "Input y" in str(err):
                raise
            problem = self._describe_bad_X(X)
            if problem is not None:
                raise ValueError(problem) from err
            if "could not convert" in str(err) or "dtype" in str(err).lower():
                raise ValueError(
                    f"{type(self).__name__} needs numeric X ({err}); pass a pandas DataFrame "
                    "to have it encoded, or encode categorical columns first"
                ) from err
            raise

    def _centre(self, X: np.ndarray) -> np.ndarray:
        """``X`` in float32, the columns with an ``input_offset_`` centred in float64 first;
        a ValueError for values beyond float32's range."""
        X = np.asarray(X)
        offset = getattr(self, "input_offset_", None)  # None: fitted on a frame, or older
        cols = np.zeros(0, dtype=int) if offset is None else np.flatnonzero(offset)
        with np.errstate(over="ignore"):  # values beyond float32 become inf: refused below
            out = X.astype(np.float32, copy=bool(cols.size))
            for j in cols:
                out[:, j] = X[:, j].astype(np.float64) - offset[j]
        if X.dtype != np.float32 and np.isinf(out).any():
            bad = np.flatnonzero(np.isinf(out).any(axis=0))
            raise ValueError(f"X has values beyond float32's range (|x| > {FLOAT32_MAX:.3g}) "
                             f"in columns {_column_names(self, bad[:10])}; rescale them first")
        return out

    def _uncentre(self, X: np.ndarray) -> np.ndarray:
        """The float64 values of network input rows as given (the offsets added back)."""
        offset = getattr(self, "input_offset_", None)
        X = np.asarray(X, dtype=np.float64)
        return X if offset is None else X + offset

    def _describe_bad_X(self, X) -> str | None:
        """What is wrong with numeric ``X`` that validation refused: NaN, infinities or values
        beyond float32's range, by column (None when it is something else)."""
        try:
            if np.iscomplexobj(X):
                return None
            values = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError):
            return None
        if values.ndim != 2:
            return None
        names = list(X.columns) if hasattr(X, "columns") else None
        label = (lambda j: str(names[j])) if names is not None else (lambda j: f"x{j}")
        bad = ~np.isfinite(values)
        if bad.any():
            cols = [label(j) for j in np.flatnonzero(bad.any(axis=0))]
            return (f"X has NaN or infinite values in {int(bad.any(axis=1).sum())} row(s), "
                    f"columns {cols[:10]}{' ...' if len(cols) > 10 else ''}; impute or drop "
                    "them first (inn.TabularPreprocessor imputes)")
        huge = np.abs(values) > FLOAT32_MAX
        if huge.any():
            cols = [label(j) for j in np.flatnonzero(huge.any(axis=0))]
            return (f"X has values beyond float32's range (|x| > {FLOAT32_MAX:.3g}) in columns "
                    f"{cols[:10]}; rescale them first")
        return None

    def _as_frame(self, X) -> pd.DataFrame:
        """``X`` as a frame with the columns seen in ``fit`` (sklearn's errors for mismatched
        names or counts; an array gets the fitted columns in order)."""
        validate_data(self, X, reset=False, skip_check_array=True)
        if isinstance(X, pd.DataFrame):
            return X
        columns = self.preprocessor_.feature_names_in_
        return pd.DataFrame(np.asarray(X, dtype=object), columns=columns).infer_objects()

    # ---- fit ---------------------------------------------------------------------------------
    def fit(self, X, y, *, X_val=None, y_val=None, reference_rows=None):
        """Train on (X, y) with ``n_jobs`` torch threads (the caller's count is restored).

        Args:
            X: numeric array-like ``(n, d)`` without NaN or inf, or a pandas DataFrame with
                numeric, string/categorical and missing values (encoded by ``preprocessor_``).
            y: targets.
            X_val, y_val: optional validation rows for early stopping (best epoch kept). Without
                them, ``early_stopping=True`` holds out ``validation_fraction`` of the rows.
            reference_rows: INN only: rows of the same columns as ``X`` whose mean is the
                reference point r the contributions are measured from (default: the rows of
                ``X``). A cross-fitted ensemble gives every member all of its rows, so that the
                members explain from one r.
        """
        self._check_params()
        seed = check_random_state("random_state", self.random_state)
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together (validation rows and their "
                             f"targets); got only {'X_val' if y_val is None else 'y_val'}")
        if reference_rows is not None and not self._interpretable:
            raise ValueError(f"{type(self).__name__} has no reference point: reference_rows is "
                             "for INN's explanations")
        with torch_threads(resolve_threads(self.n_jobs)):
            self._fit(X, y, X_val, y_val, seed, reference_rows)
            self.n_threads_ = torch.get_num_threads()
        return self

    def _fit(self, X, y, X_val, y_val, seed: int, reference_rows=None):
        X, y = self._validate_X(X, reset=True, y=y)
        if X.shape[0] < 2:
            raise ValueError(f"got {X.shape[0]} sample; training needs at least 2 (BatchNorm)")
        y_enc = self._encode_target(y)
        if X_val is not None:
            X_val = self._validate_X(X_val, reset=False)
            y_val_enc = self._encode_validation_target(y_val, len(X_val))
        self.device_ = resolve_device(self.device)
        rng = np.random.default_rng(seed)
        # The reference point and the encoder's statistics come from all rows given to fit (not
        # only those left after an internal hold-out), so r is the mean of X as documented.
        X_all = torch.from_numpy(X)
        X_ref = X_all if reference_rows is None else torch.from_numpy(
            self._validate_X(reference_rows, reset=False))
        n_val = int(round(self.validation_fraction * len(X)))
        if X_val is None and self.early_stopping and n_val >= 1 and len(X) - n_val >= 2:
            perm = rng.permutation(len(X))
            val, train = perm[:n_val], perm[n_val:]
            X, X_val, y_enc, y_val_enc = X[train], X[val], y_enc[train], y_enc[val]
        # Initialisation and dropout draw from torch's global generators: seed them for
        # reproducibility inside fork_rng, which restores the caller's random state afterwards.
        with torch.random.fork_rng(devices=_rng_devices(self.device_)):
            torch.random.default_generator.manual_seed(seed)
            if self.device_.type == "cuda":
                torch.cuda.manual_seed_all(seed)
            module = self._fit_module(X, y_enc, X_val, y_val_enc if X_val is not None else None,
                                      X_all, seed, X_ref)
        self.module_ = module
        if self._interpretable:  # (large inputs were warned about above)
            expl = self._explain_scaled(X, warn=False)
            self.feature_importances_ = self._per_column(global_importance(expl[0]))
            self.bias_share_ = bias_share(*expl[:2])
        return self

    def _fit_module(self, X, y_enc, X_val, y_val_enc, X_all, seed: int, X_ref=None):
        """Build the module, fit its encoder on all rows, set INN's reference point to the mean
        of ``X_ref`` (default: all rows) and train it (the seeded part of fit)."""
        k = 1 if self.task_ in ("binary", "regression") else len(self.classes_)
        self._check_memory(X.shape[1], k)
        try:
            module = self._build_module(X.shape[1], k)
        except (MemoryError, RuntimeError) as err:  # what the estimate above did not foresee
            if not isinstance(err, MemoryError) and "alloc" not in str(err):
                raise
            raise ValueError(f"cannot allocate the network (hidden_size={self.hidden_size}, "
                             f"nr_blocks={self.nr_blocks}): {str(err)[:200]}") from None
        module.encoder.fit(X_all)
        self._warn_large_inputs(module, X_all)
        if isinstance(module, INN):
            module.reference.copy_((X_all if X_ref is None else X_ref).mean(dim=0))
        module.to(self.device_)
        to_dev = self._to_device
        trainer = Trainer(
            module, task=self.task_, config=TrainingConfig.from_params(self.get_params()),
            device=self.device_, seed=seed,
        )
        val_args = () if X_val is None else (to_dev(X_val), self._target_tensor(y_val_enc))
        trainer.fit(to_dev(X), self._target_tensor(y_enc), *val_args)
        self.history_ = trainer.history
        self.best_epoch_ = trainer.best_epoch_
        self.batch_size_ = trainer.batch_size_
        return module

    def _check_memory(self, n_features: int, n_outputs: int) -> None:
        """A ValueError, before any allocation, when the network's parameters with their
        gradients and AdamW's two moments (4 float32 copies) exceed the free memory of the
        device: a hidden_size of 100000 would otherwise end in an allocator's traceback or the
        kernel's OOM killer."""
        with torch.device("meta"):  # shapes only, no memory
            n_params = sum(p.numel() for p in self._build_module(n_features,
                                                                 n_outputs).parameters())
        need = 16 * n_params
        free = _free_memory(self.device_)
        if free is not None and need > free:
            raise ValueError(
                f"the network (hidden_size={self.hidden_size}, nr_blocks={self.nr_blocks}, "
                f"{n_features} input columns) has {n_params:.3g} parameters, which with their "
                f"gradients and optimizer state need about {need / 2**30:.3g} GiB; only "
                f"{free / 2**30:.3g} GiB are free on {self.device_}: use a smaller hidden_size")

    def _warn_large_inputs(self, module, X_all: torch.Tensor) -> None:
        """Warn about columns that reach :data:`LARGE_INPUT` after the input encoding (only
        without ``robust``, which scales every column)."""
        with torch.no_grad():
            peak = module.encoder.transform(X_all).abs().amax(dim=0).double().numpy()
        large = np.flatnonzero(peak >= LARGE_INPUT)
        if large.size:
            names = _column_names(self, large[:10])
            warnings.warn(
                f"columns {names}{' ...' if large.size > 10 else ''} reach |x| = "
                f"{peak[large].max():.3g} after the input encoding; training on such magnitudes "
                "is unreliable: standardise them (e.g. inn.data.TabularPreprocessor)"
                + ("" if self.robust else " or use robust=True"), UserWarning, stacklevel=3)

    def _encode_validation_target(self, y_val, n_rows: int):
        y_val = np.asarray(y_val)
        if y_val.ndim != 1 or len(y_val) != n_rows:
            raise ValueError(f"y_val must be 1-D with one target per row of X_val ({n_rows}), "
                             f"got shape {y_val.shape}")
        try:
            return self._encode_target(y_val, refit=False)
        except ValueError as err:
            raise ValueError(f"y_val: {err}") from None

    def _column_groups(self) -> np.ndarray:
        """For each encoded column, the position of its column in the frame given to fit."""
        where = {str(c): j for j, c in enumerate(self.preprocessor_.feature_names_in_)}
        return np.array([where[f] for f in self.preprocessor_.feature_map_])

    def _per_column(self, values: np.ndarray, axis: int = 0) -> np.ndarray:
        """Sum ``values`` over the encoded columns of each column of the frame given to fit
        (one-hot columns add up; a column dropped as constant gets 0); unchanged for arrays."""
        if self.preprocessor_ is None:
            return values
        values = np.moveaxis(np.asarray(values), axis, 0)
        out = np.zeros((self.n_features_in_, *values.shape[1:]), dtype=values.dtype)
        np.add.at(out, self._column_groups(), values)
        return np.moveaxis(out, 0, axis)

    def _to_device(self, X: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)).to(self.device_)

    def _target_tensor(self, y: np.ndarray) -> torch.Tensor:
        dtype = torch.long if self.task_ == "multiclass" else torch.float32
        return torch.as_tensor(y, dtype=dtype).to(self.device_)

    # ---- forward -----------------------------------------------------------------------------
    @torch.no_grad()
    def _forward(self, X: np.ndarray, parts: bool = False, warn: bool = True):
        """Eval-mode forward pass in chunks with ``n_jobs`` torch threads; returns logits, or
        (contributions, bias, weights)."""
        with torch_threads(resolve_threads(self.n_jobs)):
            return self._forward_chunks(X, parts, warn)

    def _forward_chunks(self, X: np.ndarray, parts: bool, warn: bool):
        self.module_.eval()
        outs = []
        for start in range(0, len(X), PREDICT_CHUNK):
            x = self._to_device(X[start : start + PREDICT_CHUNK])
            out = self.module_(x)
            if parts:
                c = self.module_.contributions(x, out)
                outs.append((c.cpu().numpy(), out.bias.cpu().numpy(), out.weights.cpu().numpy()))
            else:
                outs.append((out.logits.cpu().numpy(),))
        result = tuple(np.concatenate(col) for col in zip(*outs))
        if warn:
            self._warn_large_rows(X)
        self._check_finite(X, result[0], "contributions" if parts else "outputs")
        return result if parts else result[0]

    def _warn_large_rows(self, X: np.ndarray) -> None:
        """Warn when inputs the encoder passes unclipped (all columns without ``robust``; with
        it the two-valued and constant ones, after their scaling) reach :data:`LARGE_INPUT`:
        the outputs are then unreliable."""
        if self.robust:
            enc = self.module_.encoder
            center, scale = enc.center.cpu().numpy(), enc.scale.cpu().numpy()
            passed = ~enc.numeric.cpu().numpy()
            large = np.zeros(X.shape, dtype=bool)
            large[:, passed] = np.abs((X[:, passed] - center[passed]) / scale[passed]) >= \
                LARGE_INPUT
        else:
            large = np.abs(X) >= LARGE_INPUT
        if not large.any():
            return
        rows, cols = np.flatnonzero(large.any(axis=1)), np.flatnonzero(large.any(axis=0))
        given = np.abs(self._uncentre(X[rows]))[large[rows]]  # the values as given
        warnings.warn(
            f"inputs reach |x| = {given.max():.3g} in columns "
            f"{_column_names(self, cols[:10])} ({rows.size} row(s), first: {rows[:10].tolist()}); "
            "the network's outputs and contributions for such values are unreliable",
            UserWarning, stacklevel=4)

    def _check_finite(self, X: np.ndarray, values: np.ndarray, what: str) -> None:
        """Raise a ValueError that names the rows (and the columns, for contributions or inputs
        far outside the training range) where the network's ``what`` are not finite."""
        bad = ~np.isfinite(values)
        if not bad.any():
            return
        rows = np.flatnonzero(bad.reshape(len(values), -1).any(axis=1))
        if what == "contributions":  # (n, d, k)
            cols = np.flatnonzero(bad.any(axis=(0, 2)))
        else:  # the inputs furthest from their training scale
            cols = np.flatnonzero(np.abs(X[rows]).max(axis=0) >= LARGE_INPUT)
        where = f"; columns {_column_names(self, cols[:10])}" if cols.size else ""
        raise ValueError(
            f"the network's {what} are not finite for {rows.size} row(s) (first: "
            f"{rows[:10].tolist()}){where}; these inputs are far outside the training data's "
            "scale: check or clip them (robust=True clips numeric columns)")

    def _raw_output(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return self._forward(X)

    def _explain_scaled(self, X: np.ndarray, warn: bool = True):
        return self._forward(X, parts=True, warn=warn)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


def _check_labels(y) -> None:
    """A ValueError for class labels numpy cannot sort: missing ones (None, NaN) and a mix of
    numbers and text (numpy's own error is a bare TypeError about ``<``)."""
    values = np.asarray(y, dtype=object).ravel()
    if not values.size or np.asarray(y).dtype != object:
        return
    missing = np.flatnonzero(pd.isna(values))
    if missing.size:
        raise ValueError(f"y has {missing.size} missing label(s) (None or NaN; first at rows "
                         f"{missing[:5].tolist()}); drop those rows or give them a class")
    kinds = {}
    for t in {type(v) for v in values}:
        kind = "text" if issubclass(t, str) else "number" if issubclass(
            t, (int, float, np.number)) and not issubclass(t, (bool, np.bool_)) else t.__name__
        kinds.setdefault(kind, next(v for v in values if type(v) is t))
    if len(kinds) > 1:
        shown = ", ".join(f"{k} {plain(v)!r}" for k, v in sorted(kinds.items()))
        raise ValueError(f"y mixes labels of different kinds ({shown}); give every label the "
                         "same type, e.g. y.astype(str)")


class _ClassifierMixin(ClassifierMixin):
    def _encode_target(self, y, refit: bool = True):
        _check_labels(y)
        if refit:
            check_classification_targets(y)
            if type_of_target(y) not in ("binary", "multiclass"):
                raise ValueError(f"unsupported target type {type_of_target(y)!r}")
            self._label_encoder = LabelEncoder().fit(y)
            self.classes_ = self._label_encoder.classes_
            if len(self.classes_) < 2:
                raise ValueError(
                    f"y has a single class ({self.classes_[0]!r}); a classifier needs at least 2"
                )
            self.task_ = "binary" if len(self.classes_) == 2 else "multiclass"
        return self._label_encoder.transform(y)

    def decision_function(self, X) -> np.ndarray:
        """Logits: ``(n,)`` for binary (of the second class), ``(n, k)`` for multiclass."""
        logits = self._raw_output(X)
        return logits[:, 0] if self.task_ == "binary" else logits

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(n, n_classes)`` in the order of ``classes_``."""
        logits = torch.from_numpy(self._raw_output(X).astype(np.float64))
        if self.task_ == "binary":
            p = torch.sigmoid(logits[:, 0]).numpy()
            return np.column_stack([1.0 - p, p])
        return torch.softmax(logits, dim=1).numpy()

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class _RegressorMixin(RegressorMixin):
    """Regression on a standardised target (so one ``weight_norm`` suits every scale)."""

    def _encode_target(self, y, refit: bool = True):
        y = np.asarray(y, dtype=np.float64)  # None becomes NaN here
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D for regression, got shape {y.shape}")
        bad = np.flatnonzero(~np.isfinite(y))
        if bad.size:
            raise ValueError(f"y has {bad.size} missing or infinite value(s) (None, NaN or inf; "
                             f"first at rows {bad[:5].tolist()}); drop those rows")
        if refit:
            self.task_ = "regression"
            self.y_mean_, self.y_std_ = target_mean_std(y)
        return ((y - self.y_mean_) / self.y_std_).astype(np.float32)

    def predict(self, X) -> np.ndarray:
        return self._raw_output(X)[:, 0].astype(np.float64) * self.y_std_ + self.y_mean_


class _InterpretableMixin:
    """INN-specific settings and the explanation API."""

    _interpretable = True

    def _build_module(self, n_features: int, n_outputs: int):
        return INN(
            n_features=n_features,
            n_outputs=n_outputs,
            hidden_size=self.hidden_size,
            nr_blocks=self.nr_blocks,
            dropout=self.dropout_rate,
            bias=self.bias,
            n_bins=self.n_bins,
            robust=self.robust,
            shape_functions=self.shape_functions,
            members=self.members,
        )

    def explain(self, X, *, per_column: bool = True) -> Explanation:
        """Per-row contributions ``w(x) * z(x)`` (``z = phi(T(x)) - phi(T(r))``, see INN), the bias,
        the raw weights, the rows' values and the reference point.

        ``contributions.sum(axis=1) + bias`` equals the logit (classification; for binary the
        logit of ``classes_[1]``, named in ``positive_class``) or the prediction in target units
        (regression).

        For a model fitted on a DataFrame the features are the frame's columns: a column's
        contribution is the sum over its encoded columns (one-hot columns of a categorical
        feature add up), ``values`` are the rows as given and ``reference`` the reference point
        in original units (numeric: the training mean with the scaling undone; categorical: the
        mix of categories, as the reference is the mean of the one-hot columns). A column
        dropped in ``fit`` as constant contributes 0. ``per_column=False`` explains the encoded
        columns instead (names like ``"Home=rent"``, with the raw weights).
        """
        check_is_fitted(self)
        frame = None
        if self.preprocessor_ is not None:
            frame = self._as_frame(X)
            X = self._centre(self.preprocessor_.transform(frame))
        else:
            X = self._validate_X(X, reset=False)
        contrib, bias, weights = self._explain_scaled(X)
        if self.task_ == "regression":
            contrib, weights = contrib * self.y_std_, weights * self.y_std_
            bias = bias * self.y_std_ + self.y_mean_
        if self.task_ != "multiclass":
            contrib, bias, weights = contrib[..., 0], bias[..., 0], weights[..., 0]
        output = contrib.sum(axis=1, dtype=np.float64) + bias
        grouped = frame is not None and per_column
        if grouped:
            contrib, weights = self._per_column(contrib, axis=1), None
        names, values, reference = described_features(
            self, frame, None if grouped else self._uncentre(X), self.reference(),
            per_column=per_column)
        return Explanation(
            contributions=contrib.astype(np.float64),
            bias=bias.astype(np.float64),
            weights=None if weights is None else weights.astype(np.float64),
            output=output,
            feature_names=names,
            class_names=list(self.classes_) if self.task_ == "multiclass" else None,
            values=values,
            reference=reference,
            positive_class=plain(self.classes_[1]) if self.task_ == "binary" else None,
        )

    def reference(self) -> np.ndarray:
        """The reference point r (the training mean of the encoded X) the contributions are
        measured from; in original units it is the ``reference`` of :meth:`explain`."""
        check_is_fitted(self)
        return self._uncentre(self.module_.reference.cpu().numpy())

    def sparsity(self, X, tol: float = 0.01) -> float:
        """Share of per-row weights with ``|w_i(x)| < tol`` (standardised-target units)."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        weights = self._explain_scaled(X)[2]
        return float((np.abs(weights) < tol).mean())


_INN_DOC = "\n\n" + args_doc(INN_SETTINGS) + """

    Fitted attributes: ``module_``, ``history_``, ``n_threads_`` (torch threads of the fit),
    ``batch_size_`` (rows per step it trained with), ``n_features_in_``, ``feature_names_in_``
    (DataFrames), ``preprocessor_`` (the fitted encoder of a DataFrame X, else None),
    ``input_offset_`` (array X: per column, the median subtracted in float64 before the cast to
    float32 where the column's offset would swamp its variation, as in 1e12 + N(0, 1); else 0),
    ``feature_importances_`` (one entry per column of X, aligned with ``feature_names_in_``:
    mean |contribution| over the training rows of the column's encoded columns, summed over
    one-hot columns and classes, normalised to sum 1), ``bias_share_`` (on the training rows,
    see :func:`inn.explanation.bias_share`), and ``classes_`` (classifiers).
"""


class INNClassifier(_InterpretableMixin, _ClassifierMixin, _NetworkEstimator):
    __doc__ = "Interpretable network classifier (binary: one logit for classes_[1])." + _INN_DOC

    def __init__(
        self,
        *,
        weight_norm: float = DEFAULTS["weight_norm"],
        bias: str = DEFAULTS["bias"],
        consistency_weight: float = DEFAULTS["consistency_weight"],
        consistency_rows: float = DEFAULTS["consistency_rows"],
        shape_functions: bool = DEFAULTS["shape_functions"],
        additive_epochs: int = DEFAULTS["additive_epochs"],
        global_lr_multiplier: float = DEFAULTS["global_lr_multiplier"],
        members: int = DEFAULTS["members"],
        nr_blocks: int = DEFAULTS["nr_blocks"],
        hidden_size: int = DEFAULTS["hidden_size"],
        dropout_rate: float = DEFAULTS["dropout_rate"],
        nr_epochs: int = DEFAULTS["nr_epochs"],
        batch_size: int | None = DEFAULTS["batch_size"],
        learning_rate: float = DEFAULTS["learning_rate"],
        weight_decay: float = DEFAULTS["weight_decay"],
        nr_restarts: int = DEFAULTS["nr_restarts"],
        scheduler_t_mult: int = DEFAULTS["scheduler_t_mult"],
        augmentation_probability: float = DEFAULTS["augmentation_probability"],
        early_stopping: bool = DEFAULTS["early_stopping"],
        validation_fraction: float = DEFAULTS["validation_fraction"],
        patience: int = DEFAULTS["patience"],
        n_bins: int = DEFAULTS["n_bins"],
        robust: bool = DEFAULTS["robust"],
        categorical: list | None = DEFAULTS["categorical"],
        numeric_scaling: str = DEFAULTS["numeric_scaling"],
        max_categories: int = DEFAULTS["max_categories"],
        device: str = DEFAULTS["device"],
        n_jobs: int | None = DEFAULTS["n_jobs"],
        random_state: int | None = DEFAULTS["random_state"],
        verbose: int = DEFAULTS["verbose"],
    ) -> None:
        _store(self, locals())


class INNRegressor(_InterpretableMixin, _RegressorMixin, _NetworkEstimator):
    __doc__ = "Interpretable network regressor (target standardised internally)." + _INN_DOC
    __init__ = INNClassifier.__init__


_TABRESNET_DOC = """

    It takes the training and input settings of :class:`INNClassifier` (a DataFrame X is
    encoded the same way), without the INN-only ones.

""" + args_doc(NETWORK_SETTINGS)


class TabResNetClassifier(_ClassifierMixin, _NetworkEstimator):
    __doc__ = ("Black-box residual network classifier: INN's trunk with an ordinary output head."
               + _TABRESNET_DOC)


class TabResNetRegressor(_RegressorMixin, _NetworkEstimator):
    __doc__ = "Black-box residual network regressor (target standardised internally)." + \
        _TABRESNET_DOC


ESTIMATORS = {
    cls.__name__: cls
    for cls in (INNClassifier, INNRegressor, TabResNetClassifier, TabResNetRegressor)
}


def with_preprocessor(estimator: _NetworkEstimator, preprocessor,
                      classes=None) -> _NetworkEstimator:
    """An estimator fitted on the output of a fitted :class:`inn.data.TabularPreprocessor` as
    one that takes the raw frames: a shallow copy whose ``preprocessor_`` is ``preprocessor``,
    exactly what fitting on the raw training frame with the same encoder settings gives.

    ``classes``: for a classifier fitted on targets encoded as 0..k-1, the original label of
    each code, which the copy then predicts. The experiment pipeline encodes data and targets
    itself; it saves its INN this way so that the saved model explains rows of the original
    data in its labels.
    """
    check_is_fitted(estimator)
    if estimator.preprocessor_ is not None:
        raise ValueError("the estimator encodes its input already (it was fitted on a frame)")
    n_out = len(preprocessor.feature_names_out_)
    if estimator.n_features_in_ != n_out:
        raise ValueError(f"the estimator reads {estimator.n_features_in_} columns, the "
                         f"preprocessor makes {n_out}")  # fmt: skip
    est = copy.copy(estimator)
    est.set_params(categorical=preprocessor.categorical,
                   numeric_scaling=preprocessor.numeric_scaling,
                   max_categories=preprocessor.max_categories)  # fmt: skip
    est.preprocessor_ = preprocessor
    _set_columns(est, list(preprocessor.feature_names_in_))
    if hasattr(estimator, "feature_importances_"):
        est.feature_importances_ = est._per_column(estimator.feature_importances_)
    if classes is not None and hasattr(estimator, "classes_"):
        est.classes_ = np.asarray(classes)[estimator.classes_.astype(int)]
        est._label_encoder = LabelEncoder()
        est._label_encoder.classes_ = est.classes_
    return est


def _set_columns(est, columns: list) -> None:
    """``n_features_in_`` and, as scikit-learn does, ``feature_names_in_`` when all are str."""
    est.n_features_in_ = len(columns)
    if all(isinstance(c, str) for c in columns):
        est.feature_names_in_ = np.array(columns, dtype=object)
    elif hasattr(est, "feature_names_in_"):
        del est.feature_names_in_


WEIGHTS_FILE, META_FILE, MANIFEST_FILE = "weights.pt", "meta.json", "manifest.json"
MANIFEST_FORMAT = 1


def save(estimator: _NetworkEstimator, path) -> Path:
    """Save a fitted estimator to the folder ``path``: ``weights.pt``, ``meta.json`` and
    ``manifest.json`` (the SHA-256 of the other two, which :func:`load` checks).

    Loading needs no pickle of arbitrary objects: the weights are a plain state dict and the
    metadata is JSON (the fitted preprocessor of a frame-fitted model included).
    """
    check_is_fitted(estimator)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    module = estimator.module_
    meta = {
        "class": type(estimator).__name__,
        "params": estimator.get_params(),
        "task": estimator.task_,
        "n_features_in": int(estimator.n_features_in_),
        "n_inputs": int(module.encoder.n_features),
        "n_outputs": int(module.head.out_features)
        if not estimator._interpretable
        else int(module.n_outputs),
    }
    if hasattr(estimator, "feature_names_in_"):
        meta["feature_names_in"] = [str(n) for n in estimator.feature_names_in_]
    if estimator.preprocessor_ is not None:
        meta["preprocessor"] = estimator.preprocessor_.get_state()
    if hasattr(estimator, "classes_"):
        meta["classes"] = estimator.classes_.tolist()
        meta["classes_dtype"] = estimator.classes_.dtype.str
    for name in ("y_mean_", "y_std_", "bias_share_"):
        if hasattr(estimator, name):
            meta[name] = getattr(estimator, name)
    if hasattr(estimator, "feature_importances_"):
        meta["feature_importances"] = estimator.feature_importances_.tolist()
    offset = getattr(estimator, "input_offset_", None)
    if offset is not None and offset.any():
        meta["input_offset"] = offset.tolist()
    state = {k: v.cpu() for k, v in module.state_dict().items()}
    torch.save(state, path / WEIGHTS_FILE)
    (path / META_FILE).write_text(json.dumps(meta, indent=2))
    manifest = {"format": MANIFEST_FORMAT,
                "files": {name: file_sha256(path / name) for name in (WEIGHTS_FILE, META_FILE)}}
    (path / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2))
    return path


def load(path, device: str = "cpu") -> _NetworkEstimator:
    """Load an estimator saved with :func:`save` (``weights_only`` torch loading).

    The folder is checked before it is trusted; every disagreement is a ValueError that names
    the file: a file whose SHA-256 differs from ``manifest.json``'s (changed after saving), a
    ``meta.json`` that is not a valid description (class, task, classes, settings, column
    counts, preprocessor, target scaling) or disagrees with itself (e.g. a classifier with the
    task ``regression``, two class names for a multiclass head), a ``weights.pt`` that is
    empty, truncated or not a state dict, or whose tensors do not have the shapes the metadata
    implies or are not finite. A folder saved before manifests existed loads when all of these
    checks pass, with a warning that its files could not be checked against what was saved.
    """
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"model folder {path}: " + ("not a folder" if path.exists() else
                                                     "no such folder"))
    verified = _check_manifest(path)
    meta_path = path / META_FILE
    meta = _read_json(meta_path)
    try:
        est, n_inputs, n_outputs = _estimator_from_meta(meta, device)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        what = f"lacks the key {err}" if isinstance(err, KeyError) else str(err)
        raise ValueError(f"{meta_path}: {what}") from None
    module = est._build_module(n_inputs, n_outputs)
    state = _read_weights(path / WEIGHTS_FILE)
    try:
        module.load_state_dict(state)
    except RuntimeError as err:  # missing, unexpected or differently shaped tensors
        detail = " ".join(str(err).split())[:400]
        raise ValueError(f"{path / WEIGHTS_FILE} does not fit {meta_path.name} "
                         f"({detail})") from None
    est.module_ = module.to(est.device_).eval()
    est.history_ = []
    est.best_epoch_ = None
    if not verified:
        warnings.warn(f"model folder {path} has no {MANIFEST_FILE} (saved by an older version): "
                      "its files agree with each other, but cannot be checked against what was "
                      "saved; save it again to add one", UserWarning, stacklevel=2)
    return est


def _read_json(path: Path) -> dict:
    """A JSON object from ``path``; a ValueError naming it otherwise."""
    try:
        value = json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ValueError(f"{path}: not readable JSON ({err})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{path}: a JSON {type(value).__name__}, not an object")
    return value


def _check_manifest(path: Path) -> bool:
    """Compare the folder's files with the SHA-256 in its manifest; False when it has none."""
    manifest_path = path / MANIFEST_FILE
    if not manifest_path.exists():
        return False
    files = _read_json(manifest_path).get("files")
    if not isinstance(files, dict) or set(files) != {WEIGHTS_FILE, META_FILE}:
        raise ValueError(f"{manifest_path}: 'files' must give the SHA-256 of {WEIGHTS_FILE} and "
                         f"{META_FILE}, got {files!r}"[:300])
    for name, digest in files.items():
        if not (path / name).is_file():
            raise ValueError(f"{path / name}: missing (listed in {MANIFEST_FILE})")
        if file_sha256(path / name) != digest:
            raise ValueError(f"{path / name}: its SHA-256 differs from the one in "
                             f"{MANIFEST_FILE}: the file changed after the model was saved")
    return True


def _read_weights(path: Path) -> dict:
    """The state dict in ``path``; a ValueError naming the file for anything else."""
    if not path.is_file():
        raise ValueError(f"{path}: missing")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: the file is empty")
    try:
        state = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as err:  # truncated zip, EOF, unpickling refused, ...: all mean damaged
        detail = " ".join(str(err).split())[:200] or "no detail"
        raise ValueError(f"{path}: cannot be read as saved weights (truncated or damaged?): "
                         f"{type(err).__name__}: {detail}") from None
    if not isinstance(state, dict) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise ValueError(f"{path}: not a state dict of named tensors")
    bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise ValueError(f"{path}: tensors {bad[:5]} hold NaN or infinite values")
    return state


def _number(meta: dict, key: str, *, positive: bool = False) -> float:
    value = meta[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) \
            or (positive and value <= 0):
        raise ValueError(f"{key} must be a finite{' positive' if positive else ''} number, "
                         f"got {value!r}")
    return float(value)


def _count(meta: dict, key: str, default=None) -> int:
    value = meta.get(key, default) if default is not None else meta[key]
    return Int(1).check(key, value)


def _estimator_from_meta(meta: dict, device: str):
    """The estimator ``meta`` describes (without its module), and the module's input and
    output widths; KeyError / TypeError / ValueError for what is missing or inconsistent."""
    cls = meta["class"]
    if cls not in ESTIMATORS:
        raise ValueError(f"unknown estimator class {cls!r}")
    if not isinstance(meta["params"], dict):
        raise ValueError(f"params must be an object, got {meta['params']!r}")
    est = ESTIMATORS[cls](**{**meta["params"], "device": device})
    est._check_params()
    est.device_ = resolve_device(device)
    classifier = isinstance(est, ClassifierMixin)
    tasks = ("binary", "multiclass") if classifier else ("regression",)
    if meta["task"] not in tasks:
        raise ValueError(f"task {meta['task']!r} does not fit the class {cls} "
                         f"(expects {' or '.join(tasks)})")
    est.task_ = meta["task"]
    est.n_features_in_ = n_features = _count(meta, "n_features_in")
    # models saved before frames were encoded inside have no n_inputs: their input was X
    n_inputs = _count(meta, "n_inputs", n_features)
    n_outputs = _count(meta, "n_outputs")
    names = meta.get("feature_names_in")
    if names is not None:
        if not (isinstance(names, list) and len(names) == n_features
                and all(isinstance(n, str) for n in names)):
            raise ValueError(f"feature_names_in must be {n_features} names (n_features_in)")
        est.feature_names_in_ = np.array(names, dtype=object)
    est.preprocessor_ = None
    if "preprocessor" in meta:
        try:
            pre = TabularPreprocessor.from_state(meta["preprocessor"])
        except (KeyError, TypeError, ValueError, IndexError) as err:
            raise ValueError(f"preprocessor: not a valid state ({type(err).__name__}: "
                             f"{err})") from None
        if len(pre.feature_names_out_) != n_inputs or pre.n_features_in_ != n_features:
            raise ValueError(f"the preprocessor takes {pre.n_features_in_} columns and makes "
                             f"{len(pre.feature_names_out_)}; n_features_in and n_inputs say "
                             f"{n_features} and {n_inputs}")
        est.preprocessor_ = pre
    elif n_inputs != n_features:
        raise ValueError(f"n_inputs {n_inputs} differs from n_features_in {n_features} without "
                         "a preprocessor")
    if classifier:
        classes = meta["classes"]
        if not isinstance(classes, list) or len(classes) < 2:
            raise ValueError(f"classes must be a list of at least 2 labels, got {classes!r}")
        est.classes_ = np.array(classes, dtype=np.dtype(meta["classes_dtype"]))
        if len(np.unique(est.classes_)) != len(classes) or est.classes_.ndim != 1:
            raise ValueError(f"classes must be distinct labels, got {classes!r}")
        expected = 1 if len(classes) == 2 else len(classes)
        task = "binary" if len(classes) == 2 else "multiclass"
        if est.task_ != task or n_outputs != expected:
            raise ValueError(f"{len(classes)} classes mean task {task} with {expected} "
                             f"output(s); the file says task {est.task_} with {n_outputs}")
        est._label_encoder = LabelEncoder()
        est._label_encoder.classes_ = est.classes_
    else:
        if "classes" in meta:
            raise ValueError(f"a {cls} has no classes")
        if n_outputs != 1:
            raise ValueError(f"a {cls} has 1 output, not {n_outputs}")
        est.y_mean_ = _number(meta, "y_mean_")
        est.y_std_ = _number(meta, "y_std_", positive=True)
    if "bias_share_" in meta:
        est.bias_share_ = _number(meta, "bias_share_")
    if "feature_importances" in meta:
        imp = np.asarray(meta["feature_importances"], dtype=np.float64)
        if imp.shape != (n_features,) or not np.isfinite(imp).all():
            raise ValueError(f"feature_importances must be {n_features} finite numbers")
        est.feature_importances_ = imp
    est.input_offset_ = None
    if "input_offset" in meta:
        offset = np.asarray(meta["input_offset"], dtype=np.float64)
        if offset.shape != (n_inputs,) or not np.isfinite(offset).all():
            raise ValueError(f"input_offset must be {n_inputs} finite numbers")
        est.input_offset_ = offset
    return est, n_inputs, n_outputs
