"""A PDF page's characters (with their boxes) and ruling lines from PDFium (pypdfium2's raw bindings).

PDFium parses in C++: the five-page hongze report's characters and paths take ~10-15 ms here where
pdfminer (under pdfplumber) took ~220 ms. Python touches each character once (one bulk text call, one
box call) and each path segment once, through the raw bindings rather than pypdfium2's object wrappers.

Coordinates are returned as pdfplumber gave them: PDF points, ``top`` measured down from the top of the
page. A character's box is PDFium's "loose" box (font ascent to descent, origin to advance), the box
pdfminer gives a character to within a fraction of a point.
"""

from __future__ import annotations

import ctypes
from itertools import pairwise
from typing import NamedTuple

import pypdfium2 as pdfium
from pypdfium2 import raw

from .rulings import Edge


class Char(NamedTuple):
    text: str
    x0: float
    x1: float
    top: float
    bottom: float


UNMAPPED = "(cid:0)"  # a glyph the font cannot map to Unicode, written as pdfminer writes it
_WHITESPACE = frozenset(" \r\n\x00")
_MAX_FORM_DEPTH = 8  # form XObjects inside form XObjects: a hostile file may nest them deeply


class Page(NamedTuple):
    height: float
    chars: list[Char]
    edges: list[Edge]


def page_chars(textpage, top: float) -> list[Char]:
    """The page's characters in content order, without the spaces and line breaks PDFium generates."""
    n = raw.FPDFText_CountChars(textpage)
    if n <= 0:
        return []
    buffer = (ctypes.c_ushort * (n + 1))()
    written = raw.FPDFText_GetText(textpage, 0, n, buffer)
    text = bytes(buffer)[: 2 * max(0, written - 1)].decode("utf-16-le", errors="replace")
    if len(text) != n:  # characters outside the BMP take two UTF-16 units: read them one by one
        text = "".join(chr(raw.FPDFText_GetUnicode(textpage, i) or 0xFFFD) for i in range(n))
    rect = raw.FS_RECTF()
    box = raw.FPDFText_GetLooseCharBox
    generated = raw.FPDFText_IsGenerated
    new = tuple.__new__  # Char(...) without NamedTuple's Python-level __new__: one per character
    chars = []
    index = []
    for i, ch in enumerate(text):
        if ch in _WHITESPACE and generated(textpage, i):
            continue
        if not box(textpage, i, rect):
            continue
        chars.append(new(Char, (ch, rect.left, rect.right, top - rect.top, top - rect.bottom)))
        index.append(i)
    _mark_unmapped(textpage, chars, index)
    return _repair_oversized(textpage, chars, index, top)


_UNMAPPED_STRIDE = 4


def _mark_unmapped(textpage, chars: list[Char], index: list[int]) -> None:
    """Characters the font cannot map to Unicode, written as pdfminer writes them (``(cid:N)``), so the
    reader's cid-code rule applies. Fonts without a map cover runs of text: every fourth character is
    asked, and a page where one is unmapped is asked in full."""
    unmapped = raw.FPDFText_HasUnicodeMapError
    if not any(unmapped(textpage, i) == 1 for i in index[::_UNMAPPED_STRIDE]):
        return
    for k, i in enumerate(index):
        if unmapped(textpage, i) == 1:
            chars[k] = chars[k]._replace(text=UNMAPPED)


_OVERSIZED = 3  # a loose box this many times the page's median height may be a broken one
_INK_RATIO = 8  # ... and is, when it is this many times its glyph's ink box both wide and high


def _repair_oversized(textpage, chars: list[Char], index: list[int], top: float) -> list[Char]:
    """PDFium's loose box takes the font size without the text matrix's scale for some text objects
    (one table of the hongze report: 200 pt boxes for 10 pt characters). A box several times the page's
    median height and many times its glyph's ink box in both directions (a large title's boxes are not:
    the ink fills most of its box at least one way) is rebuilt around the ink box with the median height."""
    if not chars:
        return chars
    heights = sorted(c.bottom - c.top for c in chars)
    typical = heights[len(heights) // 2]
    limit = _OVERSIZED * typical
    if heights[-1] <= limit and all(c.x1 - c.x0 <= limit for c in chars):
        return chars
    left, right, bottom, upper = (ctypes.c_double() for _ in range(4))
    out = []
    for c, i in zip(chars, index):
        width, height = c.x1 - c.x0, c.bottom - c.top
        if (height > limit or width > limit) and raw.FPDFText_GetCharBox(textpage, i, left, right, bottom, upper):
            ink_width, ink_height = right.value - left.value, upper.value - bottom.value
            if width > _INK_RATIO * ink_width and height > _INK_RATIO * ink_height:
                middle = top - (bottom.value + upper.value) / 2
                c = Char(c.text, c.x0, max(right.value, c.x0), middle - typical / 2, middle + typical / 2)
        out.append(c)
    return out


def _subpath_edges(points: list[tuple[float, float]], closed: bool, top: float) -> list[Edge]:
    """Edges of one subpath as pdfminer and pdfplumber see it: a closed axis-aligned four-corner path is a
    rectangle (four sides); any other path gives the horizontal and vertical pieces between its
    consecutive points (control points of curves included, the closing piece not)."""
    if closed and len(points) == 5 and points[4] == points[0]:
        points = points[:4]  # PDFium returns to the start point where the content stream said "h"
    if len(points) == 4 and closed:
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
        if (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0):
            points = [*points, points[0]]
    edges = []
    new = tuple.__new__  # Edge(...) without NamedTuple's Python-level __new__
    for (ax, ay), (bx, by) in pairwise(points):
        if ax == bx:
            edges.append(new(Edge, (True, ax, top - max(ay, by), top - min(ay, by))))
        elif ay == by:
            edges.append(new(Edge, (False, top - ay, min(ax, bx), max(ax, bx))))
    return edges


def _path_edges(obj, matrix: Matrix, top: float) -> list[Edge]:
    a, b, c, d, e, f = matrix
    x, y = ctypes.c_float(), ctypes.c_float()
    get_segment, get_point, get_type = raw.FPDFPath_GetPathSegment, raw.FPDFPathSegment_GetPoint, raw.FPDFPathSegment_GetType
    MOVETO = raw.FPDF_SEGMENT_MOVETO
    edges: list[Edge] = []
    points: list[tuple[float, float]] = []
    segment = previous = None
    for k in range(raw.FPDFPath_CountSegments(obj)):
        previous, segment = segment, get_segment(obj, k)
        if points and get_type(segment) == MOVETO:
            edges += _subpath_edges(points, bool(raw.FPDFPathSegment_GetClose(previous)), top)
            points = []
        get_point(segment, x, y)
        px, py = x.value, y.value
        points.append((a * px + c * py + e, b * px + d * py + f))
    if points:
        edges += _subpath_edges(points, bool(raw.FPDFPathSegment_GetClose(segment)), top)
    return edges


Matrix = tuple[float, float, float, float, float, float]  # PDF transformation (a, b, c, d, e, f)
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _compose(inner: Matrix, outer: Matrix) -> Matrix:
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _matrix(obj, m: raw.FS_MATRIX) -> Matrix:
    if not raw.FPDFPageObj_GetMatrix(obj, m):
        return _IDENTITY
    return (m.a, m.b, m.c, m.d, m.e, m.f)


class Unmeasured(Exception):
    """PDFium has no glyph boxes for some of the page's text (a font it cannot load, typically a CJK font
    the PDF names but does not embed): its text page then drops or merges those characters."""


def page_edges(page, top: float) -> list[Edge]:
    """Horizontal and vertical edges of the page's path objects (those in form XObjects included).
    Raises Unmeasured when a text object has an empty box."""
    edges: list[Edge] = []
    m = raw.FS_MATRIX()
    left, bottom, right, upper = (ctypes.c_float() for _ in range(4))
    get_type, get_bounds = raw.FPDFPageObj_GetType, raw.FPDFPageObj_GetBounds
    TEXT, PATH, FORM = raw.FPDF_PAGEOBJ_TEXT, raw.FPDF_PAGEOBJ_PATH, raw.FPDF_PAGEOBJ_FORM
    stack = [(page, raw.FPDFPage_CountObjects(page), raw.FPDFPage_GetObject, _IDENTITY, 0)]
    while stack:
        parent, count, get, outer, depth = stack.pop()
        for i in range(count):
            obj = get(parent, i)
            kind = get_type(obj)
            if kind == TEXT:
                if (
                    not get_bounds(obj, left, bottom, right, upper)
                    or right.value - left.value < 0.01
                    or upper.value - bottom.value < 0.01
                ):
                    raise Unmeasured
            elif kind == PATH:
                matrix = _matrix(obj, m)
                edges += _path_edges(obj, matrix if outer is _IDENTITY else _compose(matrix, outer), top)
            elif kind == FORM and depth < _MAX_FORM_DEPTH:
                inner = _compose(_matrix(obj, m), outer)
                stack.append((obj, raw.FPDFFormObj_CountObjects(obj), raw.FPDFFormObj_GetObject, inner, depth + 1))
    return edges


def open_pdf(data: bytes) -> pdfium.PdfDocument:
    return pdfium.PdfDocument(data)


def read_page(pdf: pdfium.PdfDocument, index: int) -> Page:
    page = pdf[index]
    try:
        _, bottom, _, top = page.get_mediabox()
        textpage = page.get_textpage()
        try:
            chars = page_chars(textpage.raw, top)
        finally:
            textpage.close()
        return Page(top - bottom, chars, page_edges(page.raw, top))
    finally:
        page.close()
