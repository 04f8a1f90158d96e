"""Columns that are not what their type says: dates (turned into decimal years) and identifiers
(a different text in every row, which no model can learn from).

Both are found by the file loader, :func:`~inn.data.build_dataset` and the
:class:`~inn.data.TabularPreprocessor`, which say with one log line what they converted or
dropped.
"""

from __future__ import annotations

import datetime
import re

import numpy as np
import pandas as pd

from .store import DatasetError

# Date texts read as dates: year first (ISO 8601, with '-' or '/', optionally a time and a zone),
# day.month.year, and month/day/year or day/month/year when the values tell which.
_ISO = re.compile(r"\d{4}[-/]\d{1,2}[-/]\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
                  r"\s*(?:Z|[+-]\d{2}:?\d{2})?")
_DOTTED = re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}")
_SLASHED = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")
_SAMPLE = 100  # values looked at before a whole column is parsed


class AmbiguousDates(ValueError):
    """Dates such as 03/04/2020 that can be read as day/month or as month/day."""


def is_datetime(dtype) -> bool:
    return pd.api.types.is_datetime64_any_dtype(dtype)


def decimal_years(col: pd.Series) -> pd.Series | None:
    """The dates in ``col`` as decimal years (2021.5 is noon of 2 July 2021; times count, zones
    are read as UTC; missing stays NaN), or ``None`` when ``col`` does not hold dates: a
    datetime column, Python dates, or texts that all match one date format.

    Raises :class:`AmbiguousDates` for texts such as ``03/04/2020`` that fit both day/month and
    month/day orders.
    """
    dtype = col.dtype
    if is_datetime(dtype):
        stamps = col
    elif pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        present = col.dropna()
        if present.empty:
            return None
        head = present.iloc[:_SAMPLE]
        if all(isinstance(v, (datetime.date, pd.Timestamp)) for v in head):
            if not all(isinstance(v, (datetime.date, pd.Timestamp)) for v in present):
                return None
            stamps = pd.to_datetime(col, utc=True, errors="coerce")
        else:
            stamps = _parse_texts(col, present, head)
            if stamps is None:
                return None
    else:
        return None
    stamps = pd.Series(stamps, index=col.index)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    out = pd.Series(np.nan, index=col.index, dtype="float64", name=col.name)
    known = stamps.notna()
    t = stamps[known]
    if t.empty:
        return out
    year = t.dt.year
    start = pd.to_datetime(pd.DataFrame({"year": year, "month": 1, "day": 1}))
    end = pd.to_datetime(pd.DataFrame({"year": year + 1, "month": 1, "day": 1}))
    out[known] = year + (t - start) / (end - start)
    return out


def dates_as_years(col: pd.Series, where: str) -> pd.Series | None:
    """:func:`decimal_years`, with ambiguous dates a :class:`DatasetError` naming ``where`` (the
    data and column)."""
    try:
        return decimal_years(col)
    except AmbiguousDates as err:
        raise DatasetError(f"{where}: {err}") from None


def _parse_texts(col: pd.Series, present: pd.Series, head: pd.Series):
    """Timestamps of date texts (None unless every present value has one date format)."""
    text = present.astype(str).str.strip()
    for pattern in (_ISO, _DOTTED, _SLASHED):
        if not head.astype(str).str.strip().str.fullmatch(pattern).all():
            continue
        if not text.str.fullmatch(pattern).all():
            return None
        if pattern is _ISO:
            formats = ["ISO8601"]
            text = text.str.replace("/", "-", n=2, regex=False)
        elif pattern is _DOTTED:
            formats = ["%d.%m.%Y"]
        else:
            formats = ["%m/%d/%Y", "%d/%m/%Y"]
        parsed = [pd.to_datetime(text, format=f, utc=True, errors="coerce") for f in formats]
        parsed = [p for p in parsed if p.notna().all()]
        if not parsed:
            return None
        if len(parsed) == 2 and not parsed[0].equals(parsed[1]):
            raise AmbiguousDates(f"dates such as {text.iloc[0]!r} can be read as month/day or "
                                 "day/month; write them as YYYY-MM-DD")
        return parsed[0].reindex(col.index)
    return None


def is_identifier(col: pd.Series, max_categories: int) -> bool:
    """A text column with a different value in every row and more values than one-hot encoding
    keeps (``max_categories``): an identifier or free text, from which no model can learn."""
    if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype) \
            or is_datetime(col.dtype):
        return False
    if col.isna().any() or len(col) <= max_categories:
        return False
    return bool(col.astype(str).nunique() == len(col))
