"""Tables whose cell separators were lost: a report saved as one run of text.

Crawlers that flatten a page write a table as one run of characters: ``一、本年新收政府信息公开申请数量
801000081二、上年结转…0000000(一)予以公开…``. Such a table is segmented by its row labels (the
vocabulary's labels, matched exactly up to spaces, then misspelt ones fuzzily; a label's list number
``2.`` is the label's, not the previous row's last digit) and each row's run is split into cells by ``gi_pipeline.digit_split`` under
the table's identities. Only tables detected as flattened come here (``is_flattened``: several row
labels, each directly followed by numbers, on one line), so other reports never pay for the search.

A report flattened as a whole has no heading lines either: ``inline_sections`` finds its numbered
section headings inside the run of text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from . import labels as labels_module
from . import vocabulary as v
from .cells import VALUE, Cell, Span
from .digit_split import Identity, RowShape, RowSplit, how_decided, solve, split_row
from .labels import LabelMatcher
from .records import DisclosureFact, QualityIssue, RequestFact, ReviewFact, SectionRecord
from .tables import _DISCLOSURE, _REQUESTS, _disclosure_row, _request_row, _review_row
from .template import request_row_keys, rows_merged_detail, template_of_request_rows, vote_template

# ---------------------------------------------------------------------------------------------
# Finding labels in a run of text
# ---------------------------------------------------------------------------------------------

# A run of numbers after a label: tokens of digits (with a decimal part, separators or a unit) separated
# by spaces or cell separators that survived. A dot not followed by a digit ends the run: ``6.`` before
# a label's words is the label's list number.
_TOKEN = r"[+-]?\d(?:[\d,]|\.(?=\d))*(?:万元|元|万)?"
_NUMBER_RUN = re.compile(rf"[\s|\x1f]*({_TOKEN}(?:(?:[\s|\x1f]+|(?=[+-])){_TOKEN})*)")
# Text that is no known label, then numbers: a misspelt row label and its run.
_TEXT_THEN_RUN = re.compile(rf"(\D+?){_NUMBER_RUN.pattern}")
_LIST_DOT = re.compile(r"\s*[.、]")
_WORD = re.compile(r"[^\W\d_]")  # a letter or a CJK character
_LIST_NUMBER = re.compile(r"^(\d)\.")
_SPACES = re.compile(r"\s+")


def _label_regex(label: str) -> str:
    """A label with optional spaces between its characters; a list number's dot may be printed 、."""
    m = _LIST_NUMBER.match(label)
    head = ""
    if m:
        head = m.group(1) + r"\s*[.、,]\s*"
        label = label[m.end() :]
    return head + r"\s*".join(re.escape(ch) for ch in label)


def _compact(found: str) -> str:
    text = _SPACES.sub("", found)
    return re.sub(r"^(\d)[、,]", r"\1.", text)


@dataclass(frozen=True)
class _Labels:
    pattern: re.Pattern[str]
    key_of: dict[str, str]  # compact label → row key
    fused: re.Pattern[str]  # a label directly followed by a number
    cores: tuple[str, ...]  # the labels without list numbers, for a quick look before any regex

    @classmethod
    def build(cls, rows: Sequence[tuple[str, Sequence[str]]]) -> _Labels:
        key_of = {label: key for key, labels in rows for label in labels}
        ordered = sorted(key_of, key=len, reverse=True)  # the longest label wins at a position
        alternatives = "|".join(map(_label_regex, ordered))
        cores = tuple(dict.fromkeys(_LIST_NUMBER.sub("", label) for label in ordered))
        return cls(re.compile(alternatives), key_of, re.compile(rf"(?:{alternatives})(?=[\s|\x1f]*[+-]?\d)"), cores)


_REQUEST_LABELS = _Labels.build([(row.key, row.labels) for row in v.REQUEST_ROWS])
_DISCLOSURE_LABELS = _Labels.build([(item.key, item.labels) for item in v.DISCLOSURE_ITEMS])
_REVIEW_HEADERS = re.compile("|".join(map(_label_regex, sorted(v.REVIEW_HEADER_LABELS, key=len, reverse=True))))
_HEADER_UNIT = re.compile(r"\((?:单位:?)?(万元|元)\)")


@dataclass
class _Occurrence:
    key: str | None  # None: numbers after text that names no row
    run: str  # the numbers printed after the label ("" when none)
    before: str  # text since the previous label (column headers)
    label: str  # the label as printed
    cut_short: str = ""  # the symbols after the run that more numbers follow (a dash, a slash): run incomplete
    at: int = 0  # where the run starts in the text (provenance)


def _occurrences(text: str, labels: _Labels, matcher: LabelMatcher) -> list[_Occurrence]:
    """Each row label in ``text`` with the numbers printed after it. Labels are found exactly (up to
    spaces); text between a run and the next exact label that holds numbers is matched fuzzily
    (misspelt labels), its list number taken back from the end of the run before it."""
    found = list(labels.pattern.finditer(text))
    out: list[_Occurrence] = []
    previous_end = 0
    for k, m in enumerate(found):
        stop = found[k + 1].start() if k + 1 < len(found) else len(text)
        segment = text[m.end() : stop]
        run = _NUMBER_RUN.match(segment)
        occurrence = _Occurrence(
            labels.key_of.get(_compact(m.group())),
            run.group(1) if run else "",
            text[previous_end : m.start()],
            m.group(),
            at=m.end() + run.start(1) if run else m.end(),
        )
        out.append(occurrence)
        previous_end = m.end()
        start = run.end() if run else 0
        if not any(c.isdigit() for c in segment[start:]):
            continue
        for piece in _TEXT_THEN_RUN.finditer(segment, start):
            label = piece.group(1)
            if _LIST_DOT.match(label) and occurrence.run and occurrence.run[-1].isdigit():
                label = occurrence.run[-1] + label  # the list number of this label, not the row's last digit
                occurrence.run = occurrence.run[:-1].rstrip()
            hit = matcher.match(label.strip())
            key = hit.ref.key if hit and hit.ref.kind == labels_module.ROW else None
            if key is None and not _WORD.search(label):
                occurrence.cut_short = label.strip()  # no words: the row's numbers go on past the run
            occurrence = _Occurrence(key, piece.group(2), "", label.strip(), at=m.end() + piece.start(2))
            out.append(occurrence)
    return out


# A line this long may be a flattened table; shorter lines are a table's rows (checked first: cheap).
_MIN_FLAT_LINE = 60
# Row labels followed directly by numbers on one line that make a table flattened.
_MIN_FUSED_LABELS = {v.TABLE_REQUESTS: 3, v.TABLE_ACTIVE_DISCLOSURE: 2}


def _is_flattened(text: str, labels: _Labels, threshold: int) -> bool:
    for line in text.split("\n"):
        # Long lines only, and of those only lines that print several labels (substring tests) are
        # searched for labels directly followed by numbers: about 25 us for a report that is not flattened.
        if len(line) < _MIN_FLAT_LINE or sum(core in line for core in labels.cores) < threshold:
            continue
        if len(labels.fused.findall(line)) >= threshold:
            return True
    return False


def is_flattened(sections: dict[str, SectionRecord]) -> bool:
    """Whether table 三 or 二 is printed with its rows run together on one line."""
    requests = sections.get("requests")
    if requests is not None and _is_flattened(requests.text, _REQUEST_LABELS, _MIN_FUSED_LABELS[v.TABLE_REQUESTS]):
        return True
    disclosure = sections.get("active_disclosure")
    threshold = _MIN_FUSED_LABELS[v.TABLE_ACTIVE_DISCLOSURE]
    return disclosure is not None and _is_flattened(disclosure.text, _DISCLOSURE_LABELS, threshold)


# ---------------------------------------------------------------------------------------------
# Sections of a report flattened as a whole
# ---------------------------------------------------------------------------------------------

_NUMERALS = "一二三四五六七八九十"
# A numbered heading inside running text: the numeral, 、, then the heading's words up to a digit or space.
_INLINE_HEADING = re.compile(r"(?<![(第一二三四五六七八九十])([一二三四五六])\s*、\s*([^\d\s。;]{2,24})")
_MIN_FLAT_TEXT_LINE = 1000
# Heading words compared to a section's phrases: one missing or extra character still matches
# (政府信息公开行政法复议、行政诉讼情况).
_HEADING_SCORE = 85.0
_HEADING_TAIL = re.compile(r"[^\s]{0,4}?情况|[^\s]{0,4}?事项")


def inline_sections(text: str, found: list[SectionRecord]) -> list[SectionRecord]:
    """Sections of a report whose text runs on one line, found by their numbered headings (``三、收到和
    处理政府信息公开申请情况``) in order; ``found`` (the line-based split) is kept unless the text has such
    a line and more sections are found inline."""
    if max(map(len, text.split("\n"))) < _MIN_FLAT_TEXT_LINE:
        return found
    headings: list[tuple[int, int, int, str]] = []  # (section index, heading start, heading end, heading)
    pos = 0
    for index, section in enumerate(v.SECTIONS):
        numeral = _NUMERALS[section.no - 1]
        for m in _INLINE_HEADING.finditer(text, pos):
            if m.group(1) != numeral:
                continue
            words = m.group(2)
            end = _phrase_end(words, section.phrases)
            if end is not None:
                headings.append((index, m.start(), m.start(2) + end, text[m.start() : m.start(2) + end]))
                pos = m.start(2) + end
                break
    if len(headings) <= sum(s.section_key != v.PREAMBLE.key for s in found):
        return found
    records = []
    if headings[0][1] > 0:
        records.append(SectionRecord(v.PREAMBLE.no, v.PREAMBLE.key, "", text[: headings[0][1]], 0, headings[0][1]))
    for k, (index, _start, end, heading) in enumerate(headings):
        stop = headings[k + 1][1] if k + 1 < len(headings) else len(text)
        section = v.SECTIONS[index]
        records.append(SectionRecord(section.no, section.key, heading, text[end:stop], end, stop))
    return records


def _phrase_end(words: str, phrases: Sequence[str]) -> int | None:
    """Where a section's phrase ends in a heading's words, or None when none matches."""
    end = None
    for phrase in phrases:
        at = words.find(phrase)
        if at >= 0:
            end = at + len(phrase)
            break
    else:
        for phrase in phrases:
            aligned = fuzz.partial_ratio_alignment(phrase, words, score_cutoff=_HEADING_SCORE)
            if aligned is not None:
                end = aligned.dest_end
                break
    if end is not None:
        # The heading's own ending (…的情况, 情况) belongs to it, not to the section's body.
        m = _HEADING_TAIL.match(words, end)
        end = m.end() if m else end
    return end


# ---------------------------------------------------------------------------------------------
# Reading the tables
# ---------------------------------------------------------------------------------------------

_COUNT_DIGITS = 7  # a count cell of table 三 or 四 (millions of requests: never printed)
_DISCLOSURE_DIGITS = 9
_MONEY_DIGITS = 12

_REQUEST_SHAPE = RowShape(
    cells=len(v.APPLICANTS),
    max_digits=(_COUNT_DIGITS,) * len(v.APPLICANTS),
    sums=((len(v.APPLICANT_PARTS), tuple(range(len(v.APPLICANT_PARTS)))),),
    sums_text="total = sum of the six applicant columns",
)
_N_OUTCOMES = len(v.OUTCOMES)
_REVIEW_SHAPE = RowShape(
    cells=len(v.REVIEW_LITIGATION_CELLS),
    max_digits=(_COUNT_DIGITS,) * len(v.REVIEW_LITIGATION_CELLS),
    sums=tuple(
        (p * _N_OUTCOMES + v.OUTCOMES.index(v.OUTCOME_TOTAL), tuple(p * _N_OUTCOMES + i for i in range(4)))
        for p in range(len(v.PROCEEDINGS))
    ),
    sums_text="total = upheld + corrected + other + pending for each proceeding",
)
_REVIEW_KEY = "review_litigation"


def _request_identities(keys: Sequence[str]) -> tuple[Identity, ...]:
    """Table 三's identities over the rows it is read with (``template.request_row_keys``)."""
    columns = tuple(range(len(v.APPLICANTS)))
    results = [key for key in keys if key in v.RESULT_ROW_KEYS]
    return (
        Identity(
            "results_total = sum of the result rows (一)..(六)",
            (("results_total", 1), *((key, -1) for key in results)),
            columns,
        ),
        Identity(
            "new_received + carried_over = results_total + carried_forward",
            (("new_received", 1), ("carried_over", 1), ("results_total", -1), ("carried_forward", -1)),
            columns,
        ),
    )


@functools.lru_cache(maxsize=64)
def _disclosure_shape(metrics: tuple[str, ...]) -> RowShape:
    money = frozenset(i for i, m in enumerate(metrics) if m == v.METRIC_MONEY)
    return RowShape(
        cells=len(metrics),
        max_digits=tuple(_MONEY_DIGITS if i in money else _DISCLOSURE_DIGITS for i in range(len(metrics))),
        money=money,
        signed=frozenset(i for i, m in enumerate(metrics) if m in v.SIGNED_METRICS),
    )


class _Issues:
    def __init__(self) -> None:
        self.items: list[QualityIssue] = []

    def add(self, check: str, severity: str, table: str, row_key: str | None, detail: str) -> None:
        self.items.append(QualityIssue(check, severity, table, row_key, detail))


def _shown(cells: Sequence[str]) -> str:
    return " ".join(cells)


def _report_split(table: str, key: str | None, row: RowSplit, issues: _Issues, columns: int) -> None:
    """The issue of one split row: how it was decided, or why not."""
    where = f"{row.text!r}"
    if row.too_many:
        issues.add(
            v.Check.DIGITS_AMBIGUOUS,
            v.SEVERITY_ERROR,
            table,
            key,
            f"{where}: too many ways to split these digits into {columns} cells; not read",
        )
    elif row.cells is not None:
        if row.needed_split:
            issues.add(
                v.Check.DIGITS_SPLIT,
                v.SEVERITY_WARNING,
                table,
                key,
                f"{where} read as [{_shown(row.cells)}]: {how_decided(row)}",
            )
    elif row.format_splits == 0:
        issues.add(
            v.Check.CELL_COUNT,
            v.SEVERITY_ERROR,
            table,
            key,
            f"{where} cannot be printed as {columns} cells",
        )
    else:
        shown = "; ".join(f"[{_shown(c)}]" for c in row.candidates[:4])
        more = f" and {len(row.candidates) - 4} more" if len(row.candidates) > 4 else ""
        why = (
            f"{len(row.candidates)} splits fit: {shown}{more}"
            if row.candidates
            else f"none of its {row.format_splits} splits satisfies its identities"
        )
        issues.add(v.Check.DIGITS_AMBIGUOUS, v.SEVERITY_ERROR, table, key, f"{where}: digits run together; {why}")


def _row_runs(
    occurrences: list[_Occurrence], table: str, keys: Sequence[str], issues: _Issues, at: dict[str, int]
) -> dict[str, str]:
    """Each row's printed numbers (``at``: where each starts in the text); a row printed twice with
    different numbers is null."""
    runs: dict[str, str] = {}
    conflicting: dict[str, None] = {}  # ordered: issues come out in the same order every run
    for o in occurrences:
        if not o.run:
            continue  # a heading that is also a row label (六 其他处理), or the label in a sentence
        if o.key is None:
            issues.add(
                v.Check.UNASSIGNED_VALUES, v.SEVERITY_WARNING, table, None, f"[{o.run}] after {o.label!r}: no row label"
            )
            continue
        if o.cut_short:
            detail = f"[{o.run}] then {o.cut_short!r} and more numbers: the row's cells cannot be told apart"
            issues.add(v.Check.UNREADABLE_CELL, v.SEVERITY_ERROR, table, o.key, detail)
            conflicting.setdefault(o.key, None)
            continue
        if o.key in runs and runs[o.key] != o.run:
            conflicting[o.key] = None
        runs.setdefault(o.key, o.run)
        at.setdefault(o.key, o.at)
    for key in conflicting:
        if key in runs:
            issues.add(
                v.Check.DUPLICATE_ROW, v.SEVERITY_ERROR, table, key, "row printed more than once with different numbers"
            )
            del runs[key]
    for key in runs:
        if key not in keys:
            issues.add(
                v.Check.UNASSIGNED_VALUES, v.SEVERITY_WARNING, table, key, "row of the other template: numbers not used"
            )
    if not runs and not conflicting:
        issues.add(v.Check.TABLE_NO_NUMBERS, v.SEVERITY_ERROR, table, None, "no row label followed by numbers")
        return runs
    for key in keys:
        if key not in runs and key not in conflicting:
            issues.add(v.Check.ROW_MISSING, v.SEVERITY_ERROR, table, key, "row not found in the flattened table")
    return runs


def _cells(split: RowSplit | None) -> tuple[Cell, ...] | None:
    return None if split is None or split.cells is None else tuple(Cell(VALUE, c) for c in split.cells)


def _spans(split: RowSplit | None, at: int, n: int) -> tuple[Span | None, ...]:
    """Provenance: each decided cell's slice of its run (a run starting at ``at`` in the normalized text):
    the cells are pieces of the run's tokens, in order."""
    if split is None or split.cells is None or len(split.cells) != n:
        return (None,) * n
    spans: list[Span | None] = []
    pos = 0
    for cell in split.cells:
        start = split.text.find(cell, pos)
        if start < 0:  # not a piece of the run (never expected): no provenance rather than a wrong one
            return (None,) * n
        pos = start + len(cell)
        spans.append((at + start, at + pos))
    return tuple(spans)


def _requests(
    text: str, template: str | None, issues: _Issues, base: int = 0, spans: list[Span | None] | None = None
) -> tuple[RequestFact, ...]:
    spans = [] if spans is None else spans  # provenance: each fact's cell span, appended in order
    occurrences = _occurrences(text, _REQUEST_LABELS, _REQUESTS)
    keys, merged = request_row_keys(template, {o.key for o in occurrences if o.run and o.key})
    for row, parts in merged.items():
        issues.add(v.Check.ROWS_MERGED, v.SEVERITY_WARNING, v.TABLE_REQUESTS, row, rows_merged_detail(parts))
    at: dict[str, int] = {}
    runs = _row_runs(occurrences, v.TABLE_REQUESTS, keys, issues, at)
    splits = {key: split_row(runs[key], _REQUEST_SHAPE) for key in keys if key in runs}
    solve(splits, _request_identities(keys) if template else ())
    facts: list[RequestFact] = []
    for key in keys:
        split = splits.get(key)
        if split is not None:
            _report_split(v.TABLE_REQUESTS, key, split, issues, _REQUEST_SHAPE.cells)
        row_facts, row_issues = _request_row(key, _cells(split))
        facts += row_facts
        spans += _spans(split, base + at.get(key, 0), len(row_facts))
        issues.items += row_issues
    return tuple(facts)


def _disclosure(
    text: str, template: str | None, issues: _Issues, base: int = 0, spans: list[Span | None] | None = None
) -> tuple[DisclosureFact, ...]:
    spans = [] if spans is None else spans  # provenance: each fact's cell span, appended in order
    if template is None:
        issues.add(
            v.Check.TEMPLATE_UNKNOWN,
            v.SEVERITY_ERROR,
            v.TABLE_ACTIVE_DISCLOSURE,
            None,
            "cannot tell table 二's columns",
        )
        return ()
    items = [item for item in v.DISCLOSURE_ITEMS if template in item.metrics]
    occurrences = _occurrences(text, _DISCLOSURE_LABELS, _DISCLOSURE)
    at: dict[str, int] = {}
    runs = _row_runs(occurrences, v.TABLE_ACTIVE_DISCLOSURE, [i.key for i in items], issues, at)
    units: dict[str | None, str | None] = {}
    for o in occurrences:  # the money unit printed in the column header before the row
        units.setdefault(o.key, (_HEADER_UNIT.findall(o.before) or [None])[-1])
    facts: list[DisclosureFact] = []
    for item in items:
        metrics = item.metrics[template]
        split = None
        if item.key in runs:
            split = split_row(runs[item.key], _disclosure_shape(metrics))
            solve({item.key: split}, ())
            _report_split(v.TABLE_ACTIVE_DISCLOSURE, item.key, split, issues, len(metrics))
        unit = units.get(item.key) or ("万元" if template == v.TEMPLATE_2021 else None)
        row_facts, row_issues = _disclosure_row(item.key, metrics, unit, _cells(split))
        facts += row_facts
        spans += _spans(split, base + at.get(item.key, 0), len(row_facts))
        issues.items += row_issues
    return tuple(facts)


def _review(text: str, issues: _Issues, base: int = 0, spans: list[Span | None] | None = None) -> tuple[ReviewFact, ...]:
    spans = [] if spans is None else spans  # provenance: each fact's cell span, appended in order
    # The table's one row of numbers follows its last header: the first header with numbers after it
    # (a later sentence that names 行政复议 and a number is not the table).
    run = next(filter(None, (_NUMBER_RUN.match(text, h.end()) for h in _REVIEW_HEADERS.finditer(text))), None)
    if run is None:
        issues.add(
            v.Check.TABLE_NO_NUMBERS,
            v.SEVERITY_ERROR,
            v.TABLE_REVIEW_LITIGATION,
            None,
            "no numbers after the table's headers",
        )
        facts, _ = _review_row(())
        spans += (None,) * len(facts)
        return facts
    split = split_row(run.group(1), _REVIEW_SHAPE)
    solve({_REVIEW_KEY: split}, ())
    _report_split(v.TABLE_REVIEW_LITIGATION, None, split, issues, _REVIEW_SHAPE.cells)
    cells = _cells(split)
    facts, row_issues = _review_row(cells or ())
    issues.items += row_issues
    spans += _spans(split, base + run.start(1), len(facts))
    return facts


def _disclosure_template(text: str) -> str | None:
    compact = _SPACES.sub("", text)
    votes = {t: sum(h in compact for h in headers) for t, headers in v.DISCLOSURE_HEADERS.items()}
    best = max(votes.values())
    winners = [t for t, n in votes.items() if n == best]
    return winners[0] if best and len(winners) == 1 else None


def _requests_template(text: str) -> tuple[str | None, bool]:
    return template_of_request_rows({o.key for o in _occurrences(text, _REQUEST_LABELS, _REQUESTS) if o.run and o.key})


@dataclass(frozen=True)
class FlatTables:
    template: str | None
    disclosure: tuple[DisclosureFact, ...]
    requests: tuple[RequestFact, ...]
    review: tuple[ReviewFact, ...]
    issues: list[QualityIssue]
    spans: tuple[tuple[Span | None, ...], ...] = ((), (), ())  # provenance of disclosure, requests, review


def read_flat_tables(text: str, sections: dict[str, SectionRecord], year: int | None) -> FlatTables:
    """Tables 二, 三 and 四 of a report whose tables are flattened (``is_flattened``)."""
    issues = _Issues()
    bodies = {}
    bases = {}  # each body's offset in the normalized text
    for key, table in (
        ("active_disclosure", v.TABLE_ACTIVE_DISCLOSURE),
        ("requests", v.TABLE_REQUESTS),
        ("review_litigation", v.TABLE_REVIEW_LITIGATION),
    ):
        section = sections.get(key)
        if section is None:
            issues.add(v.Check.TABLE_MISSING, v.SEVERITY_ERROR, table, None, f"no section {key}")
        bodies[key] = section.text if section else ""
        bases[key] = section.char_start if section else 0
    from_requests = _requests_template(bodies["requests"])
    from_disclosure = _disclosure_template(bodies["active_disclosure"])
    template, conflict = vote_template(text, from_requests, from_disclosure, year)
    if conflict:
        issues.add(v.Check.TEMPLATE_CONFLICT, v.SEVERITY_WARNING, v.TABLE_REPORTS, None, conflict)
    spans: tuple[list[Span | None], ...] = ([], [], [])
    disclosure = _disclosure(
        bodies["active_disclosure"], from_disclosure or template, issues, bases["active_disclosure"], spans[0]
    )
    requests = _requests(bodies["requests"], template, issues, bases["requests"], spans[1])
    review = _review(bodies["review_litigation"], issues, bases["review_litigation"], spans[2])
    return FlatTables(template, disclosure, requests, review, issues.items, tuple(map(tuple, spans)))
