"""Tables whose cell separators were lost: the digit-run solver, the Pingtan reports against their gold
values, and the seeds flattened."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from gi_pipeline import vocabulary as v
from gi_pipeline.digit_split import Identity, RowShape, solve, split_row
from gi_pipeline.flat_tables import _REQUEST_LABELS, _REQUEST_SHAPE, _REVIEW_SHAPE, _occurrences
from gi_pipeline.records import ParsedReport
from gi_pipeline.report import parse_report, parse_text
from gi_pipeline.tables import _REQUESTS

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = resources.files("gi_pipeline") / "data" / "sample_reports"
SEED_FILES = sorted(p.name for p in SAMPLES.iterdir() if p.name[:3].isdigit())
ALL_COLUMNS = tuple(range(len(v.APPLICANTS)))

# --------------------------------------------------------------------------------------------
# The solver on hand-written runs
# --------------------------------------------------------------------------------------------


def test_row_total_decides_a_unique_split() -> None:
    row = split_row("801000081", _REQUEST_SHAPE)
    solve({"new_received": row}, ())
    assert row.cells == ("80", "1", "0", "0", "0", "0", "81")
    assert row.format_splits > 1 and row.decided_by == [_REQUEST_SHAPE.sums_text]


def test_printing_alone_decides_one_digit_per_cell() -> None:
    row = split_row("0200002", _REQUEST_SHAPE)
    solve({"other_misc": row}, ())
    assert (row.cells, row.format_splits) == (("0", "2", "0", "0", "0", "0", "2"), 1)


def test_surviving_spaces_separate_cells() -> None:
    row = split_row("23 0 00 0 023", _REQUEST_SHAPE)  # 023 is 0|23: no number has a leading zero
    solve({"results_total": row}, ())
    assert row.cells == ("23", "0", "0", "0", "0", "0", "23")


def test_surviving_pipes_separate_cells() -> None:
    row = split_row("23|0 |00|0|023", _REQUEST_SHAPE)
    solve({"results_total": row}, ())
    assert row.cells == ("23", "0", "0", "0", "0", "0", "23")


def test_two_fitting_splits_stay_null_with_both_candidates() -> None:
    row = split_row("121000013", _REQUEST_SHAPE)
    solve({"granted": row}, ())
    assert row.cells is None
    assert sorted(row.candidates) == [("1", "2", "10", "0", "0", "0", "13"), ("12", "1", "0", "0", "0", "0", "13")]


def test_a_column_identity_decides_between_candidates() -> None:
    rows = {
        "total": split_row("121000013", _REQUEST_SHAPE),  # 1 2 10 0 0 0 13 or 12 1 0 0 0 0 13
        "part_a": split_row("1200003", _REQUEST_SHAPE),
        "part_b": split_row("001000010", _REQUEST_SHAPE),  # 0 0 10 0 0 0 10
    }
    solve(rows, [Identity("total = part_a + part_b", (("total", 1), ("part_a", -1), ("part_b", -1)), ALL_COLUMNS)])
    assert rows["total"].cells == ("1", "2", "10", "0", "0", "0", "13")
    assert rows["total"].decided_by[-1] == "total = part_a + part_b"


def test_an_identity_no_reading_satisfies_decides_nothing() -> None:
    rows = {"total": split_row("121000013", _REQUEST_SHAPE), "part": split_row("9000009", _REQUEST_SHAPE)}
    solve(rows, [Identity("total = part", (("total", 1), ("part", -1)), ALL_COLUMNS)])
    assert rows["total"].cells is None and len(rows["total"].candidates) == 2


def test_no_split_fits_the_row_total() -> None:
    row = split_row("10100011", _REQUEST_SHAPE)
    assert row.format_splits > 1 and row.candidates == []


def test_a_lone_printing_that_breaks_the_row_total_is_not_read() -> None:
    # 0 0 0 0 20 0 with a cell lost: eight digits print as seven cells one way only, and it does not add up.
    row = split_row("00002000", _REQUEST_SHAPE)
    assert row.format_splits == 1 and row.candidates == [] and row.cells is None
    # Cells printed apart are the report's own numbers, kept even when they break the identity.
    assert split_row("0 0 0 0 20 0 0", _REQUEST_SHAPE).candidates == [("0", "0", "0", "0", "20", "0", "0")]


def test_a_sign_starts_a_cell() -> None:
    shape = RowShape(cells=3, max_digits=(9, 9, 9), signed=frozenset({1}))
    row = split_row("119-113156", shape)
    assert ("119", "-113", "156") in row.candidates and all(c[1].startswith("-") for c in row.candidates)


def test_review_row_of_fifteen_zeros_and_its_identities() -> None:
    assert split_row("0" * 15, _REVIEW_SHAPE).candidates == [("0",) * 15]
    row = split_row("0 1 1 0 2 1 0 0 0 1 0 0 0 0 0", _REVIEW_SHAPE)
    assert row.candidates == [tuple("011021000100000")] and not row.needed_split


def test_money_cell_takes_the_decimal_part_and_the_unit() -> None:
    shape = RowShape(cells=2, max_digits=(9, 12), money=frozenset({1}))
    row = split_row("13575394432.52元", shape)
    assert ("135", "75394432.52元") in row.candidates and len(row.candidates) > 1


def test_the_search_is_bounded() -> None:
    row = split_row("1234567891234567891234567", _REQUEST_SHAPE)
    assert row.too_many and row.cells is None


# --------------------------------------------------------------------------------------------
# Segmenting a run by the row labels
# --------------------------------------------------------------------------------------------


def test_a_list_number_belongs_to_the_next_label() -> None:
    text = (
        "(四)无法提供1.本机关不掌握相关政府信息3100000312.没有现成信息需要另行制作0000000"
        "3.补正后申请内容仍不明确1000001"
    )
    runs = {o.key: o.run for o in _occurrences(text, _REQUEST_LABELS, _REQUESTS) if o.run}
    assert runs == {"unable_not_held": "310000031", "unable_needs_creation": "0000000", "unable_unclear": "1000001"}


def test_a_run_cut_short_by_a_dash_leaves_the_row_null() -> None:
    from gi_pipeline.flat_tables import _Issues, _requests

    rows = v.request_rows(v.TEMPLATE_2021)
    runs = {"withheld_state_secret": "00—00000"}
    text = "".join(v.REQUEST_ROW_BY_KEY[key].labels[0] + runs.get(key, "0000000") for key in rows)
    issues = _Issues()
    facts = {(f.row_key, f.applicant): f.value for f in _requests(text, v.TEMPLATE_2021, issues)}
    assert {facts[("withheld_state_secret", a)] for a in v.APPLICANTS} == {None}
    assert v.Check.UNREADABLE_CELL in {i.check for i in issues.items if i.row_key == "withheld_state_secret"}
    assert facts[("granted", "total")] == 0


def test_a_misspelt_label_takes_its_list_number_back() -> None:
    text = "5.属于三类内部事务信息00000006.属于四类过程信息20000027.属于行政执法案卷1000001"
    runs = {o.key: o.run for o in _occurrences(text, _REQUEST_LABELS, _REQUESTS) if o.run}
    assert runs == {
        "withheld_internal_affairs": "0000000",
        "withheld_process_info": "2000002",
        "withheld_enforcement_files": "1000001",
    }


def test_a_flattened_table_three_row_decided_by_the_results_identity() -> None:
    from gi_pipeline.flat_tables import _Issues, _requests

    runs = {"granted": "121000013", "partially_granted": "0050005"}  # 12 1 0 0 0 0 13 or 1 2 10 0 0 0 13
    runs |= {"new_received": "12 1 5 0 0 0 18", "results_total": "12 1 5 0 0 0 18"}
    rows = v.request_rows(v.TEMPLATE_2021)
    text = "".join(v.REQUEST_ROW_BY_KEY[key].labels[0] + runs.get(key, "0000000") for key in rows)
    issues = _Issues()
    facts = {(f.row_key, f.applicant): f.value for f in _requests(text, v.TEMPLATE_2021, issues)}
    assert [facts[("granted", a)] for a in v.APPLICANTS] == [12, 1, 0, 0, 0, 0, 13]
    (split,) = [i for i in issues.items if i.row_key == "granted"]
    assert split.check == v.Check.DIGITS_SPLIT and "results_total = sum of the result rows" in split.detail
    assert all(value is not None for value in facts.values())


def test_table_four_is_the_run_after_its_headers_not_a_later_sentence() -> None:
    from gi_pipeline.flat_tables import _Issues, _review

    text = "行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计 0 1 1 0 2 1 0 0 0 1 0 0 0 0 0 本年行政复议2件。"
    facts = {(f.proceeding, f.outcome): f.value for f in _review(text, _Issues())}
    assert facts[("review", "total")] == 2 and facts[("litigation_direct", "upheld")] == 1


# --------------------------------------------------------------------------------------------
# Pingtan, flattened by a crawler, against the hand-read gold values
# --------------------------------------------------------------------------------------------

GOLD = json.loads((FIXTURES / "gold.json").read_text(encoding="utf-8"))
PINGTAN = ("pingtan_2019.txt", "pingtan_2022.txt")


def _flagged(report: ParsedReport) -> set[tuple[str, str | None]]:
    return {(i.table, i.row_key) for i in report.issues}


def _gold_cells(gold: dict) -> list[tuple[str, str, tuple[str, str], float, bool]]:
    """(table, row, cell, value, uncertain) of every gold cell."""
    cells = []
    for row, values in gold["requests"].items():
        uncertain = row in gold.get("uncertain_rows", [])
        cells += [(v.TABLE_REQUESTS, row, (row, a), w, uncertain) for a, w in zip(v.APPLICANTS, values)]
    for item, values in gold["active"].items():
        uncertain = item in gold.get("uncertain_active", [])
        metrics = v.DISCLOSURE_ITEM_BY_KEY[item].metrics[gold["template"]]
        cells += [(v.TABLE_ACTIVE_DISCLOSURE, item, (item, m), w, uncertain) for m, w in zip(metrics, values)]
    for proceeding, values in gold["review"].items():
        cells += [
            (v.TABLE_REVIEW_LITIGATION, proceeding, (proceeding, o), w, False) for o, w in zip(v.OUTCOMES, values)
        ]
    return cells


@pytest.mark.parametrize("name", PINGTAN)
def test_pingtan_against_gold(name: str) -> None:
    gold = GOLD[name]
    report = parse_report((FIXTURES / name).read_bytes(), name)
    assert isinstance(report, ParsedReport)
    assert (report.metadata.year, report.metadata.template) == (gold["year"], gold["template"])
    got = {
        v.TABLE_REQUESTS: {(f.row_key, f.applicant): f.value for f in report.requests},
        v.TABLE_ACTIVE_DISCLOSURE: {(f.item, f.metric): f.value for f in report.disclosure},
        v.TABLE_REVIEW_LITIGATION: {(f.proceeding, f.outcome): f.value for f in report.review},
    }
    flagged = _flagged(report)
    wrong, unflagged, right, counted = [], [], 0, 0
    for table, row, cell, want, uncertain in _gold_cells(gold):
        value = got[table].get(cell)
        if value is None:
            # Table 四 is one row: its issues name no row.
            if not uncertain and (table, row) not in flagged and (table, None) not in flagged:
                unflagged.append(cell)
        elif float(value) != float(want):
            wrong.append((cell, value, want))
        if table != v.TABLE_ACTIVE_DISCLOSURE and not uncertain:
            counted += 1
            right += value is not None and float(value) == float(want)
    assert wrong == []
    assert unflagged == []
    assert counted and right / counted >= 0.95


def test_pingtan_ambiguous_runs_name_their_candidates() -> None:
    report = parse_report((FIXTURES / "pingtan_2022.txt").read_bytes(), "pingtan_2022.txt")
    issues = [i for i in report.issues if i.row_key == "normative_documents"]
    assert [i.check for i in issues] == [v.Check.DIGITS_AMBIGUOUS]
    # 2021 template: in_force is no identity of issued and repealed, so all 15 readings of 7 digits fit.
    assert "'8855698'" in issues[0].detail and "15 splits fit" in issues[0].detail
    assert {f.value for f in report.disclosure if f.item == "normative_documents"} == {None}


# --------------------------------------------------------------------------------------------
# The seeds with their tables flattened: the same facts, or null with a flag on the row
# --------------------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s|\x1f]+")
TABLE_SECTIONS = ("active_disclosure", "requests", "review_litigation")


def _flatten_tables(report: ParsedReport, whole: bool = False) -> str:
    """The report's normalized text with each table section's lines joined and every cell separator
    (spaces, tabs, pipes) dropped, as a crawler that loses them would save it; ``whole``: the whole
    report on one line, as the Pingtan pages were saved."""
    text = report.text
    for section in sorted(
        (s for s in report.sections if s.section_key in TABLE_SECTIONS), key=lambda s: s.char_start, reverse=True
    ):
        flat = _SEPARATORS.sub("", text[section.char_start : section.char_end])
        text = text[: section.char_start] + flat + "\n" + text[section.char_end :]
    return text.replace("\n", "") if whole else text


def _facts(report: ParsedReport) -> dict[tuple[str, str, str], float | None]:
    facts: dict[tuple[str, str, str], float | None] = {}
    facts |= {(v.TABLE_REQUESTS, f.row_key, f.applicant): f.value for f in report.requests}
    facts |= {(v.TABLE_ACTIVE_DISCLOSURE, f.item, f.metric): f.value for f in report.disclosure}
    facts |= {(v.TABLE_REVIEW_LITIGATION, f.proceeding, f.outcome): f.value for f in report.review}
    return facts


@pytest.mark.parametrize("whole", [False, True], ids=["tables", "whole"])
@pytest.mark.parametrize("name", SEED_FILES)
def test_flattened_seed_gives_the_seeds_facts(name: str, whole: bool) -> None:
    seed = parse_report((SAMPLES / name).read_bytes(), name)
    assert isinstance(seed, ParsedReport)
    flat = parse_text(_flatten_tables(seed, whole), name, seed.doc_id)
    assert isinstance(flat, ParsedReport)
    assert (flat.metadata.template, flat.metadata.year) == (seed.metadata.template, seed.metadata.year)
    if whole:
        assert [s.section_key for s in flat.sections] == [s.section_key for s in seed.sections]
    expected, got = _facts(seed), _facts(flat)
    assert set(got) == set(expected)
    flagged = _flagged(flat)
    differing = []
    for (table, row, column), value in got.items():
        if value is None:
            assert expected[(table, row, column)] is None or (table, row) in flagged or (table, None) in flagged
        elif value != expected[(table, row, column)]:
            differing.append(((table, row, column), value, expected[(table, row, column)]))
    assert differing == []
    # The flattened tables are read, not given up: table 三's rows come back where the seed has them.
    seed_rows = {f.row_key for f in seed.requests if f.value is not None}
    flat_rows = {f.row_key for f in flat.requests if f.value is not None}
    assert len(flat_rows) >= 0.9 * len(seed_rows)


def test_flattened_synthetic_reports_give_no_wrong_number() -> None:
    """Synthetic reports of every layout, defects included, with their tables flattened: every fact is the
    line parse's or null with a flag on its row."""
    from tests.synth import generate_corpus

    read = total = 0
    for synthetic in generate_corpus(40, seed=5):
        seed = parse_report(synthetic.raw, synthetic.name)
        if not isinstance(seed, ParsedReport):
            continue
        flat = parse_text(_flatten_tables(seed), synthetic.name, seed.doc_id)
        assert isinstance(flat, ParsedReport)
        expected, flagged = _facts(seed), _flagged(flat)
        for (table, row, column), value in _facts(flat).items():
            if value is None:
                assert expected[(table, row, column)] is None or (table, row) in flagged or (table, None) in flagged
            else:
                assert value == expected[(table, row, column)], (synthetic.name, table, row, column)
            total += 1
            read += value is not None
    assert read >= 0.9 * total


def test_unflattened_reports_do_not_take_the_flat_path() -> None:
    from gi_pipeline.flat_tables import is_flattened

    for name in SEED_FILES:
        seed = parse_report((SAMPLES / name).read_bytes(), name)
        assert not is_flattened({s.section_key: s for s in seed.sections})
        assert not any(i.check in (v.Check.DIGITS_SPLIT, v.Check.DIGITS_AMBIGUOUS) for i in seed.issues)


@pytest.mark.parametrize("whole", [False, True], ids=["tables", "whole"])
def test_a_flattened_2021_report_with_a_lone_other_handling_row_keeps_it(whole: bool) -> None:
    """hongze_2024.pdf prints (六)其他处理 as one row in a 2021 report: flattened, its template is still
    decided by the whole document (one vote for both paths, gi_pipeline.template), and the lone row is
    kept as other_handling with rows_merged, standing for its sub-rows in the identities."""
    name = "hongze_2024.pdf"
    grid = parse_report((FIXTURES / name).read_bytes(), name)
    assert isinstance(grid, ParsedReport)
    flat = parse_text(_flatten_tables(grid, whole), name, grid.doc_id)
    assert isinstance(flat, ParsedReport)
    assert flat.metadata.template == grid.metadata.template == v.TEMPLATE_2021
    checks = {(i.check, i.row_key) for i in flat.issues}
    assert (v.Check.ROWS_MERGED, "other_handling") in checks
    assert not any(c == v.Check.ROW_MISSING for c, _ in checks)
    assert not any(c == v.Check.TEMPLATE_CONFLICT for c, _ in checks)
    expected, got = _facts(grid), _facts(flat)
    assert set(got) == set(expected)
    flagged = _flagged(flat)
    assert all((value is None and (t, r) in flagged) or value == expected[(t, r, c)] for (t, r, c), value in got.items())
    assert got[(v.TABLE_REQUESTS, "other_handling", "total")] == expected[(v.TABLE_REQUESTS, "other_handling", "total")]
