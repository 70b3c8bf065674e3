"""Fuzzy matching of printed labels against the canonical label table.

Reports misspell labels (``考研机构``, ``无法 提取``, ``钩稽``, ``属于四类过程信息``); a label matches
a canonical one when its normalized similarity clears a length-aware cut-off and no other canonical
label of a different meaning scores about as well.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

ROW = "row"
GROUP = "group"
HEADER = "header"

_DROP = re.compile(r"[\s“”\"'‘’「」『』]")
_ENUM_PUNCT = re.compile(r"(?<=\d)[、,]")
# Units in column headers (采购总金额(万元), 本年收费金额(单位:万元)) are read separately; not part of the label.
_UNIT_SUFFIX = re.compile(r"\((?:单位:?)?(万元|元)\)$")
_ENUMERATOR = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十\d]+\)|\d+\.)")
# Rivals closer than this are a toss-up: no match rather than a guess.
_MARGIN = 4.0


@dataclass(frozen=True)
class LabelRef:
    kind: str  # ROW, GROUP or HEADER
    key: str
    also_group: bool = False  # a row in one template, a group heading in the other


@dataclass(frozen=True)
class Match:
    ref: LabelRef
    score: float


def label_key(text: str) -> str:
    """Comparable form of a label: no spaces or quotes, ``1、`` written ``1.``."""
    return _UNIT_SUFFIX.sub("", _ENUM_PUNCT.sub(".", _DROP.sub("", text)))


@functools.lru_cache(maxsize=1 << 14)  # asked for every label before every row's numbers
def unit_suffix(text: str) -> str | None:
    """The money unit a header prints at its end (``本年收费金额(单位:万元)`` → ``万元``)."""
    m = _UNIT_SUFFIX.search(_DROP.sub("", text))
    return m.group(1) if m else None


def core(text: str) -> str:
    """A label without its enumerator: ``(一)予以公开`` → ``予以公开``."""
    return _ENUMERATOR.sub("", text)


def _cutoff(key: str) -> float:
    # One wrong character in a four-character label (考研机构) scores 75; longer labels need more.
    return 75.0 if len(key) <= 4 else 80.0


class LabelMatcher:
    def __init__(self, entries: Iterable[tuple[str, LabelRef]]):
        seen: dict[str, LabelRef] = {}
        for text, ref in entries:
            seen.setdefault(label_key(text), ref)  # first entry wins: rows are listed before groups
        self._choices = list(seen)
        self._refs = list(seen.values())
        self._rows = [i for i, ref in enumerate(self._refs) if ref.kind == ROW]
        self._row_cores = [core(self._choices[i]) for i in self._rows]
        self.match = functools.lru_cache(maxsize=4096)(self._match)
        self.match_row = functools.lru_cache(maxsize=4096)(self._match_row)

    def _best(self, key: str, choices: list[str], refs: list[LabelRef]) -> Match | None:
        if not key:
            return None
        hits = process.extract(key, choices, scorer=fuzz.ratio, limit=4, score_cutoff=_cutoff(key))
        if not hits:
            return None
        _, best_score, best_index = hits[0]
        best = refs[best_index]
        for _, score, index in hits[1:]:
            if refs[index] != best and best_score - score < _MARGIN and best_score < 100:
                return None
        return Match(best, best_score)

    def _match(self, text: str) -> Match | None:
        """Best canonical label of any kind."""
        return self._best(label_key(text), self._choices, self._refs)

    def _match_row(self, text: str) -> Match | None:
        """Best row label, for a label printed on the same line as numbers: there it can only name
        a row, so a bare ``其他`` or ``总计`` is read as the row, and enumerators may differ."""
        key = label_key(text)
        rows = [self._refs[i] for i in self._rows]
        found = self._best(key, [self._choices[i] for i in self._rows], rows)
        if found is None:
            found = self._best(core(key), self._row_cores, rows)
        return found
