"""Table cells with spans → grid rows of text, one line per row (the contract of ``cells.GRID_SEP``).

Every reader (HTML, DOCX, PDF) turns its table into ``Placed`` cells: text, top-left slot and spans. The
rendering rule is the same for all of them:

* a vertical span (rowspan, Word's vMerge) repeats its text on every row it covers, so every row carries
  its own row labels (``三、本年度办理结果`` on each of its twenty rows);
* a horizontal span (colspan, gridSpan) is one field: publishers widen a cell to fill the table, and
  repeating ``13`` over two columns would give the row a number it does not print; the columns it covers
  after its first are ``GRID_SPAN`` fields, so every field keeps its column (``cells`` reads the grid by
  the columns its header names);
* an empty cell is an empty field, a slot no cell covers is nothing (a short row has no padding).
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from ..cells import GRID_SEP, GRID_SPAN

# Spans beyond these are markup errors (HTML caps colspan at 1000); the caps keep a hostile file from
# making a huge grid. Annual-report tables have at most 16 columns.
MAX_COLSPAN = 100
MAX_ROWSPAN = 1000
# A cell this long is a layout container (a whole page in a <td>), not a table cell.
MAX_CELL_CHARS = 200

_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
_ASCII_WORD = re.compile(r"[0-9A-Za-z]")


class Placed(NamedTuple):  # immutable like a frozen dataclass, built 3x faster (one per table cell)
    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1


_SPAN = re.compile(r"\s*(\d{1,6})")


def span(value: object, default: int = 1, cap: int = MAX_COLSPAN) -> int:
    """A span attribute as an int: digits at its start (``"2"``, ``"2;"``), else the default; capped."""
    if value is None:  # the common case: no span attribute at all
        return default
    m = _SPAN.match(str(value))
    n = int(m.group(1)) if m else default
    return max(1, min(n, cap)) if n else 0


def join_lines(parts: Iterable[str]) -> str:
    """Lines of one cell as one field: wrapped Chinese and a number wrapped in a narrow column join
    without a space (``本年新<br>制作数量`` → ``本年新制作数量``), Latin words keep one."""
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if out and _ASCII_WORD.match(out[-1]) and _ASCII_WORD.match(part[0]):
            if not (out[-1].isdigit() and part[0].isdigit()):
                out += " "
        out += part
    return out


def plain_line(text: str) -> str:
    """A paragraph line: control characters (the cell separator among them) become spaces, so prose
    never reads as a grid row."""
    return _CTRL.sub(" ", text)


@functools.lru_cache(maxsize=1 << 16)  # cell texts (labels, small numbers) repeat across tables and reports
def clean_cell(text: str) -> str:
    """One field: no line breaks, no separators, single spaces."""
    text = join_lines(_CTRL.sub("\n", text).split("\n"))
    return _SPACES.sub(" ", text).strip()


# Placed(...) without the generated __new__'s Python frame: the same tuple, built in C (one per cell).
_new_tuple = tuple.__new__
_BY_COL = operator.attrgetter("col")


def place_rows(rows: Sequence[Sequence[tuple[str, int, int]]]) -> list[Placed]:
    """HTML's table model: each (text, rowspan, colspan) takes the first slot of its row not yet covered
    by a cell from above. rowspan 0 means "to the end of the table"."""
    height = len(rows)
    taken: set[tuple[int, int]] = set()
    placed = []
    for r, row in enumerate(rows):
        c = 0
        for text, rowspan, colspan in row:
            if taken:  # only a rowspan above takes slots (most tables have none)
                while (r, c) in taken:
                    c += 1
            if rowspan != 1:
                rowspan = height - r if rowspan == 0 else min(rowspan, height - r, MAX_ROWSPAN)
            if colspan < 1:
                colspan = 1
            if rowspan > 1:  # only slots below this row can be taken by it
                taken.update((r + dr, c + dc) for dr in range(1, rowspan) for dc in range(colspan))
            placed.append(_new_tuple(Placed, (text, r, c, rowspan, colspan)))
            c += colspan
    return placed


def render(cells: Iterable[Placed]) -> list[str]:
    """Grid rows as lines. A row whose only field is text stays a plain line (no separator): the text
    layouts' rules read a lone label or heading; an all-empty row is dropped."""
    by_row: dict[int, list[Placed]] = {}
    for cell in cells:
        if cell.rowspan > 1:
            for r in range(cell.row, cell.row + cell.rowspan):
                by_row.setdefault(r, []).append(cell)
        else:  # most cells: one row
            row = by_row.get(cell.row)
            if row is None:
                by_row[cell.row] = [cell]
            else:
                row.append(cell)
    return lines(_spanned_fields(sorted(by_row[r], key=_BY_COL)) for r in sorted(by_row))


def _spanned_fields(row: Sequence[Placed]) -> list[str]:
    """A row's fields, a cell covering k columns followed by k - 1 ``GRID_SPAN`` fields."""
    fields: list[str] = []
    for cell in row:
        fields.append(clean_cell(cell.text))
        if cell.colspan > 1:
            fields.extend([GRID_SPAN] * (cell.colspan - 1))
    return fields


def lines(rows: Iterable[Sequence[str]]) -> list[str]:
    """Rows of clean fields as lines (a lone field has no separator, nor its span markers); all-empty
    rows dropped."""
    out = []
    for fields in rows:
        cells = [f for f in fields if f != GRID_SPAN] if GRID_SPAN in fields else fields
        if any(cells):
            out.append(cells[0] if len(cells) == 1 else GRID_SEP.join(fields))
    return out


def render_rows(rows: Sequence[Sequence[str]], spans: Mapping[tuple[int, int], tuple[int, int]]) -> list[str]:
    """``render(place_rows(...))`` of rows of clean fields, ``spans`` holding (rowspan, colspan) by (row,
    index in row) for the cells that set one. When no cell spans rows (most tables) each row is its own
    grid row with its fields in order, so placing them is skipped. (``clean_cell`` leaves a clean field
    as it is, so ``render`` may clean the fields again.)"""
    if all(rowspan == 1 for rowspan, _ in spans.values()):
        # No cell spans rows (most tables): each row is its own grid row, a cell spanning k columns
        # followed by its k - 1 GRID_SPAN fields, as ``render`` places them.
        widened: dict[int, list[tuple[int, int]]] = {}
        for (r, i), (_, colspan) in spans.items():
            if colspan > 1:
                widened.setdefault(r, []).append((i, colspan))
        if not widened:
            return lines(rows)
        out = list(rows)
        for r, wide in widened.items():
            fields = list(rows[r])
            for i, colspan in sorted(wide, reverse=True):  # from the right: indices stay valid
                fields[i + 1:i + 1] = [GRID_SPAN] * (colspan - 1)
            out[r] = fields
        return lines(out)
    cells = [[(field, *spans.get((r, i), (1, 1))) for i, field in enumerate(row)] for r, row in enumerate(rows)]
    return render(place_rows(cells))
