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
import struct
import zipfile
import zlib
from typing import Any

from lxml import etree

from . import docx_plain, grid
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


def _main_part(zf: zipfile.ZipFile, raw: bytes | None = None) -> str:
    """The main document part named by the package relationships (usually word/document.xml)."""
    names = set(zf.namelist())
    if "_rels/.rels" in names:
        rels = etree.fromstring(_read_part(zf, "_rels/.rels", MAX_RELS_BYTES, raw), _XML_PARSER)
        for rel in rels.iter(_REL) if rels is not None else ():
            target = (rel.get("Target") or "").lstrip("/")
            if (rel.get("Type") or "").endswith(_OFFICE_DOCUMENT) and posixpath.normpath(target) in names:
                return posixpath.normpath(target)
    if "word/document.xml" in names:
        return "word/document.xml"
    raise Unreadable("zip archive without a Word document part (not a DOCX)")


def _read_part(zf: zipfile.ZipFile, name: str, limit: int, raw: bytes | None = None) -> bytes:
    """The part's bytes; Unreadable when its declared size is over ``limit`` (zipfile never inflates more
    than the declared size: a part that lies about it fails its CRC check instead). With the archive's
    bytes (``raw``), a sound part is inflated straight from them."""
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise Unreadable(f"DOCX part {name} is {info.file_size / 2**20:.0f} MB uncompressed, over the "
                         f"{limit / 2**20:.0f} MB limit (a zip bomb, or not an annual report)")
    data = _member(raw, info) if raw is not None else None
    return zf.read(name) if data is None else data


_LOCAL_HEADER = struct.Struct("<4s2xH18xHH")  # signature, flags, name length, extra field length
# Encrypted, compressed patched data, strong encryption: zipfile's business.
_UNUSUAL_FLAGS = 0x1 | 0x20 | 0x40


def _member(raw: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """A member's bytes read from the archive's bytes as ``ZipFile.read`` reads them (a stored or deflated
    part, its local header naming it, its size and CRC as the directory says), without ZipExtFile's
    Python frames; None for anything else, which zipfile then reads (or refuses) itself."""
    if info.flag_bits & _UNUSUAL_FLAGS or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    start = info.header_offset
    if start < 0 or start + _LOCAL_HEADER.size > len(raw):
        return None
    signature, flags, name_size, extra_size = _LOCAL_HEADER.unpack_from(raw, start)
    name_start = start + _LOCAL_HEADER.size
    name = raw[name_start:name_start + name_size]
    if signature != b"PK\x03\x04" or name.decode("utf-8" if flags & 0x800 else "cp437",
                                                    "replace") != info.orig_filename:
        return None  # zipfile decodes the local name by the local flags, and refuses a name that differs
    data_start = name_start + name_size + extra_size
    data = raw[data_start:data_start + info.compress_size]
    if len(data) != info.compress_size:
        return None
    if info.compress_type == zipfile.ZIP_DEFLATED:
        try:
            inflate = zlib.decompressobj(-15)
            data = inflate.decompress(data, info.file_size + 1)
        except zlib.error:
            return None
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        return None
    return data


# The tags the walk compares every element with (built once, not per comparison).
_P, _R, _T, _TAB, _BR, _CR, _NO_BREAK_HYPHEN = (W + t for t in ("p", "r", "t", "tab", "br", "cr", "noBreakHyphen"))
_TBL, _TR, _TC, _SDT, _SDT_CONTENT, _CUSTOM_XML = (W + t for t in ("tbl", "tr", "tc", "sdt", "sdtContent", "customXml"))
_RPR, _VANISH, _TCPR, _TRPR, _GRID_SPAN, _GRID_BEFORE, _VMERGE, _PPR, _TABS = (
    W + t for t in ("rPr", "vanish", "tcPr", "trPr", "gridSpan", "gridBefore", "vMerge", "pPr", "tabs"))
_VAL = W + "val"
# Content controls, custom XML and tracked insertions wrap ordinary blocks.
_BLOCK_WRAPPERS = frozenset({_SDT, _SDT_CONTENT, _CUSTOM_XML, W + "ins", W + "moveTo"})


def _first(el: etree._Element, parent: str, tag: str) -> etree._Element | None:
    """``el.find("parent/tag")`` (namespaced) without ElementPath, which is slow and ran for every cell."""
    for props in el.iterchildren(parent):
        for found in props.iterchildren(tag):
            return found
    return None


def _text(el: etree._Element, out: list[str]) -> None:
    """The printed text under a paragraph: tabs kept (tab-aligned pseudo-tables), breaks as newlines."""
    for node in el:
        tag = node.tag
        if tag == _R:
            # Most runs hold only properties and text: read here. A run with any other child (tab, break,
            # field code, text box) or a vanish property is read by the general walk, or skipped if hidden.
            mark = len(out)
            for child in node:
                child_tag = child.tag
                if child_tag == _T:
                    out.append(child.text or "")
                elif child_tag != _RPR or next(child.iterchildren(_VANISH), None) is not None:
                    del out[mark:]
                    if _first(node, _RPR, _VANISH) is None:  # else hidden text
                        _text(node, out)
                    break
        elif tag in _SKIP or not isinstance(tag, str):
            continue
        elif tag == _T:
            out.append(node.text or "")
        elif tag == _TAB:
            out.append("\t")
        elif tag in (_BR, _CR):
            out.append("\n")
        elif tag == _NO_BREAK_HYPHEN:
            out.append("-")
        elif tag == _P:  # a paragraph inside a text box
            out.append("\n")
            _text(node, out)
            out.append("\n")
        else:
            _text(node, out)


def _paragraph_lines(p: etree._Element) -> list[str]:
    out: list[str] = []
    _text(p, out)
    return _lines("".join(out))


def _lines(text: str) -> list[str]:
    """A paragraph's text as its printed lines."""
    if "\n" not in text:  # most paragraphs are one line
        return [grid.plain_line(text).strip(" ")] if text.strip() else []
    return [grid.plain_line(line).strip(" ") for line in text.split("\n") if line.strip()]


def _cell(tc: etree._Element) -> tuple[list[str], etree._Element | None, etree._Element | None]:
    """A cell's blocks (as ``_blocks``) and its first ``tcPr/gridSpan`` and ``tcPr/vMerge``, in one pass."""
    lines: list[str] = []
    span = merge = None
    for child in tc:
        tag = child.tag
        if tag == _P:
            lines.extend(_paragraph_lines(child))
        elif tag == _TCPR:
            if span is None:
                span = next(child.iterchildren(_GRID_SPAN), None)
            if merge is None:
                merge = next(child.iterchildren(_VMERGE), None)
        elif tag == _TBL:
            lines.extend(_table_lines(child))
        elif tag in _BLOCK_WRAPPERS:
            _blocks(child, lines)
    return lines, span, merge


def _wrapped(el: etree._Element, tag: str) -> list[etree._Element]:
    """The ``tag`` children of ``el`` in document order, directly or inside a content control or custom
    XML: the XPath ``./tag | ./w:sdt/w:sdtContent/tag | ./w:customXml/tag`` (a table's rows, a row's cells)."""
    found = []
    for child in el:
        child_tag = child.tag
        if child_tag == tag:
            found.append(child)
        elif child_tag == _SDT:
            for content in child.iterchildren(_SDT_CONTENT):
                found.extend(content.iterchildren(tag))
        elif child_tag == _CUSTOM_XML:
            found.extend(child.iterchildren(tag))
    return found


def _has_nested_table(tbl: etree._Element) -> bool:
    """``tbl.find(".//w:tc//w:tbl")``: a table inside a cell of this one."""
    for inner in tbl.iterdescendants(_TBL):
        for ancestor in inner.iterancestors():
            if ancestor is tbl:
                break
            if ancestor.tag == _TC:
                return True
    return False


# A row: its first trPr/gridBefore and its cells; a cell: its lines, its first tcPr/gridSpan and tcPr/vMerge.
_Cell = tuple[list[str], etree._Element | None, etree._Element | None]
_Row = tuple[etree._Element | None, list[_Cell]]
# What ``_plain_rows`` reads, and what makes a table not plain wherever it is (tab stops aside).
_PLAIN_TAGS = (_TR, _TRPR, _TC, _TCPR, _P, _R, _T, _TBL, _VANISH, _TAB, _BR, _CR, _NO_BREAK_HYPHEN)


def _plain_rows(tbl: etree._Element) -> list[_Row] | None:
    """The rows of a plain table as ``_table_lines`` reads them, in one pass over its elements in document
    order; None when the table is not plain.

    Plain, as converters and most publishers write tables: rows (w:tr) of cells (w:tc) of paragraphs (w:p)
    of runs (w:r) of text (w:t), each a child of the one before, with their properties and nothing else
    the walk reads: no content control, tracked change, hyperlink, text box, nested table, hidden run,
    tab, break. Only w:t, w:tab, w:br, w:cr, w:noBreakHyphen and w:p print something in the walk, so a
    table whose every w:t sits in a run of a paragraph of a cell of a row of the table, with none of the
    others (a tab stop of paragraph properties is not a tab) nor any w:vanish, is read alike."""
    rows: list[list[Any]] = []  # [gridBefore, cells]
    row: list[Any] = []
    cell: list[Any] = []  # [paragraphs (the texts of their runs), gridSpan, vMerge]
    paragraph: list[str] = []
    tr = tc = p = r = None
    for el in tbl.iterdescendants(*_PLAIN_TAGS):
        tag = el.tag
        parent = el.getparent()
        if tag == _T:
            if parent is not r:
                return None
            paragraph.append(el.text or "")
        elif tag == _R:
            if parent is not p:
                return None
            r = el
        elif tag == _P:
            if parent is not tc:
                return None
            p, paragraph = el, []
            cell[0].append(paragraph)
        elif tag == _TC:
            if parent is not tr:
                return None
            tc, cell = el, [[], None, None]
            row[1].append(cell)
        elif tag == _TCPR:  # read as the walk does: the first gridSpan and vMerge of the cell's tcPr
            if parent is tc:
                if cell[1] is None:
                    cell[1] = next(el.iterchildren(_GRID_SPAN), None)
                if cell[2] is None:
                    cell[2] = next(el.iterchildren(_VMERGE), None)
        elif tag == _TR:
            if parent is not tbl:
                return None
            tr, row = el, [None, []]
            rows.append(row)
        elif tag == _TRPR:
            if parent is tr and row[0] is None:
                row[0] = next(el.iterchildren(_GRID_BEFORE), None)
        elif not (tag == _TAB and parent is not None and parent.tag == _TABS
                  and getattr(parent.getparent(), "tag", None) == _PPR):
            return None
    return [(before, [([line for texts in paragraphs for line in _lines("".join(texts))], span, merge)
                      for paragraphs, span, merge in cells])
            for before, cells in rows]


def _table_lines(tbl: etree._Element) -> list[str]:
    """A data table as grid rows; a layout table (nested tables, one cell, page-long cells) as blocks."""
    rows = _plain_rows(tbl)
    if rows is None:
        rows = [(_first(tr, _TRPR, _GRID_BEFORE), [_cell(tc) for tc in _wrapped(tr, _TC)]) for tr in _wrapped(tbl, _TR)]
    if _has_nested_table(tbl):
        return [line for _, cells in rows for lines, _, _ in cells for line in lines]
    return docx_plain.table_lines([
        (None if before is None else before.get(_VAL, "0"),
         [docx_plain.cell_read(lines, None if span is None else span.get(_VAL, "1"),
                               None if merge is None else merge.get(_VAL, "continue"))  # no w:val: continue
          for lines, span, merge in cells])
        for before, cells in rows])


def _blocks(el: etree._Element, lines: list[str]) -> None:
    for child in el:
        tag = child.tag
        if tag == _P:
            lines.extend(_paragraph_lines(child))
        elif tag == _TBL:
            lines.extend(_table_lines(child))
        elif tag in _BLOCK_WRAPPERS:
            _blocks(child, lines)  # content controls and tracked insertions wrap ordinary blocks


def read_docx(raw: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            name = _main_part(zf, raw)
            xml = _read_part(zf, name, MAX_PART_BYTES, raw)
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, NotImplementedError, RuntimeError) as exc:
        raise Unreadable(f"corrupt DOCX: {type(exc).__name__}: {exc}") from exc
    tags = xml.count(b"<")
    if tags > MAX_XML_TAGS:
        raise Unreadable(f"DOCX document part has {tags:,} XML tags, over the {MAX_XML_TAGS:,} limit "
                         "(too much memory to read; a zip bomb, or not an annual report)")
    lines = docx_plain.read_lines(xml)  # most documents: read from the XML text, without the tree
    if lines is None:  # the tree walk, called from here: a frame more would refuse a level less
        root = etree.fromstring(xml, _XML_PARSER) if xml.strip() else None
        if root is not None and _XML_PARSER.error_log.filter_types([etree.ErrorTypes.ERR_RESOURCE_LIMIT]):
            raise Unreadable(_TOO_DEEP)  # libxml2 recovered by dropping what lies below 2048 levels
        body = root.find(W + "body") if root is not None else None
        if body is None:
            raise Unreadable("DOCX without a document body")
        lines = []
        try:
            _blocks(body, lines)
        except RecursionError:
            raise Unreadable(_TOO_DEEP) from None
    return "\n".join(lines) + "\n"
