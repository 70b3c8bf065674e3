"""The text of a paged document (PDF text layer, OCR'd pages) with a page marker line
(``provenance.page_marker``) before the first line of each page after the first, for the facts' provenance.

A table joined over a page break is rendered page by page: the rows printed on each page after that page's
marker (a cell spanning rows over the break is clipped to each part, and ``grid.render`` repeats a vertical
span on every row it covers anyway, so the rows read as in the whole table).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..provenance import page_marker
from . import grid


def rows_between(cells: Sequence[grid.Placed], lo: int, hi: int) -> list[grid.Placed]:
    """The cells of rows ``lo`` to ``hi`` (a cell spanning rows clipped to them)."""
    out = []
    for c in cells:
        top, bottom = max(c.row, lo), min(c.row + max(1, c.rowspan), hi)
        if top < bottom:
            out.append(grid.Placed(c.text, top, c.col, bottom - top, c.colspan))
    return out


class PagedLines:
    """Lines added page by page (pages in order, 1-based), a marker line written when a page after the
    first gets its first line (and for any page skipped on the way, so markers are numbered in order)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.page = 1

    def add(self, lines: list[str], page: int) -> None:
        if lines and page > self.page:
            self.lines += [page_marker(p) for p in range(self.page + 1, page + 1)]
            self.page = page
        self.lines += lines

    def table(self, cells: Sequence[grid.Placed], n_rows: int, pages: Sequence[tuple[int, int]]) -> None:
        """A table's grid rows; ``pages``: (first row, page) of each page it runs over, in order."""
        if len(pages) < 2:
            self.add(grid.render(cells), pages[0][1] if pages else self.page)
            return
        bounds = [row for row, _page in pages[1:]] + [n_rows]
        for (row, page), end in zip(pages, bounds):
            self.add(grid.render(rows_between(cells, row, end)), page)
