"""A plain DOCX main part read from its XML text, without building the tree.

Most reports are converter output: paragraphs of runs of text, tables of rows of cells of such
paragraphs, with property elements and marks (bookmarks, proofing) that print nothing. For such a part
the tree walk of ``docx.py`` costs far more than the text: an lxml element per tag and Python work per
element. ``read_lines`` reads it with string operations instead, and returns None for anything else
(comments, CDATA, character references, namespaces declared below the root, text boxes, hidden runs,
tabs, breaks, tracked changes, content controls around text, nested tables, malformed XML), which the
tree walk then reads.

Every character of the part is checked by a regular expression grammar before it is read. The grammar
accepts well-formed XML only (close tags naming their open tags, quoted attributes, text and values
without '<' or characters XML forbids, the five predefined entities the only references, no ']]>' in
text), so libxml2 would build exactly the tree the grammar sees, without an error. It is conservative:
an element it lets through unread (``_foreign``) has none of the elements the walk prints or the table
reading looks at anywhere inside it, so the walk reads nothing from it either.

A table is cut at its rows' and cells' end tags (``str.split``), and each piece is checked and read
once per process and then looked up (``_cell``): the cells of report tables, labels and small numbers,
repeat across tables and reports.
"""

from __future__ import annotations

import functools
import re
from itertools import chain, count
from operator import itemgetter
from typing import cast

from ..cells import GRID_SPAN
from . import grid

W_URI = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

# ---------------------------------------------------------------------------------------------- grammar
_S = r"[ \t\n]"  # no carriage return: libxml2 turns it into a line feed, and no report part has one
_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*(?::[A-Za-z_][A-Za-z0-9_.\-]*)?"
_END = r"(?![A-Za-z0-9_.\-:])"  # the name ends here
_FORBIDDEN_CHARS = r"\x00-\x08\x0b\x0c\x0e-\x1f\r\ufffe\uffff"
_REFERENCE = r"&(?:amp|lt|gt|quot|apos);"
_TEXT = rf"(?:[^<&\]{_FORBIDDEN_CHARS}]++|{_REFERENCE}|\](?!\]>))*+"
_VALUE = rf"(?:\"(?:[^\"<&{_FORBIDDEN_CHARS}]++|{_REFERENCE})*+\"|'(?:[^'<&{_FORBIDDEN_CHARS}]++|{_REFERENCE})*+')"
_ATTRIBUTE = rf"{_S}++{_NAME}{_S}*={_S}*{_VALUE}"
_ANY_ATTRS = rf"(?:{_ATTRIBUTE})*+{_S}*+"  # for reading what the grammar accepted
# Names an unread element may not have anywhere below it: what the walk prints or descends into
# (text, tab, breaks, paragraphs, runs, tables, rows, cells), what hides a run (vanish), and the
# properties the table reading takes from fixed places (read only where the grammar puts them).
_FORBIDDEN = (rf"(?!xmlns|w:(?:t|r|p|tbl|tr|tc|tab|br|cr|noBreakHyphen|vanish|tcPr|trPr|gridSpan|vMerge|gridBefore)"
              rf"{_END})")
_FOREIGN_DEPTH = 4  # properties nest three deep (w:pPr/w:rPr/w:rFonts, w:tcPr/w:tcBorders/w:top)
_names = count()  # each use of a piece of grammar needs its own group names for the backreferences


def _attrs(root: bool = False) -> str:
    """A start tag's attributes, each name once (libxml2 drops what follows a repeated one). Below the
    root no namespace declaration: a prefix means there what it means at the root."""
    group = f"a{next(_names)}"
    name = _NAME if root else f"(?!xmlns){_NAME}"
    repeated = rf"(?:{_ATTRIBUTE})*?{_S}++(?P={group}){_S}*="
    return rf"(?:{_S}++(?P<{group}>{name}){_S}*={_S}*{_VALUE}(?!{repeated}))*+{_S}*+"


def _foreign(depth: int = _FOREIGN_DEPTH) -> str:
    """An element with a name other than the forbidden ones, nested at most ``depth`` deep."""
    group = f"f{next(_names)}"
    inner = _TEXT if depth == 1 else f"{_TEXT}(?:{_foreign(depth - 1)}{_TEXT})*+"
    return rf"(?><(?P<{group}>{_FORBIDDEN}{_NAME}){_attrs()}(?:/>|>{inner}</(?P={group}){_S}*>))"


def _children(*kinds: str) -> str:
    """Text and elements of these kinds, in any order."""
    return rf"{_TEXT}(?:(?:{'|'.join(kinds)}){_TEXT})*+"


def _element(name: str, content: str) -> str:
    """``w:name`` holding ``content``, or empty."""
    return rf"(?><w:{name}{_END}{_attrs()}(?:/>|>{content}</w:{name}{_S}*>))"


def _prop(name: str) -> str:
    """A span property exactly as Word writes it: no attribute, or its w:val alone."""
    return rf'<w:{name}(?: w:val="[^"<&\s]*")?/>'


def _run() -> str:
    """Text and properties (no vanish: the grammar allows none anywhere)."""
    return _element("r", _children(_element("t", _TEXT), _foreign()))


def _paragraph_content() -> str:
    return _children(_run(), _foreign())


def _row_props() -> str:
    return _element("trPr", _children(_prop("gridBefore"), _foreign()))


# A table is read in pieces cut at its rows' and cells' end tags (exact strings, no '<w:tc' prefix of
# '<w:tcPr'): what precedes a cell's '</w:tc>' is the text and elements of the row since the previous
# cell (for the first cell, those since the previous row and the row's start tag), then the cell's start
# tag and content.
_ROW_START = rf"(?P<row>{_children(_foreign())}<w:tr{_END}{_attrs()}>)"
_ROW_STUFF = _children(_row_props(), _foreign())  # in a row, around its cells
_CELL_PIECE = re.compile(
    rf"{_ROW_START}?{_ROW_STUFF}<w:tc{_END}{_attrs()}>(?P<content>"
    + _children(_element("p", _paragraph_content()),
                _element("tcPr", _children(_prop("gridSpan"), _prop("vMerge"), _foreign())), _foreign()) + ")")
_ROW_WITHOUT_CELLS = re.compile(rf"{_ROW_START}{_ROW_STUFF}")
_ROW_STUFF_RE = re.compile(_ROW_STUFF)
_BETWEEN = re.compile(_children(_foreign()))  # text and unread elements
_PARAGRAPH_CONTENT = re.compile(_paragraph_content())
_PROLOG = re.compile(
    rf"""(?:<\?xml{_S}+version{_S}*={_S}*(["'])1\.0\1(?:{_S}+encoding{_S}*={_S}*(["'])(?i:utf-8)\2)?"""
    rf"""(?:{_S}+standalone{_S}*={_S}*(["'])(?:yes|no)\3)?{_S}*\?>)?{_S}*""")
_ROOT = re.compile(rf"<(?P<root>{_NAME}){_attrs(root=True)}>")
_DECLARATION = re.compile(rf"{_S}xmlns(?::{_NAME})?{_S}*={_S}*({_VALUE})")
_W_PREFIX = re.compile(rf"{_S}xmlns:w{_S}*=")
_RESERVED_URIS = frozenset({"http://www.w3.org/XML/1998/namespace", "http://www.w3.org/2000/xmlns/"})
_W_BINDING = re.compile(rf"{_S}xmlns:w{_S}*={_S}*([\"']){re.escape(W_URI)}\1")
_ROOT_NEXT = re.compile(rf"{_TEXT}(?:(?P<body><w:body{_END}{_attrs()}>)|(?!<w:body{_END}){_foreign()})")
# The next block of the body: its start tag (a paragraph's, a table's, the body's end) or an element
# the walk does not read.
_BLOCK = re.compile(rf"{_TEXT}(?:<(?:w:(?:(?P<p>p)|(?P<tbl>tbl)){_END}{_attrs()}(?P<empty>/)?>|(?P<end>/w:body{_S}*>))"
                    rf"|{_foreign()})")
_DOCUMENT_END = re.compile(rf"{_children(_foreign())}</(?P<root>{_NAME}){_S}*>{_S}*")

# Reading what the grammar accepted: in a valid piece these tags are where it put them.
_TEXT_OF_T = re.compile(rf"<w:t{_END}{_ANY_ATTRS}>({_TEXT})</w:t{_S}*>")
_PARAGRAPH_START = re.compile(rf"<w:p{_END}")
_CELL_PROP = re.compile(r'<w:(gridSpan|vMerge)(?: w:val="([^"]*)")?/>')
_BEFORE = re.compile(r'<w:gridBefore(?: w:val="([^"]*)")?/>')
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))

# A cell as the table needs it: its lines, their text as one field (``grid.join_lines``), its grid fields
# (the field, then GRID_SPAN for each further column it spans), its colspan, its vMerge (None without
# one, else its w:val; no w:val means "continue"), and whether it is plain (no vMerge, not page-long).
CellRead = tuple[tuple[str, ...], str, tuple[str, ...], int, "str | None", bool]
_FIELDS, _PLAIN = itemgetter(2), itemgetter(5)
# A row: its gridBefore's w:val (None without gridBefore) and its cells.
RowRead = tuple["str | None", list[CellRead]]


class _NotPlain(Exception):
    """The part holds something the grammar does not accept."""


def read_lines(xml: bytes) -> list[str] | None:
    """The lines ``docx.read_docx`` reads from a main part, or None when the part is not plain."""
    try:
        text = xml.decode("utf-8")
    except UnicodeDecodeError:
        return None
    root = _ROOT.match(text, _PROLOG.match(text).end())  # type: ignore[union-attr]  # the prolog may be empty
    if root is None:
        return None
    start = root.group(0)
    if start.count(W_URI) != 1 or len(_W_PREFIX.findall(start)) != 1 or not _W_BINDING.search(start):
        return None  # w: is WordprocessingML, and no other prefix is
    uris = [_unescape(value[1:-1]) for value in _DECLARATION.findall(start)]
    if len(set(uris)) != len(uris) or _RESERVED_URIS.intersection(uris):
        return None  # two prefixes for one namespace (attributes may repeat under both), or a reserved one
    pos = root.end()
    while True:
        child = _ROOT_NEXT.match(text, pos)
        if child is None:
            return None
        pos = child.end()
        if child.group("body") is not None:
            break
    try:
        lines, pos = _body(text, pos)
    except _NotPlain:
        return None
    end = _DOCUMENT_END.match(text, pos)
    if end is None or end.end() != len(text) or end.group("root") != root.group("root"):
        return None
    return lines


def _body(text: str, pos: int) -> tuple[list[str], int]:
    """The lines of the body's blocks from ``pos``, and where the body ends."""
    lines: list[str] = []
    while True:
        block = _BLOCK.match(text, pos)
        if block is None:
            raise _NotPlain
        pos = block.end()
        if block.group("empty") is not None:
            continue  # an empty paragraph or table prints nothing
        if block.group("p") is not None:
            end = text.find("</w:p>", pos)
            if end < 0 or not _PARAGRAPH_CONTENT.fullmatch(text, pos, end):
                raise _NotPlain
            lines.extend(_lines(_unescape("".join(_TEXT_OF_T.findall(text, pos, end)))))
            pos = end + 6
        elif block.group("tbl") is not None:
            end = text.find("</w:tbl>", pos)
            if end < 0:
                raise _NotPlain
            lines.extend(_table(text[pos:end]))
            pos = end + 8
        elif block.group("end") is not None:
            return lines, pos


def _table(xml: str) -> list[str]:
    """A table's lines from its XML between its start and end tags (up to the first '</w:tbl>': a table
    nested in it fails the grammar)."""
    rows: list[RowRead] = []
    pieces = xml.split("</w:tr>")
    grid_before = "<w:gridBefore" in xml
    plain = True  # no vertical merge, no page-long cell: each row is its cells' fields
    for row in pieces[:-1]:
        cells = row.split("</w:tc>")
        if len(cells) == 1:
            if not _row_without_cells(row):
                raise _NotPlain
            read: list[CellRead] = []
        else:
            found = [_first_cell(cells[0]), *map(_cell, cells[1:-1])]
            if None in found or not _row_stuff(cells[-1]):
                raise _NotPlain
            read = cast(list[CellRead], found)
            if plain and not all(map(_PLAIN, read)):
                plain = False
        before = _BEFORE.search(row) if grid_before and "<w:gridBefore" in row else None  # the row's first
        rows.append((None if before is None else before.group(1) if before.group(1) is not None else "0", read))
    if not _between(pieces[-1]):
        raise _NotPlain
    if plain and sum(len(cells) for _, cells in rows) > 1:
        return grid.lines([list(chain.from_iterable(map(_FIELDS, cells))) for _, cells in rows])
    return table_lines(rows)


@functools.lru_cache(maxsize=1024)
def _between(xml: str) -> bool:
    return _BETWEEN.fullmatch(xml) is not None


@functools.lru_cache(maxsize=1024)
def _row_stuff(xml: str) -> bool:
    return _ROW_STUFF_RE.fullmatch(xml) is not None


@functools.lru_cache(maxsize=1024)
def _row_without_cells(xml: str) -> bool:
    return _ROW_WITHOUT_CELLS.fullmatch(xml) is not None


@functools.lru_cache(maxsize=1 << 15)  # labels and small numbers repeat across tables and reports
def _cell(xml: str) -> CellRead | None:
    """A cell from what precedes its '</w:tc>' (``_CELL_PIECE``); None when the piece is not plain."""
    piece = _CELL_PIECE.fullmatch(xml)
    return None if piece is None or piece.group("row") is not None else _cell_read(piece.group("content"))


@functools.lru_cache(maxsize=1 << 12)
def _first_cell(xml: str) -> CellRead | None:
    """The first cell of a row, its piece beginning with what precedes the row's start tag."""
    piece = _CELL_PIECE.fullmatch(xml)
    return None if piece is None or piece.group("row") is None else _cell_read(piece.group("content"))


def _cell_read(xml: str) -> CellRead:
    """A cell from its content: its paragraphs' lines, its span properties."""
    span = merge = None
    if "<w:gridSpan" in xml or "<w:vMerge" in xml:
        for prop in _CELL_PROP.finditer(xml):
            if prop.group(1) == "gridSpan":
                if span is None:
                    span = prop.group(2) or "1"  # w:val="" reads as 1 too
            elif merge is None:
                merge = prop.group(2) if prop.group(2) is not None else "continue"  # Word's meaning of no w:val
    lines: list[str] = []
    for paragraph in _PARAGRAPH_START.split(xml)[1:]:
        lines.extend(_lines(_unescape("".join(_TEXT_OF_T.findall(paragraph)))))
    return cell_read(lines, span, merge)


def _unescape(text: str) -> str:
    if "&" in text:
        for entity, char in _ENTITIES:
            text = text.replace(entity, char)
    return text


def _lines(text: str) -> list[str]:
    """A paragraph's text as its printed lines."""
    if "\n" not in text:  # most paragraphs are one line
        return [grid.plain_line(text).strip(" ")] if text.strip() else []
    return [grid.plain_line(line).strip(" ") for line in text.split("\n") if line.strip()]


def cell_read(lines: list[str], span: str | None, merge: str | None) -> CellRead:
    """A cell from its lines, its first gridSpan's w:val (None without gridSpan) and its first vMerge's."""
    text = grid.join_lines(lines)
    colspan = 1 if span is None else grid.span(span)
    field = grid.clean_cell(text)
    fields = (field, *[GRID_SPAN] * (colspan - 1)) if colspan > 1 else (field,)
    return tuple(lines), text, fields, colspan, merge, merge is None and len(text) <= grid.MAX_CELL_CHARS


def table_lines(rows: list[RowRead]) -> list[str]:
    """A table's lines: grid rows, or the cells' lines for a layout table (one cell, page-long cells)."""
    if sum(len(cells) for _, cells in rows) <= 1 or any(
            len(cell[1]) > grid.MAX_CELL_CHARS for _, cells in rows for cell in cells):
        return [line for _, cells in rows for cell in cells for line in cell[0]]
    if all(cell[4] is None for _, cells in rows for cell in cells):
        # No vertical merge: each row is its own grid row, its cells' fields in order (grid.render of
        # cells side by side; gridBefore only shifts the whole row).
        return grid.lines([field for cell in cells for field in cell[2]] for _, cells in rows)
    placed: list[grid.Placed] = []
    open_merge: dict[int, int] = {}  # grid column → index in placed of the vMerge cell running down it
    for r, (before, cells) in enumerate(rows):
        col = 0 if before is None else grid.span(before, default=0) or 0
        for _, text, _, colspan, merge, _ in cells:
            if merge is not None:
                running = open_merge.get(col)
                if merge == "continue" and running is not None:
                    above = placed[running]
                    if above.row + above.rowspan == r:  # continues the cell right above it
                        placed[running] = grid.Placed(above.text, above.row, above.col, above.rowspan + 1,
                                                      above.colspan)
                        col += colspan
                        continue
                if merge == "restart":
                    placed.append(grid.Placed(text, r, col, 1, colspan))
                    open_merge[col] = len(placed) - 1
                    col += colspan
                    continue
            placed.append(grid.Placed(text, r, col, 1, colspan))
            open_merge.pop(col, None)
            col += colspan
    return grid.render(placed)
