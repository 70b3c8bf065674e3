"""Ruling lines of a PDF page → the cells of its ruled tables (pdfplumber's "lines" table finder, written
once and small so the PDFium reader finds the same tables as the pdfplumber one did).

Coordinates are PDF points with the origin at the top-left (``top`` grows downwards). An edge is a
horizontal or vertical segment: a side of a rectangle or a straight piece of a path. The steps and their
tolerances are pdfplumber's defaults (``TableSettings``): edges within 3 pt of one line are snapped to
their mean, collinear pieces less than 3 pt apart are joined, edges shorter than 3 pt dropped; a vertex is
where a vertical and a horizontal edge meet within 3 pt; a cell is the smallest rectangle of four
vertices connected by edges; cells sharing a corner form one table, and a table needs two cells.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

SNAP = 3.0
JOIN = 3.0
MIN_LENGTH = 3.0
PREFILTER_LENGTH = 1.0
INTERSECTION = 3.0

Box = tuple[float, float, float, float]  # x0, top, x1, bottom


class Edge(NamedTuple):
    vertical: bool
    at: float  # x of a vertical edge, top of a horizontal one
    start: float  # top of a vertical edge, x0 of a horizontal one
    end: float


def clusters(values: Iterable[float], tolerance: float) -> dict[float, int]:
    """Each distinct value → its cluster: sorted values less than ``tolerance`` apart chain into one."""
    out: dict[float, int] = {}
    last = None
    k = -1
    for x in sorted(set(values)):
        if last is None or x > last + tolerance:
            k += 1
        out[x] = k
        last = x
    return out


def merge_edges(edges: Iterable[Edge]) -> list[Edge]:
    """Per orientation: edges snapped to the mean position of their cluster, then collinear pieces that
    overlap or are less than JOIN apart joined; short edges dropped before and after."""
    by_orientation: dict[bool, list[Edge]] = {True: [], False: []}
    for e in edges:
        if e.end - e.start >= PREFILTER_LENGTH:
            by_orientation[e.vertical].append(e)
    out: list[Edge] = []
    for vertical, group in by_orientation.items():
        cluster = clusters((e.at for e in group), SNAP)
        sums: dict[int, list[float]] = {}
        for e in group:
            total = sums.setdefault(cluster[e.at], [0.0, 0])
            total[0] += e.at
            total[1] += 1
        mean = {k: total / n for k, (total, n) in sums.items()}
        at: float | None = None  # no edge open yet
        start = end = 0.0
        for e_at, e_start, e_end in sorted((mean[cluster[e.at]], e.start, e.end) for e in group):
            if e_at == at and e_start <= end + JOIN:
                end = max(end, e_end)
                continue
            if at is not None and end - start >= MIN_LENGTH:
                out.append(Edge(vertical, at, start, end))
            at, start, end = e_at, e_start, e_end
        if at is not None and end - start >= MIN_LENGTH:
            out.append(Edge(vertical, at, start, end))
    return out


def _intersections(edges: list[Edge]) -> dict[tuple[float, float], tuple[set[int], set[int]]]:
    """Vertex (x, top) → (ids of the vertical edges through it, ids of the horizontal ones)."""
    verticals = sorted((e.at, e.start, k) for k, e in enumerate(edges) if e.vertical)
    horizontals = sorted((e.at, e.start, k) for k, e in enumerate(edges) if not e.vertical)
    out: dict[tuple[float, float], tuple[set[int], set[int]]] = {}
    t = INTERSECTION
    for x, top, kv in verticals:
        bottom = edges[kv].end
        for y, x0, kh in horizontals:
            if top <= y + t and bottom >= y - t and x >= x0 - t and x <= edges[kh].end + t:
                v, h = out.setdefault((x, y), (set(), set()))
                v.add(kv)
                h.add(kh)
    return out


def _cells(vertices: dict[tuple[float, float], tuple[set[int], set[int]]]) -> list[Box]:
    """For each vertex, the smallest cell it is the top-left corner of (pdfplumber's search order)."""

    def connects(p: tuple[float, float], q: tuple[float, float]) -> bool:
        if p[0] == q[0] and vertices[p][0] & vertices[q][0]:
            return True
        return p[1] == q[1] and bool(vertices[p][1] & vertices[q][1])

    points = sorted(vertices)
    by_x: dict[float, list[tuple[float, float]]] = {}
    by_y: dict[float, list[tuple[float, float]]] = {}
    for p in points:
        by_x.setdefault(p[0], []).append(p)
        by_y.setdefault(p[1], []).append(p)
    # The vertices below and right of each: later in its column and its row (both sorted).
    in_column = {p: k for column in by_x.values() for k, p in enumerate(column)}
    in_row = {p: k for row in by_y.values() for k, p in enumerate(row)}
    cells = []
    for pt in points:
        below = by_x[pt[0]][in_column[pt] + 1 :]
        right = by_y[pt[1]][in_row[pt] + 1 :]
        found = None
        for b in below:
            if not connects(pt, b):
                continue
            for r in right:
                if not connects(pt, r):
                    continue
                corner = (r[0], b[1])
                if corner in vertices and connects(corner, r) and connects(corner, b):
                    found = (pt[0], pt[1], corner[0], corner[1])
                    break
            if found:
                break
        if found:
            cells.append(found)
    return cells


def _corners(cell: Box) -> tuple[tuple[float, float], ...]:
    x0, top, x1, bottom = cell
    return ((x0, top), (x0, bottom), (x1, top), (x1, bottom))


def _group(cells: list[Box]) -> list[list[Box]]:
    """Cells connected through shared corners, as tables, top to bottom; a lone cell is no table.
    (pdfplumber sweeps the remaining cells until none joins; the groups are these connected components.)"""
    by_corner: dict[tuple[float, float], list[int]] = {}
    for k, cell in enumerate(cells):
        for corner in _corners(cell):
            by_corner.setdefault(corner, []).append(k)
    seen = [False] * len(cells)
    tables: list[list[Box]] = []
    for start in range(len(cells)):
        if seen[start]:
            continue
        seen[start] = True
        group, todo = [], [start]
        while todo:
            k = todo.pop()
            group.append(cells[k])
            for corner in _corners(cells[k]):
                for other in by_corner[corner]:
                    if not seen[other]:
                        seen[other] = True
                        todo.append(other)
        if len(group) > 1:
            tables.append(group)
    tables.sort(key=lambda t: min((c[1], c[0]) for c in t))
    return tables


def table_rows(cells: list[Box]) -> list[list[Box | None]]:
    """A table's cells as rows (by top) over its distinct left edges; None where a merged cell covers."""
    lefts = sorted({c[0] for c in cells})
    rows: dict[float, dict[float, Box]] = {}
    for cell in sorted(cells, key=lambda c: (c[1], c[0])):
        rows.setdefault(cell[1], {})[cell[0]] = cell
    return [[row.get(x) for x in lefts] for _, row in sorted(rows.items())]


def find_tables(edges: Iterable[Edge]) -> list[list[Box]]:
    """The cell boxes of each ruled table on a page, tables top to bottom."""
    merged = merge_edges(edges)
    if not merged:
        return []
    return _group(_cells(_intersections(merged)))
