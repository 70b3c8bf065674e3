"""Layouts: the tables as rows of cells (``_Row``) and how each layout prints them (pipe, tab,
cell_per_line, markdown)."""

from __future__ import annotations

from gi_pipeline import vocabulary as V

# --------------------------------------------------------------------------------------------
# Table 三 layout: label slots per row (normalized labels)
# --------------------------------------------------------------------------------------------

_GROUP_OF_FIRST = {
    "granted": "三、本年度办理结果",
    "withheld_state_secret": "(三)不予公开",
    "unable_not_held": "(四)无法提供",
    "not_processed_petition": "(五)不予处理",
    "other_overdue_correction": "(六)其他处理",
}
_TOP_LEVEL = ("new_received", "carried_over", "carried_forward")
_SECOND_LEVEL = ("granted", "partially_granted", "other_handling", "results_total")


def _t3_slots(key: str) -> list[str]:
    label = V.REQUEST_ROW_BY_KEY[key].labels[0]
    if key in _TOP_LEVEL:
        return [label, "", ""]
    if key == "granted":
        return [_GROUP_OF_FIRST[key], label, ""]
    if key in _SECOND_LEVEL:
        return ["", label, ""]
    if key in _GROUP_OF_FIRST:
        return ["", _GROUP_OF_FIRST[key], label]
    return ["", "", label]


_T3_HEAD = "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)"
_APPL = [V.APPLICANT_LABELS[a][0] for a in V.APPLICANTS]  # 自然人 … 其他, 总计


# --------------------------------------------------------------------------------------------
# Rows of a rendered table
# --------------------------------------------------------------------------------------------


class _Row:
    __slots__ = ("defective", "docx", "grid", "inner", "kind", "nlab", "split", "text")

    def __init__(self, kind: str, grid: list[str], docx: list[str] | None = None, nlab: int = 0):
        self.kind = kind  # "title" | "header" | "data" | "page" | "blank"
        self.grid = grid  # positional cells (label slots first)
        self.docx = docx if docx is not None else grid
        self.nlab = nlab  # number of label slots at the start of grid (data rows)
        self.split: tuple[int, str] | None = None  # pipe: (numbers before the page break, page line)
        self.inner: tuple[int, str] | None = None  # cell_per_line: (cell index, page line)
        self.text = ""  # page / caption line
        self.defective = False


def _data_row(labels: list[str], cells: list[str]) -> _Row:
    last = len(labels)
    while last and not labels[last - 1]:
        last -= 1
    return _Row("data", labels + cells, labels[:last] + cells, nlab=len(labels))


def _page_row(text: str) -> _Row:
    row = _Row("page", [])
    row.text = text
    return row



class LayoutMixin:
    """Tables 二, 三, 四 of one report, laid out and printed."""

    def _table2(self) -> list[list[_Row]]:
        """Table 二 as a list of blocks (each a list of rows); grid width 4."""
        tpl = self.template
        blocks = []

        def title(n):
            return self.label(self.t2_title_form.format(n=n))

        def head(*cols):
            return [self.label("信息内容")] + [self.label(c) for c in cols]

        def item(key, metrics, label=None):
            lab = self.label(label or V.DISCLOSURE_ITEM_BY_KEY[key].labels[0])
            toks = []
            for m in metrics:
                tok, _val = self.dis[(key, m)]
                if (key, m) not in self.t2_bad and tok and tok.replace(".", "").isdigit():
                    if m == V.METRIC_MONEY:
                        tok = self.fmt_decimal(tok)
                    else:
                        tok = self.fmt_count(int(tok))
                toks.append(self.tx(tok) if not tok.isascii() else tok)
            return toks, lab

        def block(n, header, items):
            t = title(n)
            rows = [
                _Row("title", [t, "", "", ""], [t]),
                _Row("header", header + [""] * (4 - len(header)), header),
            ]
            for key, metrics, label in items:
                toks, lab = item(key, metrics, label)
                rows.append(_data_row([lab], toks + [""] * (3 - len(toks))))
                rows[-1].docx = [lab, *toks]
            blocks.append(rows)

        norm_label = "规范性文件" if self.norm_alias else "行政规范性文件"
        fees_label = "行政事业收费" if self.fees_alias else "行政事业性收费"
        if tpl == V.TEMPLATE_2021:
            block(
                "一",
                head("本年制发件数", "本年废止件数", "现行有效件数"),
                [
                    ("rules", V.DISCLOSURE_ITEM_BY_KEY["rules"].metrics[tpl], None),
                    ("normative_documents", V.DISCLOSURE_ITEM_BY_KEY["normative_documents"].metrics[tpl], norm_label),
                ],
            )
            block("五", head("本年处理决定数量"), [("administrative_licensing", ("decisions",), None)])
            block(
                "六",
                head("本年处理决定数量"),
                [("administrative_penalty", ("decisions",), None), ("administrative_coercion", ("decisions",), None)],
            )
            block("八", head("本年收费金额(单位:万元)"), [("administrative_fees", (V.METRIC_MONEY,), fees_label)])
        else:
            dec = ("previous_year_items", "change", "decisions")
            docs = ("new_made", "new_published", "total_published")
            block(
                "一",
                head("本年新制作数量", "本年新公开数量", "对外公开总数量"),
                [("rules", docs, None), ("normative_documents", docs, norm_label)],
            )
            block(
                "五",
                head("上一年项目数量", "本年增/减", "处理决定数量"),
                [("administrative_licensing", dec, None), ("other_management_services", dec, None)],
            )
            block(
                "六",
                head("上一年项目数量", "本年增/减", "处理决定数量"),
                [("administrative_penalty", dec, None), ("administrative_coercion", dec, None)],
            )
            block(
                "八",
                head("上一年项目数量", "本年增/减"),
                [("administrative_fees", ("previous_year_items", "change"), fees_label)],
            )
            amount_head = "采购总金额(万元)" if self.amount_mode == "header_wan" else "采购总金额"
            if self.amount_mode == "header_wan" and self.rn.random() < 0.4:
                amount_head = "采购总金额(单位:万元)"
            block(
                "九", head("采购项目数量", amount_head), [("centralized_procurement", ("items", V.METRIC_MONEY), None)]
            )
        return blocks

    def _table3(self) -> list[_Row]:
        L = self.label
        head = L(_T3_HEAD)
        appl = [L(x) for x in _APPL]
        legal = L("法人或其他组织")
        rows = [
            _Row("header", [head, "", "", L("申请人情况"), "", "", "", "", "", ""], [head, L("申请人情况")]),
            _Row("header", ["", "", "", appl[0], legal, "", "", "", "", appl[6]], ["", appl[0], legal, appl[6]]),
            _Row("header", ["", "", "", "", *appl[1:6], ""], ["", "", *appl[1:6], ""]),
        ]
        for k in self.t3_order:
            slots = [L(s) if s else "" for s in _t3_slots(k)]
            toks = self.t3_tokens[k]
            if k not in self.t3_bad and self.num_noise:
                toks = [self.fmt_count(int(t)) for t in toks]
            else:
                toks = [self.tx(t) if not t.isascii() else t for t in toks]
            row = _data_row(slots, toks)
            row.defective = k in self.t3_bad
            rows.append(row)
            if k in self.t3_dup:
                deepest = max(i for i, s in enumerate(slots) if s)
                dslots = ["" if i != deepest else slots[i] for i in range(3)]
                dup = _data_row(dslots, list(self.t3_dup[k]))
                dup.defective = True
                rows.append(dup)
        return rows

    def _table4(self) -> list[_Row]:
        style = self.t4_head_style

        def h(s):
            if style == "spaced" and len(s) == 4:
                s = s[:2] + " " + s[2:]
            return self.label(s)

        outs = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
        full = [h(x) for x in outs]
        if style == "short":  # PDF damage: only the first line of each wrapped header survives
            short = [full[0]] + [self.tx(x[:2]) for x in outs[1:4]] + [full[4]]
            row2 = [self.tx(x[:2]) for x in outs[:4]] + [full[4]]
        else:
            short = full
            row2 = full
        rv, rs = self.label("行政复议"), self.label("行政诉讼")
        direct, after = self.label("未经复议直接起诉"), self.label("复议后起诉")
        rows = [
            _Row("header", [rv, "", "", "", "", rs] + [""] * 9, [rv, rs]),
            _Row("header", [*short, direct, "", "", "", "", after, "", "", "", ""], [*short, direct, after]),
            _Row("header", [""] * 5 + row2 + row2, [""] * 5 + row2 + row2),
        ]
        if not self.no_t4_numbers:
            toks = [
                (self.tx(t) if not t.isascii() else t) if i in self.t4_bad else self.fmt_count(int(t))
                for i, t in enumerate(self.t4_tokens)
            ]
            row = _Row("data", toks)
            row.defective = bool(self.t4_bad)
            rows.append(row)
        return rows

    def _add_page_breaks(self, rows: list[_Row], allow_split: bool) -> list[_Row]:
        if not self.page_rate:
            return rows
        rn = self.rn
        out: list[_Row] = []
        for i, row in enumerate(rows):
            if (
                allow_split
                and self.split_rate
                and row.kind == "data"
                and not row.defective
                and len([c for c in row.grid[row.nlab :] if c]) == 7
                and rn.random() < self.page_rate * self.split_rate * 2
            ):
                row.split = (rn.randint(1, 6), self.page_line())
            elif (
                self.layout == "cell_per_line"
                and row.kind in ("data", "header")
                and len(row.docx) > 2
                and rn.random() < self.page_rate
            ):
                row.inner = (rn.randint(1, len(row.docx) - 1), self.page_line())
            out.append(row)
            if 0 < i < len(rows) - 1 and rn.random() < self.page_rate and row.split is None:
                out.append(_page_row(self.page_line()))
        return out

    def _render(self, rows: list[_Row], width: int) -> list[str]:
        layout = self.layout
        rn = self.rn
        lines: list[str] = []
        if layout == "pipe":
            for row in rows:
                if row.kind == "page":
                    lines.append(row.text)
                    continue
                if row.kind == "data":
                    labs = [x for x in row.grid[: row.nlab] if x]
                    cells = list(row.grid[row.nlab :])
                    while cells and cells[-1] == "":
                        cells.pop()
                    if row.split:
                        k, page = row.split
                        nums = cells
                        lines.append(" | ".join(labs + nums[:k]) + " |")
                        lines.append(page)
                        lines.append(self._pipe(nums[k:], width))
                        continue
                    toks = labs + cells
                else:
                    toks = [x for x in row.grid if x]
                lines.append(self._pipe(toks, width))
        elif layout == "tab":
            for row in rows:
                if row.kind == "page":
                    lines.append(row.text)
                    continue
                cells = list(row.grid)
                if row.kind == "data" and row.nlab:
                    labs, vals = cells[: row.nlab], cells[row.nlab :]
                    while vals and vals[-1] == "":
                        vals.pop()
                    if self.tab_compact and row.nlab > 1:
                        while labs and labs[-1] == "":
                            labs.pop()
                        if rn.random() < 0.5:
                            labs.append("")
                    if self.noise and row.nlab > 1 and rn.random() < 0.05:
                        labs = [x for x in labs if x] + [""]
                    cells = labs + vals
                elif rn.random() < 0.5:
                    while cells and cells[-1] == "":
                        cells.pop()
                if self.tab_trailing and rn.random() < 0.6:
                    cells.append("")
                lines.append("\t".join(cells))
                if self.noise and rn.random() < 0.03:
                    lines.append("")
        elif layout == "cell_per_line":
            for row in rows:
                if row.kind == "page":
                    lines.append(row.text)
                    continue
                cells = list(row.docx)
                while len(cells) > 1 and cells[-1] == "" and row.kind == "data":
                    cells.pop()
                out = ["\t" + c for c in cells]
                if row.inner:
                    pos, page = row.inner
                    out.insert(pos, page)
                lines.extend(out)
                lines.append("")
            lines.append("")
        else:  # markdown
            sep = "|" + "|".join([self.md_sep] * width) + "|"
            need_sep = True
            for row in rows:
                if row.kind == "page":
                    lines.append("")
                    lines.append(row.text)
                    lines.append("")
                    need_sep = True
                    continue
                cells = list(row.grid)
                if row.kind != "data":
                    cells += [""] * (width - len(cells))
                lines.append("| " + " | ".join(cells) + " |")
                if need_sep:
                    lines.append(sep)
                    need_sep = False
        return lines

    def _pipe(self, toks: list[str], width: int) -> str:
        s = " | ".join(toks) + " |"
        pad = width - len(toks)
        if pad > 0 and self.pipe_padded:
            s += " " + "|" * pad
        return s

    def _table_lines(self, no: int) -> list[str]:
        if no == 2:
            blocks = [self._add_page_breaks(b, False) for b in self._table2()]
            width = 4
            if self.layout == "pipe" and self.template == V.TEMPLATE_2019 and self.rn.random() < 0.5:
                width = 7
            if self.layout == "markdown" and self.md_split_t2:
                lines: list[str] = []
                for b in blocks:
                    lines.extend(self._render(b, width))
                    lines.append("")
                return lines
            return self._render([row for b in blocks for row in b], width)
        if no == 3:
            return self._render(self._add_page_breaks(self._table3(), self.layout == "pipe"), 10)
        return self._render(self._add_page_breaks(self._table4(), False), 15)
