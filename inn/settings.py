"""The settings of the network estimators, each declared once: default, check and description.

:data:`SETTINGS` is the one place where a setting of :class:`inn.INNClassifier`,
:class:`inn.INNRegressor` and the TabResNet twins is written down. Everything else reads it:

- the estimators' signatures take their defaults from it (``nr_epochs=DEFAULTS["nr_epochs"]``),
  so scikit-learn's ``get_params`` and ``clone`` see ordinary keyword arguments;
- ``fit`` checks every setting with its spec (``_check_params``);
- the estimators' ``Args`` docstrings, and so the API reference, are made by :func:`args_doc`;
- the flags of ``main_experiment.py`` (``inn-train``) show the description and the default, and
  parse with the spec (:func:`inn.cli.add_network_arguments`).

This module imports neither torch nor the estimators.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from inn.data.preprocessing import AUTO, MAX_CATEGORIES, NUMERIC_SCALINGS
from inn.validation import Bool, Choice, Columns, Device, Int, RandomState, Real, Threads


@dataclass(frozen=True)
class Setting:
    """One estimator setting.

    Attributes:
        default: the value a fresh estimator has.
        spec: its check (:mod:`inn.validation`: ``check(name, value)``, ``describe()``, and
            ``parse(text)`` or ``options`` for a command-line flag).
        help: one line, plain text: the flag's help and the start of the docstring's entry.
        more: further sentences for the docstring only (reStructuredText allowed).
        inn_only: a setting of INN, not of TabResNet.
    """

    default: object
    spec: object
    help: str
    more: str = ""
    inn_only: bool = False

    def check(self, name: str, value):
        return self.spec.check(name, value)

    def doc(self) -> str:
        """The docstring's entry: description, default and range."""
        more = f" {self.more}" if self.more else ""
        return f"{self.help}.{more} Default ``{self.default!r}``; {self.spec.describe()}."


def _inn(default, spec, help: str, more: str = "") -> Setting:
    return Setting(default, spec, help, more, inn_only=True)


# In the order of INNClassifier's signature; TabResNet takes those that are not inn_only.
SETTINGS: dict[str, Setting] = {
    # ---- INN only --------------------------------------------------------------------------
    "weight_norm": _inn(
        0.1, Real(0), "L1 coefficient on the per-row weights w(x) (mean |w|)"),
    "bias": _inn(
        "global", Choice(("global", "row")),
        "one bias for all rows (global) or one emitted per row (row)",
        "``\"row\"`` is the original INN formulation."),
    "consistency_weight": _inn(
        0.5, Real(0), "weight of the coalition-consistency term (0 = off)",
        "The term asks the contributions of a random feature subset to match the change of the "
        "output when the other features are set to the reference point. It makes the "
        "contributions as faithful as KernelSHAP on the same model (docs, faithfulness.md) at "
        "1.1-1.4x the training time per epoch (measured on CPU)."),
    "consistency_rows": _inn(
        0.0625, Real(0, 1, low_open=True), "share of each batch that gets the consistency term",
        "It sets the term's cost."),
    "shape_functions": _inn(
        True, Bool(), "learn a piecewise-linear shape function per numeric column",
        "phi_i lives on the column's ``n_bins`` quantile bins and starts as the identity; "
        "contributions are then ``w_i(x) * (phi_i(x_i) - phi_i(r_i))``, so with constant "
        "weights INN is an additive model, and the hypernetwork lets the weights vary by row."),
    "additive_epochs": _inn(
        20, Int(0), "epochs of a first phase that fits the additive part only (0 = none)",
        "The phase trains only the parts shared by all rows (w0, shape functions, bias: an "
        "additive model); early stopping keeps the best epoch of both phases, so INN falls "
        "back to the additive model where the hypernetwork does not help."),
    "global_lr_multiplier": _inn(
        10.0, Real(0, low_open=True), "learning-rate multiple of the parts shared by all rows",
        "The shared parts (w0, bias, shape functions) otherwise move too slowly on small data "
        "(few steps per epoch)."),
    "members": _inn(
        1, Int(1), "ensemble members sharing the trunk (1 = no ensemble)",
        "TabM-style: their mean is one linear model per row, so explanations stay exact."),
    # ---- the network and its training --------------------------------------------------------
    "nr_blocks": Setting(2, Int(0), "residual blocks in the trunk"),
    "hidden_size": Setting(128, Int(1), "width of the trunk's layers"),
    "dropout_rate": Setting(0.25, Real(0, 1, high_open=True), "dropout probability in the trunk"),
    "nr_epochs": Setting(
        100, Int(1), "training epochs",
        "For INN, those of the joint phase that follows ``additive_epochs``."),
    "batch_size": Setting(
        None, Int(2, auto="256, doubled while an epoch would take more than 128 steps, at most "
                          "1024"),
        "rows per training step",
        "``None`` grows with the training rows (:func:`inn.training.auto_batch_size`): small "
        "and mid-sized data train with 256 rows per step as before, 48,000 rows with 512."),
    "learning_rate": Setting(1e-3, Real(0, low_open=True), "AdamW's peak learning rate"),
    "weight_decay": Setting(0.01, Real(0), "AdamW's decoupled weight decay"),
    "nr_restarts": Setting(
        3, Int(1), "number of cosine annealing cycles (1 = plain cosine annealing)",
        "The learning rate follows cosine annealing with warm restarts."),
    "scheduler_t_mult": Setting(2, Int(1), "growth factor of each cosine cycle's length"),
    "augmentation_probability": Setting(
        0.0, Real(0, 1), "chance per batch of Mixup or CutMix (equal odds) on rows"),
    "early_stopping": Setting(
        True, Bool(), "without X_val, early stopping on a held-out share of the rows",
        "The share is ``validation_fraction``; the best epoch is kept. With ``X_val`` early "
        "stopping is always on."),
    "validation_fraction": Setting(
        0.1, Real(0, 1, low_open=True, high_open=True),
        "share of the rows held out for early stopping when X_val is not given"),
    "patience": Setting(
        20, Int(1), "early stopping patience: epochs without a better validation loss"),
    "n_bins": Setting(
        8, Int(0),
        "quantile bins per numeric column for the piecewise-linear input encoding and the "
        "shape functions (0 = neither)"),
    "robust": Setting(
        True, Bool(), "robust scaling and smooth clipping of numeric columns",
        "Median and IQR scaling, then a smooth clip to (-3, 3), so heavy tails and values "
        "outside the training range cannot dominate."),
    # ---- the encoding of a DataFrame X ---------------------------------------------------------
    "categorical": Setting(
        None, Columns(),
        "columns of a DataFrame X to encode as categorical besides those of "
        "category/object/string/bool dtype (e.g. numeric codes)",
        "``categorical``, ``numeric_scaling`` and ``max_categories`` are the settings of the "
        ":class:`inn.data.TabularPreprocessor` that encodes a DataFrame X "
        "(:func:`inn.data.preprocessing.network_frame_encoder`); arrays are used as they are."),
    "numeric_scaling": Setting(
        AUTO, Choice(NUMERIC_SCALINGS),
        "scaling of numeric columns by the frame encoder after median imputation: auto (none "
        "for a network that scales them itself with robust, else standard), standard, quantile "
        "or none",
        "Numeric columns are scaled once: with ``robust`` the network scales them itself "
        "(median and IQR), so ``\"auto\"`` leaves them in their units (centred on the median); "
        "without it they are standardised. ``\"quantile\"`` maps them onto a normal "
        "distribution first, which suits heavy-tailed columns."),
    "max_categories": Setting(
        MAX_CATEGORIES, Int(2),
        "most one-hot columns per categorical column (rarer categories grouped as other)"),
    # ---- the run -------------------------------------------------------------------------------
    "device": Setting(
        "auto", Device(), "where to train: auto (CUDA when available), cpu, cuda, cuda:N or mps",
        "A device that is absent is a ValueError."),
    "n_jobs": Setting(
        1, Threads(), "torch threads for fit and predict (-1 = every core)",
        "The caller's count is restored afterwards. One thread is the fastest choice on a busy "
        "machine and close to the best on an idle one (docs/performance.md, \"Threads\")."),
    "random_state": Setting(
        None, RandomState(), "seed of initialisation, batch order and augmentation",
        "None draws a fresh seed from numpy's global generator; a ``RandomState`` or "
        "``Generator`` gives one seed per fit, as in scikit-learn. ``fit`` leaves torch's "
        "global random state as it found it."),
    "verbose": Setting(0, Int(0), "1 shows a progress bar over epochs"),
}

DEFAULTS: dict[str, object] = {name: s.default for name, s in SETTINGS.items()}
"""Each setting's default: what the estimators' signatures read."""

INN_SETTINGS = tuple(SETTINGS)
NETWORK_SETTINGS = tuple(name for name, s in SETTINGS.items() if not s.inn_only)
"""The settings of TabResNet (and INN's, :data:`INN_SETTINGS`, are all of them)."""


def args_doc(names, indent: int = 4, width: int = 100) -> str:
    """A Google-style ``Args:`` section for the settings ``names``, as a class docstring
    indented by ``indent`` has it (mkdocstrings renders it in the API reference)."""
    pad = " " * indent
    lines = [f"{pad}Args:"]
    for name in names:
        lines += textwrap.wrap(f"{name}: {SETTINGS[name].doc()}", width=width,
                               initial_indent=pad * 2, subsequent_indent=pad * 3,
                               break_on_hyphens=False)  # fmt: skip
    return "\n".join(lines)
