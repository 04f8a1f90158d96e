"""Checks of settings and keys, one definition each: every consumer (estimators, CLIs, suite,
results tree, dataset store) validates through here, so a bad value gets the same clear error
wherever it enters.

Settings are described by small specs (:class:`Int`, :class:`Real`, :class:`Bool`,
:class:`Choice`) that check a Python value (:meth:`Int.check`) or parse a command-line text
(:meth:`Int.parse`). Keys (dataset ids, method and benchmark names) are plain names that may
become one path component (:func:`check_key`). This module imports neither torch nor pandas.
"""

from __future__ import annotations

import argparse
import math
import numbers
import re
from dataclasses import dataclass

import numpy as np

_BOOLS = (bool, np.bool_)


def _type(value) -> str:
    return type(value).__name__


@dataclass(frozen=True)
class Int:
    """An integer in ``[low, high]`` (either bound may be None). bool and floats such as 2.0
    are rejected; numpy integers are accepted."""

    low: int | None = None
    high: int | None = None
    auto: str = ""  # where set, None is allowed too and means this (CLI: "auto")

    def describe(self) -> str:
        if self.auto:
            return f"{Int(self.low, self.high).describe()}, or None ({self.auto})"
        if self.low == 1 and self.high is None:
            return "a positive integer"
        if self.high is None:
            return "an integer" if self.low is None else f"an integer >= {self.low}"
        if self.low is None:
            return f"an integer <= {self.high}"
        return f"an integer in [{self.low}, {self.high}]"

    def check(self, name: str, value) -> int | None:
        if value is None and self.auto:
            return None
        if isinstance(value, _BOOLS) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{name} must be {self.describe()}, got {value!r} ({_type(value)})")
        value = int(value)
        if (self.low is not None and value < self.low) or (
                self.high is not None and value > self.high):
            raise ValueError(f"{name} must be {self.describe()}, got {value}")
        return value

    def parse(self, text: str) -> int:
        """argparse ``type``: the integer in ``text``, checked (``auto``: None, where allowed)."""
        if self.auto and text.strip().lower() in ("auto", "none"):
            return None
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {self.describe()}, got {text}") from None
        try:
            return self.check("value", value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {self.describe()}, got {text}") from None


@dataclass(frozen=True)
class Real:
    """A finite real number between ``low`` and ``high`` (open or closed at each end). bool,
    strings, NaN and infinities are rejected; ints and numpy numbers are accepted."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def describe(self) -> str:
        if self.low is not None and self.high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"a number in {left}{self.low:g}, {self.high:g}{right}"
        if self.low is not None:
            if self.low == 0 and self.low_open:
                return "a positive number"
            return f"a number {'>' if self.low_open else '>='} {self.low:g}"
        if self.high is not None:
            return f"a number {'<' if self.high_open else '<='} {self.high:g}"
        return "a finite number"

    def contains(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return not (self.high is not None
                    and (value > self.high or (self.high_open and value == self.high)))

    def check(self, name: str, value) -> float:
        if isinstance(value, _BOOLS) or not isinstance(value, numbers.Real):
            raise ValueError(f"{name} must be {self.describe()}, got {value!r} ({_type(value)})")
        if not self.contains(float(value)):
            raise ValueError(f"{name} must be {self.describe()}, got {value!r}")
        return value

    def parse(self, text: str) -> float:
        """argparse ``type``: the number in ``text``, checked."""
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {self.describe()}, got {text}") from None
        if not self.contains(value):
            raise argparse.ArgumentTypeError(f"must be {self.describe()}, got {text}")
        return value


_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


@dataclass(frozen=True)
class Bool:
    """``True`` or ``False`` (numpy bools too); strings such as ``"no"`` are rejected."""

    def describe(self) -> str:
        return "True or False"

    def check(self, name: str, value) -> bool:
        if not isinstance(value, _BOOLS):
            raise ValueError(f"{name} must be True or False, got {value!r} ({_type(value)})")
        return bool(value)

    def parse(self, text: str) -> bool:
        """argparse ``type``: ``true/false``, ``yes/no``, ``1/0`` (case-insensitive)."""
        word = text.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise argparse.ArgumentTypeError(f"must be true or false, got {text}")


@dataclass(frozen=True)
class Choice:
    """One of ``options`` (compared by equality; a value of another type never matches)."""

    options: tuple

    def describe(self) -> str:
        return "one of " + ", ".join(repr(o) for o in self.options)

    def check(self, name: str, value):
        if not any(type(value) is type(o) and value == o for o in self.options):
            raise ValueError(f"{name} must be {self.describe()}, got {value!r}")
        return value


@dataclass(frozen=True)
class Threads:
    """A thread count as in scikit-learn's ``n_jobs``: positive, or negative (-1 = every core);
    None (the caller's default) where ``optional``."""

    optional: bool = True

    def describe(self) -> str:
        return (("None, " if self.optional else "")
                + "a positive thread count or a negative one (-1 = every core)")

    def check(self, name: str, value):
        if value is None and self.optional:
            return value
        if isinstance(value, _BOOLS) or not isinstance(value, numbers.Integral) or value == 0:
            raise ValueError(f"{name} must be {self.describe()}, not {value!r}")
        return int(value)

    def parse(self, text: str) -> int:
        """argparse ``type``: a non-zero integer."""
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer thread count, got {text!r}") \
                from None
        if value == 0:
            raise argparse.ArgumentTypeError("must be a positive count or -1 (all cores), got 0")
        return value


@dataclass(frozen=True)
class Columns:
    """None, or a list of column names (any iterable but a string)."""

    def describe(self) -> str:
        return "None or a list of column names"

    def check(self, name: str, value):
        if value is not None and (isinstance(value, (str, bytes))
                                  or not hasattr(value, "__iter__")):
            raise ValueError(f"{name} must be {self.describe()}, got {value!r}")
        return value


# ---- random_state ---------------------------------------------------------------------------
SEED = Int(0, 2**32 - 1)  # numpy's RandomState accepts seeds up to 2**32 - 1


@dataclass(frozen=True)
class RandomState:
    """scikit-learn's ``random_state``: None, a seed in [0, 2**32 - 1], or a numpy
    ``RandomState`` / ``Generator``."""

    def describe(self) -> str:
        return "None, an integer in [0, 2**32 - 1], a numpy RandomState or Generator"

    def check(self, name: str, value):
        if value is None or isinstance(value, (np.random.RandomState, np.random.Generator)):
            return value
        if isinstance(value, _BOOLS) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{name} must be {self.describe()}, got {value!r} ({_type(value)})")
        return SEED.check(name, value)


def check_random_state(name: str, value) -> int:
    """A seed for one fit, as scikit-learn reads ``random_state``: ``None`` draws one from
    numpy's global generator, an int in [0, 2**32 - 1] is the seed, a ``RandomState`` or
    ``Generator`` gives one draw (so a shared generator gives each fit a new seed)."""
    value = RandomState().check(name, value)
    if value is None:
        return int(np.random.randint(0, 2**31 - 1))
    if isinstance(value, np.random.RandomState):
        return int(value.randint(0, 2**31 - 1))
    if isinstance(value, np.random.Generator):
        return int(value.integers(0, 2**31 - 1))
    return value


# ---- device ---------------------------------------------------------------------------------
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def check_device_name(name: str, value) -> str:
    """``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"`` (whether the device exists
    is :func:`inn.estimators.resolve_device`'s to say)."""
    if not isinstance(value, str) or not _DEVICE.fullmatch(value):
        raise ValueError(f"{name} must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', "
                         f"got {value!r}")
    return value


@dataclass(frozen=True)
class Device:
    """A device name (:func:`check_device_name`); a ``torch.device`` is read as its name."""

    def describe(self) -> str:
        return "'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"

    def check(self, name: str, value) -> str:
        if type(value).__module__ == "torch" and type(value).__name__ == "device":
            value = str(value)
        return check_device_name(name, value)


# ---- keys -----------------------------------------------------------------------------------
_KEY = re.compile(r"[A-Za-z0-9_.\-]+")
MAX_KEY_LENGTH = 200  # leaves room for suffixes within a file system's 255-byte names


def check_key(value, what: str = "dataset id") -> str | int:
    """A key that may become one path component: an integer >= 0 (numpy ints too), or a plain
    name of letters, digits, ``_``, ``-`` and ``.`` (not ``.`` or ``..``, no spaces, no path
    separators, at most 200 characters). All-digit names come back as ``int``.

    Raises ValueError naming ``what`` and the value otherwise, so no key can address a file
    outside its folder.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, _BOOLS):
        if value < 0:
            raise ValueError(f"{what} must be >= 0, got {value}")
        return int(value)
    if not isinstance(value, str):
        raise ValueError(f"{what} must be an integer or a name, got {value!r} ({_type(value)})")
    if (not _KEY.fullmatch(value) or value in (".", "..")
            or len(value) > MAX_KEY_LENGTH):  # fmt: skip
        raise ValueError(
            f"{what} {value!r} is not a plain name: use letters, digits, '_', '-' and '.' only "
            f"(no spaces or path separators, not '.' or '..', at most {MAX_KEY_LENGTH} "
            "characters)")
    return int(value) if value.isdigit() else value


# ---- values ---------------------------------------------------------------------------------
def plain(value):
    """``value`` with numpy scalars as Python values (``0``, not ``np.int64(0)``; ``'good'``,
    not ``np.str_('good')``), inside dicts, lists and tuples too (tuples become lists): for JSON
    and for messages."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value.item()
    return value
