"""The synthetic report generator: deterministic, consistent, every layout/encoding/defect reachable."""

from __future__ import annotations

import csv
import dataclasses
import re
import time
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from gi_pipeline import vocabulary as V
from tests import synth
from tests.synth import DEFECTS, ENCODINGS, LAYOUTS, generate_corpus, generate_report, identity_errors

CHECK_NAMES = {v for k, v in vars(V.Check).items() if k.isupper()}
CELL_DEFECTS = {
    "missing_cell",
    "extra_cell",
    "unreadable_cell",
    "dash_cell",
    "blank_cell",
    "table4_no_numbers",
    "missing_row",
    "duplicate_row",
    "amount_unit_unknown",
    "table_missing",
}

# A deliberately dumb reader: the numeric cells of sections 二, 三, 四 in printed order.
_HEAD = re.compile(r"^\??([一二三四五六])、")
_PAGE = re.compile(r"^(- ?\d+ ?-|— ?\d+ ?—|– ?\d+ ?–|第 ?\d+ ?页( ?共 ?\d+ ?页)?)$")
_NUM = re.compile(r"^(-?\d+(?:\.\d+)?)(万元|万|元)?$")


def _numbers_by_section(text: str) -> dict[int, list[float]]:
    out: dict[int, list[float]] = {}
    cur = None
    for line in text.splitlines():
        m = _HEAD.match(line)
        if m and "|" not in line and "\t" not in line:
            cur = "一二三四五六".index(m.group(1)) + 1
            out.setdefault(cur, [])
            continue
        if cur not in (2, 3, 4) or _PAGE.match(line.strip()):
            continue
        for cell in re.split(r"[|\t]", line):
            cell = unicodedata.normalize("NFKC", cell).strip().replace(",", "").replace("萬", "万")
            m = _NUM.match(cell)
            if m:
                v = float(m.group(1))
                out[cur].append(round(v / 10000, 6) if m.group(2) == "元" else v)
    return out


def _expected_sequences(r: synth.SyntheticReport) -> dict[int, list]:
    return {
        2: [r.disclosure[c] for c in V.disclosure_cells(r.template)],
        3: [r.requests[(k, a)] for k in V.request_rows(r.template) for a in V.APPLICANTS],
        4: [r.review[c] for c in V.REVIEW_LITIGATION_CELLS],
    }


@pytest.fixture(scope="module")
def corpus() -> list[synth.SyntheticReport]:
    return generate_corpus(400, seed=3, defect_rate=0.25)


def test_deterministic_by_seed():
    assert generate_report(42) == generate_report(42)
    kw = {"layout": "tab", "defect": "dash_cell"}
    assert generate_report(42, **kw) == generate_report(42, **kw)
    assert generate_report(42).raw != generate_report(43).raw
    assert generate_corpus(25, seed=9) == generate_corpus(25, seed=9)
    names = [r.name for r in generate_corpus(50, seed=1)]
    assert len(set(names)) == 50


def test_fields_are_complete(corpus):
    for r in corpus:
        assert set(r.requests) == {(k, a) for k in V.request_rows(r.template) for a in V.APPLICANTS}
        assert set(r.disclosure) == set(V.disclosure_cells(r.template))
        assert set(r.review) == set(V.REVIEW_LITIGATION_CELLS)
        assert (r.template == V.TEMPLATE_2019) == (r.year in (2019, 2020))
        assert 2019 <= r.year <= 2025
        assert r.province_code == r.admin_code[:2] + "0000"
        assert any(p.name in r.agency and p.code == r.admin_code for p in synth.PLACES)


def test_raw_decodes_with_declared_encoding(corpus):
    for r in corpus:
        if r.encoding == "utf-16":
            assert r.raw.startswith(b"\xff\xfe")
        elif r.encoding == "utf-8-sig":
            assert r.raw.startswith(b"\xef\xbb\xbf")
        else:
            assert not r.raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe"))
        text = r.raw.decode(r.encoding)
        assert "政府信息公" in text
        assert str(r.year) in text


def test_layouts_encodings_and_variants_reachable(corpus):
    assert {r.layout for r in corpus} == set(LAYOUTS)
    assert {r.encoding for r in corpus} == set(ENCODINGS)
    assert {r.template for r in corpus} == set(V.TEMPLATES)
    assert {r.traditional for r in corpus} == {True, False}
    assert any(b"\r\n" in r.raw for r in corpus)
    for layout in LAYOUTS:
        for encoding in ENCODINGS:
            r = generate_report(7, layout=layout, encoding=encoding, traditional=True)
            assert (r.layout, r.encoding, r.traditional) == (layout, encoding, True)
    assert generate_report(7, template=V.TEMPLATE_2019).template == V.TEMPLATE_2019


def test_clean_reports_are_consistent(corpus):
    clean = [r for r in corpus if not r.defects]
    assert len(clean) > 200
    for r in clean:
        assert r.expected_checks == ()
        assert identity_errors(r) == [], r.name
        values = [*r.requests.values(), *r.review.values(), *r.disclosure.values()]
        assert None not in values
        assert all(v >= 0 for k, v in r.requests.items())


def test_printed_numbers_are_the_expected_values(corpus):
    """Every numeric cell of tables 二/三/四, read in order, is the expected value (noise included)."""
    for r in corpus:
        if r.defects:
            continue
        got = _numbers_by_section(r.text)
        for no, expected in _expected_sequences(r).items():
            assert got.get(no) == pytest.approx(expected), (r.name, no)


def test_noise_free_report_is_plain():
    for seed in range(40):
        r = generate_report(seed, noise=False)
        assert r.encoding == "utf-8" and not r.traditional
        text = r.text
        assert "\r" not in text and "[bookmark" not in text and "</span>" not in text
        assert not any(_PAGE.match(line) or line.strip() == "?" for line in text.splitlines())
        assert r.agency + str(r.year) + "年政府信息公开工作年度报告" in text
        got = _numbers_by_section(text)
        assert {no: got[no] for no in (2, 3, 4)} == _expected_sequences(r)


def test_traditional_text_round_trips():
    from opencc import OpenCC

    t2s = OpenCC("t2s")
    residue = re.compile(r"(?<=[\u4e00-\u9fff])\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
    seen_residue = False
    for seed in range(30):
        r = generate_report(seed, traditional=True)
        seen_residue |= bool(residue.search(r.text))
        text = t2s.convert(residue.sub("", r.text)).replace("\n", "")
        assert r.agency in text.replace(" ", "")
        assert "收到和处理政府信息公开申请情况" in text
    assert seen_residue


@pytest.mark.parametrize("defect", DEFECTS)
def test_every_defect_is_flagged(defect):
    for seed in range(16):
        r = generate_report(seed, defect=defect, layout=LAYOUTS[seed % 4])
        assert r.defects == (defect,)
        assert r.expected_checks == synth.DEFECT_CHECKS[defect]
        for check in r.expected_checks:
            assert check in CHECK_NAMES
        cells = [*r.requests.values(), *r.review.values(), *r.disclosure.values()]
        if defect in CELL_DEFECTS:
            assert None in cells
        else:
            assert None not in cells
        if defect == "identity_violation":
            assert identity_errors(r)
        else:
            assert identity_errors(r) == []
        got = _numbers_by_section(r.text)
        if defect == "negative_count":
            assert any(v is not None and v < 0 for v in r.requests.values())
        if defect == "table4_no_numbers" or (defect == "table_missing" and r.review[("review", "total")] is None):
            assert got.get(4) == []
        if defect == "section_missing":
            assert not (5 in got and 6 in got)
        if defect == "amount_unit_unknown":
            assert r.template == V.TEMPLATE_2019


def test_defect_arguments_are_checked():
    with pytest.raises(ValueError):
        generate_report(1, defect="no_such_defect")
    with pytest.raises(ValueError):
        generate_report(1, defect="amount_unit_unknown", template=V.TEMPLATE_2021)
    with pytest.raises(ValueError):
        generate_report(1, layout="html")
    kinds = Counter(r.defects[0] for r in generate_corpus(120, seed=5, defect_rate=0.5) if r.defects)
    assert set(kinds) == set(DEFECTS)


def test_one_frozen_spec_determines_the_report():
    spec = synth.ReportSpec(7, layout="tab", encoding="gb18030", defect="blank_cell")
    assert synth.generate(spec) == generate_report(7, layout="tab", encoding="gb18030", defect="blank_cell")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.seed = 8  # type: ignore[misc]
    with pytest.raises(ValueError):
        synth.ReportSpec(1, encoding="latin-1")


def test_printed_labels_survive_s2t_t2s():
    from opencc import OpenCC

    s2t, t2s = OpenCC("s2t"), OpenCC("t2s")
    labels = {label for row in V.REQUEST_ROWS for label in row.labels}
    labels |= {label for item in V.DISCLOSURE_ITEMS for label in item.labels}
    labels |= set(V.REQUEST_GROUP_LABELS) | set(V.REQUEST_HEADER_LABELS) | set(V.REVIEW_HEADER_LABELS)
    labels |= {h for hs in V.DISCLOSURE_HEADERS.values() for h in hs}
    labels |= {p.name for p in synth.PLACES} | {p.parent for p in synth.PLACES if p.parent}
    for label in labels:
        assert t2s.convert(s2t.convert(label)) == label


def _areacodes_csv() -> Path | None:
    root = Path(__file__).resolve().parents[1]
    # the package copy, else the shared reference (tests only: the generator itself has no data dependency)
    candidates = (root / "gi_pipeline" / "data", root.parent / "shared" / "reference")
    for path in (folder / "areacodes.csv" for folder in candidates):
        if path.exists():
            return path
    return None


def test_places_are_real_and_unambiguous():
    path = _areacodes_csv()
    if path is None:
        pytest.skip("areacodes.csv not available")
    with path.open(encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if r["状态"] == "在用"]
    by_name = Counter(r["名称"] for r in rows)
    codes = {r["代码"]: r["名称"] for r in rows}
    for place in synth.PLACES:
        assert codes.get(place.code) == place.name, place
        assert by_name[place.name] == 1, place
        if place.parent:
            parents = [r["代码"] for r in rows if r["名称"] == place.parent]
            assert parents and parents[0][:2] == place.code[:2], place


def test_fast_enough():
    start = time.perf_counter()
    generate_corpus(1000, seed=11)
    assert time.perf_counter() - start < 15  # ~1.3 ms a report in practice
