"""Bad input never stops a run and never vanishes: every file ends as a report or a quarantine row.

Hypothesis throws random bytes, damaged seed texts, truncated HTML, damaged DOCX/PDF files and junk
behind PDF/zip/OLE magic at ``parse_report``, for a bounded number of examples (well under a minute in
all). Beyond "no exception escapes" (which parse_report's last-resort handler guarantees), every
quarantine must come from a reader or the report checks, never from that handler: a ``parser error``
reason is a bug the fuzzer found. In CI (``CI`` set) the examples are derandomized, so a run is
reproducible; locally each run explores new ones. ``GI_FUZZ_SCALE=20`` runs twenty times the examples
for a deeper local hunt.
"""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gi_pipeline.records import ParsedReport, Quarantined
from gi_pipeline.report import MAX_REPORT_BYTES, parse_report

from . import format_fixtures as ff

SAMPLES = resources.files("gi_pipeline") / "data" / "sample_reports"
SEEDS = sorted(p.name for p in SAMPLES.iterdir() if p.name.endswith(".txt"))
SEED_BYTES = [(SAMPLES / name).read_bytes() for name in SEEDS]
SHANGHAI = (Path(__file__).parent / "fixtures" / "shanghai_gov_office_2019.html").read_bytes()
SEED_HTML = ff.to_html(ff.seed_blocks(SEED_BYTES[0].decode("utf-8")))



SCALE = float(os.environ.get("GI_FUZZ_SCALE", "1"))


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        database=None,  # no .hypothesis directory in the work tree
        derandomize=bool(os.environ.get("CI")),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    )


def _check(raw: bytes, name: str) -> ParsedReport | Quarantined:
    result = parse_report(raw, name)
    assert isinstance(result, (ParsedReport, Quarantined))
    if isinstance(result, Quarantined):
        assert (result.source_file, result.sha256) == (name, hashlib.sha256(raw).hexdigest())
        assert result.reason.strip()
        assert not result.reason.startswith("parser error"), result.reason
    else:
        assert result.source_file == name and result.doc_id == hashlib.sha256(raw).hexdigest()
    return result


@st.composite
def damaged(draw, sources: list[bytes]) -> bytes:
    """A real file with a few byte flips, cuts and insertions of table syntax."""
    data = bytearray(draw(st.sampled_from(sources)))
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(("flip", "cut", "insert")))
        if op == "flip" and data:
            data[min(pos, len(data) - 1)] ^= draw(st.integers(1, 255))
        elif op == "cut":
            del data[pos:]
        else:
            piece = draw(st.sampled_from([b"|", b"\t", b"\n", b"0", b"12", b" | | ", b"\x1f", b"\xff", "一、".encode()]))
            data[pos:pos] = piece * draw(st.integers(1, 5))
    return bytes(data)


MAGIC = [b"%PDF-1.4\n", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"{\\rtf1 ", b"<html><body><table><tr><td>",
         b"\xef\xbb\xbf", b"\xff\xfe", b"MIME-Version: 1.0\nContent-Type: multipart/related\n\n", b"\x89PNG\r\n\x1a\n"]
NAMES = st.sampled_from(["r.txt", "r.html", "r.pdf", "r.docx", "r.doc", "r", "报告 (1).HTM", "a/b/../c?.pdf"])


@fuzz(300)
@given(raw=st.binary(max_size=3000), name=NAMES)
def test_random_bytes(raw: bytes, name: str) -> None:
    _check(raw, name)


@fuzz(200)
@given(magic=st.sampled_from(MAGIC), tail=st.binary(max_size=2000), name=NAMES)
def test_junk_behind_magic_bytes(magic: bytes, tail: bytes, name: str) -> None:
    _check(magic + tail, name)


@fuzz(120)
@given(raw=damaged(SEED_BYTES), name=st.sampled_from(["r.txt", "r"]))
def test_damaged_seed_texts(raw: bytes, name: str) -> None:
    _check(raw, name)


@fuzz(80)
@given(cut=st.integers(0, len(SHANGHAI)), raw=damaged([SHANGHAI, SEED_HTML]))
def test_truncated_and_damaged_html(cut: int, raw: bytes) -> None:
    _check(SHANGHAI[:cut], "sh.html")
    _check(raw, "page.html")


TABLE_LINES = ["三、本年度办理结果 | (一)予以公开 | 1 | 2 |", "行政许可\t5", "\x1f".join(["规章", "1", "", "3"]), "",
               "四、政府信息公开行政复议、行政诉讼情况", "二、主动公开政府信息情况", "0 | 0 | 0 |||", "(七)总计", "12万元"]


@fuzz(100)
@given(lines=st.lists(st.one_of(st.sampled_from(TABLE_LINES), st.text(max_size=40)), max_size=60))
def test_extractor_on_table_like_text(lines: list[str]) -> None:
    text = "某区2023年政府信息公开工作年度报告\n一、总体情况\n" + "\n".join(lines)
    _check(text.encode("utf-8", "surrogatepass"), "t.txt")


@pytest.fixture(scope="module")
def binaries(tmp_path_factory) -> list[bytes]:
    tmp = tmp_path_factory.mktemp("fuzz")
    blocks = ff.seed_blocks(SEED_BYTES[0].decode("utf-8"))
    return [ff.to_docx(blocks, tmp / "s.docx").read_bytes(), ff.to_pdf(blocks, tmp / "s.pdf").read_bytes()]


@fuzz(40)
@given(data=st.data())
def test_truncated_and_damaged_docx_and_pdf(binaries: list[bytes], data) -> None:
    raw = data.draw(damaged(binaries))
    _check(raw, data.draw(st.sampled_from(["r.docx", "r.pdf", "r"])))


# --------------------------------------------------------------------------------------------
# The bad inputs a crawl brings, one by one
# --------------------------------------------------------------------------------------------

REPORT = SEED_BYTES[0]


@pytest.mark.parametrize(
    "raw, name, reason",
    [
        (b"", "empty.txt", "empty file"),
        (b" \n\t\n", "blank.html", "empty file"),
        (bytes(range(256)) * 40, "junk.bin", "cannot decode"),
        (SHANGHAI[:90], "truncated.html", "not an annual report"),  # cut inside the title's 13th character
        ("这是一份会议通知，不是年度报告。\n请各单位按时参加。".encode(), "notice.txt", "not an annual report"),
        ("政府信息公开工作年度报告".encode("utf-16-le")[:-1] + b"\x00\xd8", "bad-utf16.txt", "cannot decode"),
        (b"\xef\xbb\xbf\xc3\x28\xa0\xa1", "bad-bom.txt", "cannot decode"),
    ],
    ids=["empty", "whitespace", "binary", "truncated-html", "not-a-report", "bad-utf16", "bad-utf8-bom"],
)
def test_bad_input_is_quarantined_with_its_reason(raw: bytes, name: str, reason: str) -> None:
    result = _check(raw, name)
    assert isinstance(result, Quarantined) and result.reason.startswith(reason), result


def test_html_cut_before_its_tables_is_processed_and_flagged() -> None:
    result = _check(SHANGHAI[: SHANGHAI.index(b"<table")], "cut.html")
    assert isinstance(result, ParsedReport) and result.status == "flagged"
    assert result.metadata.year == 2019 and not any(f.value is not None for f in result.requests)


def test_oversized_file_is_quarantined_before_parsing() -> None:
    raw = REPORT + b" " * (MAX_REPORT_BYTES + 1 - len(REPORT))
    result = _check(raw, "huge.txt")
    assert isinstance(result, Quarantined) and result.reason.startswith("file too large")


@pytest.mark.parametrize(
    "name",
    ["报告 (最终版) #2.txt", "../../etc/passwd", "a\nb\tc.txt", "", "x" * 1000 + ".txt", "😀.TXT",
     "C:\\政务公开\\年报.txt", "name with \x00 nul.txt", "%PDF.txt"],
)
def test_odd_path_names_change_nothing(name: str) -> None:
    result = _check(REPORT, name)
    assert isinstance(result, ParsedReport)
    assert result.metadata.agency == "大武口区应急管理局"
