"""The DOCX reader prints what Word shows: hidden runs, deletions, field codes and fallback copies add
nothing, and the wrappers Word puts around text (hyperlinks, insertions, content controls) change nothing,
in a table cell as in a paragraph. (The reader reads a plain document from its XML text, plain tables by a
shortcut of the tree walk, and anything else by the general walk: each variant here takes another path
than the plain document, so all must agree; random documents near the plain shape check the text reading
against the walk.)"""

from __future__ import annotations

import io
import random
import zipfile

import pytest

from gi_pipeline.cells import GRID_SEP
from gi_pipeline.readers import Unreadable, docx_plain
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


def _part(raw: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        return zf.read("word/document.xml")


def _package(part: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("word/document.xml", part)
    return out.getvalue()


@pytest.fixture
def walk_lines(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A main part's lines as the tree walk reads them (``read_docx`` without the text reading)."""
    def read(part: bytes) -> list[str]:
        with monkeypatch.context() as patch:
            patch.setattr(docx_plain, "read_lines", lambda xml: None)
            text = read_docx(_package(part))
        return text[:-1].split("\n") if text != "\n" else []  # no empty line is read
    return read


def test_the_plain_document_is_read_from_its_text_as_the_walk_reads_it(walk_lines) -> None:
    part = _part(PLAIN)
    assert docx_plain.read_lines(part) == walk_lines(part)


# What libxml2 reads differently from a regular expression (or refuses, recovering its own way): the
# text reading must leave each to the walk.
NOT_FOR_THE_TEXT_READING = {
    "repeated attribute": ('<w:p>', '<w:p w:rsidR="1" w:rsidR="2">'),
    "comment": ("<w:tbl>", "<!--c--><w:tbl>"),
    "CDATA": (_run("规章"), "<w:r><w:t><![CDATA[规章]]></w:t></w:r>"),
    "character reference": ("规章", "&#35268;章"),
    "undeclared entity": ("规章", "&nbsp;规章"),
    "processing instruction": ("<w:tbl>", "<?pi x?><w:tbl>"),
    "namespace declared below the root": ("<w:tbl>", '<w:tbl xmlns:w="urn:other">'),
    "second prefix for WordprocessingML": ("<w:tbl>", f'<w:tbl xmlns:q="{docx_plain.W_URI}">'),
    "two prefixes for one namespace": ('xmlns:mc=', "xmlns:a='urn:x' xmlns:b=\"urn:x\" xmlns:mc="),
    "carriage return": ("规章", "规\r章"),
    "control character": ("规章", "规\x07章"),
    "]]> in text": ("规章", "规]]>章"),
    "mismatched end tag": ("</w:tc>", "</w:tcx>"),
    "nested table": (PLAIN_CELL, f"{PLAIN_CELL}<w:tbl><w:tr><w:tc>{PLAIN_CELL}</w:tc></w:tr></w:tbl>"),
    "tab": (_run("规章"), "<w:r><w:tab/><w:t>规章</w:t></w:r>"),
    "break": (_run("规章"), "<w:r><w:br/><w:t>规章</w:t></w:r>"),
    "hidden run": (_run("规章"), "<w:r><w:rPr><w:vanish/></w:rPr><w:t>规章</w:t></w:r>"),
    "text box": (_run("规章"), f"<w:r><w:drawing><w:txbxContent>{PLAIN_CELL}</w:txbxContent></w:drawing></w:r>"),
    "XML 1.1": ('<?xml version="1.0"', '<?xml version="1.1"'),
    "another encoding": ('encoding="UTF-8"', 'encoding="GBK"'),
}


@pytest.mark.parametrize("what", NOT_FOR_THE_TEXT_READING)
def test_what_libxml2_may_read_differently_is_left_to_the_walk(what: str) -> None:
    old, new = NOT_FOR_THE_TEXT_READING[what]
    part = _part(PLAIN).decode()
    assert old in part
    assert docx_plain.read_lines(part.replace(old, new, 1).encode()) is None


def _near_plain(rn: random.Random) -> str:
    """A random main part in the plain shape, with what converters write around the text, spans, merges,
    entities, whitespace, and now and then something that is not plain."""
    def pick(*options: str) -> str:
        return rn.choice(options)

    def attrs() -> str:
        return "".join(f" {name}={pick(chr(34) + '1' + chr(34), chr(39) + 'a>b' + chr(39), chr(34) + '&amp;' + chr(34))}"
                       for name in rn.sample(["w:rsidR", "w14:paraId", "w:val", "x"], rn.choice([0, 0, 1, 2])))

    def mark() -> str:
        return pick('<w:bookmarkStart w:id="0"/>', "<w:proofErr/>", "<w:lastRenderedPageBreak/>", "<w15:x/>",
                    "<w:rPr><w:rFonts w:hint='eastAsia'/><w:sz w:val='24'/></w:rPr>", "<w:ins/>",
                    "<w:tab/>" if rn.random() < 0.05 else "<w:b/>", "<w:vanish/>" if rn.random() < 0.05 else "<w:i/>")

    def text() -> str:
        return pick("", " ", "12", "本年新", "制作数量", "A B", "1\n2", "\u3000", "&amp;&lt;&gt;&quot;&apos;", "a > b",
                    "]]", "long" * 60, "5", "0", "\t9 ", "x\xa0y")

    def run() -> str:
        kids = [pick(f"<w:t{attrs()}>{text()}</w:t>", f"<w:t{attrs()}>{text()}</w:t >", "<w:t/>", mark())
                for _ in range(rn.randint(0, 3))]
        return f"<w:r{attrs()}>{''.join(kids)}</w:r>"

    def paragraph() -> str:
        kids = [run() if rn.random() < 0.85 else mark() for _ in range(rn.randint(0, 3))]
        if rn.random() < 0.3:
            kids.insert(0, pick("<w:pPr><w:jc w:val='center'/><w:rPr><w:b/></w:rPr></w:pPr>", "<w:pPr/>"))
        return f"<w:p{attrs()}>{pick('', chr(10)).join(kids)}</w:p>" if kids or rn.random() < 0.5 else "<w:p/>"

    def cell() -> str:
        props = [pick('<w:gridSpan w:val="2"/>', '<w:gridSpan w:val="0"/>', "<w:gridSpan/>", '<w:gridSpan w:val="x"/>',
                      '<w:vMerge w:val="restart"/>', "<w:vMerge/>", '<w:vMerge w:val="continue"/>', '<w:tcW w:w="800"/>',
                      "<w:tcBorders><w:top w:val='single'/></w:tcBorders>") for _ in range(rn.choice([0, 0, 1, 2]))]
        parts = [f"<w:tcPr>{''.join(props)}</w:tcPr>"] if props else []
        parts += [paragraph() for _ in range(rn.choice([0, 1, 1, 2]))]
        rn.shuffle(parts) if rn.random() < 0.1 else None
        return f"<w:tc{attrs()}>{''.join(parts)}</w:tc>" if parts or rn.random() < 0.5 else "<w:tc/>"

    def row(width: int) -> str:
        props = pick("", "", "", '<w:trPr><w:gridBefore w:val="1"/></w:trPr>', "<w:trPr><w:trHeight w:val='300'/></w:trPr>")
        cells = [cell() for _ in range(width + rn.choice([0, 0, -1, 1]))]
        return f"<w:tr{attrs()}>{props}{pick('', ' ').join(cells)}</w:tr>"

    def table() -> str:
        width = rn.choice([1, 2, 3, 5])
        rows = "".join(row(width) for _ in range(rn.choice([0, 1, 3, 6])))
        return f"<w:tbl><w:tblPr><w:tblW w:w='0'/></w:tblPr><w:tblGrid>{'<w:gridCol/>' * width}</w:tblGrid>{rows}</w:tbl>"

    body = "".join(paragraph() if rn.random() < 0.5 else table() for _ in range(rn.randint(1, 6)))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_NS} xmlns:x="urn:x"><w:body>{body}'
            "<w:sectPr><w:pgSz w:w='11906'/></w:sectPr></w:body></w:document>")


def test_near_plain_documents_read_from_their_text_as_the_walk_reads_them(walk_lines) -> None:
    rn = random.Random(14)
    parts = [_near_plain(rn).encode() for _ in range(400)]
    read = [(docx_plain.read_lines(part), part) for part in parts]
    assert all(lines == walk_lines(part) for lines, part in read if lines is not None)
    assert sum(lines is not None for lines, _ in read) >= len(parts) // 4  # the text reading is exercised


def _deflated(raw: bytes, stored: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(
            out, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as zf:
        for name in source.namelist():
            zf.writestr(name, source.read(name))
    return out.getvalue()


def test_parts_are_read_from_the_archive_as_zipfile_reads_them() -> None:
    # The parts are inflated straight from the archive's bytes; what zipfile refuses is still refused.
    deflated = _deflated(PLAIN)
    assert read_docx(_deflated(PLAIN, stored=True)) == read_docx(deflated) == read_docx(PLAIN)
    bad_crc = bytearray(deflated)
    central = bytes(bad_crc).find(b"PK\x01\x02")
    bad_crc[central + 16] ^= 0xFF  # the directory's CRC of the first part
    with pytest.raises(Unreadable, match="Bad CRC-32"):
        read_docx(bytes(bad_crc))
    renamed = bytearray(deflated)
    renamed[30] ^= 0x20  # the first letter of the local header's name: 'word/...' becomes 'Word/...'
    with pytest.raises(Unreadable, match="File name in directory"):
        read_docx(bytes(renamed))
