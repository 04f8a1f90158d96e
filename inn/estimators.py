"""scikit-learn estimators: INNClassifier, INNRegressor and the TabResNet twins.

All settings are constructor arguments that ``__init__`` only stores; ``fit`` learns the fitted
attributes (ending in ``_``). Inputs must be numeric: put :class:`inn.data.TabularPreprocessor`
(or any encoder) in front of the estimator in a :class:`~sklearn.pipeline.Pipeline` for raw
frames with categorical columns.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from inn.explanation import Explanation, bias_share, global_importance
from inn.modules import INN, TabResNet
from inn.threads import resolve_threads, torch_threads
from inn.training import Trainer, TrainingConfig

PREDICT_CHUNK = 65536


def resolve_device(device: str) -> torch.device:
    """``"auto"`` picks CUDA when available, else the CPU; anything else is passed to torch."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class _NetworkEstimator(BaseEstimator):
    """Shared fit/predict machinery; subclasses set the task handling and the module."""

    _interpretable = False

    def __init__(
        self,
        *,
        nr_blocks: int = 2,
        hidden_size: int = 128,
        dropout_rate: float = 0.25,
        nr_epochs: int = 100,
        batch_size: int = 256,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.01,
        nr_restarts: int = 3,
        scheduler_t_mult: int = 2,
        augmentation_probability: float = 0.0,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        patience: int = 20,
        n_bins: int = 8,
        robust: bool = True,
        device: str = "auto",
        n_jobs: int | None = 1,
        random_state: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.n_bins = n_bins
        self.robust = robust
        self.nr_blocks = nr_blocks
        self.hidden_size = hidden_size
        self.dropout_rate = dropout_rate
        self.nr_epochs = nr_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.nr_restarts = nr_restarts
        self.scheduler_t_mult = scheduler_t_mult
        self.augmentation_probability = augmentation_probability
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

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
        checks = {
            "nr_blocks": self.nr_blocks >= 0,
            "hidden_size": self.hidden_size >= 1,
            "dropout_rate": 0 <= self.dropout_rate < 1,
            "nr_epochs": self.nr_epochs >= 1,
            "batch_size": self.batch_size >= 2,
            "learning_rate": self.learning_rate > 0,
            "weight_decay": self.weight_decay >= 0,
            "nr_restarts": self.nr_restarts >= 1,
            "scheduler_t_mult": self.scheduler_t_mult >= 1,
            "augmentation_probability": 0 <= self.augmentation_probability <= 1,
            "validation_fraction": 0 < self.validation_fraction < 1,
            "patience": self.patience >= 1,
            "n_bins": self.n_bins >= 0,
            "n_jobs": self.n_jobs is None or (isinstance(self.n_jobs, (int, np.integer))
                                              and self.n_jobs != 0),
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"invalid {name}={getattr(self, name)!r}")

    def _validate_X(self, X, *, reset: bool, y=None):
        try:
            if reset:
                return validate_data(self, X, y, dtype=np.float32, y_numeric=False)
            return validate_data(self, X, dtype=np.float32, reset=False)
        except ValueError as err:
            if "could not convert" in str(err) or "dtype" in str(err).lower():
                raise ValueError(
                    f"{type(self).__name__} needs numeric X ({err}); encode categorical columns "
                    "first, e.g. with inn.TabularPreprocessor in a Pipeline"
                ) from err
            raise

    # ---- fit ---------------------------------------------------------------------------------
    def fit(self, X, y, *, X_val=None, y_val=None):
        """Train on (X, y) with ``n_jobs`` torch threads (the caller's count is restored).

        Args:
            X: numeric array-like ``(n, d)``; no NaN or inf.
            y: targets.
            X_val, y_val: optional validation rows for early stopping (best epoch kept). Without
                them, ``early_stopping=True`` holds out ``validation_fraction`` of the rows.
        """
        self._check_params()
        with torch_threads(resolve_threads(self.n_jobs)):
            self._fit(X, y, X_val, y_val)
            self.n_threads_ = torch.get_num_threads()
        return self

    def _fit(self, X, y, X_val, y_val):
        X, y = self._validate_X(X, reset=True, y=y)
        if X.shape[0] < 2:
            raise ValueError(f"got {X.shape[0]} sample; training needs at least 2 (BatchNorm)")
        y_enc = self._encode_target(y)
        self.device_ = resolve_device(self.device)
        seed = (
            self.random_state
            if self.random_state is not None
            else int(np.random.randint(0, 2**31 - 1))
        )
        rng = np.random.default_rng(seed)
        # The reference point and the encoder's statistics come from all rows given to fit (not
        # only those left after an internal hold-out), so r is the mean of X as documented.
        X_all = torch.from_numpy(X)
        n_val = int(round(self.validation_fraction * len(X)))
        if X_val is None and self.early_stopping and n_val >= 1 and len(X) - n_val >= 2:
            perm = rng.permutation(len(X))
            val, train = perm[:n_val], perm[n_val:]
            X, X_val, y_enc, y_val_enc = X[train], X[val], y_enc[train], y_enc[val]
        elif X_val is not None:
            X_val = self._validate_X(X_val, reset=False)
            y_val_enc = self._encode_target(np.asarray(y_val), refit=False)
        # Seeds the global torch RNG (used by dropout and initialisation) for reproducibility.
        torch.manual_seed(seed)
        k = 1 if self.task_ in ("binary", "regression") else len(self.classes_)
        module = self._build_module(X.shape[1], k)
        module.encoder.fit(X_all)
        if isinstance(module, INN):
            module.reference.copy_(X_all.mean(dim=0))
        module.to(self.device_)
        to_dev = self._to_device
        trainer = Trainer(
            module, task=self.task_, config=TrainingConfig.from_params(self.get_params()),
            device=self.device_, seed=seed,
        )
        val_args = () if X_val is None else (to_dev(X_val), self._target_tensor(y_val_enc))
        trainer.fit(to_dev(X), self._target_tensor(y_enc), *val_args)
        self.module_ = module
        self.history_ = trainer.history
        self.best_epoch_ = trainer.best_epoch_
        if self._interpretable:
            expl = self._explain_scaled(X)
            self.feature_importances_ = global_importance(expl[0])
            self.bias_share_ = bias_share(*expl[:2])
        return self

    def _to_device(self, X: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)).to(self.device_)

    def _target_tensor(self, y: np.ndarray) -> torch.Tensor:
        dtype = torch.long if self.task_ == "multiclass" else torch.float32
        return torch.as_tensor(y, dtype=dtype).to(self.device_)

    # ---- forward -----------------------------------------------------------------------------
    @torch.no_grad()
    def _forward(self, X: np.ndarray, parts: bool = False):
        """Eval-mode forward pass in chunks with ``n_jobs`` torch threads; returns logits, or
        (contributions, bias, weights)."""
        with torch_threads(resolve_threads(self.n_jobs)):
            return self._forward_chunks(X, parts)

    def _forward_chunks(self, X: np.ndarray, parts: bool):
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
        return result if parts else result[0]

    def _raw_output(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return self._forward(X)

    def _explain_scaled(self, X: np.ndarray):
        return self._forward(X, parts=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


class _ClassifierMixin(ClassifierMixin):
    def _encode_target(self, y, refit: bool = True):
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
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D for regression, got shape {y.shape}")
        if refit:
            self.task_ = "regression"
            self.y_mean_ = float(y.mean())
            self.y_std_ = float(y.std()) or 1.0
        return ((y - self.y_mean_) / self.y_std_).astype(np.float32)

    def predict(self, X) -> np.ndarray:
        return self._raw_output(X)[:, 0].astype(np.float64) * self.y_std_ + self.y_mean_


class _InterpretableMixin:
    """INN-specific settings and the explanation API."""

    _interpretable = True

    def _check_params(self) -> None:
        super()._check_params()
        if self.weight_norm < 0:
            raise ValueError(f"weight_norm must be >= 0, got {self.weight_norm!r}")
        if self.consistency_weight < 0:
            raise ValueError(f"consistency_weight must be >= 0, got {self.consistency_weight!r}")
        if not 0 < self.consistency_rows <= 1:
            raise ValueError(f"consistency_rows must be in (0, 1], got {self.consistency_rows!r}")
        if self.members < 1:
            raise ValueError(f"members must be >= 1, got {self.members!r}")
        if self.additive_epochs < 0:
            raise ValueError(f"additive_epochs must be >= 0, got {self.additive_epochs!r}")
        if not self.global_lr_multiplier > 0:
            raise ValueError(
                f"global_lr_multiplier must be > 0, got {self.global_lr_multiplier!r}"
            )

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

    def explain(self, X) -> Explanation:
        """Per-row contributions ``w(x) * z(x)`` (``z = phi(T(x)) - phi(T(r))``, see INN), the bias
        and the raw weights.

        ``contributions.sum(axis=1) + bias`` equals the logit (classification; for binary the
        logit of ``classes_[1]``) or the prediction in target units (regression).
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        contrib, bias, weights = self._explain_scaled(X)
        if self.task_ == "regression":
            contrib, weights = contrib * self.y_std_, weights * self.y_std_
            bias = bias * self.y_std_ + self.y_mean_
        if self.task_ != "multiclass":
            contrib, bias, weights = contrib[..., 0], bias[..., 0], weights[..., 0]
        names = (
            list(self.feature_names_in_)
            if hasattr(self, "feature_names_in_")
            else [f"x{i}" for i in range(self.n_features_in_)]
        )
        classes = list(self.classes_) if self.task_ == "multiclass" else None
        return Explanation(
            contributions=contrib.astype(np.float64),
            bias=bias.astype(np.float64),
            weights=weights.astype(np.float64),
            output=contrib.sum(axis=1, dtype=np.float64) + bias,
            feature_names=names,
            class_names=classes,
        )

    def reference(self) -> np.ndarray:
        """The reference point r (the training mean of X) the contributions are measured from."""
        check_is_fitted(self)
        return self.module_.reference.cpu().numpy().astype(np.float64)

    def sparsity(self, X, tol: float = 0.01) -> float:
        """Share of per-row weights with ``|w_i(x)| < tol`` (standardised-target units)."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        weights = self._explain_scaled(X)[2]
        return float((np.abs(weights) < tol).mean())


_INN_DOC = """
    Args:
        weight_norm: coefficient of the L1 penalty on the per-row weights w(x) (mean |w|).
        bias: ``"global"`` (one bias for all rows; default) or ``"row"`` (emitted per row, the
            original INN formulation).
        consistency_weight: coefficient of the coalition-consistency term that asks the
            contributions of a random feature subset to match the change of the output when the
            other features are set to the reference point (default 0.5; 0 switches it off). It
            makes the contributions as faithful as KernelSHAP on the same model (README,
            "Faithful explanations") at 1.1-1.4x the training time per epoch (measured on CPU).
        consistency_rows: share of each batch that gets the consistency term (cost control).
        shape_functions: learn a piecewise-linear shape function phi_i per numeric column (on
            its ``n_bins`` quantile bins, starting as the identity); contributions are then
            ``w_i(x) * (phi_i(x_i) - phi_i(r_i))``, so with constant weights INN is an additive
            model, and the hypernetwork lets the weights vary by row.
        additive_epochs: epochs of a first phase that fits only the parts shared by all rows
            (w0, shape functions, bias: an additive model); early stopping keeps the best epoch
            of both phases, so INN falls back to the additive model where the hypernetwork does
            not help. 0 skips the phase.
        global_lr_multiplier: learning-rate multiple for the shared parts (w0, bias, shape
            functions), which otherwise move too slowly on small data (few steps per epoch).
        members: ensemble members sharing the trunk (TabM-style); their mean is one linear
            model per row, so explanations stay exact. 1 = no ensemble.
        n_bins: quantile bins per numeric column for the trunk's piecewise-linear input
            encoding and the shape functions (0: neither).
        robust: robust scaling (median, IQR) and smooth clipping to (-3, 3) of numeric columns,
            so heavy tails and values outside the training range cannot dominate.
        nr_blocks, hidden_size, dropout_rate: the residual trunk.
        nr_epochs, batch_size, learning_rate, weight_decay: AdamW training.
        nr_restarts, scheduler_t_mult: cosine annealing with warm restarts (cycles, growth).
        augmentation_probability: chance per batch of Mixup or CutMix (equal odds) on rows.
        early_stopping, validation_fraction, patience: without ``X_val``, early stopping on a
            held-out ``validation_fraction`` of the rows (best epoch kept); with ``X_val`` it is
            always on.
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ...
        n_jobs: torch threads for fit and predict (the caller's count is restored afterwards);
            -1 = every core. The default, 1, is the fastest choice on a busy machine and close
            to the best on an idle one (README, "Performance": threads).
        random_state: seed of initialisation, batch order and augmentation.
        verbose: 1 shows a progress bar over epochs.

    Fitted attributes: ``module_``, ``history_``, ``n_threads_`` (torch threads of the fit),
    ``n_features_in_``, ``feature_names_in_``
    (DataFrames), ``feature_importances_`` (mean |contribution| over the training rows, summed
    over classes, normalised to sum 1), ``bias_share_`` (on the training rows, see
    :func:`inn.explanation.bias_share`), and ``classes_`` (classifiers).
"""


class INNClassifier(_InterpretableMixin, _ClassifierMixin, _NetworkEstimator):
    __doc__ = "Interpretable network classifier (binary: one logit for classes_[1])." + _INN_DOC

    def __init__(
        self,
        *,
        weight_norm: float = 0.1,
        bias: str = "global",
        consistency_weight: float = 0.5,
        consistency_rows: float = 0.25,
        shape_functions: bool = True,
        additive_epochs: int = 50,
        global_lr_multiplier: float = 10.0,
        members: int = 1,
        nr_blocks: int = 2,
        hidden_size: int = 128,
        dropout_rate: float = 0.25,
        nr_epochs: int = 100,
        batch_size: int = 256,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.01,
        nr_restarts: int = 3,
        scheduler_t_mult: int = 2,
        augmentation_probability: float = 0.0,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        patience: int = 20,
        n_bins: int = 8,
        robust: bool = True,
        device: str = "auto",
        n_jobs: int | None = 1,
        random_state: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.weight_norm = weight_norm
        self.bias = bias
        self.consistency_weight = consistency_weight
        self.consistency_rows = consistency_rows
        self.shape_functions = shape_functions
        self.additive_epochs = additive_epochs
        self.global_lr_multiplier = global_lr_multiplier
        self.members = members
        # Explicit base call: INNRegressor reuses this __init__.
        _NetworkEstimator.__init__(
            self,
            nr_blocks=nr_blocks, hidden_size=hidden_size, dropout_rate=dropout_rate,
            nr_epochs=nr_epochs, batch_size=batch_size, learning_rate=learning_rate,
            weight_decay=weight_decay, nr_restarts=nr_restarts,
            scheduler_t_mult=scheduler_t_mult, augmentation_probability=augmentation_probability,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            patience=patience, n_bins=n_bins, robust=robust, device=device, n_jobs=n_jobs,
            random_state=random_state, verbose=verbose,
        )  # fmt: skip


class INNRegressor(_InterpretableMixin, _RegressorMixin, _NetworkEstimator):
    __doc__ = "Interpretable network regressor (target standardised internally)." + _INN_DOC
    __init__ = INNClassifier.__init__


class TabResNetClassifier(_ClassifierMixin, _NetworkEstimator):
    """Black-box residual network classifier: INN's trunk with an ordinary output head.

    Takes the same training arguments as :class:`INNClassifier`, without the INN-only ones.
    """


class TabResNetRegressor(_RegressorMixin, _NetworkEstimator):
    """Black-box residual network regressor (target standardised internally)."""


ESTIMATORS = {
    cls.__name__: cls
    for cls in (INNClassifier, INNRegressor, TabResNetClassifier, TabResNetRegressor)
}


def save(estimator: _NetworkEstimator, path) -> Path:
    """Save a fitted estimator to the folder ``path``: ``weights.pt`` and ``meta.json``.

    Loading needs no pickle of arbitrary objects: the weights are a plain state dict and the
    metadata is JSON.
    """
    check_is_fitted(estimator)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    meta = {
        "class": type(estimator).__name__,
        "params": estimator.get_params(),
        "task": estimator.task_,
        "n_features_in": int(estimator.n_features_in_),
        "n_outputs": int(estimator.module_.head.out_features)
        if not estimator._interpretable
        else int(estimator.module_.n_outputs),
    }
    if hasattr(estimator, "feature_names_in_"):
        meta["feature_names_in"] = [str(n) for n in estimator.feature_names_in_]
    if hasattr(estimator, "classes_"):
        meta["classes"] = estimator.classes_.tolist()
        meta["classes_dtype"] = estimator.classes_.dtype.str
    for name in ("y_mean_", "y_std_", "bias_share_"):
        if hasattr(estimator, name):
            meta[name] = getattr(estimator, name)
    if hasattr(estimator, "feature_importances_"):
        meta["feature_importances"] = estimator.feature_importances_.tolist()
    state = {k: v.cpu() for k, v in estimator.module_.state_dict().items()}
    torch.save(state, path / "weights.pt")
    (path / "meta.json").write_text(json.dumps(meta, indent=2))
    return path


def load(path, device: str = "cpu") -> _NetworkEstimator:
    """Load an estimator saved with :func:`save` (``weights_only`` torch loading)."""
    path = Path(path)
    meta = json.loads((path / "meta.json").read_text())
    if meta["class"] not in ESTIMATORS:
        raise ValueError(f"unknown estimator class {meta['class']!r} in {path / 'meta.json'}")
    est = ESTIMATORS[meta["class"]](**{**meta["params"], "device": device})
    est.device_ = resolve_device(device)
    est.task_ = meta["task"]
    est.n_features_in_ = meta["n_features_in"]
    if "feature_names_in" in meta:
        est.feature_names_in_ = np.array(meta["feature_names_in"], dtype=object)
    if "classes" in meta:
        est.classes_ = np.array(meta["classes"], dtype=np.dtype(meta["classes_dtype"]))
        est._label_encoder = LabelEncoder()
        est._label_encoder.classes_ = est.classes_
    for name in ("y_mean_", "y_std_", "bias_share_"):
        if name in meta:
            setattr(est, name, meta[name])
    if "feature_importances" in meta:
        est.feature_importances_ = np.array(meta["feature_importances"])
    module = est._build_module(meta["n_features_in"], meta["n_outputs"])
    module.load_state_dict(torch.load(path / "weights.pt", weights_only=True))
    est.module_ = module.to(est.device_).eval()
    est.history_ = []
    est.best_epoch_ = None
    return est
