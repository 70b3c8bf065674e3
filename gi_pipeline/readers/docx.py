"""DOCX → text: paragraphs and tables in document order, merged cells as grid spans.

Read straight from the OOXML (zip + lxml) rather than through python-docx: python-docx's table API hands
back a merged cell once per grid slot it covers, with no way to tell a horizontal merge (gridSpan: one
cell of the row) from a vertical one (vMerge: the same label on every row); the XML says which. Reading
the XML also survives files python-docx refuses (odd content types from WPS and online converters) and
lets us skip what Word does not show: deleted revisions, hidden runs, fallback copies of text boxes.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib

from lxml import etree

from . import grid
from .errors import Unreadable

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_OFFICE_DOCUMENT = "/officeDocument"
# What Word does not print: deleted and moved-away text, field codes, properties, the fallback copy of
# a text box (its mc:Choice twin is read).
_SKIP = {W + "del", W + "moveFrom", W + "instrText", W + "delText", W + "rPr", W + "pPr", W + "tcPr",
         W + "trPr", W + "tblPr", W + "sectPr", W + "fldData", _MC_FALLBACK}
# Zip bomb guards, so one file stays within a few hundred MB to read: the main part of a long annual
# report is a few MB of XML with some 10^5 tags.  Uncompressed size alone does not bound memory: lxml
# spends ~100 bytes per element, so 20 MB of empty paragraphs took ~300 MB and 190 MB took 3.5 GB.
# The tag count (every '<', an upper bound of the element count) bounds the tree: at the limit,
# ~300 MB.  Both are checked before the tree is built.
MAX_PART_BYTES = 64 * 1024 * 1024
MAX_XML_TAGS = 4_000_000
# The package relationships are a few hundred bytes.
MAX_RELS_BYTES = 1024 * 1024
# Word nests a few levels; hundreds of nested content controls or runs are no report, and the reader
# (recursive, as the XML is) says so rather than failing with a traceback or reading part of the file.
_TOO_DEEP = "DOCX nested too deeply to read (beyond libxml2's 2048 levels or Python's recursion limit)"
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=True)


def _main_part(zf: zipfile.ZipFile) -> str:
    """The main document part named by the package relationships (usually word/document.xml)."""
    names = set(zf.namelist())
    if "_rels/.rels" in names:
        rels = etree.fromstring(_read_part(zf, "_rels/.rels", MAX_RELS_BYTES), _XML_PARSER)
        for rel in rels.iter(_REL) if rels is not None else ():
            target = (rel.get("Target") or "").lstrip("/")
            if (rel.get("Type") or "").endswith(_OFFICE_DOCUMENT) and posixpath.normpath(target) in names:
                return posixpath.normpath(target)
    if "word/document.xml" in names:
        return "word/document.xml"
    raise Unreadable("zip archive without a Word document part (not a DOCX)")


def _read_part(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """The part's bytes; Unreadable when its declared size is over ``limit`` (zipfile never inflates more
    than the declared size: a part that lies about it fails its CRC check instead)."""
    size = zf.getinfo(name).file_size
    if size > limit:
        raise Unreadable(f"DOCX part {name} is {size / 2**20:.0f} MB uncompressed, over the "
                         f"{limit / 2**20:.0f} MB limit (a zip bomb, or not an annual report)")
    return zf.read(name)


def _val(el: etree._Element | None, default: str | None = None) -> str | None:
    return default if el is None else el.get(W + "val", default)


def _text(el: etree._Element, out: list[str]) -> None:
    """The printed text under a paragraph: tabs kept (tab-aligned pseudo-tables), breaks as newlines."""
    for node in el:
        tag = node.tag
        if tag in _SKIP or not isinstance(tag, str):
            continue
        if tag == W + "t":
            out.append(node.text or "")
        elif tag == W + "tab":
            out.append("\t")
        elif tag in (W + "br", W + "cr"):
            out.append("\n")
        elif tag == W + "noBreakHyphen":
            out.append("-")
        elif tag == W + "r" and node.find(f"{W}rPr/{W}vanish") is not None:
            continue  # hidden text
        elif tag == W + "p":  # a paragraph inside a text box
            out.append("\n")
            _text(node, out)
            out.append("\n")
        else:
            _text(node, out)


def _paragraph_lines(p: etree._Element) -> list[str]:
    out: list[str] = []
    _text(p, out)
    return [grid.plain_line(line).strip(" ") for line in "".join(out).split("\n") if line.strip()]


def _cell_blocks(tc: etree._Element) -> list[str]:
    lines: list[str] = []
    _blocks(tc, lines)
    return lines


def _row_cells(tr: etree._Element) -> list[etree._Element]:
    return tr.xpath("./w:tc | ./w:sdt/w:sdtContent/w:tc | ./w:customXml/w:tc", namespaces={"w": W[1:-1]})


def _table_lines(tbl: etree._Element) -> list[str]:
    """A data table as grid rows; a layout table (nested tables, one cell, page-long cells) as blocks."""
    rows = tbl.xpath("./w:tr | ./w:sdt/w:sdtContent/w:tr | ./w:customXml/w:tr", namespaces={"w": W[1:-1]})
    tcs = [tc for tr in rows for tc in _row_cells(tr)]
    texts = {id(tc): grid.join_lines(_cell_blocks(tc)) for tc in tcs}
    nested = tbl.find(f".//{W}tc//{W}tbl") is not None
    if nested or len(tcs) <= 1 or any(len(t) > grid.MAX_CELL_CHARS for t in texts.values()):
        return [line for tc in tcs for line in _cell_blocks(tc)]
    placed: list[grid.Placed] = []
    open_merge: dict[int, int] = {}  # grid column → index in placed of the vMerge cell running down it
    for r, tr in enumerate(rows):
        col = grid.span(_val(tr.find(f"{W}trPr/{W}gridBefore"), "0"), default=0) or 0
        for tc in _row_cells(tr):
            colspan = grid.span(_val(tc.find(f"{W}tcPr/{W}gridSpan"), "1"))
            merge = tc.find(f"{W}tcPr/{W}vMerge")
            merge_val = _val(merge)
            running = open_merge.get(col)
            if merge is not None and merge_val in (None, "continue") and running is not None:
                above = placed[running]
                if above.row + above.rowspan == r:  # continues the cell right above it
                    placed[running] = grid.Placed(above.text, above.row, above.col, above.rowspan + 1, above.colspan)
                    col += colspan
                    continue
            placed.append(grid.Placed(texts[id(tc)], r, col, 1, colspan))
            if merge is not None and merge_val == "restart":
                open_merge[col] = len(placed) - 1
            else:
                open_merge.pop(col, None)
            col += colspan
    return grid.render(placed)


def _blocks(el: etree._Element, lines: list[str]) -> None:
    for child in el:
        tag = child.tag
        if tag == W + "p":
            lines.extend(_paragraph_lines(child))
        elif tag == W + "tbl":
            lines.extend(_table_lines(child))
        elif tag in (W + "sdt", W + "sdtContent", W + "customXml", W + "ins", W + "moveTo"):
            _blocks(child, lines)  # content controls and tracked insertions wrap ordinary blocks


def read_docx(raw: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            name = _main_part(zf)
            xml = _read_part(zf, name, MAX_PART_BYTES)
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, NotImplementedError, RuntimeError) as exc:
        raise Unreadable(f"corrupt DOCX: {type(exc).__name__}: {exc}") from exc
    tags = xml.count(b"<")
    if tags > MAX_XML_TAGS:
        raise Unreadable(f"DOCX document part has {tags:,} XML tags, over the {MAX_XML_TAGS:,} limit "
                         "(too much memory to read; a zip bomb, or not an annual report)")
    root = etree.fromstring(xml, _XML_PARSER) if xml.strip() else None
    if root is not None and _XML_PARSER.error_log.filter_types([etree.ErrorTypes.ERR_RESOURCE_LIMIT]):
        raise Unreadable(_TOO_DEEP)  # libxml2 recovered by dropping what lies below 2048 levels
    body = root.find(W + "body") if root is not None else None
    if body is None:
        raise Unreadable("DOCX without a document body")
    lines: list[str] = []
    try:
        _blocks(body, lines)
    except RecursionError:
        raise Unreadable(_TOO_DEEP) from None
    return "\n".join(lines) + "\n"
