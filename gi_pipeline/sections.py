"""Split a normalized report into its preamble and the six standard sections.

A heading is a short line that contains one of a section's key phrases (vocabulary.SECTIONS), usually
numbered ``一、``. Sections are taken in template order, each after the previous one, so a narrative
sub-heading that repeats a phrase earlier in the text does not steal the section.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from .records import SectionRecord
from .vocabulary import PREAMBLE, SECTIONS

_NUMBERED = re.compile(r"^\s*(?:[一二三四五六七八九十]{1,2}\s*[、.,:]|第[一二三四五六七八九十]{1,2}部分)")
# "(一)主动公开政府信息情况" is a sub-heading of the overview, never a section.
_SUB_NUMBERED = re.compile(r"^\s*[(（][一二三四五六七八九十\d]{1,2}[)）]")
_MAX_HEADING_CHARS = 40
# A markdown conversion's heading marker (## 四、存在的主要问题及改进情况) is not part of the heading.
_MARKDOWN_MARK = re.compile(r"^#{1,6}\s*")
# Any section's phrase, with spaces allowed between its characters as headings are compared without
# spaces: a line without one heads no section, so one scan skips most lines unread.
_ANY_PHRASE = re.compile(
    "|".join(r"[^\S\n]*".join(map(re.escape, phrase)) for section in SECTIONS for phrase in section.phrases)
)


def _heading_lines(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, stripped line, line without spaces) of every line that holds a section phrase, short
    enough to be a heading and not a sub-heading; end includes the newline. Once per text, not per
    section."""
    out = []
    pos = 0
    while m := _ANY_PHRASE.search(text, pos):
        start = text.rfind("\n", 0, m.start()) + 1
        newline = text.find("\n", m.end())
        end = len(text) if newline < 0 else newline + 1
        line = text[start:end].strip()
        if line.startswith("#"):
            line = _MARKDOWN_MARK.sub("", line)
        if len(line) <= _MAX_HEADING_CHARS:
            compact = "".join(line.split())  # re.sub(r"\s+", "", line): same whitespace, 5x faster
            if not _SUB_NUMBERED.match(compact):
                out.append((start, end, line, compact))
        pos = end
    return out


def _is_heading_of(compact: str, phrases: tuple[str, ...]) -> bool:
    """``compact``: a candidate line without spaces (``_heading_lines``)."""
    for phrase in phrases:
        if phrase in compact:
            # Numbered, or the phrase is (nearly) the whole line: not a sentence that mentions it.
            return bool(_NUMBERED.match(compact)) or len(compact) <= len(phrase) + 8
    return False


def split_sections(text: str) -> list[SectionRecord]:
    """Preamble plus every standard section found, with headings and offsets into ``text``."""
    found: list[tuple[int, int, int, str]] = []  # (section index, line start, line end, heading)
    candidates = _heading_lines(text)
    starts = [c[0] for c in candidates]
    pos = 0
    for index, section in enumerate(SECTIONS):
        for start, end, line, compact in candidates[bisect_left(starts, pos) :]:  # the lines after pos
            if _is_heading_of(compact, section.phrases):
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
