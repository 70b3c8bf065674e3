"""Table text to lines of typed cells, whatever the layout.

Layouts seen in real reports: pipe tables (``a | 0 | 0 |||``), tab tables, markdown tables, one cell
per line with blank lines between rows, and label/number pairs on one line (``行政许可 97``). Every line
becomes a ``Line`` of ``Cell``s; the extractor (``gi_pipeline.tables``) anchors on labels, not on layout.

Tables read from HTML, DOCX and PDF (``gi_pipeline.readers``) arrive as exact grid rows: one row per line,
cells joined by ``GRID_SEP`` (U+001F). Their empty cells are real cells of the row, so a grid line keeps
every field after its last label, trailing empty ones included (``Line.grid`` tells the extractor so).
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

VALUE = "value"  # a number, possibly with thousands separators and a unit
PLACEHOLDER = "placeholder"  # a dash, slash or 无 where a number belongs
UNREADABLE = "unreadable"  # digits mixed with look-alike letters (1O, l2)
BLANK = "blank"  # an empty cell between numbers
LABEL = "label"  # anything else: row labels, headers, notes

_UNITS = ("万元", "万", "元", "件", "条", "项", "个", "次")
_UNIT_ALT = "|".join(_UNITS)
_VALUE = re.compile(rf"^[+-]?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?(?:{_UNIT_ALT})?$")
_UNIT_ONLY = re.compile(rf"^(?:{_UNIT_ALT})$")
_PLACEHOLDER = re.compile(r"^(?:[-—–~/\\]{1,4}|无|空)$")
# Digits misread as look-alike letters (1O, l2, O, -l2): no label is a bare Latin letter.
_UNREADABLE = re.compile(r"^[+-]?(?=.*[OoIlZSbBg])[\dOoIlZSbBg.,]{1,12}$")
_MARKDOWN_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MARKDOWN_HEADING = re.compile(r"^\s*#{1,6}\s")
MARKDOWN_HEADING_MARK = re.compile(r"^\s*#{1,6}\s*")
_PROSE_MAX_CHARS = 60
# Parses are cached by text: row labels, small numbers and whole lines repeat across reports (about 99 %
# of fields and 89 % of lines over 500 reports). Bounded, and the cached values are tuples of frozen
# cells, never mutated.
_TOKEN_CACHE = 1 << 16
_LINE_CACHE = 1 << 14

# Line kinds
ROW = "row"  # several cells on one line: labels on it belong to its numbers
SINGLE = "single"  # one cell (one-cell-per-line layout)
BREAK = "break"  # a blank line: may end a row
PROSE = "prose"  # a sentence, not table content
SKIP = "skip"  # markdown rules, lines of empty cells
HEADING = "heading"  # a markdown heading (## 表三 …, ### 行政复议): no cell of any row; its text is its one cell

GRID_SEP = "\x1f"  # ASCII unit separator: joins the cells of a structured table's row (readers/grid.py)
# Wraps an OCR reading below the confidence threshold (readers/ocr.py): ``⁇12⁇0.62`` is what was read and
# how sure the engine was. Such a cell is unreadable, never a number.
LOW_CONFIDENCE_MARK = "\u2047"
GRID_SPAN = "\x1e"  # a grid field covered by the horizontal span of the cell before it (keeps columns)


Span = tuple[int, int]


class Cell(NamedTuple):  # a tuple: built and hashed in C, so a row's cells can key a cache
    kind: str
    text: str


class Line(NamedTuple):
    """A table line's parse. Lines repeat across reports and a Line has no position (its number is its
    1-based place in ``split_lines``), so one cached Line serves every occurrence."""

    kind: str
    cells: tuple[Cell, ...]
    grid: bool  # an exact grid row from a structured table: its blank cells are cells of the row
    columns: tuple[int, ...] = ()  # grid rows: each cell's column (0-based; a span counts its columns)
    width: int = 0  # grid rows: the columns the row covers
    # Provenance (``line_spans``): the line as printed and, for a row rebuilt from it (tables._placed), each
    # cell's index among the printed line's cells (empty: the printed order).
    source: str = ""
    order: tuple[int, ...] = ()
    # Each cell's (start, end) in ``source``, for a line as ``split_line`` reads it (empty for a rebuilt row).
    spans: tuple[Span, ...] = ()
    # What the table readers ask of every line, found once per distinct line (``table_line``):
    # a cell holds a number, a placeholder or an unreadable token (not only labels and blanks);
    numbers: bool = False
    # the texts of the leading label cells of a row or single-cell line when only numbers follow them (a blank
    # first number only in a grid row): most table lines, which tables.collect_runs takes whole. None: a
    # line of another kind, or one read cell by cell.
    leading_labels: tuple[str, ...] | None = None


NUMBER_KINDS = frozenset((VALUE, PLACEHOLDER, UNREADABLE))


def table_line(
    kind: str,
    cells: tuple[Cell, ...],
    grid: bool,
    columns: tuple[int, ...] = (),
    width: int = 0,
    source: str = "",
    order: tuple[int, ...] = (),
    spans: tuple[Span, ...] = (),
) -> Line:
    """A ``Line`` with what the table readers ask of it (``Line.numbers``, ``Line.leading_labels``)."""
    kinds = list(map(_KIND, cells))  # each line is built once (split_line's cache): C-level passes here
    numbers = not NUMBER_KINDS.isdisjoint(kinds)
    head: tuple[str, ...] | None = None
    if kind in (ROW, SINGLE, SKIP):
        n = 0
        while n < len(kinds) and kinds[n] == LABEL:
            n += 1
        if n == len(kinds) or not (LABEL in kinds[n + 1 :] or (not grid and kinds[n] == BLANK)):
            head = tuple(map(_TEXT, cells[:n]))
    return Line(kind, cells, grid, columns, width, source, order, spans, numbers, head)


_KIND, _TEXT = operator.itemgetter(0), operator.itemgetter(1)  # a Cell's fields


@functools.lru_cache(maxsize=_TOKEN_CACHE)
def classify(token: str) -> str:
    if LOW_CONFIDENCE_MARK in token:
        return UNREADABLE
    if _VALUE.match(token):
        return VALUE
    if _PLACEHOLDER.match(token):
        return PLACEHOLDER
    if _UNREADABLE.match(token):
        return UNREADABLE
    return LABEL


def _split_field(field: str) -> tuple[tuple[Cell, ...], tuple[Span, ...]]:
    """Cells of one delimited field, with their spans in it: whitespace separates a label from its numbers
    (``行政许可 97``), while words of a label broken by spaces (``商业 企业``) are joined again."""
    cells: list[Cell] = []
    spans: list[Span] = []
    pos = 0
    for piece in field.split():
        start = field.find(piece, pos)  # only whitespace lies between pos and the piece
        pos = start + len(piece)
        kind = classify(piece)
        if cells and _UNIT_ONLY.match(piece) and cells[-1].kind == VALUE:
            cells[-1] = Cell(VALUE, cells[-1].text + piece)
            spans[-1] = (spans[-1][0], pos)
        elif cells and kind == LABEL and cells[-1].kind == LABEL:
            cells[-1] = Cell(LABEL, cells[-1].text + piece)
            spans[-1] = (spans[-1][0], pos)
        else:
            cells.append(Cell(kind, piece))
            spans.append((start, pos))
    return tuple(cells), tuple(spans)


# Delimited fields are short and repeat; a whole undelimited line goes uncached (the line cache has it).
_field_cells = functools.lru_cache(maxsize=_TOKEN_CACHE)(_split_field)


def _is_prose(cells: Sequence[Cell], line: str) -> bool:
    if "。" in line or len(line) > _PROSE_MAX_CHARS:
        return True
    # A number followed by more words is a sentence ("市科委 2024 年根据…"), not a label and its cells.
    seen_number = False
    for cell in cells:
        if cell.kind == VALUE:
            seen_number = True
        elif cell.kind == LABEL and seen_number:
            return True
    return False


def _trim_blanks(cells: list[Cell]) -> list[int]:
    """Keep blanks only between numbers: blanks beside labels are merged label columns and trailing
    blanks are padding, neither is a cell of the row in text layouts. The indices of the cells kept."""
    numeric = [i for i, c in enumerate(cells) if c.kind not in (LABEL, BLANK)]
    if not numeric:
        return [i for i, c in enumerate(cells) if c.kind != BLANK]
    first, last = numeric[0], numeric[-1]
    return [i for i, c in enumerate(cells) if c.kind != BLANK or first < i < last]


_KindAndCells = tuple[str, tuple[Cell, ...], tuple[Span, ...]]
_BLANK_CELL = Cell(BLANK, "")
_BLANK_FIELD = (_BLANK_CELL,)  # a blank field's span: empty, at the field's start


def _grid_line(raw: str) -> tuple[str, tuple[Cell, ...], tuple[int, ...], int, tuple[Span, ...]]:
    """A structured table's row, with each cell's column and span. Blanks before and among its labels are
    empty label slots (a corner, a merged label column) and are dropped; every field after the last label
    is a cell of the row, empty or not. A row without labels keeps all its fields: a leading empty cell
    there is a column's cell."""
    cells: list[Cell] = []
    columns: list[int] = []
    spans: list[Span] = []
    width = 0
    at = 0  # the field's offset in the line
    for field in raw.split(GRID_SEP):
        if field != GRID_SPAN:
            found, found_spans = _field_cells(field)
            if len(found) == 1:  # most fields: one cell
                cells.append(found[0])
                columns.append(width)
                start, end = found_spans[0]
                spans.append((at + start, at + end))
            elif not found:
                cells.append(_BLANK_CELL)
                columns.append(width)
                spans.append((at, at))
            else:
                cells += found
                columns += [width] * len(found)
                spans += [(at + start, at + end) for start, end in found_spans]
        width += 1
        at += len(field) + 1
    kinds = list(map(_KIND, cells))
    if LABEL in kinds:
        last = len(kinds) - 1 - kinds[::-1].index(LABEL)
        if BLANK in kinds[:last]:
            keep = [i for i, kind in enumerate(kinds) if i > last or kind != BLANK]
            cells, columns, spans = [cells[i] for i in keep], [columns[i] for i in keep], [spans[i] for i in keep]
    elif kinds.count(BLANK) == len(kinds):
        return SKIP, (), (), width, ()
    return ROW if len(cells) > 1 else SINGLE, tuple(cells), tuple(columns), width, tuple(spans)


def _kind_and_cells(raw: str) -> _KindAndCells:
    """A text layout's line: its kind, cells and each cell's span in it."""
    if not raw.strip():
        # An empty line separates rows. In the one-cell-per-line layout a line holding only a tab is an
        # empty cell: a merged label slot before a label, a blank value between numbers.
        if "|" in raw:
            return SKIP, (), ()
        return (SINGLE, _BLANK_FIELD, ((raw.index("\t"),) * 2,)) if "\t" in raw else (BREAK, (), ())
    if "#" in raw and _MARKDOWN_HEADING.match(raw):  # (the regexes only on lines that can match them)
        # Captions (## 表三:…) and part headings (### 行政复议) are not cells of a row; table 四 printed
        # per proceeding is read by its part headings (tables.extract_review).
        return HEADING, (Cell(LABEL, MARKDOWN_HEADING_MARK.sub("", raw).strip()),), ((0, len(raw)),)
    if "--" in raw and _MARKDOWN_RULE.match(raw):
        return SKIP, (), ()  # rules are not cells
    if "|" in raw:
        stripped = raw.strip()
        at = len(raw) - len(raw.lstrip()) + len(stripped) - len(stripped.lstrip("|"))
        fields = stripped.strip("|").split("|")
    elif "\t" in raw:
        at = 0
        fields = raw.split("\t")
    else:
        cells, spans = _split_field(raw)
        if _is_prose(cells, raw.strip()):
            return PROSE, (), ()
        return ROW if len(cells) > 1 else SINGLE, cells, spans
    found: list[Cell] = []
    found_spans: list[Span] = []
    for field, (field_cells, field_spans) in zip(fields, map(_field_cells, fields)):
        if len(field_cells) == 1:  # most fields: one cell
            found += field_cells
            start, end = field_spans[0]
            found_spans.append((at + start, at + end))
        elif not field_cells:
            found.append(_BLANK_CELL)
            found_spans.append((at, at))
        else:
            found += field_cells
            found_spans += [(at + start, at + end) for start, end in field_spans]
        at += len(field) + 1
    if _BLANK_CELL not in found:  # no empty field: every cell is kept (_trim_blanks), no index lists
        return ROW if len(found) > 1 else SINGLE, tuple(found), tuple(found_spans)
    keep = _trim_blanks(found)
    if not keep:
        return SKIP, (), ()
    if len(keep) == len(found):
        return ROW if len(keep) > 1 else SINGLE, tuple(found), tuple(found_spans)
    return ROW if len(keep) > 1 else SINGLE, tuple([found[i] for i in keep]), tuple([found_spans[i] for i in keep])


@functools.lru_cache(maxsize=_LINE_CACHE)
def split_line(raw: str) -> Line:
    """The line's cells, and their spans in it (provenance: a blank cell's is empty, at its field; a number
    and its unit printed apart, ``12 件``, covers both). The spans come from the same walk: most lines of a
    table give facts, and walking them again for their spans cost more than keeping them (parse_report
    on 308 synthetic and real text reports: 1.245 -> 1.168 ms/report CPU, best of 8 cold passes)."""
    # A grid row is checked first: str.strip() and str.split() treat U+001F as whitespace, so the
    # text-layout rules would eat its empty trailing cells.
    if GRID_SEP in raw:
        kind, cells, columns, width, spans = _grid_line(raw)
        return table_line(kind, cells, True, columns=columns, width=width, source=raw, spans=spans)
    kind, cells, spans = _kind_and_cells(raw)
    return table_line(kind, cells, False, source=raw, spans=spans)


def line_spans(line: Line) -> tuple[Span, ...]:
    """Provenance: each of the line's cells' (start, end) in the line as printed."""
    if not line.order:
        return line.spans
    spans = split_line(line.source).spans  # a row rebuilt from a printed line: its cells in their order
    return tuple(spans[i] for i in line.order)


def split_lines(text: str) -> list[Line]:
    """A table's lines, in order: a line's number is its 1-based position."""
    return list(map(split_line, text.split("\n")))


class LineStarts:
    """Provenance: the offset of each of ``split_lines(text)``'s lines (0-based index), ``text`` starting at
    ``base`` in the normalized text. The line lengths are summed in C; an offset is only computed when asked
    (for the cells that become facts)."""

    __slots__ = ("base", "before")

    def __init__(self, text: str, base: int = 0) -> None:
        self.base = base
        self.before = [0, *itertools.accumulate(map(len, text.split("\n")))]  # characters before each line

    def __getitem__(self, index: int) -> int:
        return self.base + self.before[index] + index  # plus the newlines before it


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------

_UNIT_SCALE = {"万元": Decimal(10000), "万": Decimal(10000), "元": Decimal(1)}


def split_unit(text: str) -> tuple[str, str | None]:
    for unit in _UNITS:
        if text.endswith(unit):
            return text[: -len(unit)], unit
    return text, None


def parse_decimal(text: str) -> tuple[Decimal, str | None] | None:
    """A VALUE cell's number and unit (None when the text is not a number)."""
    number, unit = split_unit(text)
    try:
        return Decimal(number.replace(",", "")), unit
    except InvalidOperation:
        return None


def count_value(text: str) -> int | None:
    """An integer count (``1,234``, ``12件``, ``1.2万``); None if the cell is not a whole number."""
    if text.isascii() and text.isdigit():  # most cells: skip the Decimal path
        return int(text)
    parsed = parse_decimal(text)
    if parsed is None:
        return None
    number, unit = parsed
    if unit in ("万", "万元"):
        number *= 10000
    elif unit == "元":
        return None
    if number != number.to_integral_value():
        return None
    return int(number)


def amount_10k_yuan(text: str, header_unit: str | None) -> float | None:
    """Money in 万元: the cell's own unit wins, else the column header's; None when neither says."""
    parsed = parse_decimal(text)
    if parsed is None:
        return None
    number, unit = parsed
    unit = unit if unit in _UNIT_SCALE else header_unit
    if unit not in _UNIT_SCALE:
        return None
    return float(number * _UNIT_SCALE[unit] / Decimal(10000))
