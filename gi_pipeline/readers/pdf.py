"""PDF with a text layer → text in reading order, ruled tables as grid rows.

Per page: ruled tables are found from the ruling lines (``rulings``), the text outside them is read as
lines (``pdf_text``), and both are put in top-to-bottom order. Characters and rulings come from PDFium
(``pdf_pdfium``, C++); a PDF PDFium cannot open or measure is read by pdfplumber (pure Python, ~10x
slower), whose table finder and text lines the PDFium reader's rules copy, so both give the same text.
Running headers and footers (text in the top or bottom band that repeats on other pages, or looks like a
page number) are dropped; a paragraph wrapped at the right margin is joined again; a table that runs on
over a page break is joined into one grid (a repeated header row dropped, a merged label cell cut by the
break continued). A PDF with no text layer (``no_text_layer``, ``_scanned``) or with cid codes only is
read by OCR (``readers.ocr``), through ``NeedsOCR``.
"""

from __future__ import annotations

import io
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from . import grid, pdf_text, rulings
from .errors import NeedsOCR, Unreadable
from .paged import PagedLines
from .pdf_pdfium import Char, Page, Unmeasured, open_pdf, read_page

READER_PDFIUM = "pdfium"
READER_PDFPLUMBER = "pdfplumber"

MAX_PDF_PAGES = 300  # an annual report has at most a few dozen pages; a 1,000-page PDF is a compendium
_BAND = 0.07  # running headers and footers sit in the top and bottom 7% of the page
_EDGE_TOLERANCE = 4.0  # points: same column edge on two pages (pdfplumber snaps edges within 3)
_PAGE_NUMBER = re.compile(
    r"^[-—–\s]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/,，]?\s*共?\s*\d{1,4}\s*页?)?[-—–\s]*$"
    r"|^page\s*\d+(?:\s*of\s*\d+)?$",
    re.IGNORECASE,
)
# A line that starts a heading or list item (一、 (一) 1. 第二十条) starts a new paragraph.
_LIST_START = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}\s*[、.]|[(（][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}\s*[.、．]"
    r"|第[一二三四五六七八九十]+)"
)
_CID = re.compile(r"\(cid:\d+\)")


@dataclass
class _Text:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float


@dataclass
class _Table:
    cells: list[grid.Placed]
    edges: list[float]  # distinct left edges of the columns
    n_rows: int
    row_texts: list[tuple[str, ...]] = field(default_factory=list)
    pages: list[tuple[int, int]] = field(default_factory=list)  # (first row, page) of each page it runs over


def _inside(x0: float, x1: float, top: float, bottom: float, boxes: list[rulings.Box]) -> bool:
    cx, cy = (x0 + x1) / 2, (top + bottom) / 2
    return any(bx0 <= cx <= bx1 and btop <= cy <= bbottom for bx0, btop, bx1, bbottom in boxes)


def _table(rows: list[list[rulings.Box | None]], texts: list[list[str | None]]) -> _Table | None:
    """A ruled table from its rows of cell boxes (None: a slot covered by a merged cell) and their texts."""
    boxes = [bbox for row in rows for bbox in row if bbox is not None]
    if len(boxes) < 2:
        return None
    tops = sorted({bbox[1] for bbox in boxes})
    lefts = sorted({bbox[0] for bbox in boxes})
    cells = []
    for i, row in enumerate(rows):
        for j, bbox in enumerate(row):
            if bbox is None:
                continue  # a slot covered by a merged cell
            x0, top, x1, bottom = bbox
            rowspan = (bisect_left(tops, bottom - 0.5) - bisect_left(tops, top - 0.5)) or 1
            colspan = (bisect_left(lefts, x1 - 0.5) - bisect_left(lefts, x0 - 0.5)) or 1
            text = (texts[i][j] if i < len(texts) and j < len(texts[i]) else None) or ""
            cells.append(grid.Placed(text, i, j, rowspan, colspan))
    row_texts = [tuple(grid.clean_cell(c.text) for c in cells if c.row == r) for r in range(len(rows))]
    return _Table(cells, lefts, len(rows), row_texts)


class _ByHeight:
    """A page's characters with their centres, sorted by vertical centre to pick a band of the page."""

    def __init__(self, chars: list[Char]) -> None:
        self.chars = chars
        self.x = [(c.x0 + c.x1) / 2 for c in chars]
        self.y = [(c.top + c.bottom) / 2 for c in chars]
        self.order = sorted(range(len(chars)), key=self.y.__getitem__)
        self.mids = [self.y[k] for k in self.order]

    def band(self, top: float, bottom: float, closed: bool = False) -> list[int]:
        """Indices, in content order, of the characters whose centre is in [top, bottom) ([top, bottom])."""
        end = bisect_right(self.mids, bottom) if closed else bisect_left(self.mids, bottom)
        return sorted(self.order[bisect_left(self.mids, top) : end])


def _cell_texts_by_row(rows: list[list[rulings.Box | None]], chars: _ByHeight) -> list[list[str | None]]:
    """Each cell's text from the characters whose centre lies in its row and in it, as pdfplumber's
    ``Table.extract`` (a character in two overlapping cells is in both)."""
    texts = []
    for row in rows:
        boxes = [b for b in row if b is not None]
        band = chars.band(min(b[1] for b in boxes), max(b[3] for b in boxes))
        centres = [(chars.chars[k], chars.x[k], chars.y[k]) for k in band]
        texts.append(
            [
                None if b is None else pdf_text.block_text([c for c, x, y in centres if b[0] <= x < b[2] and b[1] <= y < b[3]])
                for b in row
            ]
        )
    return texts


def _cell_texts(rows: list[list[rulings.Box | None]], chars: _ByHeight) -> list[list[str | None]]:
    """Each cell's text from the characters whose centre lies in it. Cells of a ruled table tile it: each
    slot of the grid of distinct tops and lefts belongs to one cell, so each character is looked up once
    (overlapping cells are read row by row)."""
    boxes = [b for row in rows for b in row if b is not None]
    tops = sorted({b[1] for b in boxes})
    lefts = sorted({b[0] for b in boxes})
    slots: dict[tuple[int, int], rulings.Box] = {}
    for b in boxes:
        for i in range(bisect_left(tops, b[1]), bisect_left(tops, b[3])):
            for j in range(bisect_left(lefts, b[0]), bisect_left(lefts, b[2])):
                if slots.setdefault((i, j), b) is not b:
                    return _cell_texts_by_row(rows, chars)
    found: dict[rulings.Box, list[Char]] = {}
    for k in chars.band(tops[0], max(b[3] for b in boxes)):
        x, y = chars.x[k], chars.y[k]
        slot = slots.get((bisect_right(tops, y) - 1, bisect_right(lefts, x) - 1))
        if slot is not None and slot[0] <= x < slot[2] and slot[1] <= y < slot[3]:
            found.setdefault(slot, []).append(chars.chars[k])
    return [[None if b is None else pdf_text.block_text(found.get(b, ())) for b in row] for row in rows]


def _pdfium_page_items(page: Page) -> list[tuple[float, _Text | _Table]]:
    items: list[tuple[float, _Text | _Table]] = []
    by_height = _ByHeight(page.chars)
    inside: set[int] = set()  # characters in a table's box: not read as lines
    for cells in rulings.find_tables(page.edges):
        rows = rulings.table_rows(cells)
        table = _table(rows, _cell_texts(rows, by_height))
        if table is not None:
            x0, top = min(c[0] for c in cells), min(c[1] for c in cells)
            x1, bottom = max(c[2] for c in cells), max(c[3] for c in cells)
            items.append((top, table))
            inside.update(k for k in by_height.band(top, bottom, closed=True) if x0 <= by_height.x[k] <= x1)
    chars = [c for k, c in enumerate(page.chars) if k not in inside] if inside else page.chars
    for line in pdf_text.text_lines(chars):
        if line.text.strip():
            items.append((line.top, _Text(grid.plain_line(line.text), line.x0, line.x1, line.top, line.bottom)))
    items.sort(key=lambda item: item[0])
    return items


def _plumber_page_items(page) -> list[tuple[float, _Text | _Table]]:  # a pdfplumber Page
    tables = []
    for found in page.find_tables():
        rows = [list(row.cells) for row in found.rows]
        table = _table(rows, found.extract())
        if table is not None:
            tables.append((found.bbox, table))
    boxes = [bbox for bbox, _ in tables]

    def outside(o: dict) -> bool:
        return o.get("object_type") != "char" or not _inside(o["x0"], o["x1"], o["top"], o["bottom"], boxes)

    page = page.filter(outside) if boxes else page
    items: list[tuple[float, _Text | _Table]] = [(bbox[1], t) for bbox, t in tables]
    for line in page.extract_text_lines(strip=True, return_chars=False):
        if line["text"].strip():
            text = grid.plain_line(line["text"])
            items.append((line["top"], _Text(text, line["x0"], line["x1"], line["top"], line["bottom"])))
    items.sort(key=lambda item: item[0])
    return items


def _same_columns(a: _Table, b: _Table) -> bool:
    return len(a.edges) == len(b.edges) and all(abs(x - y) <= _EDGE_TOLERANCE for x, y in zip(a.edges, b.edges))


def _join(a: _Table, b: _Table) -> _Table:
    """b continues a on the next page: drop b's repeated header rows, and let an empty cell at b's top
    continue a's merged cell that ran to the page break (Word prints a merged label once)."""
    skip = 0
    while skip < min(len(a.row_texts), len(b.row_texts)) and b.row_texts[skip] == a.row_texts[skip]:
        skip += 1  # header rows Word repeats on each page
    cells = list(a.cells)
    running = {c.col: k for k, c in enumerate(cells) if c.rowspan > 1 and c.row + c.rowspan == a.n_rows}
    for cell in b.cells:
        if cell.row < skip:
            continue
        k = running.get(cell.col)
        if k is not None and cell.row == skip and not cell.text.strip() and cells[k].colspan == cell.colspan:
            above = cells[k]
            cells[k] = grid.Placed(above.text, above.row, above.col, above.rowspan + cell.rowspan, above.colspan)
            continue
        cells.append(grid.Placed(cell.text, cell.row - skip + a.n_rows, cell.col, cell.rowspan, cell.colspan))
    return _Table(cells, a.edges, a.n_rows + b.n_rows - skip, a.row_texts + b.row_texts[skip:])


def _running_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _drop_headers_footers(pages: list[list[tuple[float, _Text | _Table]]], heights: list[float]) -> None:
    def in_band(item: _Text, height: float) -> bool:
        return item.bottom < _BAND * height or item.top > (1 - _BAND) * height

    banded: Counter[str] = Counter()  # on how many pages each banded line (digits masked) appears
    for items, height in zip(pages, heights):
        banded.update({_running_key(i.text) for _, i in items if isinstance(i, _Text) and in_band(i, height)})
    for k, (items, height) in enumerate(zip(pages, heights)):
        pages[k] = [
            (top, item)
            for top, item in items
            if not (
                isinstance(item, _Text)
                and in_band(item, height)
                and (_PAGE_NUMBER.match(item.text) or (len(pages) > 1 and banded[_running_key(item.text)] > 1))
            )
        ]


def _wraps(previous: _Text, item: _Text, left: float, right: float) -> bool:
    """item continues previous's paragraph: previous reaches the right margin (within three characters:
    CJK line breaking leaves ragged edges) and item neither is indented nor starts a numbered heading.
    Lines of spaced tokens are rows of an unruled table (``规章 13 13 524``): never joined."""
    if len(previous.text.split()) >= 3 or len(item.text.split()) >= 3:
        return False
    width = (previous.x1 - previous.x0) / max(1, len(previous.text))
    return previous.x1 >= right - 3 * width and item.x0 <= left + 0.8 * width and not _LIST_START.match(item.text)


def _lines(pages: list[list[tuple[float, _Text | _Table]]]) -> list[str]:
    texts = [i for items in pages for _, i in items if isinstance(i, _Text)]
    right = max((i.x1 for i in texts), default=0.0)
    left = min((i.x0 for i in texts), default=0.0)
    out = PagedLines()
    previous: _Text | _Table | None = None
    for page, items in enumerate(pages, start=1):
        for _, item in items:
            if isinstance(item, _Table):
                if isinstance(previous, _Table) and _same_columns(previous, item):
                    joined = _join(previous, item)
                    joined.pages = [*previous.pages, (previous.n_rows, page)]
                    previous = joined
                else:
                    if isinstance(previous, _Table):
                        out.table(previous.cells, previous.n_rows, previous.pages)
                    item.pages = [(0, page)]
                    previous = item
                continue
            if isinstance(previous, _Table):
                out.table(previous.cells, previous.n_rows, previous.pages)
            elif isinstance(previous, _Text) and out.lines and _wraps(previous, item, left, right):
                out.lines[-1] = grid.join_lines([out.lines[-1], item.text])  # the line's page: where it starts
                previous = item
                continue
            out.add([item.text], page)
            previous = item
    if isinstance(previous, _Table):
        out.table(previous.cells, previous.n_rows, previous.pages)
    return out.lines


class Read(NamedTuple):
    text: str
    reader: str  # READER_PDFIUM or READER_PDFPLUMBER


def no_text_layer(n_chars: int) -> bool:
    """A PDF whose pages hold no character at all (both readers count them): a scan, page images only."""
    return n_chars == 0


def _scanned(raw: bytes) -> Read:
    """A PDF without a text layer: the one place it is handed to OCR (``readers.read`` catches this)."""
    raise NeedsOCR("scanned PDF")


def _check_pages(n_pages: int) -> None:
    if n_pages == 0:
        raise Unreadable("PDF without pages")
    if n_pages > MAX_PDF_PAGES:
        raise Unreadable(f"PDF of {n_pages} pages, over {MAX_PDF_PAGES}: not one annual report")


def _text(pages: list[list[tuple[float, _Text | _Table]]], heights: list[float]) -> str:
    _drop_headers_footers(pages, heights)
    text = "\n".join(_lines(pages))
    if sum(len(m) for m in _CID.findall(text)) > 0.3 * len(text):  # fonts without a Unicode map
        raise NeedsOCR("PDF text layer without Unicode mapping (cid codes)")
    return text + "\n"


def _read_pdfium(raw: bytes) -> Read | None:
    """The PDF read by PDFium; None when PDFium cannot open it or cannot measure its glyphs."""
    import pypdfium2

    try:
        pdf = open_pdf(raw)
    except pypdfium2.PdfiumError:
        return None
    try:
        _check_pages(len(pdf))
        pages = [read_page(pdf, k) for k in range(len(pdf))]
    except (Unmeasured, pypdfium2.PdfiumError):  # e.g. a page PDFium cannot load: pdfplumber tries
        return None
    finally:
        pdf.close()
    if no_text_layer(sum(len(p.chars) for p in pages)):
        return _scanned(raw)
    items = [_pdfium_page_items(p) for p in pages]
    return Read(_text(items, [p.height for p in pages]), READER_PDFIUM)


def _read_pdfplumber(raw: bytes) -> Read:
    import pdfplumber

    try:
        with pdfplumber.open(io.BytesIO(raw)) as pdf:
            _check_pages(len(pdf.pages))
            n_chars = sum(len(p.chars) for p in pdf.pages)
            if no_text_layer(n_chars):
                return _scanned(raw)
            pages = [_plumber_page_items(p) for p in pdf.pages]
            heights = [float(p.height) for p in pdf.pages]
    except Unreadable:
        raise
    except Exception as exc:  # pdfminer raises a zoo of types (PSEOF, PDFSyntaxError, KeyError, ...)
        raise Unreadable(f"corrupt PDF: {type(exc).__name__}: {exc}"[:300]) from exc
    return Read(_text(pages, heights), READER_PDFPLUMBER)


def read_pdf_as(raw: bytes) -> Read:
    """The report text and the reader that read it: PDFium, or pdfplumber for a PDF PDFium cannot open or
    measure."""
    return _read_pdfium(raw) or _read_pdfplumber(raw)


def read_pdf(raw: bytes) -> str:
    return read_pdf_as(raw).text
