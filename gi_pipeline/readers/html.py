"""HTML report pages → text lines; data tables → grid rows (``grid.render``).

lxml, not selectolax: the DOCX reader (``docx.py``) parses Word's XML with lxml anyway, so one parser
serves both; libxml2's HTML parser recovers from truncated and broken markup; and a report page parses in
about a millisecond (the whole read, tables included, takes 5-10 ms), so selectolax's extra speed would
buy nothing measurable here.
"""

from __future__ import annotations

import codecs
import functools
import re
import sys
import threading
from itertools import islice

from lxml import etree

from ..decode import DecodeError, decode_bytes
from . import grid, html_plain
from .errors import Unreadable

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,100}?encoding\s*=\s*["']([A-Za-z0-9_.:-]{2,40})""", re.I)
# GB2312 and GBK pages are decoded as GB18030, their superset: real pages labelled gb2312 use GBK-only
# characters all the time.
_GB_FAMILY = {"gb2312", "gbk", "x-gbk", "gb_2312-80", "cp936", "ms936", "euc-cn", "gb18030"}
# A Chinese report cannot be in a Western single-byte charset: such a declaration is a CMS default (and
# Latin-1 decodes any bytes), so it is ignored.
_WESTERN = {"ascii", "latin-1", "iso8859-1", "cp1252", "iso8859-15"}
_XML_PROLOG = re.compile(r"^\s*<\?xml[^>]*>")
_BAD_XML_CHARS = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]))
_BAD_XML_CHAR = re.compile(f"[{re.escape(_BAD_XML_CHARS)}]")

_DROP = {"script", "style", "noscript", "template", "nav", "aside", "iframe", "object", "embed", "svg",
         "canvas", "select", "button", "input", "textarea", "map", "head"}
_BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "tr", "td",
          "th", "table", "thead", "tbody", "tfoot", "caption", "section", "article", "header", "footer",
          "main", "blockquote", "pre", "hr", "center", "form", "fieldset", "address", "figure",
          "figcaption", "body", "html"}
# Site navigation and boilerplate that publishers mark by class or id (breadcrumbs, menus, footers).
_NAV_CLASS = re.compile(r"(?:^|[\s_-])(?:nav|navbar|menu|breadcrumbs?|crumbs?|footer|sidebar)(?:$|[\s_-])", re.I)
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
# libxml2's nesting limit with huge_tree (2048; 256 without it).
MAX_DEPTH = 2048
_TITLE_PARTS = re.compile(r"\s*[_|｜—–-]{1,2}\s*")


def declared_charset(raw: bytes) -> str | None:
    """The charset a page declares (``<meta charset>``, ``http-equiv`` content, XML prolog), if Python
    knows it."""
    head = raw[:16384]
    m = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    if not m:
        return None
    name = m.group(1).decode("ascii", "replace").lower()
    if name in _GB_FAMILY:
        return "gb18030"
    try:
        found = codecs.lookup(name).name
    except LookupError:
        return None
    return None if found in _WESTERN else found


def decode_html(raw: bytes) -> str:
    """A byte-order mark first, then the declared charset, else decode.py's UTF-8 → GB18030 → detection.
    A GBK-family declaration on bytes that are valid UTF-8 is a stale template header: UTF-8 wins (GBK
    text is practically never valid UTF-8, while GB18030 decodes almost any bytes into mojibake)."""
    declared = declared_charset(raw)
    is_bom = raw.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if declared and not is_bom:
        if declared == "gb18030" or not declared.startswith("utf"):
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
        try:
            return raw.decode(declared)
        except (UnicodeDecodeError, LookupError):
            pass  # the declaration lies: guess as for any text
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(raw) - 3 and exc.reason == "unexpected end of data":
            return raw[: exc.start].decode("utf-8")  # a download cut inside the last character
    try:
        return decode_bytes(raw)[0]
    except DecodeError as exc:
        raise Unreadable(f"cannot decode HTML: {exc}") from exc


class _Lines:
    """Inline text gathered into lines; a block boundary ends the current line. ``tables``: the lines of
    the tables ``html_plain.take_tables`` took from the page, by number."""

    def __init__(self, tables: dict[str, list[str]] | None = None) -> None:
        self.lines: list[str] = []
        self.buf: list[str] = []
        self.pre = 0  # depth of <pre>: keep its line breaks
        self.tables = tables or {}

    def add(self, text: str | None) -> None:
        if text:
            self.buf.append(text if self.pre else _WHITESPACE.sub(" ", text))

    def flush(self) -> None:
        if not self.buf:  # most flushes (every block boundary) find nothing gathered
            return
        text = "".join(self.buf)
        self.buf.clear()
        for line in text.split("\n"):
            if line.strip():
                self.lines.append(line.strip(" "))


def _tag(el: etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""  # comments and PIs have callable tags


def _dropped(el: etree._Element, tag: str) -> bool:
    if tag in _DROP:
        return True
    if not el.keys():  # most elements have no attributes: skip the five lookups below
        return False
    if el.get("role") == "navigation" or el.get("aria-hidden") == "true":
        return True
    if _HIDDEN.search(el.get("style") or ""):
        return True
    return bool(_NAV_CLASS.search(" ".join((el.get("class") or "", el.get("id") or ""))))


def _cell_text(cell: etree._Element) -> str:
    if len(cell) == 0:  # what the general path below makes of text without child elements
        return _WHITESPACE.sub(" ", cell.text or "").strip()
    out = _Lines()
    out.add(cell.text)
    for child in cell:
        _walk(child, out)
    out.flush()
    return grid.join_lines(out.lines)


_ROW_GROUPS = ("thead", "tbody", "tfoot")
_CELL_TAGS = frozenset(("td", "th"))


def _table_rows(table: etree._Element) -> list[etree._Element]:
    """``./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr`` in document order, without an XPath per table."""
    rows = []
    for child in table:
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in _ROW_GROUPS:
            rows.extend(child.iterchildren("tr"))
    return rows


def _field(text: str) -> str | None:
    """A cell's grid field, or None for a page-long cell (a layout container, not a table cell)."""
    return grid.clean_cell(text) if len(text) <= grid.MAX_CELL_CHARS else None


@functools.lru_cache(maxsize=1 << 16)
def _leaf_field(text: str) -> str | None:
    """``_field`` of a cell without child elements (most cells; their texts repeat across reports)."""
    return _field(_WHITESPACE.sub(" ", text).strip())


@functools.lru_cache(maxsize=4096)
def _spans(attrs: tuple[tuple[str, str], ...]) -> tuple[int, int]:
    """(rowspan, colspan) of a cell's attributes; the same few attribute sets repeat in every table."""
    found = dict(attrs)
    return grid.span(found.get("rowspan"), cap=grid.MAX_ROWSPAN), max(1, grid.span(found.get("colspan")))


def _table_lines(table: etree._Element) -> list[str] | None:
    """The table's grid lines, or None for a layout table (one holding other tables, a single cell, or
    page-long cells). Cells are read straight into fields; spans are kept only for the cells that set
    one (a few per table)."""
    if next(table.iterdescendants("table"), None) is not None:
        return None
    rows: list[list[str]] = []
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    for tr in _table_rows(table):
        fields: list[str] = []
        for td in tr[:]:  # a slice builds the children in one call: cheaper than iterating, or a tag filter
            if td.tag not in _CELL_TAGS:
                continue
            field = _leaf_field(td.text or "") if len(td) == 0 else _field(_cell_text(td))
            if field is None:
                return None
            attrs = td.items()  # one call, not a lookup per span
            if attrs:
                spans[len(rows), len(fields)] = _spans(tuple(attrs))
            fields.append(field)
        rows.append(fields)
    if sum(map(len, rows)) <= 1:
        return None
    return grid.render_rows(rows, spans)


def _walk(el: etree._Element, out: _Lines) -> None:
    tag = _tag(el)
    if not tag or _dropped(el, tag):
        out.add(el.tail)
        return
    if tag == "table":
        taken = el.get(html_plain.MARK) if out.tables else None
        if taken is not None:
            lines = out.tables.get(taken)
            if lines is None:
                raise _Retake
        else:
            lines = _table_lines(el)
        if lines is not None:
            out.flush()
            caption = next(el.iterchildren("caption"), None)  # find("caption") without ElementPath
            caption_text = _cell_text(caption) if caption is not None else ""
            if caption_text:
                out.lines.append(grid.plain_line(caption_text))
            out.lines.extend(lines)
            out.add(el.tail)
            return
    if tag == "br":
        out.buf.append("\n")  # not add(): whitespace collapsing would make it a space
        out.add(el.tail)
        return
    block = tag in _BLOCK
    if block:
        out.flush()
    if tag == "pre":
        out.pre += 1
    out.add(el.text)
    for child in el:
        _walk(child, out)
    if tag == "pre":
        out.pre -= 1
    if block:
        out.flush()
    out.add(el.tail)


def _title(root: etree._Element) -> str | None:
    """The page <title>'s part that names the report (site names follow ``_`` or ``|``)."""
    node = next(root.iterdescendants("title"), None)  # find(".//title") without ElementPath
    text = _WHITESPACE.sub(" ", node.text or "").strip() if node is not None else ""
    for part in _TITLE_PARTS.split(text):
        if "政府信息公开" in part or "年度报告" in part or "年报" in part:
            return part
    return None


_PARSERS = threading.local()


def _parser() -> etree.HTMLParser:
    """This thread's parser: building one per page costs a third of the parse (a fresh libxml2 context
    and name dictionary), and a parser must not be shared between threads."""
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        # huge_tree lifts libxml2's depth limit from 256 to 2048 levels (and its text-node size limit);
        # deeper pages are flattened (``_flatten``), never silently cut.
        parser = _PARSERS.parser = etree.HTMLParser(recover=True, remove_comments=True, remove_pis=True,
                                                    no_network=True, huge_tree=True)
    return parser


# Tags a flattened page keeps: table structure (grid rows come from it), what the reader drops with its
# content, the title, and <pre> (its line breaks).  Every other block tag becomes a line break and every
# other inline tag disappears, so the page's text and lines survive with no nesting left but tables'.
_FLATTEN_KEEP = frozenset({"table", "tr", "td", "th", "thead", "tbody", "tfoot", "caption", "title", "pre",
                           "meta", *_DROP})
_ANY_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:_-]*)\b[^>]*>")


def _flatten_tag(m: re.Match[str]) -> str:
    name = m.group(2).lower()
    if name in _FLATTEN_KEEP:
        return m.group(0)
    return "<br>" if name in _BLOCK or name == "br" else ""


def _flatten(text: str) -> str:
    """The page with its nesting removed but for tables: for pages nested deeper than the parser (libxml2
    stops at 2048 levels and drops everything below) or this reader's recursion can follow -- real pages
    get there with thousands of unclosed ``<font>`` or ``<span>`` tags.  What is lost: elements hidden
    or marked as navigation by their attributes are read like the rest."""
    return _ANY_TAG.sub(_flatten_tag, text)


class _TooDeep(Exception):
    """The tree is nested deeper than the parser or the walk can follow."""


class _Retake(Exception):
    """A table taken from the page's text did not come back as the empty table left in its place."""


# A taken table this deep would have put its cells near or beyond libxml2's depth limit (MAX_DEPTH), or
# its reading (_table_lines and what it calls) near Python's recursion limit, where the walk of the page
# as it is would have given up: such a page is read as it is.
_TAKEN_MAX_DEPTH = MAX_DEPTH - 64
_RECURSION_MARGIN = 64


def _taken_max_depth() -> int:
    """How deep a taken table may lie, from the walk's frames still left (one a level)."""
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1  # type: ignore[assignment]
    return min(_TAKEN_MAX_DEPTH, sys.getrecursionlimit() - depth - _RECURSION_MARGIN)


def _read_tree(text: str, tables: dict[str, list[str]] | None = None) -> tuple[etree._Element | None, list[str]]:
    """(root, lines) of a page; raises _TooDeep when part of it would be lost to nesting depth."""
    parser = _parser()
    root = etree.fromstring(text, parser)
    if parser.error_log.filter_types([etree.ErrorTypes.ERR_RESOURCE_LIMIT]):
        raise _TooDeep  # libxml2 recovered by dropping what lies below its limit
    if root is None:
        if tables:
            raise _Retake
        return None, []
    if tables:
        marked = [table for table in root.iter("table") if table.get(html_plain.MARK) is not None]
        if sorted(table.get(html_plain.MARK) for table in marked) != sorted(tables):
            raise _Retake
        limit = _taken_max_depth()
        if text.count("<") > limit and any(  # else no element is that deep
                next(islice(table.iterancestors(), max(limit, 0), None), None) is not None for table in marked):
            raise _Retake
    out = _Lines(tables)
    try:
        _walk(root, out)
    except RecursionError:
        raise _TooDeep from None
    out.flush()
    return root, out.lines


def html_to_text(text: str) -> str:
    """Decoded HTML → report text: the page title when the body does not repeat it, paragraphs as lines,
    data tables as grid rows; scripts, styles, hidden parts and navigation dropped."""
    text = _XML_PROLOG.sub("", text, count=1)
    if any(char in text for char in _BAD_XML_CHARS):  # 31 substring scans take half the time of one regex scan
        text = _BAD_XML_CHAR.sub("", text)
    if not text.strip():
        raise Unreadable("empty HTML")
    # The page with its plain tables taken from the text (html_plain), or as it is when one does not come
    # back where it was; _read_tree called from here (a frame more would refuse a level less).
    taken, tables = html_plain.take_tables(text)
    try:
        try:
            root, lines = _read_tree(taken, tables) if tables else _read_tree(text)
        except _Retake:
            root, lines = _read_tree(text)
    except _TooDeep:
        try:
            root, lines = _read_tree(_flatten(text))
        except _TooDeep:
            raise Unreadable("HTML nested too deeply to read: tables nested beyond the parser's limit "
                             f"({MAX_DEPTH} levels) or Python's recursion limit") from None
    if root is None:
        raise Unreadable("HTML without content")
    title = _title(root)
    body = "\n".join(lines)
    if title and title not in body.replace(" ", ""):
        body = f"{title}\n{body}"
    return body + "\n"


def read_html(raw: bytes) -> str:
    return html_to_text(decode_html(raw))
