"""Report metadata from normalized text: title, agency, year, publication date, declared template."""

from __future__ import annotations

import re
from collections import Counter

from . import vocabulary as v

_TITLE_WORDS = "政府信息公开"
_REPORT_END = re.compile(r"(?:年度报告|工作报告|年报)$")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_SPACE_NEAR_CJK = re.compile(r"(?<=[\u4e00-\u9fff\d])\s+(?=[\u4e00-\u9fff\d])")
_TITLE_SUFFIX = re.compile(r"(?:关于)?(?:(?:19|20)\d{2}年度?)?(?:政府信息公开|政务公开)(?:工作)?(?:年度)?(?:报告|年报)$")
_YEAR_ANYWHERE = re.compile(r"(?:19|20)\d{2}\s*年度?")
# Only spaces after the colon: an empty 发布机构: line must not take the next line's text.
_SOURCE = re.compile(r"(?:来源|发布机构|发布单位|编制单位)\s*[:][^\S\n]*([^\s|]{2,40})")
_PERIOD = re.compile(r"统计(?:数据|期限|周期|时限|时间)?[^。\n]{0,12}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
_PUBLISHED = re.compile(
    r"(?:发布日期|发布时间|成文日期|日期)\s*[:]?\s*((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})"
)
_DECLARED_TEMPLATE = re.compile(r"国办公开办函\s*[〔\[(【]\s*(2021|2019)\s*[〕\])】]\s*(30|60)\s*号")
_HEAD_LINES = 15
_MAX_TITLE_PART = 40

# Page chrome before a title or agency name, as data. Field labels of scrapers and page templates
# ("标题: ...", "发布机构: ...") and the roots of breadcrumbs ("首页 > 政务公开 > ...", "当前位置: ...").
PAGE_FIELD_LABELS = ("标题", "文章标题", "信息标题", "题名", "名称", "发布机构", "发布单位", "来源", "信息来源")
BREADCRUMB_ROOTS = ("首页", "网站首页", "当前位置", "您当前的位置", "您现在的位置", "你的位置", "您的位置")
BREADCRUMB_SEPARATORS = ">»›"
_FIELD_LABEL = re.compile(r"^(?:" + "|".join(map(re.escape, PAGE_FIELD_LABELS)) + r")\s*:\s*")
# A breadcrumb root, then (after an optional colon) segments up to the last separator.
_BREADCRUMB = re.compile(
    r"^(?:" + "|".join(map(re.escape, BREADCRUMB_ROOTS)) + r")\s*:?\s*(?:[^\n]*[" + BREADCRUMB_SEPARATORS + r"])?\s*"
)


def strip_page_chrome(line: str) -> str:
    """`line` without a leading scraper field label or breadcrumb (both may be there, in any order)."""
    while True:
        stripped = _BREADCRUMB.sub("", _FIELD_LABEL.sub("", line, count=1), count=1)
        if stripped == line:
            return line
        line = stripped


def _compact(line: str) -> str:
    line = line.strip()
    if len(line.split(None, 1)) < 2:
        return line  # no inner whitespace to remove (most lines): skip the regex
    return _SPACE_NEAR_CJK.sub("", line)


class _Cleaned:
    """Lines without inner spaces and page chrome (``strip_page_chrome(_compact(line))``), each cleaned when
    first asked for."""

    def __init__(self, lines: list[str]):
        self._lines = lines
        self._cleaned: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, i: int) -> str:
        if i not in self._cleaned:
            self._cleaned[i] = strip_page_chrome(_compact(self._lines[i]))
        return self._cleaned[i]


def find_title(text: str) -> str | None:
    """The report title among the first lines; titles broken over two lines are joined."""
    # Only the head is split, and only the lines kept are compacted (compacting never empties a line), each
    # when first looked at: the title is mostly among the first few.
    head = [line for line in text.split("\n", _HEAD_LINES * 3)[: _HEAD_LINES * 3] if line.strip()]
    lines = _Cleaned(head[:_HEAD_LINES])
    for i in range(len(lines)):
        line = lines[i]
        if _TITLE_WORDS not in line or len(line) > 60 or "当前位置" in line or "。" in line:
            continue
        title = line
        if not _REPORT_END.search(title) and i + 1 < len(lines) and _REPORT_END.search(lines[i + 1]):
            if len(lines[i + 1]) <= 10:
                title += lines[i + 1]
        if not _REPORT_END.search(title):
            continue
        before = lines[i - 1] if i else ""
        names_no_agency = _YEAR_ANYWHERE.sub("", title, count=1).startswith(_TITLE_WORDS)
        if names_no_agency and before and len(before) <= 20:
            if not re.search(r"[,。:;>]|报告", before):
                title = before + title  # e.g. 包头市昆都仑区 / 2024年政府信息公开工作年度报告
        return title
    return None


def find_agency(title: str | None, text: str) -> str | None:
    if title:
        agency = _TITLE_SUFFIX.sub("", title)
        agency = _YEAR_ANYWHERE.sub("", agency).strip(" ,:-()《》")
        if len(agency) >= 2:
            return agency
    head = "\n".join(text.split("\n", _HEAD_LINES)[:_HEAD_LINES])
    m = _SOURCE.search(head)
    return strip_page_chrome(m.group(1)) or None if m else None


def find_year(title: str | None, text: str, overview: str | None) -> int | None:
    """Title year, else the statistics period, else the year the overview speaks of most."""
    if title:
        m = _YEAR.search(title)
        if m:
            return int(m.group(1))
    m = _PERIOD.search(text)
    if m:
        return int(m.group(1))
    years = Counter(int(y) for y in _YEAR.findall(overview or ""))
    if years:
        return years.most_common(1)[0][0]
    return None


def find_published_date(text: str) -> str | None:
    head = text[:3000]
    # Every label _PUBLISHED reads holds 日期 or is 发布时间: most texts without either skip the regex scan.
    m = _PUBLISHED.search(head) if "日期" in head or "发布时间" in head else None
    if not m:
        return None
    year, month, day = (int(g) for g in m.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def declared_template(text: str) -> str | None:
    """The template the report cites (国办公开办函〔2021〕30号 / 〔2019〕60号)."""
    m = _DECLARED_TEMPLATE.search(text)
    if not m:
        return None
    return v.TEMPLATE_2021 if m.group(1) == "2021" else v.TEMPLATE_2019


def template_for_year(year: int | None) -> str | None:
    if year is None:
        return None
    return v.TEMPLATE_2021 if year >= 2021 else v.TEMPLATE_2019
