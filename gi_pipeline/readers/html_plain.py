"""Plain HTML tables read from the page's text before it is parsed, each left in the page as an empty
table carrying its number.

Most report tables are rows of cells of bare text. For those, building an lxml element per row and cell
and reading each in Python costs more than the rest of the page. ``take_tables`` reads a table whose
text is exactly that (lower-case ``tr``/``td`` tags, each closed, attributes quoted or plain, cell text
without '<', '>' or '&', nothing else but white space between the tags) with string operations, the
rows and cells cut at their end tags and each piece checked and read once per process (labels and
small numbers repeat), and leaves ``<table ATTRS data-gi-table="N"></table>`` in its place: the same
start tag, so libxml2 parses what surrounds it as before. ``html._walk`` prints the lines kept for N.
The page is read as before whenever a taken table does not come back as such an element (it was inside
a comment, a script, an attribute), so text only looks like a table where libxml2 reads one.

What the text of a plain table gives is what ``html._table_lines`` reads from its tree: libxml2 makes
each ``td`` an element whose text is the cell's text (no reference to resolve, line ends and white space
folded alike by ``_leaf_field``), its attributes the tag's (each name once); a table with fewer than two
cells or a page-long cell is a layout table, left in the page.
"""

from __future__ import annotations

import functools
import re

from . import grid

MARK = "data-gi-table"
_WS = r"[ \t\n\r]"
_ATTRS = (rf"(?:{_WS}+[a-z][a-z0-9_:.\-]*(?:{_WS}*={_WS}*(?:\"[^\"<>&]*\"|'[^'<>&]*'|[^\s\"'<>=`&]+))?)*"
          rf"{_WS}*")
_TABLE_START = re.compile(rf"<table{_ATTRS}>")
_ATTR = re.compile(rf"{_WS}+([a-z][a-z0-9_:.\-]*)(?:{_WS}*={_WS}*(?:\"([^\"<>&]*)\"|'([^'<>&]*)'|([^\s\"'<>=`&]+)))?")
_CELL = re.compile(rf"{_WS}*(?P<row><tr(?P<row_attrs>{_ATTRS})>{_WS}*)?<td(?P<attrs>{_ATTRS})>(?P<text>[^<>&]*)")
_SPACE = re.compile(rf"{_WS}*")
_BODY = re.compile(rf"{_WS}*<tbody{_ATTRS}>(?P<rows>.*)</tbody>{_WS}*", re.S)
_MAX_ROWS = 10_000  # a table this long is read by the tree


def take_tables(text: str) -> tuple[str, dict[str, list[str]]]:
    """The page with each plain table emptied and numbered, and each one's lines by number."""
    if MARK in text or "<table" not in text:
        return text, {}
    parts: list[str] = []
    taken: dict[str, list[str]] = {}
    pos = done = 0
    while True:
        start = text.find("<table", pos)
        if start < 0:
            break
        tag = _TABLE_START.match(text, start)
        if tag is None:
            pos = start + 6
            continue
        following = text.find("<table", tag.end())  # the search for its end stops there: linear in the page
        end = text.find("</table>", tag.end(), len(text) if following < 0 else following)
        if end < 0:  # a table in it (or no end)
            pos = tag.end()
            continue
        lines = _table(text[tag.end():end])
        if lines is None:
            pos = tag.end()  # a table inside it may be plain
            continue
        number = str(len(taken))
        taken[number] = lines
        parts += [text[done:tag.end() - 1], f' {MARK}="{number}">']
        done = pos = end
    if not taken:
        return text, {}
    parts.append(text[done:])
    return "".join(parts), taken


def _table(xml: str) -> list[str] | None:
    """A plain table's lines from its text between its start and end tags; None when it is not plain."""
    if "<t" not in xml:
        return None  # no row
    body = _BODY.fullmatch(xml) if "<tbody" in xml else None
    if body is not None:
        xml = body.group("rows")
    pieces = xml.split("</tr>")
    if len(pieces) > _MAX_ROWS or not _SPACE.fullmatch(pieces[-1]):
        return None
    rows: list[list[str]] = []
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    for row in pieces[:-1]:
        cells = row.split("</td>")
        if not _SPACE.fullmatch(cells[-1]):
            return None
        fields: list[str] = []
        for i, piece in enumerate(cells[:-1]):
            cell = _cell(piece)
            if cell is None or cell[0] != (i == 0):
                return None  # not plain, or a row starting anywhere but at its first cell
            if cell[1] is None:
                return None  # a page-long cell: a layout table
            if cell[2] != (1, 1):
                spans[len(rows), len(fields)] = cell[2]
            fields.append(cell[1])
        if len(cells) == 1 and not _row_without_cells(row):
            return None
        rows.append(fields)
    if sum(map(len, rows)) <= 1:
        return None  # a layout table
    return grid.render_rows(rows, spans)


@functools.lru_cache(maxsize=1024)
def _row_without_cells(xml: str) -> bool:
    return re.fullmatch(rf"{_WS}*<tr{_ATTRS}>{_WS}*", xml) is not None


@functools.lru_cache(maxsize=1 << 15)  # labels and small numbers repeat across tables and reports
def _cell(xml: str) -> tuple[bool, str | None, tuple[int, int]] | None:
    """What precedes a cell's '</td>': (whether the row starts with it, its field or None for a page-long
    cell, its (rowspan, colspan)); None when it is not plain."""
    cell = _CELL.fullmatch(xml)
    if cell is None:
        return None
    for attrs in (cell.group("row_attrs") or "", cell.group("attrs")):
        names = [m.group(1) for m in _ATTR.finditer(attrs)]
        if len(set(names)) != len(names):
            return None  # a repeated attribute: which one libxml2 keeps is its business
    found = {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) if m.group(3) is not None
             else m.group(4) for m in _ATTR.finditer(cell.group("attrs"))}
    if any(found.get(name, "") is None for name in ("rowspan", "colspan")):
        return None  # a span without a value
    from .html import _leaf_field, _spans

    spans = _spans(tuple((name, value or "") for name, value in found.items() if name in ("rowspan", "colspan")))
    return cell.group("row") is not None, _leaf_field(cell.group("text")), spans
