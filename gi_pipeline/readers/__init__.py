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

__all__ = ["Document", "Unreadable", "read", "read_document", "detect_format"]

OCR = "ocr"  # the reader of scanned PDFs and page images (readers/ocr.py)


class Document(NamedTuple):
    text: str
    reader: str  # which reader made the text: the sniffed format (text, html, docx, pdf, ...) or "ocr"


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


def read_document(raw: bytes, name: str) -> str:
    """The report text of one file, whatever its format; raises Unreadable with the quarantine reason."""
    return read(raw, name).text


def read(raw: bytes, name: str) -> Document:
    """The report text of one file and the reader that made it; raises Unreadable with the quarantine
    reason."""
    kind = sn.sniff(raw, name)
    if kind == sn.PDF:
        from .pdf import read_pdf  # pdfplumber is slow to import: only when a PDF comes

        try:
            return Document(read_pdf(raw), kind)
        except NeedsOCR as exc:
            from .ocr import read_pdf_pages

            return Document(read_pdf_pages(raw, exc.reason), OCR)
    if kind == sn.IMAGE:
        from .ocr import read_image

        return Document(read_image(raw), OCR)
    return Document(_read_other(raw, kind), kind)


def _read_other(raw: bytes, kind: str) -> str:
    if kind == sn.DOCX:
        from .docx import read_docx

        return read_docx(raw)
    if kind == sn.HTML:
        from .html import read_html

        return read_html(raw)
    if kind == sn.MHTML:
        return _read_mhtml(raw)
    if kind == sn.LEGACY:
        from .doc import to_docx
        from .docx import read_docx

        suffix = "rtf" if raw.lstrip()[:5] == b"{\\rtf" else "odt" if raw.startswith(b"PK") else "doc"
        return read_docx(to_docx(raw, suffix))
    if kind == sn.ARCHIVE:
        raise Unreadable("zip archive that is not a Word document")
    return _read_text(raw)
