"""Characters with boxes → lines of words, as pdfplumber's ``extract_text`` / ``extract_text_lines`` make
them with their default tolerances (the PDFium reader keeps the pdfplumber reader's text).

Characters whose tops are less than 3 pt apart (chained) are one line, read left to right; a word ends at
a space character or a gap of more than 3 pt; words are joined by one space.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import NamedTuple

from .pdf_pdfium import Char
from .rulings import clusters

X_TOLERANCE = 3.0
Y_TOLERANCE = 3.0


class Line(NamedTuple):
    text: str
    x0: float
    x1: float
    top: float
    bottom: float


def _lines_by_top(items: Sequence, tops: Sequence[float]) -> list[list]:
    """Items grouped by line (tops less than Y_TOLERANCE apart, chained), lines top to bottom, items in
    their order. Most groups (a table cell, one line of a page) are one line: no clustering then."""
    if max(tops) - min(tops) <= Y_TOLERANCE:
        return [list(items)]
    cluster = clusters(tops, Y_TOLERANCE)
    grouped: dict[int, list] = {}
    for item, top in zip(items, tops):
        grouped.setdefault(cluster[top], []).append(item)
    return [grouped[k] for k in sorted(grouped)]


def _words(chars: Sequence[Char]) -> list[list[Char]]:
    """Words (lists of characters) line by line, lines top to bottom."""
    words: list[list[Char]] = []
    if not chars:
        return words
    for line in _lines_by_top(chars, [c[3] for c in chars]):
        word: list[Char] = []
        last = None
        for c in sorted(line, key=_X0):
            if c[0].isspace():
                if word:
                    words.append(word)
                word, last = [], None
                continue
            # c = (text, x0, x1, top, bottom): a new word after a gap of more than X_TOLERANCE, a step
            # back, or another line's top
            if last is not None and (c[1] < last[1] or c[1] > last[2] + X_TOLERANCE or abs(c[3] - last[3]) > Y_TOLERANCE):
                words.append(word)
                word = []
            word.append(c)
            last = c
        if word:
            words.append(word)
    return words


_X0 = itemgetter(1)


def _word_lines(chars: Sequence[Char], keep_order: bool) -> list[list[list[Char]]]:
    """Words clustered into lines again by their tops (pdfplumber clusters twice: characters, then words);
    ``keep_order`` groups consecutive words (the page text map), else lines are sorted by position."""
    words = _words(chars)
    if not words:
        return []
    tops = [min(c[3] for c in w) for w in words]
    if not keep_order:
        return _lines_by_top(words, tops)
    if max(tops) - min(tops) <= Y_TOLERANCE:
        return [words]
    cluster = clusters(tops, Y_TOLERANCE)
    lines: list[list[list[Char]]] = []
    previous = None
    for word, top in zip(words, tops):
        k = cluster[top]
        if k != previous:
            lines.append([])
            previous = k
        lines[-1].append(word)
    return lines


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
