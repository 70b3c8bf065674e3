"""One raw file to one ParsedReport (or a Quarantined record): the whole pure pipeline."""

from __future__ import annotations

from .records import ParsedReport, Quarantined


def parse_report(raw: bytes, source_file: str) -> ParsedReport | Quarantined:
    """Decode, normalize, section, extract tables and metadata. Never raises on bad input."""
    raise NotImplementedError  # being written in this session
