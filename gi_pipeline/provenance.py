"""Where each fact's cell is printed: its raw token, its span in the normalized text and its PDF page.

Cells know their span in their line (``cells.line_spans``, kept by ``split_line`` from its walk of the line),
lines their offset in the normalized text (``cells.LineStarts``), so the extractor gives every fact the span
of its cell (``tables.TableResult.spans``; flattened tables: the digits' slice of the run). The raw token is
that slice of the normalized text.

Pages: the PDF reader writes a marker line (``PAGE_MARK`` and the page number) before the first line of each
page after the first. Normalization keeps such a line as it is (nothing in it is a tag, a page number or a
traditional character), and ``split_pages`` takes the markers out of the normalized text before it is cut
into sections, keeping where each page starts: a cell's page is the page its line starts on. A marker lost
to normalization (a tag spanning a page break) leaves the report without pages rather than with wrong ones.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from typing import NamedTuple, cast

from .cells import Span

PAGE_MARK = "\x1d"  # ASCII group separator: the readers turn control characters of a text layer into spaces
_MARKER_LINE = re.compile(r"^\x1d\d+\n", re.MULTILINE)


def page_marker(page: int) -> str:
    """The line a reader writes before the first line of ``page`` (1-based; not before page 1)."""
    return f"{PAGE_MARK}{page}"


def strip_markers(text: str) -> str:
    """``text`` without its page-marker lines."""
    return _MARKER_LINE.sub("", text) if PAGE_MARK in text else text


def split_pages(text: str, markers: int) -> tuple[str, tuple[int, ...] | None]:
    """The normalized text without its page-marker lines, and the offset in it where each page starts
    (page 1 at 0). ``markers``: how many the reader wrote; unless exactly those survive, in order, the pages
    are unknown (None)."""
    if PAGE_MARK not in text:
        return text, (0,) if markers == 0 else None
    lines = text.split("\n")
    kept: list[str] = []
    starts = [0]
    pos = 0
    in_order = True
    for line in lines:
        if line[:1] == PAGE_MARK and line[1:].isdigit():
            in_order = in_order and int(line[1:]) == len(starts) + 1
            starts.append(pos)
            continue
        kept.append(line)
        pos += len(line) + 1
    found = len(starts) - 1
    return "\n".join(kept), tuple(starts) if in_order and found == markers else None


def page_at(page_starts: Sequence[int], offset: int) -> int:
    """The 1-based page holding ``offset`` of the normalized text."""
    return bisect_right(page_starts, offset)


class Source(NamedTuple):
    """A fact's cell as printed."""

    raw: str | None  # the token as printed in the normalized text ('' for a blank cell)
    char_start: int | None  # its span in the report's normalized text
    char_end: int | None
    page: int | None  # 1-based PDF page; None for formats without pages


def sources(text: str, spans: Sequence[Span | None], page_starts: Sequence[int] | None) -> list[Source]:
    """Each fact's ``Source`` from its span (None: no cell, e.g. a row not found: all fields None)."""
    none = Source(None, None, None, None)
    if page_starts is None:
        return [none if s is None else Source(text[s[0] : s[1]], s[0], s[1], None) for s in spans]
    return [none if s is None else Source(text[s[0] : s[1]], s[0], s[1], page_at(page_starts, s[0])) for s in spans]


def columns(text: str, spans: Sequence[Span | None], page_starts: Sequence[int] | None) -> dict[str, list]:
    """The provenance columns of a fact table (``raw``, ``char_start``, ``char_end``, ``page``)."""
    starts: list[int | None]
    ends: list[int | None]
    raw: list[str | None]
    if spans and None not in spans:  # every fact has its cell (most reports): the columns in C
        full = cast("Sequence[Span]", spans)
        first, last = zip(*full)
        starts, ends = list(first), list(last)
        raw = [text[start:end] for start, end in full]
    else:
        starts = [None if s is None else s[0] for s in spans]
        ends = [None if s is None else s[1] for s in spans]
        raw = [None if s is None else text[s[0] : s[1]] for s in spans]
    if page_starts is None:
        pages: list = [None] * len(spans)
    else:
        pages = [None if s is None else bisect_right(page_starts, s) for s in starts]
    return {"raw": raw, "char_start": starts, "char_end": ends, "page": pages}
