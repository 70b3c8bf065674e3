"""Where each fact's cell is printed: its raw token, its span in the normalized text and its PDF page.

Cells know their span in their line (``cells.line_spans``, kept by ``split_line`` from its walk of the line),
lines their offset in the normalized text (``cells.LineStarts``), so the extractor gives every fact the span
of its cell (``tables.TableResult.spans``; flattened tables: the digits' slice of the run). The raw token is
the same cell in the reader's text, before normalization (``１２`` where the normalized text has ``12``):
normalization records where it moved characters (``offsets.OffsetMap``), and the span maps back through it.

Pages: the PDF reader writes a marker line (``PAGE_MARK`` and the page number) before the first line of each
page after the first. Normalization keeps such a line as it is (nothing in it is a tag, a page number or a
traditional character), and ``split_pages`` takes the markers out of the normalized text before it is cut
into sections, keeping where each page starts: a cell's page is the page its line starts on. A marker lost
to normalization (a tag spanning a page break) leaves the report without pages rather than with wrong ones.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import NamedTuple, cast

from . import offsets
from .cells import Span
from .normalize import normalize_token
from .offsets import Edits, OffsetMap

PAGE_MARK = "\x1d"  # ASCII group separator: the readers turn control characters of a text layer into spaces
_MARKER_LINE = re.compile(r"^\x1d\d+\n", re.MULTILINE)


def page_marker(page: int) -> str:
    """The line a reader writes before the first line of ``page`` (1-based; not before page 1)."""
    return f"{PAGE_MARK}{page}"


def strip_markers(text: str, steps: list[Edits] | None = None) -> str:
    """``text`` without its page-marker lines (the deletions recorded in ``steps``)."""
    return offsets.sub(_MARKER_LINE, "", text, [] if steps is None else steps) if PAGE_MARK in text else text


def split_pages(text: str, markers: int, steps: list[Edits] | None = None) -> tuple[str, tuple[int, ...] | None]:
    """The normalized text without its page-marker lines (the deletions recorded in ``steps``), and the
    offset in it where each page starts (page 1 at 0). ``markers``: how many the reader wrote; unless
    exactly those survive, in order, the pages are unknown (None)."""
    if PAGE_MARK not in text:
        return text, (0,) if markers == 0 else None
    regions: list[tuple[int, int, str]] = []
    starts = [0]
    pos = deleted = 0  # in ``text``; how much of it before ``pos`` goes
    in_order = True
    for line in text.split("\n"):
        if line[:1] == PAGE_MARK and line[1:].isdigit():
            in_order = in_order and int(line[1:]) == len(starts) + 1
            starts.append(pos - deleted)
            regions.append((pos, min(pos + len(line) + 1, len(text)), ""))  # the line with its line break
            deleted += regions[-1][1] - pos
        pos += len(line) + 1
    if regions and regions[-1][1] == len(text) and not text.endswith("\n"):
        # Marker lines that end the text go with the line break before them, not after.
        start = regions.pop()[0]
        while regions and regions[-1][1] == start:
            start = regions.pop()[0]
        regions.append((max(start - 1, 0), len(text), ""))
    found = len(starts) - 1
    kept = offsets.replace(text, regions, [] if steps is None else steps)
    return kept, tuple(starts) if in_order and found == markers else None


def page_at(page_starts: Sequence[int], offset: int) -> int:
    """The 1-based page holding ``offset`` of the normalized text."""
    return bisect_right(page_starts, offset)


class Source(NamedTuple):
    """A fact's cell as printed."""

    raw: str | None  # the token as printed, before normalization ('' for a blank cell)
    char_start: int | None  # its span in the report's normalized text
    char_end: int | None
    page: int | None  # 1-based PDF page; None for formats without pages


def printed(token: str, original: str, to_original: OffsetMap, span: Span) -> str:
    """The normalized ``token`` at ``span`` as the reader's text printed it: its slice of ``original`` (before
    full width to half width, traditional to simplified). A slice that does not normalize to the token (a
    tag or an entity inside it, a phrase that changed length) gives the token itself."""
    start, end = to_original.to_first(*span)
    return _as_printed(token, original[start:end])


def _as_printed(token: str, before: str) -> str:
    """``printed``: ``before``, the token's slice of the reader's text, when it normalizes to ``token``."""
    return before if before == token or normalize_token(before) == token else token


def sources(text: str, spans: Sequence[Span | None], page_starts: Sequence[int] | None,
            original: str | None = None, to_original: OffsetMap | None = None) -> list[Source]:
    """Each fact's ``Source`` from its span (None: no cell, e.g. a row not found: all fields None); the raw
    token as ``original`` (the reader's text, with ``to_original`` from ``text`` back to it) printed it, or
    as ``text`` has it when not given."""
    return [Source(*row) for row in zip(*columns(text, spans, page_starts, original, to_original).values(), strict=True)]


def printed_text(text: str, cells: Iterable[tuple[int | None, int | None, str | None]]) -> tuple[str, OffsetMap]:
    """``text`` with each cell ``(char_start, char_end, raw)`` as printed where normalization changed it, and
    the map from ``text`` back to that: for a report rebuilt from its rows, without the reader's text, whose
    ``sources`` must give the rows' ``raw`` back."""
    regions: list[tuple[int, int, str]] = []
    found = {(start, end, raw) for start, end, raw in cells if start is not None and end is not None and raw is not None}
    for start, end, raw in sorted(found):
        if text[start:end] != raw and (not regions or start >= regions[-1][1]):
            regions.append((start, end, raw))
    steps: list[Edits] = []
    as_printed = offsets.replace(text, regions, steps)
    return as_printed, OffsetMap(tuple(step.inverse() for step in steps))


def _printed_tokens(text: str, spans: Sequence[Span], original: str | None, to_original: OffsetMap | None) -> list[str]:
    if original is None or to_original is None:
        return [text[start:end] for start, end in spans]
    if not to_original.steps:  # every character where it was: the same slices of the reader's text
        return [original[start:end] for start, end in spans]
    # ``printed`` of each span, the spans mapped all at once; most tokens are their slice as printed.
    tokens = [text[start:end] for start, end in spans]
    befores = to_original.first_slices(original, spans)
    return [before if before == token else _as_printed(token, before) for token, before in zip(tokens, befores)]


def columns(text: str, spans: Sequence[Span | None], page_starts: Sequence[int] | None,
            original: str | None = None, to_original: OffsetMap | None = None) -> dict[str, list]:
    """The provenance columns of a fact table (``raw``, ``char_start``, ``char_end``, ``page``); ``raw`` as
    ``sources`` gives it."""
    starts: list[int | None]
    ends: list[int | None]
    raw: list[str] | list[str | None]
    if spans and None not in spans:  # every fact has its cell (most reports): the columns in C
        full = cast("Sequence[Span]", spans)
        first, last = zip(*full)
        starts, ends = list(first), list(last)
        raw = _printed_tokens(text, full, original, to_original)
    else:
        starts = [None if s is None else s[0] for s in spans]
        ends = [None if s is None else s[1] for s in spans]
        tokens = iter(_printed_tokens(text, [s for s in spans if s is not None], original, to_original))
        raw = [None if s is None else next(tokens) for s in spans]
    if page_starts is None:
        pages: list = [None] * len(spans)
    else:
        pages = [None if s is None else bisect_right(page_starts, s) for s in starts]
    return {"raw": raw, "char_start": starts, "char_end": ends, "page": pages}
