"""Decoding, normalization and cell splitting on the quirks real reports have."""

from __future__ import annotations

import codecs

import pytest

from gi_pipeline.cells import BLANK, LABEL, PLACEHOLDER, UNREADABLE, VALUE, amount_10k_yuan, count_value, split_line
from gi_pipeline.decode import DecodeError, decode_bytes
from gi_pipeline.normalize import normalize_text

TEXT = "鼎城区应急管理局2020年政府信息公开工作年度报告\n行政许可 | 338 | 89 |\n"


@pytest.mark.parametrize(
    "raw",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("gb18030"),
        TEXT.encode("gbk"),
        TEXT.encode("utf-16"),  # with BOM
    ],
    ids=["utf-8", "utf-8-bom", "gb18030", "gbk", "utf-16"],
)
def test_decode_every_encoding_reports_come_in(raw: bytes) -> None:
    assert decode_bytes(raw)[0] == TEXT


def test_decode_rejects_binary_junk() -> None:
    with pytest.raises(DecodeError):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


def test_normalize_removes_residue_and_unifies_width() -> None:
    original = (
        "包頭市昆都侖區(qū)\r\n?\n[bookmark: _GoBack]一、總體情況</span>&nbsp;\n"
        "行政許可 | １２ | 3，456 |\n- 3 -\n第 4 页\n（一）予以公開？\n"
    )
    n = normalize_text(original)
    assert n.traditional
    assert n.original == original
    assert n.text == "包头市昆都仑区\n一、总体情况\n行政许可 | 12 | 3,456 |\n(一)予以公开\n"
    at = n.text.index("12")
    assert original[slice(*n.offsets.to_first(at, at + 2))] == "１２"  # the token as printed
    at = n.text.index("3,456")
    assert original[slice(*n.offsets.to_first(at, at + 5))] == "3，456"


_PRINTED_PIECES = [
    *"\r\n\f\ufeff\x00 \t\u3000\xa0?？()（）<>/&;#ab區区發qūāpage第页共-—－12１２,，.．万萬",
    "&nbsp;", "&#65297;", "<p>", "</span>", "\r\n", "\n- 3 -\n", "\n第 2 页\n", "\n?\n", "1/3", "  \n",
    "[bookmark: x]", "區(qū)", "發(fā)", "這個",
]


def test_normalized_offsets_point_back_at_the_printed_characters() -> None:
    """Each character of a normalized text maps back to the characters of the original it came from."""
    import html
    import random

    from gi_pipeline.normalize import normalize_token

    rng = random.Random(7)
    for _ in range(5000):
        original = "".join(rng.choice(_PRINTED_PIECES) for _ in range(rng.randint(0, 30)))
        n = normalize_text(original)
        for k, char in enumerate(n.text):
            printed = original[slice(*n.offsets.to_first(k, k + 1))]
            printed = {"\r": "\n", "\f": "\n"}.get(printed, printed)
            assert char in (printed, normalize_token(printed), normalize_token(html.unescape(printed))), (original, k)


def test_spans_map_back_all_at_once_as_one_at_a_time() -> None:
    """``OffsetMap.spans_to_first`` (the cells of a report, mapped together) agrees with ``to_first``, empty
    spans and spans over a deleted or replaced region included."""
    import random

    rng = random.Random(11)
    for _ in range(3000):
        original = "".join(rng.choice(_PRINTED_PIECES) for _ in range(rng.randint(0, 30)))
        n = normalize_text(original)
        size = len(n.text)
        spans = [(a, b) for a in range(size + 1) for b in (a, a + 1, a + 3) if b <= size]
        rng.shuffle(spans)
        assert n.offsets.spans_to_first(spans) == [n.offsets.to_first(*span) for span in spans], original
        assert n.offsets.first_slices(original, spans) == [original[slice(*n.offsets.to_first(*s))] for s in spans]


def test_simplified_text_is_not_converted() -> None:
    n = normalize_text("鼎城区应急管理局2020年政府信息公开工作年度报告,乾隆年间的著作。")
    assert not n.traditional


def _kinds(line: str) -> list[tuple[str, str]]:
    return [(c.kind, c.text) for c in split_line(line).cells]


def test_pipe_row_drops_padding_and_keeps_inner_blanks() -> None:
    assert _kinds("(二)部分公开 | 0 | 0 | |||") == [(LABEL, "(二)部分公开"), (VALUE, "0"), (VALUE, "0")]
    assert _kinds("| 5 | | 2 |  |") == [(VALUE, "5"), (BLANK, ""), (VALUE, "2")]


def test_tab_row_with_merged_label_columns() -> None:
    assert _kinds("\t\t2.重复申请\t0\t1") == [(LABEL, "2.重复申请"), (VALUE, "0"), (VALUE, "1")]


def test_label_words_broken_by_spaces_are_joined_and_numbers_split_off() -> None:
    assert _kinds("商业 企业 | 科研 机构") == [(LABEL, "商业企业"), (LABEL, "科研机构")]
    assert _kinds("行政许可 97") == [(LABEL, "行政许可"), (VALUE, "97")]
    assert _kinds("政府集中采购 | 5 | 197.3 万") == [(LABEL, "政府集中采购"), (VALUE, "5"), (VALUE, "197.3万")]


def test_cell_kinds() -> None:
    assert [k for k, _ in _kinds("x | 1,234 | — | / | 1O | l2 | 无")] == [
        LABEL, VALUE, PLACEHOLDER, PLACEHOLDER, UNREADABLE, UNREADABLE, PLACEHOLDER
    ]


def test_prose_is_not_table_content() -> None:
    assert split_line("市科委 2024 年根据本市机构改革工作安排,内设机构和职").kind == "prose"
    assert split_line("全年共收到申请3件。").kind == "prose"


def test_numbers() -> None:
    assert count_value("61,950") == 61950
    assert count_value("12件") == 12
    assert count_value("1.5") is None
    assert amount_10k_yuan("197.3万", None) == 197.3
    assert amount_10k_yuan("251000元", None) == 25.1
    assert amount_10k_yuan("2096.132", "万元") == 2096.132
    assert amount_10k_yuan("6", None) is None  # no unit anywhere: unknown, not guessed
