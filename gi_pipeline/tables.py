"""Extraction of tables 二, 三 and 四 from their sections' text.

The extractor anchors on row labels, not on layout: numbers are read in *runs* (consecutive number
cells), and a run belongs to the row whose label stands on the same line, or else to the single row
label printed since the previous run. Anything less certain is not assigned: a run under two labels,
under unknown text, or with no label at all is reported, and the rows it might belong to stay null
with a quality issue. A row that has too few or too many cells is null as a whole: cells are never
shifted to fit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from . import labels
from . import vocabulary as v
from .cells import (
    BLANK,
    BREAK,
    HEADING,
    LABEL,
    PLACEHOLDER,
    PROSE,
    ROW,
    UNREADABLE,
    VALUE,
    Cell,
    Line,
    LineStarts,
    Span,
    amount_10k_yuan,
    count_value,
    line_spans,
    split_line,
    table_line,
)
from .labels import GROUP, HEADER, LabelMatcher, LabelRef, label_key
from .records import DisclosureFact, QualityIssue, RequestFact, ReviewFact
from .template import request_row_keys, rows_merged_detail, template_of_request_rows

# Buffer entry for a prose line: unknown content between a label and its numbers (normalized text
# never holds a NUL).
_PROSE_MARK = "\x00<prose>"


@dataclass
class Run:
    """Consecutive number cells, with the labels that precede them."""

    cells: list[Cell]
    same_line: list[str]  # labels on the run's own line, before its first number
    buffer: list[str]  # labels since the previous run (_PROSE_MARK: a prose line)
    line: int
    grid: bool = False  # from an exact grid row (cells.GRID_SEP): its blank cells are cells of the row
    # Provenance: (line index, index in the line of its first cell here) for each line the cells come from;
    # its cells are the line's numeric cells from there on (``run_spans``).
    parts: list[tuple[int, int]] = field(default_factory=list)

    def show(self) -> str:
        return " ".join(c.text or "∅" for c in self.cells)


def run_spans(runs: Sequence[Run], lines: Sequence[Line], starts: LineStarts) -> list[Span]:
    """The spans in the normalized text of the runs' cells, in order (``starts``: the lines' offsets).
    Computed only for the rows that become facts."""
    base, before = starts.base, starts.before
    if len(runs) == 1 and len(runs[0].parts) == 1:  # most rows: cells of one line, in a row from ``first``
        run = runs[0]
        index, first = run.parts[0]
        at = base + before[index] + index
        return [(at + start, at + end) for start, end in line_spans(lines[index])[first : first + len(run.cells)]]
    out: list[Span] = []
    for run in runs:
        spans: list[Span] = []
        for index, first in run.parts:
            at = base + before[index] + index
            line = lines[index]
            line_at = line_spans(line)
            if first == len(line.cells) - 1:  # one cell of this line (a table printed one cell per line)
                start, end = line_at[first]
                spans.append((at + start, at + end))
                continue
            for k in range(first, len(line.cells)):
                if line.cells[k].kind == LABEL:
                    break
                start, end = line_at[k]
                spans.append((at + start, at + end))
        out += spans[: len(run.cells)]  # less the blank padding dropped at its end
    return out


def collect_runs(lines: Sequence[Line]) -> list[Run]:
    runs: list[Run] = []
    buffer: list[str] = []
    current: Run | None = None

    def close() -> None:
        nonlocal current
        if current is not None:
            while not current.grid and current.cells and current.cells[-1].kind == BLANK:
                current.cells.pop()  # an empty cell after the last number is padding, not a cell
            runs.append(current)
            current = None

    for index, line in enumerate(lines):
        head = line.leading_labels
        if head is not None:  # labels, then numbers only (most lines): the walk below, a line at a time
            first = len(head)
            if head:
                if current is not None:
                    close()
                buffer += head
            if first < len(line.cells):
                if current is None:
                    current = Run([], list(head) if line.kind == ROW else [], buffer, index + 1, line.grid)
                    buffer = []
                current.parts.append((index, first))
                current.cells += line.cells[first:]
            if line.kind == ROW:
                close()
            continue
        if line.kind == BREAK:
            close()
            continue
        if line.kind == PROSE:
            close()
            buffer.append(_PROSE_MARK)
            continue
        if line.kind == HEADING:
            continue  # a caption: not a label of the rows (extract_review reads table 四's part headings)
        is_row = line.kind == ROW
        same_line: list[str] = []
        taking: Run | None = None  # the run that took a cell of this line
        for k, cell in enumerate(line.cells):
            if cell.kind == LABEL:
                if current is not None:  # labels mostly follow labels: no call to close() for them
                    close()
                buffer.append(cell.text)
                if is_row:
                    same_line.append(cell.text)
                continue
            if current is None:
                if cell.kind == BLANK and not line.grid:
                    continue  # an empty cell before any number: a merged label slot (text layouts)
                current = Run([], same_line, buffer, index + 1, line.grid)
                buffer, same_line = [], []
            if current is not taking:
                current.parts.append((index, k))
                taking = current
            current.cells.append(cell)
        if is_row:
            close()  # a delimited line is one row: its numbers end with it
    close()
    return runs


# --------------------------------------------------------------------------------------------
# Grid tables read by their header
# --------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _header_matcher(header: tuple[str, ...]) -> LabelMatcher:
    return LabelMatcher((label, LabelRef(HEADER, label)) for label in dict.fromkeys(header))


def _header_row(cells: Sequence[tuple[Cell, int]], header: tuple[str, ...], matcher: LabelMatcher) -> tuple[int, ...] | None:
    """The columns of a header row that names every value column: its last ``len(header)`` labels, each
    either the header label of its place (misspellings allowed) or text naming no header label (a label
    the print tore, ``结果`` for 结果纠正), at least a third of them (and two) named."""
    if len(cells) < len(header):
        return None
    tail = cells[len(cells) - len(header) :]
    named = 0
    for (cell, _column), want in zip(tail, header):
        found = matcher.match(cell.text)
        if found is None:
            continue
        if found.ref.key != want:
            return None
        named += 1
    return tuple(column for _cell, column in tail) if named >= max(2, len(header) / 3) else None


def _header_columns(lines: Sequence[Line], header: tuple[str, ...]) -> tuple[int, tuple[int, ...] | None, int] | None:
    """Where the header of a grid table names its value columns: (index of the first data line, the value
    columns in ``header`` order or None when no header row lines them up (a table pasted without its
    spans: the values are then each row's last ``len(header)`` fields), the header's width). None when the
    grid rows before the first number do not print every header label."""
    matcher = _header_matcher(header)
    wanted = {key: header.count(key) for key in header}
    seen = dict.fromkeys(wanted, 0)
    columns: tuple[int, ...] | None = None
    width = 0
    for index, line in enumerate(lines):
        if not line.grid:
            continue
        if line.numbers:
            if columns is None and any(seen[key] < n for key, n in wanted.items()):
                return None
            return index, columns, width
        width = max(width, line.width)
        labels = [(c, column) for c, column in zip(line.cells, line.columns) if c.kind == LABEL]
        columns = _header_row(labels, header, matcher) or columns
        for cell, _column in labels:
            found = matcher.match(cell.text)
            if found is not None:
                seen[found.ref.key] += 1
    return None


def _placed(line: Line, value_columns: Sequence[int], blank_labels: bool) -> Line | None:
    """A data row with its labels (the cells left of the first value column) and one cell per value
    column, in header order; None when its cells do not sit under the header (a number in a label
    column, text in a value column, a value column with no cell or two). ``blank_labels``: an empty
    cell in a label column is an empty label slot (only where the header fixes the columns and the row
    spans them all: in a row aligned by its end it could as well be a value whose neighbour is lost)."""
    first = value_columns[0]
    where = {c: k for k, c in enumerate(value_columns)}
    labels: list[Cell] = []
    label_at: list[int] = []  # each cell's index in ``line`` (provenance)
    values: list[Cell | None] = [None] * len(value_columns)
    value_at: list[int] = [0] * len(value_columns)
    for i, (cell, column) in enumerate(zip(line.cells, line.columns)):
        k = where.get(column)
        if k is None:
            if cell.kind == LABEL and column < first:
                labels.append(cell)
                label_at.append(i)
            elif cell.kind != BLANK or (column < first and not blank_labels):
                return None
        elif cell.kind == LABEL or values[k] is not None:
            return None
        else:
            values[k] = cell
            value_at[k] = i
    if any(cell is None for cell in values):
        return None
    order = tuple(line.order[i] for i in (*label_at, *value_at)) if line.order else (*label_at, *value_at)
    return table_line(ROW, (*labels, *values), True, source=line.source, order=order)  # type: ignore[arg-type]


@functools.lru_cache(maxsize=1 << 12)  # a few MB: 84 % hits over 3,000 HTML/DOCX reports
def _placed_printed(source: str, shift: int, value_columns: Sequence[int], blank_labels: bool) -> Line | None:
    """``_placed`` of the line ``split_line(source)`` with its columns moved right by ``shift``."""
    line = split_line(source)
    if shift:
        line = line._replace(columns=tuple(c + shift for c in line.columns))
    return _placed(line, value_columns, blank_labels)


def _place(line: Line, value_columns: Sequence[int], blank_labels: bool, shift: int = 0) -> Line | None:
    """``_placed`` of ``line`` with its columns moved right by ``shift``. Rows repeat across reports (a zero
    row, a header): a printed line as ``split_line`` read it is placed once per distinct printing."""
    if line is split_line(line.source):
        return _placed_printed(line.source, shift, value_columns, blank_labels)
    if shift:
        line = line._replace(columns=tuple(c + shift for c in line.columns))
    return _placed(line, value_columns, blank_labels)


def place_by_header(lines: Sequence[Line], header: tuple[str, ...]) -> list[Line]:
    """Grid rows read by the columns their header names: each data row becomes its labels followed by
    exactly one cell per header column, so label columns (one to three, merged down or across, continued
    over a page break, or missing their rowspan) never shift a number. A row shorter than the header is
    missing cells on its left (a rowspan the publisher dropped): it is aligned on the right edge. A row
    whose cells cannot be placed is left as printed (the row reader then nulls it with a flag); text
    layouts are left as they are."""
    found = _header_columns(lines, header)
    if found is None:
        return list(lines)
    start, columns, width = found
    out = list(lines)
    for index in range(start, len(lines)):
        line = lines[index]
        if not line.grid or not line.numbers:
            continue
        if columns is None:  # header rows without their spans: each row's last fields are the values
            value_columns: Sequence[int] = range(line.width - len(header), line.width)
            shift = 0
        else:
            if line.width > width:
                continue
            value_columns, shift = columns, width - line.width
        blank_labels = columns is not None and not shift
        placed = _place(line, value_columns, blank_labels, shift) if value_columns[0] >= 0 else None
        if placed is not None:
            out[index] = placed
    return out


APPLICANT_HEADER = tuple(label_key(v.APPLICANT_LABELS[a][0]) for a in v.APPLICANTS)
REVIEW_HEADER = tuple(label_key(label) for label in v.REVIEW_OUTCOME_LABELS) * len(v.PROCEEDINGS)


# --------------------------------------------------------------------------------------------
# Assigning runs to rows
# --------------------------------------------------------------------------------------------


@dataclass
class RowCells:
    """What the label anchoring found for one table."""

    cells: dict[str, list[Cell]] = field(default_factory=dict)
    runs: dict[str, list[Run]] = field(default_factory=dict)  # each row's runs (provenance)
    lines: Sequence[Line] = ()
    starts: LineStarts | None = None
    conflicting: set[str] = field(default_factory=set)
    unassigned: list[str] = field(default_factory=list)  # details of runs not given to a row

    def row_spans(self, key: str, printed: bool, n: int) -> Sequence[Span | None]:
        """The spans in the normalized text of a row's ``n`` cells; all None when the row is not read cell
        by cell (not ``printed``, or not ``n`` cells: see ``row_spans``) or the lines' offsets are unknown."""
        runs = self.runs.get(key) if printed else None
        if runs is None or self.starts is None:
            return (None,) * n
        if len(runs) == 1 and len(runs[0].parts) == 1 and len(runs[0].cells) == n:  # most rows: inline
            index, first = runs[0].parts[0]
            at = self.starts.base + self.starts.before[index] + index
            return [(at + start, at + end) for start, end in line_spans(self.lines[index])[first : first + n]]
        return row_spans(run_spans(runs, self.lines, self.starts), n)

    def header_unit(self, key: str) -> str | None:
        """The money unit printed in the nearest column header before the row (asked for table 二's rows only)."""
        runs = self.runs.get(key)
        return _header_unit(runs[0].buffer) if runs else None


def _header_unit(buffer: Sequence[str]) -> str | None:
    """The money unit printed in the nearest column header before a row (采购总金额(万元))."""
    for text in reversed(buffer):
        unit = labels.unit_suffix(text)
        if unit:
            return unit
    return None


def _classify_buffer(buffer: Sequence[str], matcher: LabelMatcher) -> tuple[list[LabelRef], list[str]]:
    """Row labels and unknown text among the labels before a run (labels wrapped over up to three
    cells are joined again)."""
    rows: list[LabelRef] = []
    unknown: list[str] = []
    i = 0
    while i < len(buffer):
        if buffer[i] == _PROSE_MARK:
            unknown.append("<prose>")
            i += 1
            continue
        best, width = None, 1
        for k in range(1, 4):
            part = buffer[i : i + k]
            if len(part) < k or _PROSE_MARK in part:
                break
            found = matcher.match("".join(part))
            if found and (best is None or found.score > best.score):
                best, width = found, k
        if best is None:
            if len(label_key(buffer[i])) >= 3:
                unknown.append(buffer[i])
            i += 1
            continue
        if best.ref.kind == labels.ROW:
            rows.append(best.ref)
        i += width
    return rows, unknown


def _resolve(run: Run, matcher: LabelMatcher) -> tuple[str | None, str]:
    """The row a run belongs to, or None with the reason."""
    if run.same_line:
        found = matcher.match_row(run.same_line[-1])
        if found:
            return found.ref.key, ""
        return None, f"label {run.same_line[-1]!r} matches no row"
    return _resolve_labels(tuple(run.buffer), matcher)


@functools.lru_cache(maxsize=1 << 12)  # the labels before a run (a header, a wrapped label) repeat across reports
def _resolve_labels(buffer: tuple[str, ...], matcher: LabelMatcher) -> tuple[str | None, str]:
    """The row the labels since the previous run name, or None with the reason."""
    rows, unknown = _classify_buffer(buffer, matcher)
    keys = list(dict.fromkeys(r.key for r in rows))
    if len(keys) > 1:  # a heading that is also a row (六 其他处理) is a heading when rows follow it
        keys = list(dict.fromkeys(r.key for r in rows if not r.also_group))
    if len(keys) == 1 and not unknown:
        return keys[0], ""
    if keys:
        return None, f"labels {keys + unknown} before these numbers: cannot tell which row they belong to"
    if unknown:
        return None, f"text {unknown[:3]} before these numbers matches no row"
    return None, "numbers with no row label"


def anchor_rows(
    lines: Sequence[Line], matcher: LabelMatcher, expected: Callable[[str], int | None], starts: LineStarts | None = None
) -> RowCells:
    found = RowCells(lines=lines, starts=starts)
    runs = collect_runs(lines)
    previous: str | None = None
    for run in runs:
        is_orphan = not run.same_line and not run.buffer
        if is_orphan and previous is not None and previous not in found.conflicting:
            # A row broken by a page break: its remaining numbers follow with no label.
            have, want = len(found.cells[previous]), expected(previous)
            if want is not None and have < want and have + len(run.cells) <= want:
                found.cells[previous].extend(run.cells)
                found.runs[previous].append(run)
                continue
        key, why = _resolve(run, matcher)
        if key is None:
            found.unassigned.append(f"line {run.line}: [{run.show()}]: {why}")
            previous = None
            continue
        if key in found.cells:
            if [c.text for c in found.cells[key]] != [c.text for c in run.cells]:
                found.conflicting.add(key)
            previous = None
            continue
        found.cells[key] = list(run.cells)
        found.runs[key] = [run]
        previous = key
    return found


# --------------------------------------------------------------------------------------------
# Cells to values, with the quality issues of the cells that cannot be read
# --------------------------------------------------------------------------------------------


class _Issues:
    def __init__(self, table: str):
        self.table = table
        self.items: list[QualityIssue] = []

    def error(self, check: str, row_key: str | None, detail: str) -> None:
        self.items.append(QualityIssue(check, v.SEVERITY_ERROR, self.table, row_key, detail))

    def warning(self, check: str, row_key: str | None, detail: str) -> None:
        self.items.append(QualityIssue(check, v.SEVERITY_WARNING, self.table, row_key, detail))


Number = float | int
N = TypeVar("N", bound=float)  # int for counts, float (or either) for money and mixed rows
# A column's reader: the cell text to its value, or None and the check that failed.
Parser = Callable[[str], tuple[N | None, str | None]]


@functools.lru_cache(maxsize=1 << 14)  # count cells are mostly small numbers, the same in every report
def read_count(text: str) -> tuple[int | None, str | None]:
    value = count_value(text)
    return (value, None) if value is not None else (None, v.Check.UNREADABLE_CELL)


def money_reader(header_unit: str | None) -> Parser[float]:
    def read_money(text: str) -> tuple[float | None, str | None]:
        value = amount_10k_yuan(text, header_unit)
        if value is not None:
            return value, None
        if amount_10k_yuan(text, "万元") is not None:  # a number; only its unit is not printed
            return None, v.Check.AMOUNT_UNIT_UNKNOWN
        return None, v.Check.UNREADABLE_CELL

    return read_money


def _cell_value(cell: Cell, parse: Parser[N], issues: _Issues, row_key: str, column: str) -> N | None:
    if cell.kind == VALUE:
        value, failed = parse(cell.text)
        if failed == v.Check.AMOUNT_UNIT_UNKNOWN:
            issues.warning(failed, row_key, f"{_where(cell, column)}: no unit in the cell or the column header")
        elif failed:
            issues.error(failed, row_key, f"{_where(cell, column)} is not a number of this column's kind")
        return value
    if cell.kind == BLANK:
        issues.warning(v.Check.BLANK_CELL, row_key, f"{column}: empty cell")
    elif cell.kind == PLACEHOLDER:
        issues.warning(v.Check.PLACEHOLDER_CELL, row_key, f"{_where(cell, column)} holds no number")
    elif cell.kind == UNREADABLE:
        issues.error(v.Check.UNREADABLE_CELL, row_key, f"{_where(cell, column)} cannot be read as a number")
    return None


def _where(cell: Cell, column: str) -> str:
    return f"{column}: {cell.text!r}"  # only for an issue: most cells have none


def _printed_cells(key: str, found: RowCells, issues: _Issues, table_has_numbers: bool) -> tuple[Cell, ...] | None:
    """A row's cells as printed, or None (with the reason as an issue) when the row is null as a whole."""
    if key in found.conflicting:
        issues.error(v.Check.DUPLICATE_ROW, key, "row printed more than once with different numbers")
        return None
    cells = found.cells.get(key)
    if cells is None:
        if table_has_numbers:
            issues.error(v.Check.ROW_MISSING, key, "row not found in the table")
        return None
    return tuple(cells)


def _read_row(
    table: str, key: str, columns: Sequence[str], cells: tuple[Cell, ...] | None, parsers: Sequence[Parser[N]]
) -> tuple[list[N | None], tuple[QualityIssue, ...]]:
    """A row's values and the issues of its cells; all null when the row is missing (``cells`` None) or
    has too few or too many cells."""
    issues = _Issues(table)
    if cells is None:
        return [None] * len(columns), ()
    if len(cells) != len(columns):
        shown = " ".join(c.text or "∅" for c in cells)
        issues.error(v.Check.CELL_COUNT, key, f"{len(cells)} cells for {len(columns)} columns: [{shown}]")
        return [None] * len(columns), tuple(issues.items)
    values = [_cell_value(c, parse, issues, key, col) for c, parse, col in zip(cells, parsers, columns)]
    return values, tuple(issues.items)


def _report_leftovers(found: RowCells, expected_keys: Sequence[str], issues: _Issues) -> None:
    for detail in found.unassigned:
        issues.warning(v.Check.UNASSIGNED_VALUES, None, detail)
    for key in found.cells:
        if key not in expected_keys:
            issues.warning(v.Check.UNASSIGNED_VALUES, key, "row of the other template: numbers not used")


# --------------------------------------------------------------------------------------------
# Table 三: requests
# --------------------------------------------------------------------------------------------


def _requests_matcher() -> LabelMatcher:
    entries = [(label, LabelRef(labels.ROW, row.key, row.also_group)) for row in v.REQUEST_ROWS for label in row.labels]
    entries += [(label, LabelRef(GROUP, label)) for label in v.REQUEST_GROUP_LABELS]
    entries += [(label, LabelRef(HEADER, label)) for label in v.REQUEST_HEADER_LABELS]
    return LabelMatcher(entries)


_REQUESTS = _requests_matcher()
_COUNT_READERS = (read_count,) * len(v.APPLICANTS)


# Facts and issues are immutable values, and the same rows (mostly zeros) recur in every report: a row
# is read once per distinct printing, and its ~7 facts are shared.
@functools.lru_cache(maxsize=1 << 14)
def _request_row(key: str, cells: tuple[Cell, ...] | None) -> tuple[tuple[RequestFact, ...], tuple[QualityIssue, ...]]:
    values, issues = _read_row(v.TABLE_REQUESTS, key, v.APPLICANTS, cells, _COUNT_READERS)
    return tuple(RequestFact(key, applicant, value) for applicant, value in zip(v.APPLICANTS, values)), issues


@dataclass(frozen=True)
class TableResult:
    facts: tuple
    issues: tuple[QualityIssue, ...]
    spans: tuple[Span | None, ...] = ()  # per fact: its cell's span in the normalized text (provenance)


def row_spans(spans: Sequence[Span] | None, n: int) -> tuple[Span | None, ...]:
    """A row's cells' spans, one per column; all None when the row is missing or its cells do not fit its
    columns (the row is then null as a whole: no cell is any column's)."""
    return tuple(spans) if spans is not None and len(spans) == n else (None,) * n


def requests_template(found: RowCells) -> tuple[str | None, bool]:
    """The template table 三's anchored rows name, and whether that is a strong signal."""
    return template_of_request_rows(found.cells)


def anchor_requests(lines: Sequence[Line], starts: LineStarts | None = None) -> RowCells:
    return anchor_rows(lines, _REQUESTS, lambda _key: len(v.APPLICANTS), starts)


def extract_requests(found: RowCells, has_numbers: bool, template: str | None) -> TableResult:
    issues = _Issues(v.TABLE_REQUESTS)
    keys, merged = request_row_keys(template, found.cells)
    for row, parts in merged.items():
        issues.warning(v.Check.ROWS_MERGED, row, rows_merged_detail(parts))
    facts: list[RequestFact] = []
    spans: list[Span | None] = []
    for key in keys:
        cells = _printed_cells(key, found, issues, has_numbers)
        row_facts, row_issues = _request_row(key, cells)
        facts += row_facts
        spans += found.row_spans(key, cells is not None, len(row_facts))
        issues.items += row_issues
    _report_leftovers(found, keys, issues)
    return TableResult(tuple(facts), tuple(issues.items), tuple(spans))


# --------------------------------------------------------------------------------------------
# Table 二: active disclosure
# --------------------------------------------------------------------------------------------

_ARTICLE_LABELS = tuple(
    f"第二十条{di}({n})项" for n in "一五六八九" for di in ("第", "")
)


def _disclosure_matcher() -> LabelMatcher:
    entries = [(label, LabelRef(labels.ROW, item.key)) for item in v.DISCLOSURE_ITEMS for label in item.labels]
    for template, headers in v.DISCLOSURE_HEADERS.items():
        entries += [(h, LabelRef(HEADER, template)) for h in headers]
    entries += [(h, LabelRef(HEADER, h)) for h in (*v.DISCLOSURE_COMMON_HEADERS, *_ARTICLE_LABELS)]
    return LabelMatcher(entries)


_DISCLOSURE = _disclosure_matcher()


def disclosure_template(lines: Sequence[Line]) -> str | None:
    """The template whose column headers table 二 prints (most header matches)."""
    votes = {t: 0 for t in v.TEMPLATES}
    for line in lines:
        for cell in line.cells:
            if cell.kind == LABEL:
                found = _DISCLOSURE.match(cell.text)
                if found and found.ref.kind == HEADER and found.ref.key in votes:
                    votes[found.ref.key] += 1
    best = max(votes.values())
    winners = [t for t, n in votes.items() if n == best]
    return winners[0] if best and len(winners) == 1 else None


def _is_metric_header(text: str) -> bool:
    found = _DISCLOSURE.match(text)
    return found is not None and found.ref.kind == HEADER and found.ref.key in v.TEMPLATES


def place_under_metric_headers(lines: Sequence[Line]) -> list[Line]:
    """Table 二's grid rows read under the metric columns of the header row above them (the table is
    blocks, each under its own header: 本年制发件数… over three columns, 本年处理决定数量 over one), like
    ``place_by_header``: cells beyond the header's columns or in its label columns never count. A header
    row naming no metric ends the previous block; text layouts are left as they are."""
    out = list(lines)
    columns: tuple[int, ...] | None = None
    width = 0
    for index, line in enumerate(lines):
        if not line.grid:
            continue
        if not line.numbers:
            labels = [(c, column) for c, column in zip(line.cells, line.columns) if c.kind == LABEL]
            if len(labels) > 1:
                named = tuple(column for c, column in labels if _is_metric_header(c.text))
                columns, width = (named, line.width) if named else (None, 0)
            continue
        if columns is not None:
            placed = _place(line, columns, blank_labels=line.width >= width)
            if placed is not None:
                out[index] = placed
    return out


@functools.lru_cache(maxsize=1 << 12)  # like _request_row
def _disclosure_row(
    key: str, metrics: tuple[str, ...], unit: str | None, cells: tuple[Cell, ...] | None
) -> tuple[tuple[DisclosureFact, ...], tuple[QualityIssue, ...]]:
    parsers = [money_reader(unit) if m == v.METRIC_MONEY else read_count for m in metrics]
    values, issues = _read_row(v.TABLE_ACTIVE_DISCLOSURE, key, metrics, cells, parsers)
    facts = tuple(DisclosureFact(key, m, None if value is None else float(value)) for m, value in zip(metrics, values))
    return facts, issues


def extract_disclosure(
    lines: Sequence[Line], has_numbers: bool, template: str | None, starts: LineStarts | None = None
) -> TableResult:
    issues = _Issues(v.TABLE_ACTIVE_DISCLOSURE)
    if template is None:
        issues.error(v.Check.TEMPLATE_UNKNOWN, None, "cannot tell which template's columns table 二 has")
        return TableResult((), tuple(issues.items))

    def expected(key: str) -> int | None:
        metrics = v.DISCLOSURE_ITEM_BY_KEY[key].metrics.get(template)
        return len(metrics) if metrics else None

    found = anchor_rows(lines, _DISCLOSURE, expected, starts)
    facts: list[DisclosureFact] = []
    spans: list[Span | None] = []
    items = [item for item in v.DISCLOSURE_ITEMS if template in item.metrics]
    for item in items:
        unit = found.header_unit(item.key)
        if unit is None and template == v.TEMPLATE_2021:
            unit = "万元"  # the 2021 template prints 本年收费金额(单位:万元)
        cells = _printed_cells(item.key, found, issues, has_numbers)
        row_facts, row_issues = _disclosure_row(item.key, item.metrics[template], unit, cells)
        facts += row_facts
        spans += found.row_spans(item.key, cells is not None, len(row_facts))
        issues.items += row_issues
    _report_leftovers(found, [i.key for i in items], issues)
    return TableResult(tuple(facts), tuple(issues.items), tuple(spans))


# --------------------------------------------------------------------------------------------
# Table 四: review and litigation (one row of fifteen numbers under a fixed header)
# --------------------------------------------------------------------------------------------


def _first_row(lines: Sequence[Line]) -> tuple[list[Cell], list[Run]]:
    """The numbers of a table's one data row, and the runs they come from: runs joined until numbers that
    follow more text."""
    cells: list[Cell] = []
    runs: list[Run] = []
    for k, run in enumerate(collect_runs(lines)):
        if k and (run.same_line or run.buffer):
            break  # numbers after more text are not this table's row
        cells.extend(run.cells)
        runs.append(run)
    return cells, runs


def _proceeding_of(heading: str) -> str | None:
    """The proceeding a heading names when it is little more than its name (行政复议, (一)行政复议,
    行政诉讼(复议后起诉)); a caption of the whole table (表四:政府信息公开行政复议、行政诉讼情况) names none."""
    key = labels.core(label_key(heading))
    return next(
        (proceeding for label, proceeding in v.PROCEEDING_HEADINGS if label in key and len(key) <= len(label) + 8),
        None,
    )


def _proceeding_parts(lines: Sequence[Line]) -> dict[str, tuple[list[Line], list[int]]] | None:
    """Table 四 split per proceeding (a conversion's three small tables, each under a heading naming its
    proceeding): each proceeding's lines and their indices in ``lines``. None when no heading names a
    proceeding."""
    parts: dict[str, tuple[list[Line], list[int]]] = {}
    current: tuple[list[Line], list[int]] | None = None
    for index, line in enumerate(lines):
        if line.kind == HEADING:
            proceeding = _proceeding_of(line.cells[0].text)
            current = parts.setdefault(proceeding, ([], [])) if proceeding and proceeding not in parts else None
            continue
        if current is not None:
            current[0].append(line)
            current[1].append(index)
    return parts or None


def _proceeding_row(proceeding: str, cells: Sequence[Cell] | None) -> tuple[list[ReviewFact], list[QualityIssue]]:
    """One proceeding's five facts from its part of table 四."""
    issues = _Issues(v.TABLE_REVIEW_LITIGATION)
    values: list[int | None] = [None] * len(v.OUTCOMES)
    if cells is None:
        issues.error(v.Check.ROW_MISSING, proceeding, "no part of table 四 for this proceeding")
    elif len(cells) != len(v.OUTCOMES):
        shown = " ".join(c.text or "∅" for c in cells)
        issues.error(v.Check.CELL_COUNT, proceeding, f"{len(cells)} cells for {len(v.OUTCOMES)} columns: [{shown}]")
    else:
        values = [_cell_value(c, read_count, issues, proceeding, f"{proceeding}.{o}") for c, o in zip(cells, v.OUTCOMES)]
    return [ReviewFact(proceeding, o, value) for o, value in zip(v.OUTCOMES, values)], issues.items


def extract_review(lines: Sequence[Line], starts: LineStarts | None = None) -> TableResult:
    """``starts``: the lines' offsets in the normalized text, for the cells' spans (provenance)."""
    parts = _proceeding_parts(lines)
    if parts is None:
        cells, runs = _first_row(lines)
        facts, issues = _review_row(tuple(cells))
        spans = run_spans(runs, lines, starts) if starts is not None and len(cells) == len(facts) else None
        return TableResult(facts, issues, row_spans(spans, len(facts)))
    all_facts: list[ReviewFact] = []
    all_issues: list[QualityIssue] = []
    all_spans: list[Span | None] = []
    for proceeding in v.PROCEEDINGS:
        part_lines, indices = parts.get(proceeding) or ([], [])
        part_cells, runs = _first_row(part_lines) if proceeding in parts else (None, [])
        part_facts, part_issues = _proceeding_row(proceeding, part_cells)
        all_facts += part_facts
        all_issues += part_issues
        part_spans = None
        if part_cells is not None and starts is not None and len(part_cells) == len(part_facts):
            for run in runs:  # the part's line indices, back in the whole table's
                run.parts = [(indices[i], k) for i, k in run.parts]
            part_spans = run_spans(runs, lines, starts)
        all_spans += row_spans(part_spans, len(part_facts))
    return TableResult(tuple(all_facts), tuple(all_issues), tuple(all_spans))


@functools.lru_cache(maxsize=1 << 12)  # like _request_row
def _review_row(cells: tuple[Cell, ...]) -> tuple[tuple[ReviewFact, ...], tuple[QualityIssue, ...]]:
    issues = _Issues(v.TABLE_REVIEW_LITIGATION)
    values: list[int | None] = [None] * len(v.REVIEW_LITIGATION_CELLS)
    if cells and len(cells) != len(values):  # no cells at all is the caller's table_no_numbers
        shown = " ".join(c.text or "∅" for c in cells)
        issues.error(v.Check.CELL_COUNT, None, f"{len(cells)} cells for {len(values)} columns: [{shown}]")
    elif cells:
        columns = zip(cells, v.REVIEW_LITIGATION_CELLS)
        values = [_cell_value(c, read_count, issues, p, f"{p}.{o}") for c, (p, o) in columns]
    facts = tuple(ReviewFact(p, o, value) for (p, o), value in zip(v.REVIEW_LITIGATION_CELLS, values))
    return facts, tuple(issues.items)


def has_numbers(lines: Sequence[Line]) -> bool:
    return any(line.numbers for line in lines)

