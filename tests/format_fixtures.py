"""Seed reports rebuilt as real HTML, DOCX and PDF files, the way publishers make them.

A seed's pipe-table text is the flattened print of a real table: rows whose merged label cells were printed
once and padded with empty fields. ``seed_blocks`` rebuilds the table with its merges — table 二 cells
widened to the table's width, table 三's label hierarchy as rowspans (三、本年度办理结果 over twenty
rows, (三)不予公开 over its eight), table 四's two-level header — and the renderers write it with
python-docx (merged cells), reportlab (the built-in CJK font STSong-Light, SPAN cells, running header
and page-number footer) and plain HTML (rowspan/colspan, plus scripts, styles and navigation to drop).
Built at test time: no binary fixture is committed.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from gi_pipeline.cells import VALUE, classify

_TOP = re.compile(r"^[一二三四五六七八九十]+、")
_MID = re.compile(r"^[(（][一二三四五六七八九十]+[)）]")
_LEAF = re.compile(r"^\d+[.．]")
_REQUEST_VALUES = 7  # applicant columns of table 三


@dataclass(frozen=True)
class Cell:
    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1


@dataclass(frozen=True)
class Table:
    cells: tuple[Cell, ...]
    n_rows: int
    n_cols: int
    widths: tuple[float, ...]  # relative column widths for the PDF


Block = str | Table


def _fields(line: str) -> list[str]:
    fields = [f.strip() for f in line.strip().strip("|").split("|")]
    while fields and not fields[-1]:
        fields.pop()  # padding of the text print
    return fields


def _is_number(field: str) -> bool:
    return classify(field.replace(" ", "")) == VALUE


def _generic(rows: list[list[str]]) -> Table:
    """Table 二: every row's last cell widened to the table's width (第二十条第(一)项 over all columns)."""
    width = max(len(r) for r in rows)
    cells = []
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            colspan = width - c if c == len(row) - 1 else 1
            cells.append(Cell(text, r, c, 1, colspan))
    return Table(tuple(cells), len(rows), width, (3,) + (2,) * (width - 1))


def _requests(rows: list[list[str]]) -> Table:
    """Table 三 as the 2019/2021 templates print it: 3 label columns, 7 applicant columns."""
    first_body = next(i for i, row in enumerate(rows) if any(_is_number(f) for f in row))
    head, body = rows[:first_body], rows[first_body:]
    assert [len(r) for r in head] == [2, 3, 5], head
    cells = [
        Cell(head[0][0], 0, 0, 3, 3), Cell(head[0][1], 0, 3, 1, 7),
        Cell(head[1][0], 1, 3, 2, 1), Cell(head[1][1], 1, 4, 1, 5), Cell(head[1][2], 1, 9, 2, 1),
        *(Cell(text, 2, 4 + k) for k, text in enumerate(head[2])),
    ]
    labels = []
    for row in body:
        n = next(i for i, f in enumerate(row) if _is_number(f))
        labels.append(row[:n])

    def run(start: int, stop_at: re.Pattern, *more: re.Pattern) -> int:
        """Rows from start until the next row whose first label matches one of the patterns."""
        k = start + 1
        while k < len(body) and not any(p.match(labels[k][0]) for p in (stop_at, *more)):
            k += 1
        return k - start

    for i, row in enumerate(body):
        r = len(head) + i
        values = row[len(labels[i]) :]
        for text in labels[i]:
            if _TOP.match(text):
                only = len(labels[i]) == 1
                cells.append(Cell(text, r, 0, 1 if only else run(i, _TOP), 3 if only else 1))
            elif _MID.match(text):
                has_leaf = any(_LEAF.match(t) for t in labels[i])
                cells.append(Cell(text, r, 1, run(i, _MID, _TOP) if has_leaf else 1, 1 if has_leaf else 2))
            else:
                cells.append(Cell(text, r, 2))
        for k, text in enumerate(values):
            last = k == len(values) - 1
            cells.append(Cell(text, r, 3 + k, 1, _REQUEST_VALUES - k if last else 1))
    return Table(tuple(cells), len(rows), 3 + _REQUEST_VALUES, (2.2, 2.2, 5) + (1.1,) * _REQUEST_VALUES)


def _review(rows: list[list[str]]) -> Table:
    """Table 四: 行政复议 over 5 columns, 行政诉讼 over 10, the five review headers over two rows."""
    assert [len(r) for r in rows[:3]] == [2, 7, 10], rows[:3]
    cells = [Cell(rows[0][0], 0, 0, 1, 5), Cell(rows[0][1], 0, 5, 1, 10)]
    cells += [Cell(text, 1, c, 2, 1) for c, text in enumerate(rows[1][:5])]
    cells += [Cell(rows[1][5], 1, 5, 1, 5), Cell(rows[1][6], 1, 10, 1, 5)]
    cells += [Cell(text, 2, 5 + c) for c, text in enumerate(rows[2])]
    for r, row in enumerate(rows[3:], start=3):
        cells += [Cell(text, r, c) for c, text in enumerate(row)]
    return Table(tuple(cells), len(rows), 15, (1,) * 15)


def _table(rows: list[list[str]]) -> Table:
    if rows[0] and rows[0][0].startswith(("行政复议", "行政復議")):
        return _review(rows)
    if any(_TOP.match(row[0]) for row in rows if row) and any(_is_number(f) for row in rows for f in row):
        if any(len(row) >= 7 for row in rows):
            return _requests(rows)
    return _generic(rows)


def seed_blocks(text: str) -> list[Block]:
    """Paragraphs and rebuilt tables of a pipe-layout seed, in order."""
    blocks: list[Block] = []
    rows: list[list[str]] = []
    for line in text.splitlines():
        if "|" in line:
            rows.append(_fields(line))
            continue
        if rows:
            blocks.append(_table(rows))
            rows = []
        if line.strip():
            blocks.append(line.strip())
    if rows:
        blocks.append(_table(rows))
    return blocks


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


def _html_table(table: Table) -> str:
    out = ['<table border="1" cellspacing="0" style="border-collapse:collapse">']
    for r in range(table.n_rows):
        out.append("<tr>")
        for cell in sorted((c for c in table.cells if c.row == r), key=lambda c: c.col):
            attrs = (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "") + (
                f' colspan="{cell.colspan}"' if cell.colspan > 1 else ""
            )
            # Publishers wrap cell text in <p> and break header labels with <br>; empty cells hold &nbsp;.
            body = "<br/>".join(html.escape(part) for part in cell.text.split(" ")) if cell.text else "&nbsp;"
            out.append(f'<td{attrs} style="width:40px"><p align="center">{body}</p></td>')
        out.append("</tr>")
    out.append("</table>")
    return "\n".join(out)


def to_html(blocks: list[Block], charset: str = "utf-8", layout: bool = False) -> bytes:
    """A portal page: head with meta charset, script and style, a navigation menu and a footer around
    the article (all of which the reader must drop). ``layout``: the old-portal way, the whole page laid
    out in an outer table whose cell holds the article and its data tables."""
    title = next((b for b in blocks if isinstance(b, str) and ("报告" in b or "報告" in b)), "年度报告")
    parts = [
        "<!DOCTYPE html>",
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">',
        f"<title>{html.escape(title)}_政府信息公开专栏</title>",
        "<style>td { border: 1px solid #000 } .x{}</style>",
        '<script type="text/javascript">var s = "一、总体情况 | 1 | 2 |"; document.write(s);</script>',
        "</head><body>",
        '<div class="nav"><ul><li><a href="/">网站地图</a></li><li><a href="/zwgk">政府信息公开</a></li></ul></div>',
        '<table width="100%"><tr><td valign="top">' if layout else "",
        '<div class="article">',
    ]
    for block in blocks:
        if isinstance(block, Table):
            parts.append(_html_table(block))
        elif block.startswith("当前位置"):  # the breadcrumb a text export kept
            parts.append(f'<div class="breadcrumb">{html.escape(block)}</div>')
        else:
            parts.append(f"<p>{html.escape(block)}</p>")
    parts.append("</div></td></tr></table>" if layout else "</div>")
    parts += ['<div id="footer">主办单位:人民政府办公室 版权所有 2025</div>', "</body></html>"]
    return "\n".join(parts).encode(charset)


# --------------------------------------------------------------------------------------------
# DOCX (python-docx, merged cells)
# --------------------------------------------------------------------------------------------


def to_docx(blocks: list[Block], path: Path) -> Path:
    import docx

    document = docx.Document()
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
            continue
        table = document.add_table(rows=block.n_rows, cols=block.n_cols)
        table.style = "Table Grid"
        for cell in block.cells:
            target = table.cell(cell.row, cell.col)
            if cell.rowspan > 1 or cell.colspan > 1:
                target = target.merge(table.cell(cell.row + cell.rowspan - 1, cell.col + cell.colspan - 1))
            target.text = cell.text
    document.save(str(path))
    return path


# --------------------------------------------------------------------------------------------
# PDF (reportlab, built-in CJK CID font)
# --------------------------------------------------------------------------------------------

FONT = "STSong-Light"


def split_table(table: Table, at: int, repeat_header: int = 0) -> tuple[Table, Table]:
    """The table as Word prints it over a page break before row ``at``: a merged cell cut by the break
    keeps its text on the first page and continues as an empty merged cell on the next; the first
    ``repeat_header`` rows are repeated on the next page ("repeat as header row")."""
    first, second = [], [c for c in table.cells if c.row < repeat_header]
    for c in table.cells:
        if c.row + c.rowspan <= at:
            first.append(c)
        elif c.row < at:  # cut by the page break
            first.append(Cell(c.text, c.row, c.col, at - c.row, c.colspan))
            second.append(Cell("", repeat_header, c.col, c.row + c.rowspan - at, c.colspan))
        else:
            second.append(Cell(c.text, c.row - at + repeat_header, c.col, c.rowspan, c.colspan))
    n = table.n_rows - at + repeat_header
    return Table(tuple(first), at, table.n_cols, table.widths), Table(tuple(second), n, table.n_cols, table.widths)


def scanned_pdf() -> bytes:
    """A PDF as a scanner makes it: one page image, no text layer."""
    import io

    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("L", (400, 560), 255)
    ImageDraw.Draw(image).rectangle((40, 40, 360, 120), outline=0, width=3)
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
    page.showPage()
    page.save()
    return out.getvalue()


def to_pdf(blocks: list[Block], path: Path, running_header: str = "", break_requests_at: int | None = None) -> Path:
    """``break_requests_at``: put a page break inside table 三 before that row, as Word does when the
    table runs over a page (its three header rows repeated)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as RLTable

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK")
    cell_style = ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=10, wordWrap="CJK", alignment=1)
    doc = SimpleDocTemplate(str(path), pagesize=A4, title=running_header)

    def page_furniture(canvas, doc) -> None:  # the running header and the page number footer
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawCentredString(A4[0] / 2, A4[1] - 36, running_header)
        canvas.drawCentredString(A4[0] / 2, 30, f"- {doc.page} -")
        canvas.restoreState()

    def table_flowables(block: Table) -> list:
        if break_requests_at is None or block.n_cols != 3 + _REQUEST_VALUES:
            return [rl_table(block)]
        first, second = split_table(block, break_requests_at, repeat_header=3)
        return [rl_table(first), PageBreak(), rl_table(second)]

    def rl_table(block: Table) -> RLTable:
        data: list[list[object]] = [[""] * block.n_cols for _ in range(block.n_rows)]
        style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        for cell in block.cells:
            data[cell.row][cell.col] = Paragraph(html.escape(cell.text), cell_style)
            if cell.rowspan > 1 or cell.colspan > 1:
                end = (cell.col + cell.colspan - 1, cell.row + cell.rowspan - 1)
                style.append(("SPAN", (cell.col, cell.row), end))
        total = sum(block.widths)
        widths = [doc.width * w / total for w in block.widths]
        return RLTable(data, colWidths=widths, style=TableStyle(style))

    flow = []
    for block in blocks:
        if isinstance(block, str):
            flow.append(Paragraph(html.escape(block), body))
        else:
            flow += [*table_flowables(block), Spacer(1, 6)]
    doc.build(flow, onFirstPage=page_furniture, onLaterPages=page_furniture)
    return path


# --------------------------------------------------------------------------------------------
# The official template as Word writes it (raw OOXML), and HTML pasted without its spans
# --------------------------------------------------------------------------------------------


def word_template_table(table: Table) -> Table:
    """The table as Word's copy of the official template lays it out: the last column of tables 二, 三, 四
    drawn over more grid columns than its data cells use (cell borders that do not line up across rows
    give Word extra narrow grid columns), so each data row ends in empty cells; table 四 under two
    header rows (行政复议 and each 行政诉讼 proceeding over its five outcome headers)."""
    if table.n_cols == 15:  # table 四: rebuild its header as two rows
        head = sorted((c for c in table.cells if c.row < 3), key=lambda c: (c.row, c.col))
        review, litigation = head[0].text, head[1].text
        outcomes = [c.text for c in head if c.row == 1][:5]
        proceedings = [c.text for c in head if c.row == 1][5:]
        cells = [Cell(review, 0, 0, 1, 5)]
        cells += [Cell(f"{litigation}({p})", 0, 5 + 5 * k, 1, 5) for k, p in enumerate(proceedings)]
        cells += [Cell(o, 1, c) for c, o in enumerate(outcomes * 3)]
        cells += [Cell(c.text, c.row - 1, c.col, c.rowspan, c.colspan) for c in table.cells if c.row >= 3]
        table = Table(tuple(cells), table.n_rows - 1, 15, table.widths)
    if table.n_cols not in (4, 15, 3 + _REQUEST_VALUES):  # table 二, 四, 三
        return table
    extra, last = 2, table.n_cols - 1
    cells = []
    for c in table.cells:
        if c.col + c.colspan - 1 == last and not _is_number(c.text) and c.text:
            cells.append(Cell(c.text, c.row, c.col, c.rowspan, c.colspan + extra))  # a header: over the extras
        else:
            cells.append(c)
            if c.col + c.colspan - 1 == last:  # a data row: its extra grid columns are empty cells
                cells += [Cell("", c.row, table.n_cols + k) for k in range(extra)]
    return Table(tuple(cells), table.n_rows, table.n_cols + extra, table.widths + (0.2,) * extra)


def _ooxml_table(table: Table) -> str:
    """gridSpan for a horizontal merge, vMerge restart/continue for a vertical one, one <w:tc> per
    merged cell per row, as Word writes them."""
    def esc(text: str) -> str:
        return html.escape(text, quote=False)

    starts = {(c.row, c.col): c for c in table.cells}
    below = {(r, c.col): c for c in table.cells for r in range(c.row + 1, c.row + c.rowspan)}
    out = ["<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/></w:tblPr><w:tblGrid>"]
    out += ['<w:gridCol w:w="600"/>'] * table.n_cols
    out.append("</w:tblGrid>")
    for r in range(table.n_rows):
        out.append("<w:tr>")
        col = 0
        while col < table.n_cols:
            cell, continued = starts.get((r, col)), False
            if cell is None:
                cell, continued = below.get((r, col)), True
            if cell is None:
                col += 1
                continue
            props = f'<w:gridSpan w:val="{cell.colspan}"/>' if cell.colspan > 1 else ""
            if cell.rowspan > 1 or continued:
                props += "<w:vMerge/>" if continued else '<w:vMerge w:val="restart"/>'
            text = "" if continued else "".join(
                f"<w:r><w:t>{esc(part)}</w:t></w:r>" + ("<w:r><w:br/></w:r>" if k < len(cell.text.split(" ")) - 1 else "")
                for k, part in enumerate(cell.text.split(" "))
            )
            out.append(f"<w:tc><w:tcPr>{props}</w:tcPr><w:p>{text}</w:p></w:tc>")
            col += cell.colspan
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def to_word_template_docx(blocks: list[Block]) -> bytes:
    """A DOCX package written straight as OOXML, tables laid out as ``word_template_table`` does."""
    import io
    import zipfile

    body = []
    for block in blocks:
        if isinstance(block, Table):
            body.append(_ooxml_table(word_template_table(block)))
        else:
            body.append(f"<w:p><w:r><w:t>{html.escape(block, quote=False)}</w:t></w:r></w:p>")
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        + "".join(body)
        + "</w:body></w:document>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
        ' Target="word/document.xml"/>'
        "</Relationships>"
    )
    types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml"'
        ' ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        "</Types>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", types)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("word/document.xml", document)
    return out.getvalue()


def _html_table_without_spans(table: Table) -> str:
    """Each cell once, in the row where it starts, with no rowspan or colspan: a parent label shares its
    first sub-row's <tr> and the sub-rows after it are one cell shorter."""
    out = ["<table border=\"1\">"]
    for r in range(table.n_rows):
        cells = sorted((c for c in table.cells if c.row == r), key=lambda c: c.col)
        out.append("<tr>" + "".join(f"<td>{html.escape(c.text) or '&nbsp;'}</td>" for c in cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def to_html_without_spans(blocks: list[Block]) -> bytes:
    parts = ["<html><head><meta charset=\"utf-8\"></head><body>"]
    for block in blocks:
        parts.append(_html_table_without_spans(block) if isinstance(block, Table) else f"<p>{html.escape(block)}</p>")
    parts.append("</body></html>")
    return "\n".join(parts).encode("utf-8")
