"""Characters with boxes → lines of words, as pdfplumber's ``extract_text`` / ``extract_text_lines`` make
them with their default tolerances (the PDFium reader keeps the pdfplumber reader's text).

Characters whose tops are less than 3 pt apart (chained) are one line, read left to right; a word ends at
a space character or a gap of more than 3 pt; words are joined by one space.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from .pdf_pdfium import Char

X_TOLERANCE = 3.0
Y_TOLERANCE = 3.0


class Line(NamedTuple):
    text: str
    x0: float
    x1: float
    top: float
    bottom: float


def _cluster_ids(values: Sequence[float], tolerance: float) -> dict[float, int]:
    out: dict[float, int] = {}
    last = None
    k = -1
    for x in sorted(set(values)):
        if last is None or x > last + tolerance:
            k += 1
        out[x] = k
        last = x
    return out


def _words(chars: Sequence[Char]) -> list[list[Char]]:
    """Words (lists of characters) line by line, lines top to bottom."""
    cluster = _cluster_ids([c.top for c in chars], Y_TOLERANCE)
    by_line: dict[int, list[Char]] = {}
    for c in chars:
        by_line.setdefault(cluster[c.top], []).append(c)
    words: list[list[Char]] = []
    for k in sorted(by_line):
        word: list[Char] = []
        for c in sorted(by_line[k], key=lambda c: c.x0):
            if c.text.isspace():
                if word:
                    words.append(word)
                word = []
                continue
            if word:
                last = word[-1]
                if c.x0 < last.x0 or c.x0 > last.x1 + X_TOLERANCE or abs(c.top - last.top) > Y_TOLERANCE:
                    words.append(word)
                    word = []
            word.append(c)
        if word:
            words.append(word)
    return words


def _word_lines(chars: Sequence[Char], keep_order: bool) -> list[list[list[Char]]]:
    """Words clustered into lines again by their tops (pdfplumber clusters twice: characters, then words);
    ``keep_order`` groups consecutive words (the page text map), else lines are sorted by position."""
    words = _words(chars)
    tops = [min(c.top for c in w) for w in words]
    cluster = _cluster_ids(tops, Y_TOLERANCE)
    lines: list[list[list[Char]]] = []
    if keep_order:
        previous = None
        for word, top in zip(words, tops):
            k = cluster[top]
            if k != previous:
                lines.append([])
                previous = k
            lines[-1].append(word)
        return lines
    grouped: dict[int, list[list[Char]]] = {}
    for word, top in zip(words, tops):
        grouped.setdefault(cluster[top], []).append(word)
    return [grouped[k] for k in sorted(grouped)]


def text_lines(chars: Sequence[Char]) -> list[Line]:
    """The page's lines of text with their boxes (``extract_text_lines(strip=True)``)."""
    out = []
    for words in _word_lines(chars, keep_order=True):
        line_chars = [c for w in words for c in w]
        out.append(
            Line(
                " ".join("".join(c.text for c in w) for w in words),
                min(c.x0 for c in line_chars),
                max(c.x1 for c in line_chars),
                min(c.top for c in line_chars),
                max(c.bottom for c in line_chars),
            )
        )
    return out


def block_text(chars: Sequence[Char]) -> str:
    """A table cell's text: its lines joined by line breaks (``extract_text``)."""
    if len(chars) <= 1:  # most cells: one digit
        return "" if not chars or chars[0].text.isspace() else chars[0].text
    return "\n".join(" ".join("".join(c.text for c in w) for w in words) for words in _word_lines(chars, False))
