"""A benchmark corpus: N synthetic reports (``tests.synth``, all layouts, noises and defects) in a
configurable mix of file formats.

* ``txt``: the generator's own files (pipe, tab, cell-per-line and markdown layouts; UTF-8, UTF-8 with
  BOM, GB18030 and UTF-16; CRLF, page-number lines, typos, traditional characters …), unchanged.
* ``html``, ``docx``, ``pdf``: a pipe-layout report rebuilt as a document: paragraphs as paragraphs, each
  pipe table as a real table (one cell per field, the last cell of a short row spanning the rest of the
  row, as publishers widen it), page-number lines of the text print dropped and a table row the text
  print split over a page break joined again. HTML is a plain page (``<p>`` and ``<table>``; GB18030
  reports become ``charset=gb2312`` pages), DOCX is a minimal WordprocessingML package (``w:gridSpan`` merges), PDF with
  reportlab (built-in CJK CID fonts, ruled tables).  These formats need ``gi_pipeline.readers``
  (and reportlab to write PDFs): a format that cannot be built is reported as not
  available, never a failure.

The mix is a weight per format (``txt=3,html=1``); report ``i`` gets its format from a smooth weighted
round robin, so every prefix of the corpus (the N/4 and N/2 runs of the benchmark) has the same mix.
Deterministic by seed.

Command line: ``python -m benchmarks.corpus OUT_DIR --n 1000 --formats txt=3,html=1`` writes the files
and ``manifest.json`` (one entry per file: name, format, script, layout, encoding, bytes).
"""

from __future__ import annotations

import argparse
import html as html_lib
import importlib
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.synth import SyntheticReport, generate_corpus

FORMATS: tuple[str, ...] = ("txt", "html", "docx", "pdf")
DEFAULT_MIX = "txt=3,html=1"
_EXTENSIONS = {"html": ".html", "docx": ".docx", "pdf": ".pdf"}
# Seeds of the per-format generator streams: the formats never share a report (no duplicate files).
_SEED_STREAM = {"txt": 0, "html": 1, "docx": 2, "pdf": 3}


@dataclass(frozen=True)
class Doc:
    name: str  # file name, unique within the corpus, sorts in corpus order
    raw: bytes
    fmt: str  # txt | html | docx | pdf
    traditional: bool
    layout: str  # the generator's table layout (pipe for the rebuilt formats)
    encoding: str  # the generator's text encoding (html: the page's charset)
    defects: tuple[str, ...] = ()

    @property
    def script(self) -> str:
        return "traditional" if self.traditional else "simplified"

    def manifest(self) -> dict:
        entry = {k: v for k, v in asdict(self).items() if k != "raw"}
        entry["bytes"] = len(self.raw)
        return entry


# --------------------------------------------------------------------------------------------
# Formats available here
# --------------------------------------------------------------------------------------------


def _importable(module: str) -> str | None:
    try:
        importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001 - any import failure makes the format unavailable
        return f"{module} not importable ({type(exc).__name__}: {exc})"[:200]
    return None


def available_formats() -> dict[str, str | None]:
    """Format → None when it can be built and read here, else why not."""
    readers = _importable("gi_pipeline.readers")
    out: dict[str, str | None] = {"txt": None, "html": readers}
    out["docx"] = readers
    out["pdf"] = readers or _importable("reportlab") or _importable("pdfplumber")
    return out


def parse_mix(spec: str) -> dict[str, float]:
    """``"txt=3,html=1"`` → {"txt": 3.0, "html": 1.0, "docx": 0.0, "pdf": 0.0}; a bare name weighs 1."""
    mix = dict.fromkeys(FORMATS, 0.0)
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, weight = part.partition("=")
        name = name.strip().lower()
        if name not in mix:
            raise ValueError(f"unknown format {name!r} in {spec!r}; known: {', '.join(FORMATS)}")
        try:
            mix[name] = float(weight) if weight.strip() else 1.0
        except ValueError:
            raise ValueError(f"bad weight {weight!r} for {name} in {spec!r}") from None
        if mix[name] < 0:
            raise ValueError(f"negative weight for {name} in {spec!r}")
    if not any(mix.values()):
        raise ValueError(f"no format has a positive weight in {spec!r}")
    return mix


def usable_mix(mix: dict[str, float], available: dict[str, str | None]) -> tuple[dict[str, float], dict[str, str]]:
    """The mix without the formats that cannot be built here, and those formats with the reason."""
    dropped = {f: available[f] or "" for f, w in mix.items() if w > 0 and available.get(f)}
    kept = {f: w for f, w in mix.items() if w > 0 and not available.get(f)}
    if not kept:
        raise ValueError(f"none of the requested formats is available here: {dropped}")
    return kept, dropped


def assign_formats(n: int, mix: dict[str, float]) -> list[str]:
    """Smooth weighted round robin: every prefix of the list follows the mix as closely as it can."""
    weights = {f: w for f, w in mix.items() if w > 0}
    total = sum(weights.values())
    current = dict.fromkeys(weights, 0.0)
    out = []
    for _ in range(n):
        for f, w in weights.items():
            current[f] += w
        pick = max(current, key=lambda f: current[f])
        current[pick] -= total
        out.append(pick)
    return out


# --------------------------------------------------------------------------------------------
# Pipe-layout text → paragraphs and tables
# --------------------------------------------------------------------------------------------

Block = str | list[list[str]]  # a paragraph, or a table's rows of cell texts

# Page-number lines of the generator's text print (tests.synth.noise._PAGE_FORMS): page furniture, not content.
_PAGE_LINE = re.compile(r"^\s*(?:[-—–]\s?\d+\s?[-—–]|第\s?\d+\s?页(?:\s?共\s?\d+\s?页)?)\s*$")
_NUMBER = re.compile(r"^[+-]?[\d,.０-９，．]+(?:万元|万|元)?$")


def _fields(line: str) -> list[str]:
    fields = [f.strip() for f in line.strip().strip("|").split("|")]
    while fields and not fields[-1]:
        fields.pop()  # padding of the text print (merged cells)
    return fields


def _has_labels_and_numbers(fields: Sequence[str]) -> bool:
    return any(_NUMBER.match(f) for f in fields) and not all(_NUMBER.match(f) or not f for f in fields)


def text_blocks(text: str) -> list[Block]:
    """Paragraphs and tables of a pipe-layout report, in order."""
    blocks: list[Block] = []
    rows: list[list[str]] | None = None
    after_page_line = False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n"):
        if "|" in line:
            fields = _fields(line)
            if not fields:
                continue
            if rows is None:
                rows = []
                blocks.append(rows)
            numbers_only = all(_NUMBER.match(f) or not f for f in fields)
            if after_page_line and numbers_only and rows and _has_labels_and_numbers(rows[-1]):
                rows[-1].extend(fields)  # a row the text print split over a page break
            else:
                rows.append(fields)
            after_page_line = False
            continue
        if _PAGE_LINE.match(line):
            after_page_line = True
            continue
        if not line.strip():
            continue  # blank lines: neither paragraphs nor the end of a table
        rows = None
        after_page_line = False
        blocks.append(line.strip())
    return blocks


def _spanned(row: Sequence[str], width: int) -> Iterator[tuple[str, int]]:
    """(text, columns spanned) of a row's cells: the last cell of a short row is widened over the
    rest of the table, as publishers do (HTML colspan, DOCX gridSpan)."""
    for c, text in enumerate(row):
        yield text, width - c if c == len(row) - 1 and len(row) < width else 1


def _title(blocks: Sequence[Block]) -> str:
    for block in blocks:
        if isinstance(block, str) and ("报告" in block or "報告" in block):
            return block
    return "政府信息公开工作年度报告"


# --------------------------------------------------------------------------------------------
# Renderers
# --------------------------------------------------------------------------------------------


def to_html(blocks: Sequence[Block], charset: str = "utf-8") -> bytes:
    esc = html_lib.escape
    declared = "gb2312" if charset == "gb18030" else charset
    parts = [
        "<!DOCTYPE html>",
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={declared}">',
        f"<title>{esc(_title(blocks))}</title></head><body>",
        '<div class="article">',
    ]
    for block in blocks:
        if isinstance(block, str):
            parts.append(f"<p>{esc(block)}</p>")
            continue
        width = max(len(r) for r in block)
        parts.append('<table border="1" cellspacing="0">')
        for row in block:
            cells = []
            for text, span in _spanned(row, width):
                attr = f' colspan="{span}"' if span > 1 else ""
                cells.append(f"<td{attr}>{esc(text)}</td>")
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</table>")
    parts += ["</div>", "</body></html>", ""]
    return "\n".join(parts).encode(charset)


_DOCX_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_DOCX_STATIC = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="word/document.xml"/></Relationships>'
    ),
}


def _docx_paragraph(text: str) -> str:
    body = html_lib.escape(text, quote=False)
    return f'<w:p><w:r><w:t xml:space="preserve">{body}</w:t></w:r></w:p>' if text else "<w:p/>"


def to_docx(blocks: Sequence[Block]) -> bytes:
    """A minimal WordprocessingML package, as Word writes tables: ``w:tbl`` with a ``w:tblGrid``, the
    widened last cell of a short row a ``w:gridSpan``.  Written directly (zipfile): python-docx takes
    about half a second per report table by table, which would dominate corpus building."""
    import zipfile

    body = []
    for block in blocks:
        if isinstance(block, str):
            body.append(_docx_paragraph(block))
            continue
        width = max(len(r) for r in block)
        grid = "".join('<w:gridCol w:w="800"/>' for _ in range(width))
        rows = []
        for row in block:
            cells = []
            for text, span in _spanned(row, width):
                props = f'<w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr>' if span > 1 else ""
                cells.append(f"<w:tc>{props}{_docx_paragraph(text)}</w:tc>")
            rows.append("<w:tr>" + "".join(cells) + "</w:tr>")
        body.append(
            '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/></w:tblPr>'
            f"<w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>"
        )
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_DOCX_NS}><w:body>'
        + "".join(body)
        + '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in _DOCX_STATIC.items():
            zf.writestr(name, text)
        zf.writestr("word/document.xml", document)
    return out.getvalue()


# reportlab's built-in CJK CID font; its Adobe-GB1 character set has the traditional forms too (a CNS1 font
# such as MSung-Light gives PDFs whose text pdfminer cannot map back to Unicode).
_PDF_FONT = "STSong-Light"


def to_pdf(blocks: Sequence[Block]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import (
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    font = _PDF_FONT
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName=font, fontSize=7, leading=9, wordWrap="CJK", alignment=1)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=_title(blocks))
    flow: list = []
    for block in blocks:
        if isinstance(block, str):
            flow.append(Paragraph(html_lib.escape(block), body))
            continue
        width = max(len(r) for r in block)
        data = [[""] * width for _ in block]
        style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        for r, row in enumerate(block):
            for c, text in enumerate(row):
                data[r][c] = Paragraph(html_lib.escape(text), cell)
            if len(row) < width:
                style.append(("SPAN", (len(row) - 1, r), (width - 1, r)))
        flow += [Table(data, colWidths=[doc.width / width] * width, style=TableStyle(style)), Spacer(1, 6)]
    doc.build(flow)
    return out.getvalue()


def render(report: SyntheticReport, fmt: str) -> tuple[bytes, str]:
    """The report's file in ``fmt`` and the encoding it is in."""
    if fmt == "txt":
        return report.raw, report.encoding
    blocks = text_blocks(report.text)
    if fmt == "html":
        charset = "gb18030" if report.encoding == "gb18030" else "utf-8"
        return to_html(blocks, charset), charset
    if fmt == "docx":
        return to_docx(blocks), "docx"
    if fmt == "pdf":
        return to_pdf(blocks), "pdf"
    raise ValueError(f"unknown format {fmt!r}")


# --------------------------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------------------------


def build(
    n: int,
    seed: int = 0,
    mix: dict[str, float] | str = DEFAULT_MIX,
    *,
    traditional: bool | None = None,
    defect_rate: float = 0.2,
    available: dict[str, str | None] | None = None,
) -> tuple[list[Doc], dict[str, str]]:
    """``n`` documents in corpus order and the requested formats that are not available (with why).

    ``traditional``: None lets the generator choose (about 10 % of noisy reports), True/False forces the
    script of every report.  Reports are ``generate_corpus`` streams, one per format.
    """
    if isinstance(mix, str):
        mix = parse_mix(mix)
    kept, dropped = usable_mix(mix, available or available_formats())
    formats = assign_formats(n, kept)
    counts = {f: formats.count(f) for f in kept}
    streams: dict[str, Iterable[SyntheticReport]] = {}
    for fmt, count in counts.items():
        kw: dict = {"traditional": traditional}
        if fmt != "txt":
            kw["layout"] = "pipe"  # rebuilt as real tables from the pipe print
        streams[fmt] = iter(generate_corpus(count, seed * 10 + _SEED_STREAM[fmt], defect_rate=defect_rate, **kw))
    docs = []
    for i, fmt in enumerate(formats):
        report = next(streams[fmt])  # type: ignore[call-overload]
        raw, encoding = render(report, fmt)
        ext = _EXTENSIONS.get(fmt) or Path(report.name).suffix
        docs.append(Doc(f"r{i:06d}{ext}", raw, fmt, report.traditional, report.layout, encoding, report.defects))
    return docs, dropped


def write(docs: Sequence[Doc], out_dir: Path, manifest: bool = True) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        (out_dir / doc.name).write_bytes(doc.raw)
    if manifest:
        # Dot-file: list_raw_files skips hidden files, so the manifest never enters the inventory.
        path = out_dir / ".manifest.json"
        path.write_text(json.dumps([d.manifest() for d in docs], ensure_ascii=False, indent=0), encoding="utf-8")
    return out_dir


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--formats", default=DEFAULT_MIX, help=f"weights per format (default {DEFAULT_MIX})")
    parser.add_argument("--script", choices=("mixed", "simplified", "traditional"), default="mixed")
    parser.add_argument("--defect-rate", type=float, default=0.2)
    args = parser.parse_args(argv)
    traditional = {"mixed": None, "simplified": False, "traditional": True}[args.script]
    docs, dropped = build(args.n, args.seed, args.formats, traditional=traditional, defect_rate=args.defect_rate)
    write(docs, args.out_dir)
    summary = {
        "out_dir": str(args.out_dir),
        "files": len(docs),
        "bytes": sum(len(d.raw) for d in docs),
        "by_format": {f: sum(d.fmt == f for d in docs) for f in FORMATS if any(d.fmt == f for d in docs)},
        "traditional": sum(d.traditional for d in docs),
        "not_available": dropped,
    }
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
