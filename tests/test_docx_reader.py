"""The DOCX reader prints what Word shows: hidden runs, deletions, field codes and fallback copies add
nothing, and the wrappers Word puts around text (hyperlinks, insertions, content controls) change nothing,
in a table cell as in a paragraph. (The reader reads plain tables by a shortcut and anything else by the
general walk: each variant here takes the other path from the plain document, so both must agree.)"""

from __future__ import annotations

import io
import zipfile

import pytest

from gi_pipeline.cells import GRID_SEP
from gi_pipeline.readers.docx import read_docx

_NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
       'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"')


def _run(text: str) -> str:
    return f"<w:r><w:t>{text}</w:t></w:r>"


# What Word does not print, put before (``props``) or after (``extra``) the text run of a paragraph.
NOT_PRINTED = {
    "hidden run": ("", "<w:r><w:rPr><w:b/><w:vanish/></w:rPr><w:t>99</w:t></w:r>"),
    "deletion": ("", "<w:del><w:r><w:delText>99</w:delText></w:r></w:del>"),
    "moved away": ("", "<w:moveFrom><w:r><w:t>99</w:t></w:r></w:moveFrom>"),
    "field code": ("", '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE 99 </w:instrText></w:r>'
                   '<w:r><w:fldChar w:fldCharType="end"/></w:r>'),
    "fallback copy": ("", "<w:r><mc:AlternateContent><mc:Choice/><mc:Fallback><w:t>99</w:t></mc:Fallback>"
                      "</mc:AlternateContent></w:r>"),
    "tab stops and a hidden paragraph mark": (
        '<w:pPr><w:tabs><w:tab w:val="left" w:pos="420"/></w:tabs><w:rPr><w:vanish/></w:rPr></w:pPr>', ""),
    "bookmark and proofing marks": ("", '<w:bookmarkStart w:id="0" w:name="a"/><w:proofErr w:type="spellStart"/>'
                                    '<w:bookmarkEnd w:id="0"/>'),
}
# The text run wrapped as Word wraps it: read as the bare run.
WRAPPED = {
    "hyperlink": "<w:hyperlink>{}</w:hyperlink>",
    "tracked insertion": "<w:ins>{}</w:ins>",
    "content control": "<w:sdt><w:sdtPr/><w:sdtContent>{}</w:sdtContent></w:sdt>",
    "smart tag": "<w:smartTag>{}</w:smartTag>",
}


def _document(first_cell: str, heading: str) -> bytes:
    """A heading paragraph and a 3x3 table; the paragraph of the table's second-row label cell is
    ``first_cell``."""
    rows = [["项目", "本年新制作数量", "本年新公开数量"], [None, "12", "3"], ["规范性文件", "4", "5"]]
    body = [heading, "<w:tbl><w:tblPr/><w:tblGrid><w:gridCol/><w:gridCol/><w:gridCol/></w:tblGrid>"]
    for row in rows:
        cells = "".join(f"<w:tc><w:tcPr><w:tcW/></w:tcPr>{first_cell if text is None else f'<w:p>{_run(text)}</w:p>'}</w:tc>"
                        for text in row)
        body.append(f"<w:tr><w:trPr/>{cells}</w:tr>")
    body.append("</w:tbl>")
    xml = f'<?xml version="1.0" encoding="UTF-8"?><w:document {_NS}><w:body>{"".join(body)}</w:body></w:document>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("word/document.xml", xml)
    return out.getvalue()


PLAIN_CELL = f"<w:p>{_run('规章')}</w:p>"
PLAIN_HEADING = f"<w:p>{_run('一、主动公开政府信息情况')}</w:p>"
PLAIN = _document(PLAIN_CELL, PLAIN_HEADING)


def test_the_plain_document_reads_as_a_heading_and_grid_rows() -> None:
    lines = read_docx(PLAIN).splitlines()
    assert lines[0] == "一、主动公开政府信息情况"
    assert [line.split(GRID_SEP) for line in lines[1:]] == [
        ["项目", "本年新制作数量", "本年新公开数量"], ["规章", "12", "3"], ["规范性文件", "4", "5"]]


@pytest.mark.parametrize("where", ["table cell", "paragraph"])
@pytest.mark.parametrize("what", NOT_PRINTED)
def test_what_word_does_not_print_is_not_read(what: str, where: str) -> None:
    props, extra = NOT_PRINTED[what]
    if where == "table cell":
        raw = _document(f"<w:p>{props}{_run('规章')}{extra}</w:p>", PLAIN_HEADING)
    else:
        raw = _document(PLAIN_CELL, f"<w:p>{props}{_run('一、主动公开政府信息情况')}{extra}</w:p>")
    assert read_docx(raw) == read_docx(PLAIN)


@pytest.mark.parametrize("where", ["table cell", "paragraph"])
@pytest.mark.parametrize("how", WRAPPED)
def test_text_in_word_wrappers_reads_as_bare_text(how: str, where: str) -> None:
    if where == "table cell":
        raw = _document(f"<w:p>{WRAPPED[how].format(_run('规章'))}</w:p>", PLAIN_HEADING)
    else:
        raw = _document(PLAIN_CELL, f"<w:p>{WRAPPED[how].format(_run('一、主动公开政府信息情况'))}</w:p>")
    assert read_docx(raw) == read_docx(PLAIN)


def _nested_tables(depth: int, cells: int) -> bytes:
    """The paragraph in a table ``depth`` deep, each table one row of ``cells`` cells (the others empty)."""
    inner = f"<w:p>{_run('规章')}</w:p>"
    for _ in range(depth):
        inner = f"<w:tbl><w:tr><w:tc>{inner}</w:tc>{'<w:tc><w:p/></w:tc>' * (cells - 1)}</w:tr></w:tbl>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("word/document.xml", f"<w:document {_NS}><w:body>{inner}</w:body></w:document>")
    return out.getvalue()


@pytest.mark.parametrize("cells", [1, 2])
def test_layout_tables_nested_deep_read_as_the_innermost_table(cells: int) -> None:
    # Each level of a layout table used to read its cells twice (for the layout test, then for its
    # lines): 2^depth reads, 30 s at depth 20, never done at 200. Now each level is read once.
    assert read_docx(_nested_tables(200, cells)) == read_docx(_nested_tables(1, cells))
