"""Text normalization: one canonical form for every report, whatever its source quirks.

Steps, in order: line endings; HTML tags/entities and ``[bookmark: …]`` residue; pinyin residue such as
``區(qū)``; traditional→simplified (only when the text is traditional); full-width
ASCII and ideographic spaces to half-width; stray ``?`` marks and page-number lines. The steps that move
characters record where (``NormalizedText.offsets``), so a span of the normalized text maps back to the
text as the reader gave it (a cell's token as printed, ``provenance``).
"""

from __future__ import annotations

import functools
import html
import itertools
import operator
import re
from dataclasses import dataclass
from importlib import resources

from . import offsets
from .offsets import UNCHANGED, Edits, OffsetMap

_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_ENTITY = re.compile(r"&(?:#\d{1,6}|#x[0-9A-Fa-f]{1,6}|[A-Za-z]{2,8});")
_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
# A CJK character followed by its pinyin with a tone mark: 區(qū), 發(fā). The tone mark keeps
# ordinary parenthesised Latin text (GB, PDF, http) out. The paren comes first and the CJK character is
# looked behind from it, so the pattern is tried only at the parens (``_pinyin_residue``).
_PINYIN_RESIDUE = re.compile(
    r"[(（](?<=[\u3400-\u9fff][(（])([a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹ][a-zü]*)[)）]"
)
# Lines dropped whole: page numbers, and lone "?" marks. Matched from the newline before the line (the
# text gets one in front): a leading "\n" lets ``re`` scan for it, where a MULTILINE ``^`` is tried at
# every position (2x faster).
_DROPPED_LINE = re.compile(
    r"\n[ \t]*(?:\?+|[-—–－]{1,2}[ \t]*\d{1,4}[ \t]*[-—–－]{1,2}"
    r"|第[ \t]*\d{1,4}[ \t]*页(?:[ \t]*[,，/]?[ \t]*共[ \t]*\d{1,4}[ \t]*页)?"
    r"|\d{1,4}[ \t]*/[ \t]*\d{1,4}|page[ \t]*\d{1,4})[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_STRAY_QUESTION_MARKS = re.compile(r"^[ \t]*[?？]+|[?？]+[ \t]*$", re.MULTILINE)
_CR_BEFORE_LF_OR_BOM = re.compile("\r(?=\n)|\ufeff")
_NUL = re.compile("\x00")  # not text: dropped
_TRAILING_SPACES = re.compile(r"[ \u3000\xa0]+$", re.MULTILINE)

# Full-width ASCII (！ to ～) → ASCII; ideographic and no-break spaces → space.
_WIDTH_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0xA0: 0x20}
# Chinese number punctuation that has one meaning in a table cell.
_WIDTH_TABLE |= {ord("．"): ord("."), ord("﹒"): ord(".")}
# str.translate looks every character of a CJK text up in a dict; finding the few wide characters a
# text holds with one regex scan and replacing just those is 4x faster.
_WIDTH_MAP = {chr(k): chr(v) for k, v in _WIDTH_TABLE.items()}
_WIDE = re.compile(f"[{re.escape(''.join(sorted(_WIDTH_MAP)))}]")


@functools.cache
def _traditional_chars() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Characters that only occur in traditional writing (keys of OpenCC's TS table minus identical,
    shipped as ``data/traditional_chars.txt``: the C++ OpenCC wheel has no text dictionaries), as two
    classes: the BMP ones, and the few astral ones (an astral character in a class keeps ``re`` off its
    fast path, which made this test cost 2.7 ms per report)."""
    text = (resources.files("gi_pipeline") / "data" / "traditional_chars.txt").read_text(encoding="utf-8")
    chars = {c for line in text.splitlines() if not line.startswith("#") for c in line.strip()}
    bmp = "".join(sorted(c for c in chars if c <= "\uffff"))
    astral = "".join(sorted(c for c in chars if c > "\uffff"))
    return re.compile(f"[{re.escape(bmp)}]"), re.compile(f"[{re.escape(astral)}]")


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _has_astral(text: str) -> bool:
    """Whether ``text`` holds a character beyond the BMP: one takes two UTF-16 units. Encoding is 3x
    faster than a regex class of the astral planes, which ``re`` tests character by character."""
    return len(text.encode("utf-16-le", "surrogatepass")) > 2 * len(text)


@functools.cache
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


def is_traditional(text: str) -> bool:
    """Cheap test: a real share of traditional-only characters (a few appear in simplified texts too)."""
    sample = text[:20000]
    bmp, astral = _traditional_chars()
    # The counts stop as soon as they decide: hits only grow with more of the sample, and the sample
    # has at most len(sample) CJK characters. A traditional text is decided by its first lines.
    hits = len(bmp.findall(sample, 0, 2000))
    if hits >= 5 and hits * 50 >= len(sample):
        return True
    hits += len(bmp.findall(sample, 2000))
    if _has_astral(sample):
        hits += len(astral.findall(sample))
    if hits < 5:
        return False  # most texts: no need to count their CJK characters
    if hits * 50 >= len(sample):
        return True
    return hits * 50 >= len(_CJK.findall(sample))  # ≥ 2% of CJK characters


@functools.lru_cache(maxsize=1 << 14)
def _simplified_line(line: str) -> str:
    return _t2s().convert(line)


def to_simplified(text: str, steps: list[Edits] | None = None) -> str:
    # OpenCC converts the longest phrases it knows, and none spans a newline: line by line gives the same
    # text, and lines (table rows, headings) repeat across reports, so most are converted once (3x faster).
    lines = text.split("\n")
    converted = list(map(_simplified_line, lines))
    if steps is not None:  # a phrase of another length (rare): its whole line is the changed region
        regions, at = [], 0
        for line, new in zip(lines, converted):
            if len(line) != len(new):
                regions.append((at, at + len(line), new))
            at += len(line) + 1
        if regions:
            steps.append(offsets.edits(regions))
    return "\n".join(converted)


@dataclass(frozen=True)
class NormalizedText:
    original: str
    text: str
    traditional: bool
    offsets: OffsetMap = UNCHANGED  # ``text`` back to ``original``


def _strip_markup(text: str, steps: list[Edits]) -> str:
    if "<" in text:
        text = offsets.sub(_TAG, "", text, steps)
    if "&" in text:
        text = offsets.sub(_ENTITY, lambda m: html.unescape(m.group(0)), text, steps)
    return offsets.sub(_BOOKMARK, "", text, steps) if "[bookmark:" in text else text


def _pinyin_residue(text: str) -> list[tuple[int, int, str]]:
    """``_PINYIN_RESIDUE``'s matches in ``text``, as regions to delete. A match starts at a paren: the parens
    are found by ``str.find`` and the pattern is tried at each (twice as fast as ``finditer``, which tests
    every character against the paren class)."""
    regions: list[tuple[int, int, str]] = []
    half, full = text.find("("), text.find("（")
    while half >= 0 or full >= 0:
        at = full if half < 0 or 0 <= full < half else half  # the next paren of either width
        after = at + 1
        if m := _PINYIN_RESIDUE.match(text, at):  # its look-behind sees the text before ``at``
            regions.append((at, m.end(), ""))
            after = m.end()
        if 0 <= half < after:
            half = text.find("(", after)
        if 0 <= full < after:
            full = text.find("（", after)
    return regions


def _drop_cr_before_lf(text: str, steps: list[Edits]) -> str:
    """``offsets.sub(_CR_BEFORE_LF_OR_BOM, "", text, steps)`` for a text without a BOM: split at each
    ``\r\n``, the deletions' offsets summed from the pieces' lengths in C (a CRLF text has a deletion a
    line, and the regex with its look-ahead cost ~90 µs a report)."""
    pieces = text.split("\r\n")
    if len(pieces) == 1:
        return text
    before = list(itertools.accumulate(map(len, pieces[:-1])))  # characters of the pieces before each CR
    n = len(before)
    in_starts = tuple(map(operator.add, before, range(0, 2 * n, 2)))  # and two per CRLF before it
    out_starts = tuple(map(operator.add, before, range(n)))  # and one per LF before it
    steps.append(Edits(out_starts, out_starts, in_starts, tuple(start + 1 for start in in_starts)))
    return "\n".join(pieces)


def _drop_lines(text: str, steps: list[Edits]) -> str:
    """``text`` without its ``_DROPPED_LINE`` lines, each with the line break after it."""
    regions = []
    for m in _DROPPED_LINE.finditer("\n" + text):  # the match's "\n" is the one before its line
        end = m.end() - 1
        regions.append((m.start(), end + (text[end : end + 1] == "\n"), ""))
    return offsets.replace(text, regions, steps)


def to_half_width(text: str) -> str:
    """``text.translate(_WIDTH_TABLE)``."""
    pos = 0
    while m := _WIDE.search(text, pos):  # each distinct wide character once, all its places at a time
        wide = m.group()
        text = text.replace(wide, _WIDTH_MAP[wide])  # same length: later positions stay
        pos = m.end()
    return text


def normalize_text(original: str) -> NormalizedText:
    steps: list[Edits] = []  # the rewrites that move characters, for ``NormalizedText.offsets``
    text = original
    if "\ufeff" in text:
        text = offsets.sub(_CR_BEFORE_LF_OR_BOM, "", text, steps).replace("\r", "\n")
    elif "\r" in text:
        text = _drop_cr_before_lf(text, steps).replace("\r", "\n")
    text = text.replace("\f", "\n")
    text = _strip_markup(text, steps)
    text = offsets.replace(text, _pinyin_residue(text), steps)
    traditional = is_traditional(text)
    if traditional:
        text = to_simplified(text, steps)
    text = to_half_width(text)  # one character for one: no offset moves
    if "\x00" in text:
        text = offsets.sub(_NUL, "", text, steps)
    # Page numbers and lone "?" are dropped as whole lines, with their line break: a blank left behind would
    # split a row. (Full-width ？ is ? by now: the question-mark passes run only on texts that hold one.)
    text = _drop_lines(text, steps)
    if "?" in text:
        text = offsets.sub(_STRAY_QUESTION_MARKS, "", text, steps)
    if " \n" in text or text.endswith(" "):  # ideographic and no-break spaces are spaces by now
        text = offsets.sub(_TRAILING_SPACES, "", text, steps)
    return NormalizedText(original=original, text=text, traditional=traditional, offsets=OffsetMap(tuple(steps)))


def normalize_token(token: str) -> str:
    """One token (a table cell) as ``normalize_text`` writes it inside a text: half width, simplified."""
    token = to_half_width(token)
    return _simplified_line(token) if _traditional_chars()[0].search(token) else token
