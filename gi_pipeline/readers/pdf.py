"""PDF with a text layer → text in reading order, ruled tables as grid rows (pdfplumber).

Per page: ruled tables are found by pdfplumber, the text outside them is read as lines, and both are put in
top-to-bottom order. Running headers and footers (text in the top or bottom band that repeats on other
pages, or looks like a page number) are dropped; a paragraph wrapped at the right margin is joined again;
a table that runs on over a page break is joined into one grid (a repeated header row dropped, a merged
label cell cut by the break continued). A PDF with no text layer is read by OCR (readers/ocr.py).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field

from . import grid
from .errors import NeedsOCR, Unreadable

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


def _inside(obj: dict, boxes: list[tuple[float, float, float, float]]) -> bool:
    cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)


def _table(table) -> _Table | None:  # a pdfplumber Table
    rows = table.rows
    texts = table.extract()
    if sum(1 for row in rows for bbox in row.cells if bbox is not None) < 2:
        return None
    tops = sorted({bbox[1] for row in rows for bbox in row.cells if bbox is not None})
    lefts = sorted({bbox[0] for row in rows for bbox in row.cells if bbox is not None})
    cells = []
    for i, row in enumerate(rows):
        for j, bbox in enumerate(row.cells):
            if bbox is None:
                continue  # a slot covered by a merged cell
            x0, top, x1, bottom = bbox
            rowspan = sum(1 for t in tops if top - 0.5 <= t < bottom - 0.5) or 1
            colspan = sum(1 for x in lefts if x0 - 0.5 <= x < x1 - 0.5) or 1
            text = (texts[i][j] if i < len(texts) and j < len(texts[i]) else None) or ""
            cells.append(grid.Placed(text, i, j, rowspan, colspan))
    row_texts = [tuple(grid.clean_cell(c.text) for c in cells if c.row == r) for r in range(len(rows))]
    return _Table(cells, lefts, len(rows), row_texts)


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


def _page_items(page) -> list[tuple[float, _Text | _Table]]:
    found = [t for t in page.find_tables()]
    tables = [(t.bbox, _table(t)) for t in found]
    tables = [(bbox, t) for bbox, t in tables if t is not None]
    boxes = [bbox for bbox, _ in tables]
    outside = page.filter(lambda o: o.get("object_type") != "char" or not _inside(o, boxes)) if boxes else page
    items: list[tuple[float, _Text | _Table]] = [(bbox[1], t) for bbox, t in tables]
    for line in outside.extract_text_lines(strip=True, return_chars=False):
        if line["text"].strip():
            text = grid.plain_line(line["text"])
            items.append((line["top"], _Text(text, line["x0"], line["x1"], line["top"], line["bottom"])))
    items.sort(key=lambda item: item[0])
    return items


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
    out: list[str] = []
    previous: _Text | _Table | None = None
    for items in pages:
        for _, item in items:
            if isinstance(item, _Table):
                if isinstance(previous, _Table) and _same_columns(previous, item):
                    previous = _join(previous, item)
                else:
                    if isinstance(previous, _Table):
                        out.extend(grid.render(previous.cells))
                    previous = item
                continue
            if isinstance(previous, _Table):
                out.extend(grid.render(previous.cells))
            elif isinstance(previous, _Text) and out and _wraps(previous, item, left, right):
                out[-1] = grid.join_lines([out[-1], item.text])
                previous = item
                continue
            out.append(item.text)
            previous = item
    if isinstance(previous, _Table):
        out.extend(grid.render(previous.cells))
    return out


def read_pdf(raw: bytes) -> str:
    import pdfplumber

    try:
        with pdfplumber.open(io.BytesIO(raw)) as pdf:
            n_pages = len(pdf.pages)
            if n_pages == 0:
                raise Unreadable("PDF without pages")
            if n_pages > MAX_PDF_PAGES:
                raise Unreadable(f"PDF of {n_pages} pages, over {MAX_PDF_PAGES}: not one annual report")
            n_chars = sum(len(p.chars) for p in pdf.pages)
            if n_chars == 0:
                raise NeedsOCR("scanned PDF")
            pages = [_page_items(p) for p in pdf.pages]
            heights = [float(p.height) for p in pdf.pages]
    except Unreadable:
        raise
    except Exception as exc:  # pdfminer raises a zoo of types (PSEOF, PDFSyntaxError, KeyError, ...)
        raise Unreadable(f"corrupt PDF: {type(exc).__name__}: {exc}"[:300]) from exc
    _drop_headers_footers(pages, heights)
    text = "\n".join(_lines(pages))
    if sum(len(m) for m in _CID.findall(text)) > 0.3 * len(text):  # fonts without a Unicode map
        raise NeedsOCR("PDF text layer without Unicode mapping (cid codes)")
    return text + "\n"
