"""The document: title, publication line, preamble and the six sections around the tables."""

from __future__ import annotations

from gi_pipeline import vocabulary as V

from .noise import _is_cjk
from .streams import _wchoice
from .wording import (
    CAPTIONS,
    HEADINGS,
    IMPROVEMENTS,
    NO_T3,
    NO_T4,
    OTHER_MATTERS,
    OVERVIEW_INTRO,
    PREAMBLE_2019,
    PREAMBLE_2021,
    PREAMBLE_ANY,
    PROBLEMS,
    SUB_ACTIVE,
    SUB_ACTIVE_HEADS,
    SUB_MANAGE,
    SUB_OVERSIGHT,
    SUB_PLATFORM,
    SUB_REQUEST_HEADS,
    SUB_REQUEST_NONE,
    SUB_REQUEST_SOME,
)


class DocumentMixin:
    """The text of one report, from its metadata, values and tables."""

    # ---------------------------------------------------------------- document
    def _fill(self, template: str, **extra) -> str:
        ctx = self.ctx
        if extra:
            ctx = {**ctx, **extra}
        return self.tx(template).format(**ctx)

    def _para(self, out: list[str], text: str):
        rn = self.rn
        if self.html and rn.random() < 0.12:
            i = rn.randint(len(text) // 3, len(text) - 1)
            text = text[:i] + "</span>" + text[i:]
        if self.linebreak_prose and len(text) > 60 and rn.random() < 0.25:
            spots = [i for i in range(20, len(text) - 10) if _is_cjk(text[i]) and text[i] not in "一二三四五六七八九十"]
            if spots:
                i = rn.choice(spots)
                out.append(text[:i])
                if rn.random() < 0.5:
                    out.append("")
                text = text[i:]
        out.append(text)
        if self.para_gap:
            out.append("")
        if self.page_rate and rn.random() < self.page_rate / 2:
            out.append(self.page_line())

    def _heading(self, out: list[str], no: int):
        rn = self.rt
        text = rn.choice(HEADINGS[no])
        if self.noise and rn.random() < 0.05:
            text = text.replace("、", "、 ", 1)
        text = self.tx(text)
        if self.qmarks and rn.random() < 0.3:
            text = "?" + text if rn.random() < 0.5 else text + "?"
        out.append(text)
        if self.para_gap:
            out.append("")

    def _document(self) -> str:
        rt = self.rt
        year = self.year
        total = self.req["new_received"][6] if "new_received" in self.req else 0
        lic = int(self.dis.get(("administrative_licensing", "decisions"), ("", 0))[1])
        pen = int(self.dis.get(("administrative_penalty", "decisions"), ("", 0))[1])
        n1 = rt.randint(max(lic + pen, 20), max(lic + pen, 20) + 4000)
        self.ctx = {
            "agency": self.tx(self.agency),
            "short": self.tx(self.short),
            "we": self.tx(self.we),
            "place": self.tx(self.place.name),
            "upper": self.tx(self.upper),
            "year": year,
            "yr": f" {year} " if self.spaced_year else year,
            "n1": n1,
            "n2": rt.randint(1, 300),
            "n3": rt.randint(1, 200),
            "n4": rt.randint(1, 100),
            "n5": rt.randint(100, 30000),
            "lic": lic,
            "pen": pen,
            "nr": total,
            "co": self.req["carried_over"][6],
            "cf": self.req["carried_forward"][6],
            "done": self.req["results_total"][6],
        }
        out: list[str] = []
        noise = self.noise
        if noise and rt.random() < 0.12:
            out.extend([""] * rt.randint(1, 2))
        if noise and rt.random() < 0.1:
            out.append(self.tx(f"当前位置：首页 > 政府信息公开 > 政府信息公开年报 > {year}年度"))
        # title
        ag = self.ctx["agency"]
        form = "plain"
        if noise:
            form = _wchoice(rt, {"plain": 60, "spaced": 10, "split": 15, "year_first": 10, "niandu": 5})
        if form == "plain":
            out.append(f"{ag}{year}" + self.tx("年政府信息公开工作年度报告"))
        elif form == "spaced":
            out.append(f"{ag} {year} " + self.tx("年政府信息公开工作年度报告"))
        elif form == "split":
            out.append(ag)
            out.append(f"{year}" + self.tx("年政府信息公开工作年度报告"))
        elif form == "year_first":
            out.append(f"{year}" + self.tx("年") + ag + self.tx("政府信息公开工作年度报告"))
        else:
            out.append(f"{ag}{year}" + self.tx("年度政府信息公开工作年度报告"))
        if self.qmarks and rt.random() < 0.5:
            out.append("?")
        self.published = None
        if rt.random() < 0.45:
            m, d = rt.randint(1, 3), rt.randint(1, 28)
            self.published = f"{year + 1}-{m:02d}-{d:02d}"
            if rt.random() < 0.6:
                line = f"发布日期：{year + 1}年{m:02d}月{d:02d}日"
            else:
                line = f"发布日期：{self.published}"
            if rt.random() < 0.4:
                line += f" 来源：{self.agency}"
            out.append(self.tx(line))
        if self.para_gap:
            out.append("")
        # preamble
        x = rt.random()
        if x < 0.6:
            pool = PREAMBLE_2021 if self.template == V.TEMPLATE_2021 else PREAMBLE_2019
            self._para(out, self._fill(rt.choice(pool)))
        elif x < 0.75:
            self._para(out, self._fill(PREAMBLE_ANY[0]))

        # 一
        self._heading(out, 1)
        first = self._fill(rt.choice(OVERVIEW_INTRO))
        if self.bookmark:
            first = "[bookmark: _GoBack]" + first
        self._para(out, first)
        heads = SUB_ACTIVE_HEADS[:3] if rt.random() < 0.95 else SUB_ACTIVE_HEADS[3:]
        inline = rt.random() < 0.5
        for head, body in (
            (rt.choice(heads), self._fill(rt.choice(SUB_ACTIVE))),
            (rt.choice(SUB_REQUEST_HEADS), self._fill(rt.choice(SUB_REQUEST_SOME if total else SUB_REQUEST_NONE))),
        ):
            head = self.tx(head)
            if inline:
                self._para(out, head + "。" + body)
            else:
                self._para(out, head)
                self._para(out, body)
        for pool in (SUB_MANAGE, SUB_PLATFORM, SUB_OVERSIGHT):
            if rt.random() < 0.75:
                self._para(out, self._fill(rt.choice(pool)))
        # 二 三 四
        for no in (2, 3, 4):
            self._heading(out, no)
            if self.qmarks and rt.random() < 0.2:
                out.append("?")
            if self.md_captions:
                out.append(self.tx(CAPTIONS[no]))
            if (no == 3 and self.no_t3) or (no == 4 and self.no_t4):
                self._para(out, self._fill(rt.choice(NO_T3 if no == 3 else NO_T4)))
                continue
            if self.layout == "markdown" or (self.layout == "tab" and rt.random() < 0.5):
                out.append("")
            out.extend(self._table_lines(no))
            if self.layout in ("markdown", "tab") or (self.layout == "pipe" and rt.random() < 0.2):
                out.append("")
            if self.qmarks and rt.random() < 0.4:
                out.append("?")
        # 五 六
        if self.drop_section != 5:
            self._heading(out, 5)
            if rt.random() < 0.3:
                self._para(out, self.tx("（一）存在问题"))
                self._para(out, self._fill(rt.choice(PROBLEMS)))
                self._para(out, self.tx("（二）改进情况"))
                self._para(out, self._fill(rt.choice(IMPROVEMENTS)))
            else:
                self._para(out, self._fill(rt.choice(PROBLEMS)))
                self._para(out, self._fill(rt.choice(IMPROVEMENTS)))
        if self.drop_section != 6:
            self._heading(out, 6)
            self._para(out, self._fill(rt.choice(OTHER_MATTERS)))
        while out and out[-1] == "":
            out.pop()
        return "\n".join(out) + "\n"
