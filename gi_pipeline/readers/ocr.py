"""Page images (scanned PDFs, .png/.jpg/.tif of report pages) → report text by OCR (the ``ocr`` extra).

The text comes out like every other reader's: paragraph lines, and ruled tables as grid rows
(``grid.render``), so the same parser reads it. Per page:

* a page scanned at a slant is turned straight, and paper is made white;
* ruling lines are found in the image (long horizontal and vertical runs of dark pixels); the cells
  are the slots between them, slots not separated by a drawn line merged into one cell (spans);
* each cell's ink is cut into text lines (gaps in its row profile) and every line is recognized from
  an axis-aligned crop with a white margin (the detector's rotated crops read lone digits at 0.5-0.8);
* text outside tables is found by the detector (on a smaller copy of the page) and recognized from
  axis-aligned crops too (no angle classifier: it turns a 9 into a 6 when it rotates a single digit);
* a table that runs on over a page break is joined as the PDF reader joins one;
* a page marker line (``provenance.page_marker``) goes before each page after the first, as the PDF
  reader writes them, so the facts get their page.

Never invent: a line that holds a number (as ``cells.classify`` sees it) read below ``MIN_CONFIDENCE``
becomes ``LOW_CONFIDENCE_MARK`` + what was read + the confidence, which the cell classifier treats as
unreadable and the parser reports as ``ocr_low_confidence``.
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..cells import LABEL, LOW_CONFIDENCE_MARK, classify
from . import grid
from .errors import Unreadable
from .paged import PagedLines

# A number read below this confidence is not used (PP-OCRv4 reads clean printed digits at 0.95-1.0).
MIN_CONFIDENCE = 0.9
# Wall-clock seconds OCR may spend on one file (a page takes ~2-7 s on a busy core); over it, the file
# is quarantined. Environment variable GI_OCR_SECONDS_PER_FILE overrides it.
SECONDS_PER_FILE = 300.0
# Pages are read at this resolution (PP-OCR reads 10.5 pt body text and table digits well at 200 dpi).
DPI = 200
MAX_OCR_PAGES = 60  # a scanned annual report has at most a few dozen pages
ENABLE_HINT = "install the OCR extra: pip install 'gi-pipeline[ocr]'"

_DARK = 160  # gray level below which a pixel is ink
_MAX_SKEW = 3.0  # degrees: a page scanned at a slant is turned straight (ruling lines must be level)
_PAPER = 200  # gray level from which a pixel is paper (made white; the glyphs' anti-aliased edges stay)
_MIN_LINE_FRACTION = 0.5  # a cell border is drawn when at least half of it is ink
_PAGE_HEIGHT_PX = round(11.69 * DPI)  # A4
_CHAR_PX = round(0.17 * DPI)  # one character of 10.5-12 pt type, in pixels: ink runs within it are one line
_BAND = 0.07  # page numbers sit in the top and bottom 7% of the page
_PAGE_NUMBER = re.compile(
    r"^[-—–\s]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/,，]?\s*共?\s*\d{1,4}\s*页?)?[-—–\s]*$"
)
_DETECT_WIDTH = 1100  # pixels: text lines are detected on the page scaled to this width (~130 dpi)
_MARGIN = 5  # pixels of page around a text line's ink when it is recognized
_MAX_NUMBER_TEXT = 24  # a line longer than this is prose, not a table's number


def seconds_per_file() -> float:
    try:
        return float(os.environ.get("GI_OCR_SECONDS_PER_FILE", SECONDS_PER_FILE))
    except ValueError:
        return SECONDS_PER_FILE


def _engine(what: str = "page images"):
    """The OCR engine, loaded once per process (workers of the parse pool each load their own)."""
    try:
        return _load_engine()
    except ImportError as exc:
        raise Unreadable(f"{what}, needs OCR, which is not installed: {ENABLE_HINT}") from exc


@functools.cache
def _load_engine():
    from rapidocr_onnxruntime import RapidOCR

    # One thread: pages are read in the parse worker pool, one process per core, and onnxruntime's
    # spinning threads cost twice the CPU on a shared machine (a table page: 6.8 s CPU with one, 12.7 s
    # with two).
    return RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)


def available() -> bool:
    try:
        _engine()
    except Unreadable:
        return False
    return True


# --------------------------------------------------------------------------------------------
# Page layout: ruling lines → cells
# --------------------------------------------------------------------------------------------


@dataclass
class _Line:
    text: str
    top: float
    bottom: float
    left: float


@dataclass
class _Table:
    top: float
    xs: list[int]  # column borders
    cells: list[grid.Placed]
    row_texts: list[tuple[str, ...]] = field(default_factory=list)
    pages: list[tuple[int, int]] = field(default_factory=list)  # (first row, page) of each page it runs over

    @property
    def n_rows(self) -> int:
        return max((c.row + c.rowspan for c in self.cells), default=0)


def _runs(profile, minimum: int) -> list[int]:
    """Centres of consecutive indices where profile >= minimum (one drawn line is a few pixels thick)."""
    out: list[int] = []
    start = None
    for i, value in enumerate([*profile, 0]):
        if value >= minimum and start is None:
            start = i
        elif value < minimum and start is not None:
            out.append((start + i - 1) // 2)
            start = None
    return out


def _tables(ink, cv2, np) -> list[tuple[tuple[int, int, int, int], list[int], list[int], Any, Any]]:
    """Ruled tables of a page: (bbox, row borders, column borders, horizontal mask, vertical mask: numpy
    arrays, typed Any since numpy is imported only with the OCR extra)."""
    width = ink.shape[1]
    span = max(25, width // 40)
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (span, 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, span)))
    frame = cv2.dilate(horizontal | vertical, np.ones((5, 5), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(frame)
    found = []
    for k in range(1, n):
        x, y, w, h, _ = stats[k]
        if w < width // 5 or h < span:
            continue
        hs = horizontal[y : y + h, x : x + w]
        vs = vertical[y : y + h, x : x + w]
        ys = [y + r for r in _runs((hs > 0).sum(axis=1), span)]
        xs = [x + c for c in _runs((vs > 0).sum(axis=0), span)]
        if len(ys) >= 2 and len(xs) >= 2:
            found.append(((x, y, x + w, y + h), ys, xs, horizontal, vertical))
    return found


def _drawn(mask, y0: int, y1: int, x0: int, x1: int) -> bool:
    """Is a border drawn along this segment (a thin band around it, at least half of its length)?"""
    band = mask[y0:y1, x0:x1] > 0
    if band.size == 0:
        return False
    along = band.any(axis=1 if (x1 - x0) < (y1 - y0) else 0)
    return along.mean() >= _MIN_LINE_FRACTION


def _cell_boxes(ys: list[int], xs: list[int], horizontal, vertical) -> list[tuple[int, int, int, int]]:
    """Cells as slot rectangles (row0, col0, row1, col1), slots merged where no border is drawn."""
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    parent = list(range(n_rows * n_cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(n_rows):
        for c in range(n_cols):
            y0, y1, x0, x1 = ys[r] + 3, ys[r + 1] - 3, xs[c] + 3, xs[c + 1] - 3
            if c + 1 < n_cols and not _drawn(vertical, y0, y1, xs[c + 1] - 3, xs[c + 1] + 4):
                parent[find(r * n_cols + c + 1)] = find(r * n_cols + c)
            if r + 1 < n_rows and not _drawn(horizontal, ys[r + 1] - 3, ys[r + 1] + 4, x0, x1):
                parent[find((r + 1) * n_cols + c)] = find(r * n_cols + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            groups.setdefault(find(r * n_cols + c), []).append((r, c))
    boxes = []
    for slots in groups.values():
        rows = [r for r, _ in slots]
        cols = [c for _, c in slots]
        boxes.append((min(rows), min(cols), max(rows) + 1, max(cols) + 1))
    return sorted(boxes)


def _text_lines(ink, x0: int, y0: int, x1: int, y1: int, np) -> list[tuple[int, int, int, int]]:
    """Text lines inside a cell's interior, as ink bounding boxes: rows of ink split at blank rows, and
    runs that fit in one character height joined again (三 and 二 are strokes with gaps between them;
    a vertically written label is one character per line)."""
    region = ink[y0:y1, x0:x1]
    if region.size == 0 or not region.any():
        return []
    runs: list[list[int]] = []
    start = None
    for i, filled in enumerate([*region.any(axis=1), False]):
        if filled and start is None:
            start = i
        elif not filled and start is not None:
            if runs and i - runs[-1][0] <= _CHAR_PX:
                runs[-1][1] = i
            else:
                runs.append([start, i])
            start = None
    lines = []
    for top, bottom in runs:
        cols = np.flatnonzero(region[top:bottom].any(axis=0))
        if bottom - top >= 3 and len(cols) >= 2:  # specks and line remnants are not text
            lines.append((x0 + int(cols[0]), y0 + top, x0 + int(cols[-1]) + 1, y0 + bottom))
    return lines


# --------------------------------------------------------------------------------------------
# Recognition
# --------------------------------------------------------------------------------------------


def _crop(image, box: tuple[int, int, int, int]):
    height, width = image.shape[:2]
    x0, y0, x1, y1 = box
    return image[max(0, y0 - _MARGIN) : min(height, y1 + _MARGIN), max(0, x0 - _MARGIN) : min(width, x1 + _MARGIN)]


def _cell_images(image, boxes: list[tuple[int, int, int, int]], np) -> list:
    """What to recognize of one cell: each text line's crop with a small white margin (the recognizer
    reads a lone digit at 0.95-1.0 so, at 0.5-0.8 from the detector's rotated crop). A label written
    vertically (one character per line, in a narrow merged cell) is laid out as one horizontal line:
    one character alone lacks the context the recognizer needs (办 read as 苏)."""
    crops = [_crop(image, box) for box in boxes]
    if len(boxes) < 3 or any(x1 - x0 > 1.5 * _CHAR_PX or y1 - y0 > 1.5 * _CHAR_PX for x0, y0, x1, y1 in boxes):
        return crops
    height = max(c.shape[0] for c in crops)
    padded = [np.pad(c, ((0, height - c.shape[0]), (0, 0), (0, 0)), constant_values=255) for c in crops]
    return [np.concatenate(padded, axis=1)]


def _recognize(engine, crops: list) -> list[tuple[str, float]]:
    """Text and confidence of each line image."""
    if not crops:
        return []
    reads, _ = engine.text_rec(crops)
    return [(text.strip(), float(confidence)) for text, confidence in reads]


def _holds_number(text: str) -> bool:
    """Would the parser take a number from this text (a count, ``12件``, a look-alike ``1O``, a dash)?"""
    return len(text) <= _MAX_NUMBER_TEXT and any(classify(token) != LABEL for token in text.split())


def _field(text: str, confidence: float) -> str:
    """A text line as the parser reads it: a doubtful number is marked, never used."""
    if confidence < MIN_CONFIDENCE and _holds_number(text):
        return f"{LOW_CONFIDENCE_MARK}{text.replace(' ', '')}{LOW_CONFIDENCE_MARK}{confidence:.2f}"
    return text


def _skew(gray, cv2, np) -> float:
    """The angle (degrees, within ±_MAX_SKEW) that turns a page scanned at a slant straight: the one at
    which the rows of ink are sharpest (largest variance of the row profile), on a half-size copy,
    in 0.1° steps and then 0.02° around the best (0.05° drifts 1 px over a table's width)."""
    small = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    ink = (small < _DARK).astype(np.float32)
    height, width = ink.shape

    def sharpness(angle: float) -> float:
        turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        return float(cv2.warpAffine(ink, turn, (width, height), flags=cv2.INTER_NEAREST).sum(axis=1).var())

    def best(angles) -> float:  # ties go to the smaller turn
        return max((round(float(a), 2) for a in angles), key=lambda a: (sharpness(a), -abs(a)))

    coarse = best(np.arange(-_MAX_SKEW, _MAX_SKEW + 0.01, 0.1))
    return best(coarse + np.arange(-0.1, 0.11, 0.02))


def _page(engine, image, cv2, np) -> list[tuple[float, _Line | _Table]]:
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    angle = _skew(gray, cv2, np)
    if abs(angle) >= 0.05:
        turn = cv2.getRotationMatrix2D((gray.shape[1] / 2, gray.shape[0] / 2), angle, 1.0)
        gray = cv2.warpAffine(gray, turn, (gray.shape[1], gray.shape[0]), flags=cv2.INTER_LINEAR, borderValue=255)
    ink = ((gray < _DARK) * 255).astype(np.uint8)
    # Paper is made white (scanner noise, JPEG artefacts, a gray background): the recognizer reads
    # clean ink with more confidence, and ink keeps its own gray levels.
    image = cv2.cvtColor(np.where(gray < _PAPER, gray, 255).astype(np.uint8), cv2.COLOR_GRAY2RGB)
    items: list[tuple[float, _Line | _Table]] = []
    table_boxes = []
    for bbox, ys, xs, horizontal, vertical in _tables(ink, cv2, np):
        table_boxes.append(bbox)
        cells = _cell_boxes(ys, xs, horizontal, vertical)
        clean = ink & ~(horizontal | vertical)
        images = [
            _cell_images(image, _text_lines(clean, xs[c0] + 4, ys[r0] + 4, xs[c1] - 3, ys[r1] - 3, np), np)
            for r0, c0, r1, c1 in cells
        ]
        reads = iter(_recognize(engine, [crop for crops in images for crop in crops]))
        placed = []
        for (r0, c0, r1, c1), crops in zip(cells, images):
            fields = [_field(*next(reads)) for _ in crops]
            placed.append(grid.Placed(grid.join_lines(fields), r0, c0, r1 - r0, c1 - c0))
        table = _Table(float(bbox[1]), xs, placed)
        table.row_texts = [tuple(grid.clean_cell(c.text) for c in placed if c.row == r) for r in range(table.n_rows)]
        items.append((float(bbox[1]), table))
    masked = image.copy()
    for x0, y0, x1, y1 in table_boxes:
        masked[y0:y1, x0:x1] = 255
    factor = min(1.0, _DETECT_WIDTH / masked.shape[1])  # text lines are found on a smaller copy
    small = cv2.resize(masked, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else masked
    found, _ = engine.text_det(small)
    height = image.shape[0]
    boxes = []
    for quad in found if found is not None else []:
        xs_ = [p[0] / factor for p in quad]
        ys_ = [p[1] / factor for p in quad]
        boxes.append((int(min(xs_)), int(min(ys_)), int(max(xs_)) + 1, int(max(ys_)) + 1))
    for (x0, y0, _x1, y1), (text, confidence) in zip(boxes, _recognize(engine, [_crop(image, b) for b in boxes])):
        if (y1 < _BAND * height or y0 > (1 - _BAND) * height) and _PAGE_NUMBER.match(text):
            continue  # a page number: dropped, so a table running on over the page break is joined
        if text:  # a number of an unruled table is a box of its own: doubtful ones are marked too
            items.append((float(y0), _Line(_field(text, confidence), float(y0), float(y1), float(x0))))
    items.sort(key=lambda item: item[0])
    return _merge_lines(items)


def _merge_lines(items: list[tuple[float, _Line | _Table]]) -> list[tuple[float, _Line | _Table]]:
    """Detector boxes on one text line (each overlapping the line's first box vertically over half its
    height) become one line, left to right, spaced (a label and the numbers of an unruled table)."""
    out: list[tuple[float, _Line | _Table]] = []
    group: list[_Line] = []

    def flush() -> None:
        if group:
            group.sort(key=lambda line: line.left)
            text = " ".join(line.text for line in group)
            top, bottom = min(line.top for line in group), max(line.bottom for line in group)
            out.append((top, _Line(text, top, bottom, group[0].left)))
            group.clear()

    for top, item in items:
        if isinstance(item, _Line) and group:
            first = group[0]
            overlap = min(first.bottom, item.bottom) - max(first.top, item.top)
            if overlap > 0.5 * min(first.bottom - first.top, item.bottom - item.top):
                group.append(item)
                continue
        flush()
        if isinstance(item, _Line):
            group.append(item)
        else:
            out.append((top, item))
    flush()
    return out


# --------------------------------------------------------------------------------------------
# Pages → text
# --------------------------------------------------------------------------------------------


def _same_columns(a: _Table, b: _Table, tolerance: int) -> bool:
    return len(a.xs) == len(b.xs) and all(abs(x - y) <= tolerance for x, y in zip(a.xs, b.xs))


def _join(a: _Table, b: _Table) -> _Table:
    """b continues a on the next page: b's repeated header rows dropped, and an empty cell at b's top
    continues the labelled cell of a's last row above it (a merged label cut by the page break is
    printed once; readers/pdf.py joins text-layer tables alike)."""
    skip = 0
    while skip < min(len(a.row_texts), len(b.row_texts)) and b.row_texts[skip] == a.row_texts[skip]:
        skip += 1
    cells = list(a.cells)
    end = a.n_rows
    running = {c.col: k for k, c in enumerate(cells) if c.row + c.rowspan == end}  # cells of a's last row
    for cell in b.cells:
        if cell.row < skip:
            continue
        k = running.get(cell.col)
        if k is not None and cell.row == skip and not cell.text.strip() and cells[k].colspan == cell.colspan:
            above = cells[k]
            if above.text.strip():
                cells[k] = grid.Placed(above.text, above.row, above.col, above.rowspan + cell.rowspan, above.colspan)
                continue
        cells.append(grid.Placed(cell.text, cell.row - skip + end, cell.col, cell.rowspan, cell.colspan))
    return _Table(a.top, a.xs, cells, a.row_texts + b.row_texts[skip:])


def _render(pages: list[list[tuple[float, _Line | _Table]]], tolerance: int) -> list[str]:
    """The pages' lines, a page marker before each page after the first (``paged.PagedLines``); a table
    joined over a page break has its rows after the marker of the page they are printed on."""
    out = PagedLines()
    pending: _Table | None = None
    for page, items in enumerate(pages, start=1):
        for _, item in items:
            if isinstance(item, _Table):
                if pending is not None and _same_columns(pending, item, tolerance):
                    joined = _join(pending, item)
                    joined.pages = [*pending.pages, (pending.n_rows, page)]
                    pending = joined
                    continue
                if pending is not None:
                    out.table(pending.cells, pending.n_rows, pending.pages)
                item.pages = [(0, page)]
                pending = item
                continue
            if pending is not None:
                out.table(pending.cells, pending.n_rows, pending.pages)
                pending = None
            out.add([grid.plain_line(item.text)], page)
    if pending is not None:
        out.table(pending.cells, pending.n_rows, pending.pages)
    return out.lines


def _scaled(image):
    """An RGB page image at about DPI for an A4 page (scans come at 100-600 dpi)."""
    image = image.convert("RGB")
    height = image.height
    if height < 0.7 * _PAGE_HEIGHT_PX or height > 1.5 * _PAGE_HEIGHT_PX:
        factor = _PAGE_HEIGHT_PX / height
        image = image.resize((max(1, round(image.width * factor)), _PAGE_HEIGHT_PX))
    return image


def read_pages(images: Iterable, n_pages: int) -> str:
    """OCR page images (PIL) in order → report text. Raises Unreadable when OCR is not installed or the
    file takes longer than the per-file time limit."""
    engine = _engine()
    import cv2
    import numpy as np

    if n_pages > MAX_OCR_PAGES:
        raise Unreadable(f"{n_pages} page images, over {MAX_OCR_PAGES} for OCR: not one annual report")
    limit = seconds_per_file()
    start = time.monotonic()
    pages = []
    for k, image in enumerate(images):
        if time.monotonic() - start > limit:
            raise Unreadable(f"OCR took over {limit:g} s (GI_OCR_SECONDS_PER_FILE) after {k} of {n_pages} pages")
        pages.append(_page(engine, np.asarray(_scaled(image)), cv2, np))
    if time.monotonic() - start > limit:
        raise Unreadable(f"OCR took over {limit:g} s (GI_OCR_SECONDS_PER_FILE) for {n_pages} pages")
    text = "\n".join(_render(pages, tolerance=DPI // 20))
    if not text.strip():
        raise Unreadable("no text found by OCR")
    return text + "\n"


def read_pdf_pages(raw: bytes, what: str = "scanned PDF") -> str:
    """A PDF without a usable text layer (``what`` says why, for the quarantine reason when OCR is not
    installed): its pages rendered at DPI and read by OCR."""
    _engine(what)  # fail fast when OCR is not installed
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(raw)
    except Exception as exc:
        raise Unreadable(f"corrupt PDF: {type(exc).__name__}: {exc}"[:300]) from exc
    try:
        n = len(pdf)
        return read_pages((pdf[i].render(scale=DPI / 72).to_pil() for i in range(n)), n)
    finally:
        pdf.close()


def read_image(raw: bytes) -> str:
    """A page image (PNG, JPEG, GIF, TIFF; a multi-page TIFF is one page per frame)."""
    _engine("image file")
    import io

    from PIL import Image, ImageSequence

    try:
        image = Image.open(io.BytesIO(raw))
        n = getattr(image, "n_frames", 1)
        frames = (frame.copy() for frame in ImageSequence.Iterator(image))
        return read_pages(frames, n)
    except Unreadable:
        raise
    except Exception as exc:
        raise Unreadable(f"unreadable image: {type(exc).__name__}: {exc}"[:300]) from exc
