"""Offsets through text rewrites: where a span of a rewritten text was in the text it was rewritten from.

Normalization (``normalize.normalize_text``) deletes text (tags, pinyin residue, page-number lines,
trailing spaces, ``\\r`` of ``\\r\\n``) and replaces some with text of another length (entities); its other
steps (full width to half width, traditional to simplified within a line of unchanged length) keep every
character where it was. Each rewrite that moves characters records the regions it changed (``Edits``); an
``OffsetMap`` is the sequence of them, and maps an offset of the last text back to the first. Only
the steps that changed something record anything, so most texts carry a handful of regions.
"""

from __future__ import annotations

import operator
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from typing import NamedTuple


class Edits(NamedTuple):
    """The regions one rewrite changed, in order: ``out_starts[k]:out_ends[k]`` of its output replaced
    ``in_starts[k]:in_ends[k]`` of its input (a deletion: ``out_starts[k] == out_ends[k]``)."""

    out_starts: tuple[int, ...]
    out_ends: tuple[int, ...]
    in_starts: tuple[int, ...]
    in_ends: tuple[int, ...]

    def to_input(self, offset: int, end: bool) -> int:
        """``offset`` of the output in the input. A token's start (``end`` False) maps after what was
        deleted right before it, its end before what was deleted right after it; an offset inside a
        replacement maps to the replaced region's start (a start) or end (an end)."""
        k = (bisect_left(self.out_starts, offset) if end else bisect_right(self.out_starts, offset)) - 1
        if k < 0:
            return offset
        if offset < self.out_ends[k] or (end and offset == self.out_ends[k]):
            return self.in_ends[k] if end else self.in_starts[k]
        return self.in_ends[k] + offset - self.out_ends[k]

    def spans_to_input(self, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        """``(to_input(start, False), to_input(end, True))`` of each span: a report maps the spans of every
        fact's cell (~130) through each step, and most steps only delete (line ends, trailing spaces)."""
        out_starts, out_ends, _, in_ends = self
        if out_starts != out_ends:  # a replacement among the regions
            return [(self.to_input(start, False), self.to_input(end, True)) for start, end in spans]
        # Deletions: no offset falls inside a region; each moves by what the regions before it deleted (at it:
        # after it for a start, before it for an end). A span's end moves as its start unless a region lies
        # inside the span or the span is empty, so most spans take one bisection.
        shifts = (0, *map(operator.sub, in_ends, out_ends))
        n = len(out_starts)
        out = []
        for start, end in spans:
            k = bisect_right(out_starts, start)  # regions at or before the start
            if end > start and (k == n or out_starts[k] >= end):
                out.append((start + shifts[k], end + shifts[k]))
            else:
                out.append((start + shifts[k], end + shifts[bisect_left(out_starts, end)]))
        return out

    def inverse(self) -> Edits:
        """The rewrite back: the output to the input."""
        return Edits(self.in_starts, self.in_ends, self.out_starts, self.out_ends)


def edits(regions: list[tuple[int, int, str]]) -> Edits:
    """The ``Edits`` of replacing each ``(start, end, replacement)`` of an input (in order, disjoint)."""
    out_starts, out_ends, in_starts, in_ends = [], [], [], []
    shift = 0
    for start, end, replacement in regions:
        out_starts.append(start + shift)
        shift += len(replacement) - (end - start)
        out_ends.append(end + shift)
        in_starts.append(start)
        in_ends.append(end)
    return Edits(tuple(out_starts), tuple(out_ends), tuple(in_starts), tuple(in_ends))


def sub(pattern: re.Pattern[str], replacement: str | Callable[[re.Match[str]], str], text: str,
        steps: list[Edits]) -> str:
    """``pattern.sub(replacement, text)`` (a string replacement taken literally), recording its edits."""
    regions = [(m.start(), m.end(), replacement if isinstance(replacement, str) else replacement(m))
               for m in pattern.finditer(text)]
    return replace(text, regions, steps)


def replace(text: str, regions: list[tuple[int, int, str]], steps: list[Edits]) -> str:
    """``text`` with each ``(start, end, replacement)`` region replaced (in order, disjoint), recording
    the edits (if any) in ``steps``."""
    if not regions:
        return text
    steps.append(edits(regions))
    parts: list[str] = []
    at = 0
    for start, end, new in regions:
        parts += (text[at:start], new)
        at = end
    parts.append(text[at:])
    return "".join(parts)


class OffsetMap(NamedTuple):
    """The rewrites from a first text to a last one, in the order they were made."""

    steps: tuple[Edits, ...]

    def to_first(self, start: int, end: int) -> tuple[int, int]:
        """The span ``start:end`` of the last text in the first."""
        for step in reversed(self.steps):
            start, end = step.to_input(start, False), step.to_input(end, True)
        return start, max(start, end)

    def spans_to_first(self, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        """``to_first`` of each span, a step at a time over all of them."""
        for step in reversed(self.steps):
            spans = step.spans_to_input(spans)
        return [(start, end if end > start else start) for start, end in spans]  # max(start, end)

    def first_slices(self, first: str, spans: Sequence[tuple[int, int]]) -> list[str]:
        """``first[slice(*to_first(*span))]`` of each span, ``first`` being the first text. (A span whose end
        maps before its start slices to nothing either way: ``to_first``'s ``max`` is not needed.)"""
        for step in reversed(self.steps):
            spans = step.spans_to_input(spans)
        return [first[start:end] for start, end in spans]


UNCHANGED = OffsetMap(())  # a text whose characters all stayed where they were
