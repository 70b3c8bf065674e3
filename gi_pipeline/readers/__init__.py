"""Raw report files of any format → report text for ``normalize_text``.

Readers are functions bytes → str. Paragraphs come out as lines; a table from HTML, DOCX or PDF comes out
as exact grid rows (``grid.render``: cells joined by ``cells.GRID_SEP``, vertical spans repeated), so the
normalizer, sectioner and label-anchored extractor read every format the same way and keep the table's
structure. Scanned PDFs (the PDF reader raises ``NeedsOCR``) and page images are read by OCR
(``readers/ocr.py``, the ``ocr`` extra). Anything that cannot become text raises ``Unreadable(reason)``
for the quarantine.
"""

from __future__ import annotations

import email
import email.policy
from typing import NamedTuple

from ..decode import DecodeError, decode_bytes
from . import sniff as sn
from .errors import NeedsOCR, Unreadable

__all__ = ["Read", "Unreadable", "detect_format", "read", "read_document"]

# Which reader turned the file into text (the reports table's ``reader`` column).
READER_TEXT = "text"
READER_HTML = "html"
READER_DOCX = "docx"
READER_DOC = "doc"  # .doc / .rtf / .odt converted to DOCX by LibreOffice
READER_OCR = "ocr"  # scanned PDFs and page images (readers/ocr.py)
# Readers whose text marks where each page starts (provenance.page_marker, readers/paged.py):
# pdf.READER_PDFIUM, pdf.READER_PDFPLUMBER and OCR (a scanned PDF's pages, a multi-page TIFF's frames).
PAGED_READERS = frozenset({"pdfium", "pdfplumber", READER_OCR})


class Read(NamedTuple):
    text: str
    reader: str


def detect_format(raw: bytes, name: str) -> str:
    return sn.sniff(raw, name)


def _read_text(raw: bytes) -> str:
    try:
        return decode_bytes(raw)[0]
    except DecodeError as exc:
        raise Unreadable(f"cannot decode: {exc}") from exc


def _read_mhtml(raw: bytes) -> str:
    """Word's single-file web page: the first text/html part, in the charset its header names."""
    from .html import html_to_text, read_html

    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                break
            charset = part.get_content_charset()
            if charset:
                try:
                    return html_to_text(payload.decode(charset))
                except (LookupError, UnicodeDecodeError):
                    pass
            return read_html(payload)
    raise Unreadable("MHTML web archive without an HTML part")


def read(raw: bytes, name: str) -> Read:
    """The report text of one file, whatever its format, and the reader that read it; raises Unreadable
    with the quarantine reason."""
    kind = sn.sniff(raw, name)
    if kind == sn.PDF:
        # The PDF libraries are slow to import: only when a PDF comes.
        from .pdf import read_pdf_as

        try:
            return Read(*read_pdf_as(raw))
        except NeedsOCR as exc:
            from .ocr import read_pdf_pages

            return Read(read_pdf_pages(raw, exc.reason), READER_OCR)
    if kind == sn.IMAGE:
        from .ocr import read_image

        return Read(read_image(raw), READER_OCR)
    if kind == sn.DOCX:
        from .docx import read_docx

        return Read(read_docx(raw), READER_DOCX)
    if kind == sn.HTML:
        from .html import read_html

        return Read(read_html(raw), READER_HTML)
    if kind == sn.MHTML:
        return Read(_read_mhtml(raw), READER_HTML)
    if kind == sn.LEGACY:
        from .doc import to_docx
        from .docx import read_docx

        suffix = "rtf" if raw.lstrip()[:5] == b"{\\rtf" else "odt" if raw.startswith(b"PK") else "doc"
        return Read(read_docx(to_docx(raw, suffix)), READER_DOC)
    if kind == sn.ARCHIVE:
        raise Unreadable("zip archive that is not a Word document")
    return Read(_read_text(raw), READER_TEXT)


def read_document(raw: bytes, name: str) -> str:
    """The report text of one file (``read`` without the reader's name)."""
    return read(raw, name).text
