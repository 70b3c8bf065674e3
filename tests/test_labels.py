"""The fuzzy label table: typos match their row, and no near-miss ever matches another row."""

from __future__ import annotations

import pytest

from gi_pipeline import labels, tables
from gi_pipeline import vocabulary as v

REQUESTS = tables._REQUESTS
DISCLOSURE = tables._DISCLOSURE


@pytest.mark.parametrize(
    ("printed", "kind", "key"),
    [
        ("考研 机构", labels.HEADER, "科研机构"),  # seed 002
        ("(四)无法 提取", labels.GROUP, "(四)无法提供"),  # seed 002
        ("6.属于四类过程信息", labels.ROW, "withheld_process_info"),  # seed 002
        ("(本列数据的钩稽关系为:第一项加第二项之和,等于第三项加第四项之和)", labels.HEADER, None),
        ("(三)不予 公开", labels.GROUP, "(三)不予公开"),
        ("3.危及“三安全一稳定”", labels.ROW, "withheld_three_safeties"),
        ("(二)部分公开(区分处理的,只计这一情形,不计其他情形)", labels.ROW, "partially_granted"),
        ("1、本机关不掌握相关政府信息", labels.ROW, "unable_not_held"),
        ("(六)其他处理", labels.ROW, "other_handling"),
    ],
)
def test_printed_variants_match(printed: str, kind: str, key: str | None) -> None:
    found = REQUESTS.match(printed)
    assert found is not None and found.ref.kind == kind
    if key is not None:
        assert found.ref.key == key


def test_disclosure_variants_match() -> None:
    assert DISCLOSURE.match("行政事业收费").ref.key == "administrative_fees"  # seed 002
    assert DISCLOSURE.match("规范性文件").ref.key == "normative_documents"
    assert DISCLOSURE.match("本年新 制作数量").ref.key == v.TEMPLATE_2019
    assert DISCLOSURE.match("本年制发件数").ref.key == v.TEMPLATE_2021


def _one_char_damage(text: str) -> list[str]:
    """Every variant with one character deleted or replaced by a look-alike wrong character."""
    out = []
    for i in range(len(text)):
        out.append(text[:i] + text[i + 1 :])
        out.append(text[:i] + "某" + text[i + 1 :])
    return out


@pytest.mark.parametrize("row", v.REQUEST_ROWS, ids=lambda r: r.key)
def test_damaged_request_labels_never_match_another_row(row) -> None:
    for label in row.labels:
        for damaged in _one_char_damage(label):
            found = REQUESTS.match_row(damaged)
            assert found is None or found.ref.key == row.key, (damaged, found)
            found = REQUESTS.match(damaged)
            assert found is None or found.ref.key == row.key or found.ref.kind != labels.ROW, (damaged, found)


@pytest.mark.parametrize("item", v.DISCLOSURE_ITEMS, ids=lambda i: i.key)
def test_damaged_disclosure_labels_never_match_another_item(item) -> None:
    for label in item.labels:
        for damaged in _one_char_damage(label):
            found = DISCLOSURE.match_row(damaged)
            assert found is None or found.ref.key == item.key, (damaged, found)


def test_headers_are_not_rows() -> None:
    # Applicant headers share words with rows (其他 / 3.其他, 总计 / (七)总计).
    for header in v.REQUEST_HEADER_LABELS:
        assert REQUESTS.match(header).ref.kind == labels.HEADER
    # On the numbers' own line, a bare word can only be a row.
    assert REQUESTS.match_row("其他").ref.key == "other_misc"
    assert REQUESTS.match_row("总计").ref.key == "results_total"
