"""Columns as numpy and Arrow arrays: timestamps in microseconds, draws from pools, text built
without a Python object per row."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SECOND = 1_000_000  # timestamps are int64 microseconds since the epoch, UTC
DAY = 86_400 * SECOND
YEAR = 365 * DAY
NEVER = np.iinfo(np.int64).max

_TRANSLIT = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "ß": "ss", "ł": "l"})


def slugify(text_: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text_.translate(_TRANSLIT))
    ascii_ = ascii_.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")


def to_micros(moment: dt.datetime) -> int:
    return int(moment.timestamp()) * SECOND + moment.microsecond


def to_datetime(us: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(us // SECOND, dt.UTC).replace(microsecond=int(us % SECOND))


def timestamps(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """UTC timestamps without a zone: Arrow formats zoned ones 20 times slower. PostgreSQL
    reads them in the load's session time zone, UTC; SQLite stores them naive anyway."""
    return pa.array(values, type=pa.int64(), mask=mask).cast(pa.timestamp("us"))


def dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(days.astype(np.int32), type=pa.int32(), mask=mask).cast(pa.date32())


def month_labels(at: np.ndarray, prefix: str) -> pa.Array:
    """prefix + "YYYY-MM" of each timestamp, formatted once per distinct month."""
    months = at.astype("datetime64[us]").astype("datetime64[M]")
    distinct, index = np.unique(months, return_inverse=True)
    labels = pa.array([f"{prefix}{m}" for m in distinct.astype(str)], type=pa.string())
    return labels.take(pa.array(index.ravel()))


def strings(values: Sequence[str | None] | np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.string())


def weighted_choice(rng: np.random.Generator, weights: dict[Any, float], size: int) -> np.ndarray:
    """Indexes into the keys of `weights`, drawn with the given weights."""
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def start_offsets(groups: list[list[str]]) -> np.ndarray:
    return np.cumsum([0, *(len(g) for g in groups)])


def draw(rng: np.random.Generator, offsets: np.ndarray, group: np.ndarray) -> np.ndarray:
    """For each row, a uniform index within its group's slice of a concatenated pool."""
    low = offsets[group]
    return low + (rng.random(len(group)) * (offsets[group + 1] - low)).astype(np.int64)


def pick(pool: pa.Array | Sequence[str | None], index: np.ndarray) -> pa.Array:
    """Strings by index from a small pool, in Arrow: no Python object per row."""
    if not isinstance(pool, pa.Array):
        pool = pa.array(pool, type=pa.string())
    return pool.take(pa.array(index))


def null_where(mask: np.ndarray, values: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(mask), pa.scalar(None, values.type), values)


def digits(values: np.ndarray, width: int = 0) -> pa.Array:
    """Integers as text, zero-padded to `width`."""
    text = pa.array(values).cast(pa.string())
    return pc.utf8_lpad(text, width, "0") if width else text


def concat(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def case_when(conditions: list[np.ndarray], values: list[pa.Array], default: pa.Array) -> pa.Array:
    """The value of the first true condition per row, else the default (SQL CASE)."""
    struct = pa.StructArray.from_arrays(
        [pa.array(c) for c in conditions], [f"c{i}" for i in range(len(conditions))]
    )
    return pc.case_when(struct, *values, default)
