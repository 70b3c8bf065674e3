"""Split a normalized report into its preamble and the six standard sections.

A heading is a short line that contains one of a section's key phrases (vocabulary.SECTIONS), usually
numbered ``一、``. Sections are taken in template order, each after the previous one, so a narrative
sub-heading that repeats a phrase earlier in the text does not steal the section.
"""

from __future__ import annotations

import re

from .records import SectionRecord
from .vocabulary import PREAMBLE, SECTIONS

_NUMBERED = re.compile(r"^\s*(?:[一二三四五六七八九十]{1,2}\s*[、.,:]|第[一二三四五六七八九十]{1,2}部分)")
# "(一)主动公开政府信息情况" is a sub-heading of the overview, never a section.
_SUB_NUMBERED = re.compile(r"^\s*[(（][一二三四五六七八九十\d]{1,2}[)）]")
_MAX_HEADING_CHARS = 40
_LINE = re.compile(r"[^\n]*\n?")


def _heading_lines(text: str) -> list[tuple[int, int, str]]:
    """(start, end, stripped line) of every line short enough to be a heading."""
    out = []
    for m in _LINE.finditer(text):
        line = m.group(0).strip()
        if line and len(line) <= _MAX_HEADING_CHARS:
            out.append((m.start(), m.end(), line))
    return out


def _is_heading_of(line: str, phrases: tuple[str, ...]) -> bool:
    compact = re.sub(r"\s+", "", line)
    if _SUB_NUMBERED.match(compact):
        return False
    for phrase in phrases:
        if phrase in compact:
            # Numbered, or the phrase is (nearly) the whole line: not a sentence that mentions it.
            return bool(_NUMBERED.match(compact)) or len(compact) <= len(phrase) + 8
    return False


def split_sections(text: str) -> list[SectionRecord]:
    """Preamble plus every standard section found, with headings and offsets into ``text``."""
    found: list[tuple[int, int, int, str]] = []  # (section index, line start, line end, heading)
    candidates = _heading_lines(text)
    pos = 0
    for index, section in enumerate(SECTIONS):
        for start, end, line in candidates:
            if start >= pos and _is_heading_of(line, section.phrases):
                found.append((index, start, end, line))
                pos = end
                break
    records = []
    first_start = found[0][1] if found else len(text)
    if first_start > 0:
        records.append(SectionRecord(PREAMBLE.no, PREAMBLE.key, "", text[:first_start], 0, first_start))
    for k, (index, _start, end, heading) in enumerate(found):
        stop = found[k + 1][1] if k + 1 < len(found) else len(text)
        section = SECTIONS[index]
        # Offsets delimit the body, so text == normalized_text[char_start:char_end].
        records.append(SectionRecord(section.no, section.key, heading, text[end:stop], end, stop))
    return records
