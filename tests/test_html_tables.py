"""Plain HTML tables are read from the page's text (``readers/html_plain.py``) exactly as the tree walk
reads them: each page here is read both ways, the shortcut switched off for the second."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from gi_pipeline.cells import GRID_SEP
from gi_pipeline.readers import Unreadable, html, html_plain

TABLE = ('<table border="1" cellspacing="0">\n<tr><td colspan="3">第二十条第（一）项</td></tr>\n'
         "<tr><td>信息内容</td><td>本年制发件数</td><td>现行有效件 数</td></tr>\n"
         "<tr><td>规章</td><td>0</td><td>4</td></tr>\n</table>")


def _page(body: str) -> bytes:
    return (f"<html><head><meta charset='utf-8'><title>某局2023年政府信息公开工作年度报告</title></head>"
            f"<body><p>一、总体情况</p>{body}<p>结尾</p></body></html>").encode()


@pytest.fixture
def walk_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``read_html`` without the shortcut, inside the ``with``."""
    def read(raw: bytes) -> str:
        with monkeypatch.context() as patch:
            patch.setattr(html_plain, "take_tables", lambda text: (text, {}))
            return html.read_html(raw)
    yield read  # type: ignore[misc]


def test_a_plain_table_is_taken_from_the_text_and_reads_as_its_tree(walk_only) -> None:
    page = _page(TABLE)
    taken, tables = html_plain.take_tables(html.decode_html(page))
    assert list(tables) == ["0"] and "规章" not in taken
    lines = html.read_html(page).splitlines()
    assert lines[2:5] == ["第二十条第（一）项", GRID_SEP.join(["信息内容", "本年制发件数", "现行有效件 数"]),
                          GRID_SEP.join(["规章", "0", "4"])]
    assert html.read_html(page) == walk_only(page)


# Where text that looks like a table is no table for libxml2, or not a plain one: the page reads as
# its tree does whichever way the shortcut goes.
ODD_PLACES = {
    "comment": f"<!-- {TABLE} -->",
    "script": f"<script>var t = '{TABLE}';</script>",
    "attribute": f"<div title='{TABLE}'>d</div>",
    "textarea": f"<textarea>{TABLE}</textarea>",
    "hidden": f"<div style='display:none'>{TABLE}</div>",
    "navigation": f"<nav>{TABLE}</nav>",
    "in a paragraph": f"<p>前{TABLE}后</p>",
    "in a layout table": f"<table><tr><td>{TABLE}</td><td>x</td></tr></table>",
    "nested 2,046 deep": "<div>" * 2046 + TABLE + "</div>" * 2046,
    "a reference in a cell": TABLE.replace("规章", "规&amp;章"),
    "a tag in a cell": TABLE.replace("规章", "<b>规章</b>"),
    "an unclosed cell": TABLE.replace("<td>规章</td>", "<td>规章"),
    "upper-case tags": TABLE.replace("<td>0</td>", "<TD>0</TD>"),
    "a repeated attribute": TABLE.replace('colspan="3"', 'colspan="3" colspan="1"'),
    "a rowspan": TABLE.replace("<td>规章</td>", '<td rowspan="2">规章</td>'),
    "a tbody": TABLE.replace("\n<tr>", "<tbody><tr>", 1).replace("\n</table>", "</tbody></table>"),
    "one cell": "<table><tr><td>一个格</td></tr></table>",
    "a page-long cell": TABLE.replace("规章", "长" * 300),
    "the shortcut's mark": TABLE.replace("<table", f"<table {html_plain.MARK}='0'"),
}


@pytest.mark.parametrize("where", ODD_PLACES)
def test_odd_places_read_as_the_tree_reads_them(where: str, walk_only) -> None:
    page = _page(ODD_PLACES[where])
    assert html.read_html(page) == walk_only(page)


def _near_plain_page(rn: random.Random) -> str:
    def cell() -> str:
        attrs = rn.choice(["", "", "", ' colspan="2"', " colspan=3", ' rowspan="2"', ' width="50"', " nowrap",
                           ' colspan="0"', ' colspan=""'])
        text = rn.choice(["", " ", "规章", "13", " 5 ", "a b", "x\ny", "\u3000", "7"] if rn.random() < 0.97 else
                         ["长" * 210, "a&amp;b", "<b>粗</b>"])
        return rn.choice(["", "\n", " "]) + f"<td{attrs}>{text}</td>"

    def table() -> str:
        rows = "".join(f"<tr>{''.join(cell() for _ in range(rn.choice([0, 1, 2, 3, 5])))}</tr>{rn.choice(['', chr(10)])}"
                       for _ in range(rn.choice([0, 1, 2, 4, 7])))
        if rn.random() < 0.2:
            rows = f"<tbody>{rows}</tbody>"
        return f"<table{rn.choice(['', ' border=1', ' class=nav'])}>{rows}</table>"

    places = ["{}", "{}", "{}", "<p>x{}</p>", "<!--{}-->", "<div hidden title='{}'>t</div>", "<li>{}"]
    return "".join(rn.choice(places).format(table()) if rn.random() < 0.7 else f"<p>{rn.random()}</p>"
                   for _ in range(rn.randint(1, 5)))


def test_near_plain_pages_read_as_the_tree_reads_them(walk_only) -> None:
    rn = random.Random(14)
    pages = [_page(_near_plain_page(rn)) for _ in range(300)]
    assert all(html.read_html(page) == walk_only(page) for page in pages)
    taken = sum(len(html_plain.take_tables(html.decode_html(page))[1]) for page in pages)
    assert taken >= len(pages) // 2  # the shortcut is exercised


def test_tables_at_the_recursion_limit_read_as_the_tree_reads_them(walk_only) -> None:
    # Layout tables nested ~330 deep take the walk to Python's recursion limit: reading the innermost
    # table's cells (a few frames) is where the walk of the page as it is gives up and the page is read
    # flattened; the shortcut must give up at the same depth.
    def outcome(read, page: bytes) -> str:  # type: ignore[no-untyped-def]
        try:
            return read(page)
        except Unreadable as exc:
            return f"refused: {exc}"

    def with_shortcut(page: bytes) -> str:  # as deep a stack as walk_only's
        return html.read_html(page)

    outcomes = set()
    for depth in range(240, 360, 2):
        page = _page("<table><tr><td>" * depth + TABLE + "</td></tr></table>" * depth)
        outcomes.add(outcome(with_shortcut, page)[:8])
        assert outcome(with_shortcut, page) == outcome(walk_only, page), depth
    assert "refused:" in outcomes and len(outcomes) > 1  # the limit is inside the range
