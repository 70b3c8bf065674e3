"""Raw bytes to text: UTF-8 (with or without BOM), UTF-16 (BOM or NUL-pattern), GB18030/GBK, then detection."""

from __future__ import annotations

import codecs

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class DecodeError(ValueError):
    """The bytes are not text in any encoding we can tell."""


def _utf16_without_bom(raw: bytes) -> str | None:
    # ASCII-heavy UTF-16 shows NULs on one byte parity; CJK-only UTF-16 is rare without a BOM.
    sample = raw[:4000]
    if len(sample) < 4 or sample.count(0) < len(sample) // 8:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    return "utf-16-be" if even > odd else "utf-16-le"


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """Decode a report file; returns (text, encoding name). Raises DecodeError on binary junk."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise DecodeError(f"{encoding} byte-order mark but undecodable bytes: {exc.reason}") from exc
    if b"\x00" in raw[:4000]:
        utf16 = _utf16_without_bom(raw)
        if utf16:
            try:
                return raw.decode(utf16), utf16
            except UnicodeDecodeError:
                pass
        raise DecodeError("binary content (NUL bytes), not a text report")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes  # only for the rare file neither UTF-8 nor GB18030

    best = from_bytes(raw).best()
    if best is None:
        raise DecodeError("no text encoding fits the bytes")
    return str(best), best.encoding
