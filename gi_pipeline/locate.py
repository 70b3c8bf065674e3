"""Where a table row is printed in a report's normalized text, found by searching for its label.

Facts carry their cell's provenance (gi_pipeline.provenance); this is how a row is traced back to the text
where a fact has no cell (its row not read cell by cell) and for the narrative checks' table side: the line
that holds the row's label. It names a line, not a cell; callers say so.
"""

from __future__ import annotations

import functools
import re

from . import vocabulary as v
from .records import SectionRecord

Span = tuple[int, int]

# Section that prints each fact table.
TABLE_SECTIONS = {
    v.TABLE_ACTIVE_DISCLOSURE: "active_disclosure",
    v.TABLE_REQUESTS: "requests",
    v.TABLE_REVIEW_LITIGATION: "review_litigation",
}
# Table 四 prints all its numbers in one row without labels: the first line with this many numbers.
_REVIEW_MIN_NUMBERS = 5
_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")


@functools.cache
def _label_pattern(label: str) -> re.Pattern[str]:
    """The label with any whitespace between its characters (PDF and DOCX cells break labels)."""
    return re.compile(r"\s*".join(re.escape(c) for c in label if not c.isspace()))


def row_labels(table: str, row: str) -> tuple[str, ...]:
    if table == v.TABLE_REQUESTS and row in v.REQUEST_ROW_BY_KEY:
        return v.REQUEST_ROW_BY_KEY[row].labels
    if table == v.TABLE_ACTIVE_DISCLOSURE and row in v.DISCLOSURE_ITEM_BY_KEY:
        return v.DISCLOSURE_ITEM_BY_KEY[row].labels
    return ()


def line_span(text: str, pos: int, end: int | None = None) -> Span:
    """The whole line(s) of ``text`` around ``pos`` (to ``end``), without the newline."""
    start = text.rfind("\n", 0, pos) + 1
    stop = text.find("\n", end if end is not None else pos)
    return start, len(text) if stop < 0 else stop


def row_line(sections: dict[str, SectionRecord], table: str, row: str) -> Span | None:
    """Offsets in the normalized text of the line printing ``row`` of ``table``: the first line holding
    one of its labels (longest first); for table 四, the first line of numbers. None when not found."""
    section = sections.get(TABLE_SECTIONS.get(table, ""))
    if section is None:
        return None
    text = section.text
    if table == v.TABLE_REVIEW_LITIGATION:
        pos = 0
        for line in text.split("\n"):
            if len(_NUMBER.findall(line)) >= _REVIEW_MIN_NUMBERS:
                return section.char_start + pos, section.char_start + pos + len(line)
            pos += len(line) + 1
        return None
    for label in sorted(row_labels(table, row), key=len, reverse=True):
        if m := _label_pattern(label).search(text):
            start, stop = line_span(text, m.start(), m.end())
            return section.char_start + start, section.char_start + stop
    return None


def text_between(sections: dict[str, SectionRecord], start: int, end: int) -> str | None:
    """The normalized text from ``start`` to ``end`` (offsets into the report's normalized text), read from
    the section that holds it: the warehouse keeps a report's text as its sections."""
    for section in sections.values():
        if section.char_start <= start and end <= section.char_end:
            return section.text[start - section.char_start : end - section.char_start]
    return None
