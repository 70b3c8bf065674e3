"""Splitting runs of digits whose cell separators were lost, by the arithmetic the table must satisfy.

A crawler that saved a table as text may fuse a row's cells into one run (``801000081`` for
80, 1, 0, 0, 0, 0, 81). A run is split into the row's cells in every way the cells can be printed (no
leading zeros except a lone 0, a bounded number of digits, a decimal part or a unit only where the column
holds money); the splits are then filtered by the row's own identities (total = sum of its parts) and
pruned across rows by the table's column identities (results_total = sum of the result rows, ...).
A row is decided only when exactly one split is left; otherwise it stays null and its candidates are
reported. The search is bounded: a run with too many ways to split gives up rather than stall a run.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# Bounds of the search: splits of one row (counted before they are listed), combinations of ambiguous
# rows tried per identity.
MAX_SPLITS = 2_000
MAX_COMBINATIONS = 20_000

_UNITS = ("万元", "元", "万")
_SLACK = 6  # characters per cell beyond its digits: sign, separators, decimal part, unit
# Cells are separated by spaces or pipes that survived and by a sign, which only starts a cell
# (119-113156).
_TOKENS = re.compile(r"[+-]?[^\s|+-]+")


def tokens_of(text: str) -> list[str]:
    return _TOKENS.findall(text)


_INTEGER = re.compile(r"[+-]?(?:0|[1-9]\d*|[1-9]\d{0,2}(?:,\d{3})+)")
_DECIMAL = re.compile(r"\.\d+")


@dataclass(frozen=True)
class RowShape:
    """How a row's cells may be printed and the identities within the row."""

    cells: int
    max_digits: tuple[int, ...]  # per cell: most digits before a decimal point
    money: frozenset[int] = frozenset()  # cells that may carry a decimal part and a unit
    signed: frozenset[int] = frozenset()  # cells that may carry a sign
    sums: tuple[tuple[int, tuple[int, ...]], ...] = ()  # (total cell, its part cells)
    sums_text: str = ""  # the row identities in words, for issue details


@dataclass(frozen=True)
class Identity:
    """A column identity across rows: sum(sign * row) = 0 in every identity column."""

    name: str
    terms: tuple[tuple[str, int], ...]  # (row key, +1 or -1)
    columns: tuple[int, ...]


@dataclass
class RowSplit:
    """The outcome for one row's printed text."""

    text: str
    cells: tuple[str, ...] | None = None  # the decided cells, None when not decided
    needed_split: bool = False  # the text had fewer separate tokens than cells
    format_splits: int = 0  # splits that print validly, before any identity
    candidates: list[tuple[str, ...]] = field(default_factory=list)  # splits left (several: ambiguous)
    too_many: bool = False  # the search was abandoned
    decided_by: list[str] = field(default_factory=list)  # constraints that narrowed it to one split


class _TooMany(Exception):
    pass


def _valid_cell(piece: str, column: int, shape: RowShape, token_end: bool) -> bool:
    money = column in shape.money
    if money and token_end:
        for unit in _UNITS:
            if piece.endswith(unit):
                piece = piece[: -len(unit)]
                break
    m = _INTEGER.match(piece)
    if m is None:
        return False
    integer = m.group()
    if integer[0] in "+-" and column not in shape.signed:
        return False
    if sum(ch.isdigit() for ch in integer) > shape.max_digits[column]:
        return False
    rest = piece[m.end() :]
    return not rest or (money and _DECIMAL.fullmatch(rest) is not None)


def enumerate_splits(text: str, shape: RowShape) -> list[tuple[str, ...]]:
    """Every way to read ``text`` (whitespace-separated tokens) as the row's cells. The ways are counted
    first (a small dynamic programme over (token, position, cell)); more than MAX_SPLITS raises _TooMany
    before any is listed, so the cost is bounded whatever the text."""
    tokens = tokens_of(text)
    # Longer than any printing of the row's cells: no split (and no search over it).
    if len(tokens) > shape.cells or sum(map(len, tokens)) > sum(shape.max_digits) + _SLACK * shape.cells:
        return []
    pieces_at: dict[tuple[int, int, int], list[tuple[int, int, str]]] = {}
    counts: dict[tuple[int, int, int], int] = {}

    def pieces(t: int, pos: int, column: int) -> list[tuple[int, int, str]]:
        """(next token, next position, cell) for every valid cell starting here."""
        key = (t, pos, column)
        if key not in pieces_at:
            token = tokens[t]
            last = len(token)
            if column not in shape.money and "," not in token:
                last = min(last, pos + shape.max_digits[column] + 1)  # longer pieces have too many digits
            found = []
            for end in range(pos + 1, last + 1):
                piece = token[pos:end]
                at_end = end == len(token)
                if _valid_cell(piece, column, shape, at_end):
                    found.append((t + 1, 0, piece) if at_end else (t, end, piece))
                elif piece.lstrip("+-")[:1] == "0" and piece.lstrip("+-") != "0" and "." not in piece:
                    break  # a leading zero: longer pieces from here are invalid too
            pieces_at[key] = found
        return pieces_at[key]

    def count(t: int, pos: int, column: int) -> int:
        if t == len(tokens):
            return int(column == shape.cells)
        if shape.cells - column < len(tokens) - t:  # every remaining token needs a cell
            return 0
        key = (t, pos, column)
        if key not in counts:
            total = 0
            for nt, npos, _ in pieces(t, pos, column):
                total += count(nt, npos, column + 1)
                if total > MAX_SPLITS:
                    break
            counts[key] = total
        return counts[key]

    if count(0, 0, 0) > MAX_SPLITS:
        raise _TooMany
    out: list[tuple[str, ...]] = []
    cells: list[str] = []

    def walk(t: int, pos: int) -> None:
        if t == len(tokens):
            out.append(tuple(cells))
            return
        for nt, npos, piece in pieces(t, pos, len(cells)):
            if count(nt, npos, len(cells) + 1):
                cells.append(piece)
                walk(nt, npos)
                cells.pop()

    walk(0, 0)
    return out


def _count(text: str) -> int | None:
    digits = text.replace(",", "")
    return int(digits) if digits.lstrip("+-").isdigit() else None


def _fits_row(cells: tuple[str, ...], shape: RowShape) -> bool:
    for total, parts in shape.sums:
        values = [_count(cells[i]) for i in (total, *parts)]
        if any(x is None for x in values):
            return False
        if values[0] != sum(values[1:]):  # type: ignore[arg-type]
            return False
    return True


def split_row(text: str, shape: RowShape) -> RowSplit:
    """One row's splits, filtered by its own identities (not yet by other rows)."""
    outcome = RowSplit(text, needed_split=len(tokens_of(text)) < shape.cells)
    try:
        splits = enumerate_splits(text, shape)
    except _TooMany:
        outcome.too_many = True
        return outcome
    outcome.format_splits = len(splits)
    fitting = [s for s in splits if _fits_row(s, shape)]
    if len(splits) > 1 and fitting and len(fitting) < len(splits):
        outcome.decided_by.append(shape.sums_text)
    # Cells printed apart are what the report prints, even if the row's identity fails (a finding of the
    # identity checks). Cells run together are read only as a split that fits the row: a lone printing
    # that breaks it (a cell lost, a dash dropped) is not confirmed by anything.
    outcome.candidates = splits if not outcome.needed_split and len(splits) == 1 else fitting
    return outcome


def _vector(cells: tuple[str, ...], columns: Sequence[int]) -> tuple[int, ...] | None:
    values = tuple(_count(cells[c]) for c in columns)
    return None if any(x is None for x in values) else values  # type: ignore[return-value]


def _prune(rows: Mapping[str, RowSplit], identity: Identity) -> bool:
    """Keep, in each ambiguous row of the identity, the splits that some choice of the other rows'
    splits makes hold. Returns whether anything was pruned. Skipped when a row is unknown, when no choice
    makes the identity hold (the report breaks it: a finding, not evidence) or when the choices are too
    many."""
    if any(key not in rows or not rows[key].candidates for key, _ in identity.terms):
        return False
    ambiguous = [(key, sign) for key, sign in identity.terms if len(rows[key].candidates) > 1]
    if not ambiguous:
        return False
    combinations = 1
    for key, _ in ambiguous:
        combinations *= len(rows[key].candidates)
    if combinations > MAX_COMBINATIONS:
        return False
    fixed = [0] * len(identity.columns)
    for key, sign in identity.terms:
        if len(rows[key].candidates) == 1:
            vector = _vector(rows[key].candidates[0], identity.columns)
            if vector is None:
                return False
            fixed = [f + sign * x for f, x in zip(fixed, vector)]
    options: list[list[tuple[int, int, tuple[int, ...]]]] = []
    for key, sign in ambiguous:
        vectors = [_vector(c, identity.columns) for c in rows[key].candidates]
        known = [vec for vec in vectors if vec is not None]
        if len(known) < len(vectors):
            return False
        options.append([(i, sign, vec) for i, vec in enumerate(known)])
    allowed: list[set[int]] = [set() for _ in ambiguous]
    for choice in itertools.product(*options):
        totals = list(fixed)
        for _, sign, vec in choice:
            totals = [t + sign * x for t, x in zip(totals, vec)]
        if not any(totals):
            for k, (i, _, _) in enumerate(choice):
                allowed[k].add(i)
    if not allowed[0]:
        return False
    pruned = False
    for (key, _), keep in zip(ambiguous, allowed):
        row = rows[key]
        if len(keep) < len(row.candidates):
            row.candidates = [c for i, c in enumerate(row.candidates) if i in keep]
            row.decided_by.append(identity.name)
            pruned = True
    return pruned


def solve(rows: dict[str, RowSplit], identities: Sequence[Identity]) -> None:
    """Prune the rows' splits by the column identities until nothing changes, then decide every row
    left with one split (in place)."""
    for _ in range(len(identities) * 4 + 1):
        pruned = [_prune(rows, identity) for identity in identities]  # every identity, each round
        if not any(pruned):
            break
    for row in rows.values():
        if len(row.candidates) == 1:
            row.cells = row.candidates[0]


def how_decided(row: RowSplit) -> str:
    """The constraint that decided a split row, in words."""
    if row.format_splits == 1:
        return "the only way to print these digits as the row's cells (no leading zeros)"
    return f"the only one of {row.format_splits} ways to print these digits that satisfies " + "; then ".join(
        dict.fromkeys(row.decided_by)
    )
