"""Validate, aggregate and encode journey data once, for every attribution model.

Two input layouts are accepted and turned into the same :class:`ParsedPaths` encoding:

* the **path table** (ChannelAttribution layout, one row per distinct path): ``path`` (channels
  joined by ``" > "``), ``total_conversions``, and optionally ``total_conversion_value`` and
  ``total_null`` (both 0 when absent). Rows with the same path are summed, so splitting a row in
  two, or shuffling rows, cannot change any result. Counts may be fractional; they are never
  truncated.
* the **journey-level touches table** built by :func:`smlib.journeys.build_journeys` (``.touches``:
  one row per touch with ``journey_id``, ``position``, ``channel``, ``converted``,
  ``conversion_value`` and, for the time/milestone models, ``timestamp``, ``conversion_at`` and the
  milestone flags). Each journey becomes one row (1 conversion or 1 null). A ``Journeys`` object
  (anything with a ``.touches`` DataFrame) is accepted too.

The encoding is CSR-like: ``indptr`` (row starts), ``indices`` (integer channel codes per touch,
in path order) and per-row ``conversions``, ``value``, ``nulls``. Channel codes follow the sorted
channel names and rows a canonical order, so results never depend on the input row order.
Parsing is vectorised with pyarrow compute kernels (split, trim, dictionary encoding): well under
a second for 190k distinct paths. :func:`tokenize_paths` runs the same checks and channel coding
without merging duplicate rows or sorting them, for models whose result is a sum over rows (the
one-pass order-1 Markov chain).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from smlib import config

__all__ = ["ParsedPaths", "TokenizedPaths", "parse_paths", "tokenize_paths", "validate_paths",
           "is_touches_table"]

PATH_COLUMNS: tuple[str, ...] = ("path", "total_conversions", "total_conversion_value", "total_null")
#: Columns a touches table must have (per smlib.journeys); more are needed by some models.
TOUCH_COLUMNS: tuple[str, ...] = ("journey_id", "position", "channel", "converted", "conversion_value")
MILESTONE_FLAGS: tuple[str, ...] = ("is_first_touch", "is_lead_creation", "is_opp_creation", "is_closed_won")
#: Separators that people commonly use instead of " > "; used only to explain a failed parse.
_CANDIDATE_SEPARATORS: tuple[str, ...] = (">", "->", "→", ",", "|", ";", "/")
_NS_PER_DAY = 86_400e9


@dataclass(frozen=True, eq=False)
class ParsedPaths:
    """Journeys encoded once as integer channel codes in CSR layout.

    Attributes:
        channels: channel names, sorted; code ``i`` is ``channels[i]``.
        indptr: int64, length ``n_rows + 1``; row ``r`` owns ``indices[indptr[r]:indptr[r+1]]``.
        indices: int32 channel code of every touch, in path order.
        conversions, value, nulls: float64 per row (conversions, conversion value, non-converting
            journeys).
        paths: the normalised path string of each row (channels joined by ``" > "``).
        layout: ``"paths"`` (aggregated path table) or ``"touches"`` (one row per journey).
        touch_data: extras of the touches layout, keyed by column name: per touch ``timestamp``
            (float64 days since the epoch) and the milestone flags (bool); per row
            ``conversion_at`` (float64 days, NaN when not converted). Empty for a path table.
        row_ids: journey ids (touches layout) or ``None``.
    """

    channels: tuple[str, ...]
    indptr: np.ndarray
    indices: np.ndarray
    conversions: np.ndarray
    value: np.ndarray
    nulls: np.ndarray
    paths: np.ndarray
    layout: str = "paths"
    touch_data: dict[str, np.ndarray] = field(default_factory=dict)
    row_ids: np.ndarray | None = None

    def __post_init__(self) -> None:
        # shared by every model of a compare() run: make accidental in-place edits fail loudly
        for name in ("indptr", "indices", "conversions", "value", "nulls"):
            getattr(self, name).setflags(write=False)

    @property
    def n_rows(self) -> int:
        """Number of rows (distinct paths, or journeys for the touches layout)."""
        return len(self.indptr) - 1

    @property
    def n_channels(self) -> int:
        """Number of distinct channels."""
        return len(self.channels)

    @property
    def lengths(self) -> np.ndarray:
        """Number of touches in each row."""
        return np.diff(self.indptr)

    @property
    def row_of_touch(self) -> np.ndarray:
        """Row index of every touch (length ``len(indices)``)."""
        return np.repeat(np.arange(self.n_rows), self.lengths)

    @property
    def position(self) -> np.ndarray:
        """0-based position of every touch within its row."""
        return np.arange(len(self.indices)) - np.repeat(self.indptr[:-1], self.lengths)

    @property
    def total_conversions(self) -> float:
        """Sum of conversions over rows."""
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float:
        """Sum of conversion value over rows."""
        return float(self.value.sum())

    def require_conversions(self, who: str) -> None:
        """Raise ValueError when there is nothing to attribute (no conversion at all)."""
        if not self.total_conversions > 0:
            raise ValueError(
                f"{who}: total_conversions sums to {self.total_conversions:g}; there is no "
                "conversion to attribute (check the data or the lookback window)")

    def require_touch_data(self, who: str, names: tuple[str, ...]) -> None:
        """Raise ValueError unless this came from a touches table with columns ``names``."""
        if self.layout != "touches":
            raise ValueError(
                f"{who} needs the journey-level touches table (smlib.journeys.build_journeys(...)"
                f".touches, with columns {', '.join(names)}); got a path table, which has no "
                "timestamps or milestones")
        missing = [n for n in names if n not in self.touch_data]
        if missing:
            raise ValueError(f"{who}: the touches table lacks column(s) {', '.join(missing)}")

    def with_counts(self, conversions: np.ndarray, value: np.ndarray, nulls: np.ndarray) -> "ParsedPaths":
        """The same paths with other per-row counts (used by the bootstrap fallback)."""
        return ParsedPaths(self.channels, self.indptr, self.indices,
                           np.array(conversions, float), np.array(value, float),
                           np.array(nulls, float), self.paths, self.layout, self.touch_data,
                           self.row_ids)

    def to_frame(self) -> pd.DataFrame:
        """The path table (ChannelAttribution layout) of these rows."""
        return pd.DataFrame({"path": self.paths, "total_conversions": self.conversions,
                             "total_conversion_value": self.value, "total_null": self.nulls})


def is_touches_table(data: Any) -> bool:
    """True when ``data`` looks like a touches table (or a Journeys object holding one)."""
    if hasattr(data, "touches") and isinstance(getattr(data, "touches"), pd.DataFrame):
        return True
    return isinstance(data, pd.DataFrame) and "journey_id" in data.columns and "path" not in data.columns


def parse_paths(data: Any, sep: str | None = None) -> ParsedPaths:
    """Validate and encode a path table, a touches table or a Journeys object.

    Args:
        data: a :class:`ParsedPaths` (returned unchanged), a path table, a touches table, or an
            object with a ``.touches`` DataFrame.
        sep: channel separator of the path table. ``None`` means ``" > "`` with detection of
            other separators (a clear error suggests ``sep=`` when paths look joined by something
            else). Pass it explicitly to switch detection off.

    Raises:
        ValueError: naming the column and the first offending rows (missing columns, empty
            paths or channel names, negative/non-numeric/non-finite counts, another separator).
    """
    if isinstance(data, ParsedPaths):
        return data
    if is_touches_table(data):
        touches = data.touches if hasattr(data, "touches") else data
        return _parse_touches(touches)
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"expected a path table (pandas DataFrame with columns {PATH_COLUMNS}) "
                         f"or a touches table; got {type(data).__name__}")
    path_strings, sums, indptr, codes, channels = _prepare(data, sep)
    return ParsedPaths(
        channels=channels, indptr=indptr, indices=codes, conversions=sums["total_conversions"],
        value=sums["total_conversion_value"], nulls=sums["total_null"], paths=path_strings)


def validate_paths(paths: pd.DataFrame, sep: str | None = None) -> pd.DataFrame:
    """Check a path table and return it aggregated: one row per distinct normalised path.

    Normalisation: the path is split on ``sep`` (default ``" > "``), surrounding whitespace of
    each channel is stripped and the channels re-joined with ``" > "``. Rows with the same
    normalised path are summed. Rows come in a canonical order — lexicographic by the sequence of
    channel names, a path before its extensions — so nothing depends on the input row order. The
    result has exactly the columns
    ``path, total_conversions, total_conversion_value, total_null`` (float64). Missing
    ``total_conversion_value`` / ``total_null`` columns are taken as 0.
    """
    path_strings, sums, _, _, _ = _prepare(paths, sep)
    return pd.DataFrame({"path": path_strings, **sums})


def _prepare(paths: pd.DataFrame, sep: str | None
             ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, np.ndarray, tuple[str, ...]]:
    """Validate, normalise, aggregate and tokenise a path table (vectorised with pyarrow).

    Returns, in canonical row order (see :func:`validate_paths`), the distinct path strings
    (object array), the summed counts per column, and the CSR encoding (indptr, channel codes,
    sorted channel names).
    """
    arr, counts, used_sep = _checked_strings(paths, sep)
    uniq, sums = _aggregate(arr, counts)
    if sep is None:
        _detect_separator(uniq)
    lists = pc.split_pattern(uniq, pattern=used_sep)
    offsets = np.asarray(lists.offsets, dtype=np.int64)
    raw_tokens = lists.flatten()
    tokens = pc.utf8_trim_whitespace(raw_tokens)
    _check_token_strings(uniq, offsets, tokens, used_sep)
    if used_sep != config.PATH_SEPARATOR or not pc.all(pc.equal(tokens, raw_tokens)).as_py():
        # rebuild clean " > " paths, merge rows that became equal, and tokenise again
        normalised = pc.binary_join(pa.LargeListArray.from_arrays(pa.array(offsets), tokens),
                                    pa.scalar(config.PATH_SEPARATOR, pa.large_string()))
        uniq, sums = _aggregate(normalised, sums)
        lists = pc.split_pattern(uniq, pattern=config.PATH_SEPARATOR)
        offsets = np.asarray(lists.offsets, dtype=np.int64)
        tokens = lists.flatten()
    codes, channels = _encode(tokens)
    offsets = offsets - offsets[0]
    if sep is None:
        _check_tokens(channels, uniq, offsets, codes)
    # canonical row order (by channel sequence) so that results cannot depend on input row order
    row_order = _sequence_order(offsets, codes, len(channels))
    offsets, codes = _take_rows(offsets, codes, row_order)
    paths_out = np.asarray(uniq.take(pa.array(row_order)).to_numpy(zero_copy_only=False), dtype=object)
    return paths_out, {k: v[row_order] for k, v in sums.items()}, offsets, codes, channels


@dataclass(frozen=True, eq=False)
class TokenizedPaths:
    """A path table's rows as given (not aggregated, not reordered), channels as integer codes.

    ``channels`` sorted (code ``i`` is ``channels[i]``, as in :class:`ParsedPaths`); ``offsets``
    (int64, ``n_rows + 1``) and ``codes`` (int32 per touch, whitespace-trimmed names) in CSR
    layout; ``conversions``, ``value``, ``nulls`` per row (float64).
    """

    channels: tuple[str, ...]
    offsets: np.ndarray
    codes: np.ndarray
    conversions: np.ndarray
    value: np.ndarray
    nulls: np.ndarray


def tokenize_paths(paths: pd.DataFrame, sep: str | None = None) -> TokenizedPaths:
    """The checks of :func:`parse_paths` and the channel codes, without aggregation or row order.

    For models whose result is a sum over rows (e.g. order-1 Markov transition counts), duplicate
    rows need not be merged nor rows sorted: this is the one pass they need. Raises the same
    ValueErrors as :func:`parse_paths` for the same table.
    """
    arr, counts, used_sep = _checked_strings(paths, sep, check_blank=False)
    if sep is None:
        _detect_separator(arr)
    lists = pc.split_pattern(arr, pattern=used_sep)
    offsets = np.asarray(lists.offsets, dtype=np.int64)
    # encode the raw tokens, then trim only the few distinct names (trimming is per token, so
    # this equals trimming every token first) and merge names that become equal
    encoded = pc.dictionary_encode(lists.flatten())
    raw_names = encoded.dictionary
    trimmed = pc.utf8_trim_whitespace(raw_names)
    raw_codes = np.asarray(encoded.indices)
    names = np.asarray(trimmed.to_pylist(), dtype=object)
    if (names == "").any():      # a blank path, or a separator at an end or doubled: say which
        _check_blank_paths(paths, arr)
    if (names == "").any() or used_sep != config.PATH_SEPARATOR:
        _check_token_strings(arr, offsets, trimmed.take(pa.array(raw_codes)), used_sep)
    channels_arr, rank = np.unique(names, return_inverse=True)
    codes = rank.astype(np.int32).ravel()[raw_codes]
    channels = tuple(str(n) for n in channels_arr)
    offsets = offsets - offsets[0]
    if sep is None:
        _check_tokens(channels, arr, offsets, codes)
    return TokenizedPaths(channels, offsets, codes, counts["total_conversions"],
                          counts["total_conversion_value"], counts["total_null"])


def _encode(tokens: pa.Array) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer codes of ``tokens`` following the sorted distinct names, and those names."""
    encoded = pc.dictionary_encode(tokens)
    names = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    order = np.argsort(names, kind="stable")
    rank = np.empty(len(names), dtype=np.int32)
    rank[order] = np.arange(len(names), dtype=np.int32)
    codes = rank[np.asarray(encoded.indices)]
    return codes, tuple(str(n) for n in names[order])


def _check_token_strings(rows: pa.Array, offsets: np.ndarray, tokens: pa.Array, used_sep: str) -> None:
    """Reject empty channel names and, with another separator, names containing ``" > "``."""
    empty_tok = np.asarray(pc.equal(tokens, ""))
    if empty_tok.any():
        bad = np.unique(np.searchsorted(offsets, np.flatnonzero(empty_tok), side="right") - 1)
        raise ValueError(f"paths {rows.take(bad[:3]).to_pylist()} have an empty channel name "
                         f"(separator {used_sep!r} at the start or end, or twice in a row)")
    if used_sep != config.PATH_SEPARATOR:
        inner = np.asarray(pc.match_substring(tokens, config.PATH_SEPARATOR))
        if inner.any():
            raise ValueError(f"channel names {tokens.filter(pa.array(inner)).unique().to_pylist()[:3]} "
                             "contain ' > ', the normalised path separator; channel names must not "
                             "contain it")


def _checked_strings(paths: pd.DataFrame, sep: str | None, check_blank: bool = True
                     ) -> tuple[pa.Array, dict[str, np.ndarray], str]:
    """The path column as arrow strings, the checked count columns and the separator to use.

    ``check_blank=False`` leaves the blank-path check to the caller (:func:`tokenize_paths` runs it
    only when a blank channel name shows there may be one)."""
    if not isinstance(paths, pd.DataFrame):
        raise ValueError(f"expected a pandas DataFrame path table, got {type(paths).__name__}")
    for col in ("path", "total_conversions"):
        if col not in paths.columns:
            raise ValueError(f"path table lacks required column {col!r}; expected columns "
                             f"{', '.join(PATH_COLUMNS)} (got {', '.join(map(str, paths.columns))})")
    if len(paths) == 0:
        raise ValueError("path table is empty: no journeys to attribute")
    used_sep = config.PATH_SEPARATOR if sep is None else sep
    if not isinstance(used_sep, str) or used_sep == "":
        raise ValueError(f"sep must be a non-empty string, got {sep!r}")
    path = paths["path"]
    missing = path.isna().to_numpy()
    if missing.any():
        raise ValueError(f"column 'path' is missing at rows {_first(paths.index[missing])}")
    if not pd.api.types.is_string_dtype(path.dtype) or path.dtype == object:
        kind = pd.api.types.infer_dtype(path, skipna=True)
        if kind != "string":
            bad = ~path.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
            raise ValueError(f"column 'path' must hold strings; got {kind} values at rows "
                             f"{_first(paths.index[bad])}")
    counts = {col: _counts(paths, col) for col in PATH_COLUMNS[1:]}
    arr = _arrow_strings(path)
    if check_blank:
        _check_blank_paths(paths, arr)
    return arr, counts, used_sep


def _check_blank_paths(paths: pd.DataFrame, arr: pa.Array) -> None:
    """Reject paths that are empty or only whitespace, naming the rows."""
    empty = np.asarray(pc.equal(pc.utf8_trim_whitespace(arr), ""))
    if empty.any():
        raise ValueError(f"column 'path' has empty paths at rows {_first(paths.index[empty])}; "
                         "every journey needs at least one touch (drop such rows)")


def _arrow_strings(path: pd.Series) -> pa.Array:
    """The path column as one pyarrow large_string array (zero-copy for arrow-backed str)."""
    arr = pa.array(path.array) if pd.api.types.is_string_dtype(path.dtype) and path.dtype != object \
        else pa.array(path.to_numpy(dtype=object), type=pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


def _aggregate(arr: pa.Array, counts: dict[str, np.ndarray]) -> tuple[pa.Array, dict[str, np.ndarray]]:
    """Distinct strings of ``arr`` (first-appearance order), counts summed per distinct string."""
    encoded = pc.dictionary_encode(arr)
    idx = np.asarray(encoded.indices)
    n = len(encoded.dictionary)
    return encoded.dictionary, {k: np.bincount(idx, weights=v, minlength=n) for k, v in counts.items()}


def _sequence_order(offsets: np.ndarray, codes: np.ndarray, n_channels: int) -> np.ndarray:
    """Row permutation sorting rows lexicographically by their channel-code sequence.

    Codes follow sorted channel names, so this is the order of the channel-name sequences; a
    path sorts before its extensions. One int64 key per row when it fits, else ``np.lexsort``.
    """
    lengths = np.diff(offsets)
    n_rows, max_len = len(lengths), int(lengths.max())
    base = n_channels + 1
    row = np.repeat(np.arange(n_rows), lengths)
    pos = np.arange(len(codes)) - np.repeat(offsets[:-1], lengths)
    if max_len * np.log2(base) < 62:
        contrib = (codes.astype(np.int64) + 1) * base ** (max_len - 1 - pos).astype(np.int64)
        return np.argsort(np.add.reduceat(contrib, offsets[:-1]), kind="stable")
    padded = np.zeros((max_len, n_rows), dtype=np.int64)
    padded[pos, row] = codes + 1
    return np.lexsort(padded[::-1])


def _take_rows(offsets: np.ndarray, codes: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR arrays with rows permuted by ``order``."""
    lengths = np.diff(offsets)[order]
    new_offsets = np.zeros(len(order) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    gather = np.repeat(offsets[:-1][order] - new_offsets[:-1], lengths) + np.arange(new_offsets[-1])
    return new_offsets, codes[gather]


def _counts(paths: pd.DataFrame, col: str) -> np.ndarray:
    """Column ``col`` as float64, checked finite and ≥ 0 (0 when the optional column is absent)."""
    if col not in paths.columns:
        if col == "total_conversions":
            raise ValueError("path table lacks required column 'total_conversions'")
        return np.zeros(len(paths))
    raw = paths[col]
    num = pd.to_numeric(raw, errors="coerce")
    bad = (num.isna() & raw.notna()).to_numpy(dtype=bool)
    if bad.any():
        raise ValueError(f"column {col!r} must be numeric; non-numeric values at rows "
                         f"{_first(paths.index[bad])}: {raw[bad].head(3).tolist()}")
    values = num.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(f"column {col!r} has missing or infinite values at rows "
                         f"{_first(paths.index[bad])}; expected a finite number ≥ 0")
    bad = values < 0
    if bad.any():
        raise ValueError(f"column {col!r} has negative values at rows {_first(paths.index[bad])}: "
                         f"{values[bad][:3].tolist()}; counts and values must be ≥ 0")
    return values


def _plausible_split(p: str, cand: str) -> bool:
    """True when ``p`` splits on ``cand`` into ≥ 2 non-empty channel names."""
    parts = [t.strip() for t in p.split(cand)]
    return len(parts) >= 2 and all(parts)


def _detect_separator(paths: pa.Array) -> None:
    """Raise when no path uses " > " but some look joined by another separator.

    A candidate separator must split every path that contains it into non-empty names; this keeps
    names such as ``"Q&A <webinar>"`` (ending in ``>``) legal while catching ``"a>b"`` or ``"a,b"``.
    """
    head = paths.slice(0, 1000)                       # usually settled by the first rows
    if pc.any(pc.match_substring(head, config.PATH_SEPARATOR)).as_py() or \
            pc.any(pc.match_substring(paths, config.PATH_SEPARATOR)).as_py():
        return
    for cand in _CANDIDATE_SEPARATORS:
        hits = paths.filter(pc.match_substring(paths, cand)).to_pylist()
        if hits and all(_plausible_split(p, cand) for p in hits):
            raise ValueError(
                f"no path contains the separator ' > ', but {len(hits)} path(s) look joined by "
                f"{cand!r} (e.g. {hits[0]!r}); pass sep={cand!r}, or sep=' > ' if the channel "
                "names really contain that character")


def _suspicious_name(name: str) -> bool:
    """A channel name that is really a broken path: ``"b>c"``, ``"> b"`` (from ``"a > > b"``) or
    ``"b >"``. Names like ``"<b>Webinar</b>"`` or ``"Q&A <webinar>"`` (HTML-ish) stay legal."""
    if ">" not in name:
        return False
    return (_plausible_split(name, ">") or name.startswith(">")
            or (name.endswith(">") and "<" not in name))


def _check_tokens(channels: tuple[str, ...], paths: pa.Array, offsets: np.ndarray,
                  codes: np.ndarray) -> None:
    """Reject channel names that hide a '>'-joined path (the data contract forbids '>' in names)."""
    for code, name in enumerate(channels):
        if _suspicious_name(name):
            row = int(np.searchsorted(offsets, np.flatnonzero(codes == code)[0], side="right") - 1)
            raise ValueError(
                f"channel {name!r} in path {paths[row].as_py()!r} looks like several channels "
                "joined by '>' or a doubled separator; channel names must not contain the path "
                "separator (data/README.md). Fix the path or pass sep explicitly")


def _first(index: Any, k: int = 5) -> str:
    items = list(index[:k])
    more = f" (and {len(index) - k} more)" if len(index) > k else ""
    return ", ".join(map(repr, items)) + more


def _parse_touches(touches: pd.DataFrame) -> ParsedPaths:
    """Encode a touches table: one row per journey, touches ordered by ``position``."""
    missing = [c for c in TOUCH_COLUMNS if c not in touches.columns]
    if missing:
        raise ValueError(f"touches table lacks column(s) {', '.join(missing)}; expected the "
                         "`.touches` table of smlib.journeys.build_journeys")
    if len(touches) == 0:
        raise ValueError("touches table is empty: no journeys to attribute")
    t = touches.reset_index(drop=True)
    channel = t["channel"]
    bad = channel.isna().to_numpy() | channel.astype(str).str.strip().eq("").to_numpy(dtype=bool)
    if bad.any():
        raise ValueError(f"touches table column 'channel' is empty at rows {_first(t.index[bad])}")
    bad_names = [c for c in channel.astype(str).unique()
                 if config.PATH_SEPARATOR in c or _plausible_split(c, ">")]
    if bad_names:
        raise ValueError(f"touches table column 'channel' has names containing '>', the path "
                         f"separator (data/README.md forbids it): {bad_names[:3]}")
    if t["journey_id"].isna().any():
        raise ValueError(f"touches table column 'journey_id' is missing at rows "
                         f"{_first(t.index[t['journey_id'].isna().to_numpy()])}")
    order = np.lexsort((pd.to_numeric(t["position"], errors="raise").to_numpy(),
                        pd.factorize(t["journey_id"], sort=True)[0]))
    t = t.iloc[order].reset_index(drop=True)
    jcodes, jids = pd.factorize(t["journey_id"], sort=True)
    starts = np.flatnonzero(np.r_[True, jcodes[1:] != jcodes[:-1]])
    indptr = np.r_[starts, len(t)].astype(np.int64)

    converted = _bool_col(t, "converted")
    conv_row = converted[starts]
    if not np.array_equal(np.maximum.reduceat(converted.astype(np.int8), starts).astype(bool), conv_row) \
            or not np.array_equal(np.minimum.reduceat(converted.astype(np.int8), starts).astype(bool), conv_row):
        raise ValueError("touches table column 'converted' differs between touches of the same journey")
    value = pd.to_numeric(t["conversion_value"], errors="coerce").to_numpy(float, na_value=np.nan)
    value_row = np.where(conv_row, value[starts], 0.0)
    bad = conv_row & ~(np.isfinite(value_row) & (value_row >= 0))
    if bad.any():
        raise ValueError(f"touches table column 'conversion_value' must be a finite number ≥ 0 for "
                         f"converted journeys; bad for journeys {_first(jids[bad])}")

    codes, uniques = pd.factorize(channel.iloc[order].astype(str).str.strip().to_numpy(dtype=object), sort=True)
    codes = codes.astype(np.int32)
    names = np.asarray(uniques, dtype=object)
    paths = _join_rows(names[codes], indptr)

    extras: dict[str, np.ndarray] = {}
    if "timestamp" in t.columns:
        ts = pd.to_datetime(t["timestamp"], utc=True)
        if ts.isna().any():
            raise ValueError(f"touches table column 'timestamp' is missing at rows "
                             f"{_first(t.index[ts.isna().to_numpy()])}")
        extras["timestamp"] = _days(ts)
    if "conversion_at" in t.columns:
        conv_at = pd.to_datetime(t["conversion_at"], utc=True)
        extras["conversion_at"] = np.where(conv_row, _days(conv_at)[starts], np.nan)
    for flag in MILESTONE_FLAGS:
        if flag in t.columns:
            flags = _bool_col(t, flag)
            per_row = np.add.reduceat(flags.astype(np.int64), starts)
            if (per_row > 1).any():
                raise ValueError(f"touches table flag {flag!r} is set on more than one touch in "
                                 f"journeys {_first(jids[per_row > 1])}; expected at most one")
            extras[flag] = flags
    return ParsedPaths(
        channels=tuple(str(u) for u in uniques), indptr=indptr, indices=codes,
        conversions=conv_row.astype(float), value=value_row, nulls=(~conv_row).astype(float),
        paths=paths, layout="touches", touch_data=extras, row_ids=np.asarray(jids, dtype=object))


def _bool_col(t: pd.DataFrame, col: str) -> np.ndarray:
    raw = t[col]
    if raw.isna().any():
        raise ValueError(f"touches table column {col!r} is missing at rows "
                         f"{_first(t.index[raw.isna().to_numpy()])}; expected true/false")
    try:
        return raw.astype(bool).to_numpy(dtype=bool)
    except (TypeError, ValueError) as err:
        raise ValueError(f"touches table column {col!r} must be boolean") from err


def _days(ts: pd.Series) -> np.ndarray:
    """UTC timestamps as float days since the epoch (NaT → NaN)."""
    ns = ts.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    out = ns.to_numpy().astype("int64").astype(float) / _NS_PER_DAY
    out[ns.isna().to_numpy()] = np.nan
    return out


def _join_rows(names: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Path string of every row."""
    sep = config.PATH_SEPARATOR
    return np.asarray([sep.join(names[a:b]) for a, b in zip(indptr[:-1], indptr[1:])], dtype=object)
