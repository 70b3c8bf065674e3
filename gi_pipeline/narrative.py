"""Numbers the text of sections 一 and 四 states, compared with the table cells they state.

``新收到依申请公开109件`` states table 三's new_received total. The ways a report says such a thing are data
(vocabulary.NARRATIVE_PATTERNS); they run over the section's normalized text (traditional characters are
simplified by then) with spaces and line breaks removed, and every offset is mapped back to the normalized
text. A statement too vague to compare (约, 余件, a range), a clause about another year, or a part of a
total (其中, 维持 ...) is never forced onto a cell. A null or absent cell is neither a match nor a mismatch.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence

from . import vocabulary as v
from .locate import row_line
from .records import NarrativeStatement, QualityIssue, SectionRecord

_NUMBER = r"(?P<stated>(?<![\d.,])(?P<n>\d{1,3}(?:,\d{3})+|\d+)(?P<after>余|多)?件)"
# A few characters of one clause: no digit, no clause or cell punctuation.
_GAP = r"[^\d,.;:!?、。|()《》\"“”\x1f]{0,14}?"
_CLAUSE_END = ",;。!?:"
_RANGE_MARKS = "-~—至到"
_SPACES = re.compile(r"[ \t\n\r\u3000\xa0]+")
_YEAR = re.compile(r"(\d{4})年")
# The year before, except in 上年结转 (requests carried over into this year are this year's business).
_PREVIOUS_YEAR = re.compile(r"去年|上一?年(?!度?结转)")
_SENTENCE_END = "。;!?\n"
_MAX_SENTENCE = 160

Cells = Mapping[tuple[str, str, str], int | None]


@functools.cache
def _patterns() -> tuple[tuple[v.NarrativePattern, re.Pattern[str]], ...]:
    return tuple((p, re.compile(p.pattern.format(n=_NUMBER, gap=_GAP))) for p in v.NARRATIVE_PATTERNS)


class _Compact:
    """A text without spaces and line breaks, and the way back from its offsets to the text's."""

    def __init__(self, text: str):
        self.text = _SPACES.sub("", text)
        self._starts = [0]  # compact offset where each kept piece of the text starts
        self._shifts = [0]  # that piece's offset in the text minus its compact offset
        removed = 0
        for m in _SPACES.finditer(text):
            removed += m.end() - m.start()
            self._starts.append(m.end() - removed)
            self._shifts.append(removed)

    def original(self, pos: int) -> int:
        return pos + self._shifts[bisect_right(self._starts, pos) - 1]


def _clauses(compact: str) -> list[tuple[int, int]]:
    """Spans of the clauses that hold a count (a digit before 件, 余件 or 多件): the only places a
    statement can be, so the patterns run over a few short spans instead of the whole section."""
    spans: list[tuple[int, int]] = []
    pos = compact.find("件")
    while pos > 0:
        before = compact[pos - 1]
        is_count = before.isdigit() or (before in "余多" and pos > 1 and compact[pos - 2].isdigit())
        if is_count and (not spans or pos >= spans[-1][1]):  # a clause once, however many counts it holds
            left = max(compact.rfind(c, 0, pos) for c in _CLAUSE_END) + 1
            rights = [i for c in _CLAUSE_END if (i := compact.find(c, pos)) >= 0]
            spans.append((left, min(rights, default=len(compact))))
        pos = compact.find("件", pos + 1)
    return spans


def _is_vague(compact: str, m: re.Match[str]) -> bool:
    before = compact[max(0, m.start("n") - 2) : m.start("n")]
    after = compact[m.end("stated") : m.end("stated") + 2]
    if m.group("after") or any(before.endswith(h) for h in v.NARRATIVE_HEDGES_BEFORE):
        return True
    if any(after.startswith(h) for h in v.NARRATIVE_HEDGES_AFTER):
        return True
    # A range: 3-5件, 3至5件
    return len(before) == 2 and before[1] in _RANGE_MARKS and (before[0].isdigit() or before[0] == "件")


def _about_other_period(clause: str, year: int | None) -> bool:
    if _PREVIOUS_YEAR.search(clause):
        return True
    return year is not None and any(int(y) != year for y in _YEAR.findall(clause))


def _is_part(matched: str) -> bool:
    return any(word in matched for word in v.NARRATIVE_PART_WORDS)


_COMBINED = re.compile(v.NARRATIVE_COMBINED)


def _combined_spans(compact: str, lo: int, hi: int) -> list[tuple[int, int]]:
    return [m.span() for m in _COMBINED.finditer(compact, lo, hi)]


def _overlaps(m: re.Match[str], spans: Sequence[tuple[int, int]]) -> bool:
    return any(a < m.end() and m.start() < b for a, b in spans)


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind(c, 0, start) for c in _SENTENCE_END if c != "\n") + 1
    left = max(left, start - _MAX_SENTENCE // 2)
    rights = [i + 1 for c in _SENTENCE_END if c != "\n" and (i := text.find(c, end)) >= 0]
    right = min([*rights, end + _MAX_SENTENCE // 2, len(text)])
    return _SPACES.sub("", text[left:right]).strip()


def _table_value(cells: Sequence[tuple[str, str, str]], values: Cells) -> int | None:
    found = [values.get(cell) for cell in cells]
    if any(value is None for value in found):
        return None
    return int(sum(found))  # type: ignore[arg-type]


def _compare(
    stated: int | None, readings: Sequence[tuple[tuple[str, str, str], ...]], values: Cells
) -> tuple[str, tuple[tuple[str, str, str], ...], int | None]:
    """(status, the cells compared, their sum): the reading that matches, else the first one."""
    sums = [_table_value(cells, values) for cells in readings]
    if stated is None:
        return v.NARRATIVE_VAGUE, readings[0], sums[0]
    for cells, total in zip(readings, sums):
        if total == stated:
            return v.NARRATIVE_MATCH, cells, total
    if any(total is None for total in sums):
        return v.NARRATIVE_NO_TABLE_VALUE, readings[0], sums[0]
    return v.NARRATIVE_MISMATCH, readings[0], sums[0]


def section_statements(
    section: SectionRecord, sections: dict[str, SectionRecord], values: Callable[[], Cells], year: int | None
) -> list[NarrativeStatement]:
    """The statements of one section; ``values`` gives the table cells (built only when one is found)."""
    if "件" not in section.text:
        return []
    compact = _Compact(section.text)
    out: list[NarrativeStatement] = []
    for lo, hi in _clauses(compact.text):
        if _about_other_period(compact.text[lo:hi], year):
            continue
        claimed: set[int] = set()  # a number is one statement: the first pattern that reads it
        combined = _combined_spans(compact.text, lo, hi)
        for pattern, regex in _patterns():
            for m in regex.finditer(compact.text, lo, hi):
                if m.start("n") in claimed or _is_part(m.group()) or _overlaps(m, combined):
                    continue
                claimed.add(m.start("n"))
                out.append(_statement(section, sections, compact, m, pattern, values(), year))
    return out


def _statement(
    section: SectionRecord,
    sections: dict[str, SectionRecord],
    compact: _Compact,
    m: re.Match[str],
    pattern: v.NarrativePattern,
    values: Cells,
    year: int | None,
) -> NarrativeStatement:
    start = section.char_start + compact.original(m.start("stated"))
    end = section.char_start + compact.original(m.end("stated") - 1) + 1
    stated = None if _is_vague(compact.text, m) else int(m.group("n").replace(",", ""))
    status, cells, table_value = _compare(stated, pattern.readings, values)
    table, row, _column = cells[0]
    span = row_line(sections, table, row)
    return NarrativeStatement(
        key=pattern.key,
        sentence=_sentence(section.text, start - section.char_start, end - section.char_start),
        stated=stated,
        char_start=start,
        char_end=end,
        cells=cells,
        table_value=table_value,
        table_char_start=span[0] if span else None,
        table_char_end=span[1] if span else None,
        status=status,
    )


# The rows of each table whose cells a statement can be about (vocabulary.NARRATIVE_PATTERNS' readings).
_STATED_ROWS = {
    table: frozenset(row for p in v.NARRATIVE_PATTERNS for reading in p.readings for t, row, _ in reading if t == table)
    for table in (v.TABLE_REQUESTS, v.TABLE_REVIEW_LITIGATION)
}


def cell_values(requests: Sequence, review: Sequence) -> dict[tuple[str, str, str], int | None]:
    """The cells statements can be about, keyed (table, row, column): those of the rows they state (a few
    of table 三's ~200 cells)."""
    values: dict[tuple[str, str, str], int | None] = {}
    stated_requests, stated_review = _STATED_ROWS[v.TABLE_REQUESTS], _STATED_ROWS[v.TABLE_REVIEW_LITIGATION]
    for f in requests:
        if f.row_key in stated_requests:
            values[(v.TABLE_REQUESTS, f.row_key, f.applicant)] = f.value
    for f in review:
        if f.proceeding in stated_review:
            values[(v.TABLE_REVIEW_LITIGATION, f.proceeding, f.outcome)] = f.value
    return values


def check_narrative(
    sections: dict[str, SectionRecord], requests: Sequence, review: Sequence, year: int | None
) -> tuple[NarrativeStatement, ...]:
    """Every statement of sections 一 and 四, in text order, with its comparison to the table."""
    cells: list[Cells] = []  # the table cells, built once a statement needs them

    def values() -> Cells:
        if not cells:
            cells.append(cell_values(requests, review))
        return cells[0]

    found = [
        s
        for key in v.NARRATIVE_SECTIONS
        if key in sections
        for s in section_statements(sections[key], sections, values, year)
    ]
    return tuple(sorted(found, key=lambda s: s.char_start))


def _cells_text(cells: Sequence[tuple[str, str, str]]) -> str:
    return " + ".join(f"{table}.{row}/{column}" for table, row, column in cells)


def _span_text(start: int | None, end: int | None) -> str:
    return f"chars {start}-{end}" if start is not None else "row not found in the text"


def narrative_issues(statements: Sequence[NarrativeStatement]) -> list[QualityIssue]:
    """A warning per statement the table contradicts, quoting both sides and where each is printed."""
    return [
        QualityIssue(
            v.Check.NARRATIVE_MISMATCH,
            v.SEVERITY_WARNING,
            s.cells[0][0],
            s.cells[0][1],
            f"text says {s.stated} ({_span_text(s.char_start, s.char_end)}: “{s.sentence}”), "
            f"table says {s.table_value} ({_cells_text(s.cells)}; "
            f"{_span_text(s.table_char_start, s.table_char_end)})",
        )
        for s in statements
        if s.status == v.NARRATIVE_MISMATCH
    ]
