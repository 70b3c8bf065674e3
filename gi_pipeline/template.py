"""Which national template a report follows, decided by the whole document, and the rows table 三 is
read with. One mechanism for every layout: the grid/line reader (``tables``) and the reader of tables
whose cells ran together (``flat_tables``) both call it."""

from __future__ import annotations

from collections.abc import Collection

from . import metadata as md
from . import vocabulary as v


def template_of_request_rows(printed: Collection[str]) -> tuple[str | None, bool]:
    """The template table 三's printed rows name, and whether that is a strong signal: the 2021
    template's (六)其他处理 sub-rows are; a lone (六)其他处理 row is weak (2021 reports print it too)."""
    if any(key in printed for key in v.ROWS_2021_ONLY):
        return v.TEMPLATE_2021, True
    if any(key in printed for key in v.ROWS_2019_ONLY):
        return v.TEMPLATE_2019, False
    return None, False


def vote_template(
    text: str, from_requests: tuple[str | None, bool], from_disclosure: str | None, year: int | None
) -> tuple[str | None, str]:
    """The template the whole document points to, and what disagrees (empty when nothing does). Strong
    signals: the notice the report cites, table 二's column headers, table 三's 2021-only sub-rows
    (``from_requests``: ``template_of_request_rows``). Weak ones, which only decide when the strong ones
    do not: a lone (六)其他处理 row and the year."""
    requests_template, requests_strong = from_requests
    declared = md.declared_template(text)
    strong = {"notice cited": declared, "table 二's columns": from_disclosure}
    strong["table 三's rows"] = requests_template if requests_strong else None
    weak = [md.template_for_year(year), None if requests_strong else requests_template]
    votes = {t: sum(s == t for s in strong.values()) for t in v.TEMPLATES}
    best = max(votes.values())
    leaders = [t for t in v.TEMPLATES if votes[t] == best] if best else list(v.TEMPLATES)
    template = next((w for w in weak if w in leaders), None)  # the year first, then the lone row
    if template is None:
        # Strong signals tied and no weak one decides: table 三, table 二, the notice, in that order.
        order = [strong["table 三's rows"], from_disclosure, declared]
        template = next((t for t in order if t in leaders), None) if best else None
    named = {name: t for name, t in strong.items() if t}
    conflict = ""
    if len(set(named.values())) > 1:
        conflict = "; ".join(f"{name}: {t}" for name, t in named.items()) + f" (read as {template})"
    return template, conflict


def request_row_keys(template: str | None, printed: Collection[str]) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """The rows table 三 is read with, in printed order, and the rows printed in place of their sub-rows
    (``vocabulary.MERGED_ROWS``: a 2021 report's lone (六)其他处理 when none of its sub-rows is printed),
    which stand for them."""
    keys = v.request_rows(template) if template else tuple(row.key for row in v.REQUEST_ROWS if row.templates == v.BOTH)
    merged = {
        row: parts
        for row, parts in v.MERGED_ROWS.items()
        if row not in keys and row in printed and all(p in keys and p not in printed for p in parts)
    }
    for row, parts in merged.items():
        at = keys.index(parts[0])
        keys = (*keys[:at], row, *(k for k in keys[at:] if k not in parts))
    return keys, merged


def rows_merged_detail(parts: Collection[str]) -> str:
    """The ``rows_merged`` warning's detail for a row printed in place of ``parts``."""
    return f"printed as one row in place of {', '.join(parts)}: kept as printed"
