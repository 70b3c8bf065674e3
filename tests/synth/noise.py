"""Noise: the publisher's and the copy-paste's damage (typos, spaces in labels, punctuation, page
lines, full-width digits, thousands separators, traditional characters with pinyin residue, CRLF,
encodings).  Every switch is drawn up front from the noise stream."""

from __future__ import annotations

import functools
import random

from gi_pipeline import vocabulary as V

# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

_TO_FULL = str.maketrans({"(": "（", ")": "）", ":": "：", ",": "，", ";": "；"})
_TO_HALF = str.maketrans({"（": "(", "）": ")", "：": ":", "，": ",", "；": ";"})
_FW_DIGITS = str.maketrans("0123456789.,", "０１２３４５６７８９．，")

_PINYIN_RESIDUE: tuple[tuple[str, str], ...] = (
    ("區", "qū"),
    ("發", "fā"),
    ("規", "guī"),
    ("業", "yè"),
    ("統", "tǒng"),
    ("聯", "lián"),
    ("穩", "wěn"),
    ("執", "zhí"),
    ("鎮", "zhèn"),
    ("協", "xié"),
    ("監", "jiān"),
    ("優", "yōu"),
    ("續", "xù"),
)

_PAGE_FORMS = ("- {p} -", "-{p}-", "— {p} —", "– {p} –", "第 {p} 页", "第{p}页", "第{p}页 共{n}页")

_OPENCC = None


def _converter():
    global _OPENCC
    if _OPENCC is None:
        from opencc import OpenCC

        _OPENCC = OpenCC("s2t")
    return _OPENCC


@functools.lru_cache(maxsize=1 << 16)
def _s2t(s: str) -> str:
    return _converter().convert(s)


@functools.lru_cache(maxsize=4096)
def _plain_label(norm: str, traditional: bool) -> str:
    """A label printed without noise: full-width punctuation (half-width reports are translated later)."""
    s = norm.translate(_TO_FULL)
    return _s2t(s) if traditional else s


def _identity(s: str) -> str:
    return s


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _insert_space(s: str, r: random.Random) -> str:
    spots = [i for i in range(1, len(s)) if _is_cjk(s[i - 1]) and _is_cjk(s[i])]
    if not spots:
        return s
    i = r.choice(spots)
    return s[:i] + " " + s[i:]


# Typos a fuzzy label matcher must still resolve (keys: normalized labels).
_TYPOS: dict[str, tuple[str, ...]] = {
    "科研机构": ("考研机构",),
    "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)": (
        "(本列数据的钩稽关系为:第一项加第二项之和,等于第三项加第四项之和)",
    ),
    "6.属于四类过程性信息": ("6.属于四类过程信息",),
    "(四)无法提供": ("(四)无法提取",),
    "3.危及“三安全一稳定”": ("3.危及三安全一稳定", '3.危及"三安全一稳定"'),
    "5.要求行政机关确认或重新出具已获取信息": ("5.要求行政机关确认或者重新出具已获取信息",),
    "1.本机关不掌握相关政府信息": ("1.本机关不掌握相关的政府信息",),
    "4.无正当理由大量反复申请": ("4.无正当理由大量、反复申请",),
    "2.其他法律行政法规禁止公开": ("2.其它法律行政法规禁止公开",),
    "(二)部分公开(区分处理的,只计这一情形,不计其他情形)": (
        "(二)部分公开(区分处理的,只计这一情形,不计其它情形)",
        "(二)部分公开",
    ),
    "二、上年结转政府信息公开申请数量": ("二、上年结转政府信息公开申请数",),
    "行政事业性收费": ("行政事业收费",),
}


class NoiseMixin:
    """The noise switches of one report and the printing helpers that apply them."""

    def _draw_style(self) -> None:
        # All drawn up front so the values stream stays independent of the noise.
        layout, template, noise = self.layout, self.template, self.noise
        rn = self.rn
        on = noise
        self.punct = ("full" if rn.random() < 0.8 else ("half" if rn.random() < 0.7 else "mixed")) if on else "full"
        self.crlf = on and rn.random() < 0.2
        self.typo_rate = (0.35 if rn.random() < 0.3 else 0.0) if on else 0.0
        self.space_rate = (0.25 if rn.random() < 0.35 else 0.0) if on else 0.0
        self.page_rate = (0.08 if rn.random() < 0.35 else 0.0) if on else 0.0
        self.split_rate = 0.5 if (on and layout == "pipe" and self.page_rate and rn.random() < 0.6) else 0.0
        self.fw_rate = (0.25 if rn.random() < 0.1 else 0.0) if on else 0.0
        self.thousands_rate = (0.9 if rn.random() < 0.3 else 0.0) if on else 0.0
        self.qmarks = on and rn.random() < 0.12
        self.bookmark = on and rn.random() < 0.1
        self.html = on and rn.random() < 0.1
        self.linebreak_prose = on and rn.random() < 0.15
        self.residue: dict[str, str] = {}
        if self.traditional and on:
            k = rn.randint(5, len(_PINYIN_RESIDUE))
            self.residue = {c: f"{c}({p})" for c, p in rn.sample(_PINYIN_RESIDUE, k)}
        self.page_no = rn.randint(2, 3)
        self.page_form = rn.choice(_PAGE_FORMS)
        self.page_total = self.page_no + rn.randint(4, 9)
        self.para_gap = rn.random() < 0.35
        self.pipe_padded = rn.random() < 0.85
        self.tab_compact = rn.random() < 0.5
        self.tab_trailing = rn.random() < 0.4
        self.md_sep = rn.choice(("---", " --- ", ":---:", "---"))
        self.md_captions = layout == "markdown" and rn.random() < 0.3
        self.md_split_t2 = rn.random() < 0.5
        self.t4_head_style = rn.choice(("full", "full", "spaced", "short")) if on else "full"
        self.t2_title_form = rn.choice(("第二十条第({n})项", "第二十条第({n})项", "第二十条({n})项"))
        self.fees_alias = rn.random() < (0.5 if template == V.TEMPLATE_2019 else 0.1)
        self.norm_alias = rn.random() < (0.7 if template == V.TEMPLATE_2019 else 0.1)
        self.spaced_year = on and rn.random() < 0.15
        # fast paths
        self.plain_labels = not self.typo_rate and not self.space_rate and self.punct != "mixed"
        self.num_noise = bool(self.thousands_rate or self.fw_rate)

    # ---------------------------------------------------------------- printing helpers
    def label(self, norm: str) -> str:
        if self.plain_labels:
            return _plain_label(norm, self.traditional)
        s = norm
        rn = self.rn
        if self.typo_rate and norm in _TYPOS and rn.random() < self.typo_rate:
            s = rn.choice(_TYPOS[norm])
        if self.space_rate and rn.random() < self.space_rate:
            s = _insert_space(s, rn)
        if self.punct == "full" or (self.punct == "mixed" and rn.random() < 0.6):
            s = s.translate(_TO_FULL)
        return self.tx(s)

    def page_line(self) -> str:
        p = self.page_no
        self.page_no += 1
        self.page_total = max(self.page_total, self.page_no)
        return self.page_form.format(p=p, n=self.page_total)

    def fmt_count(self, v: int) -> str:
        s = str(v)
        if not self.num_noise:
            return s
        if v >= 1000 and self.thousands_rate and self.rn.random() < self.thousands_rate:
            return f"{v:,}"
        if self.fw_rate and self.rn.random() < self.fw_rate:
            return s.translate(_FW_DIGITS)
        return s

    def fmt_decimal(self, s: str) -> str:
        if self.thousands_rate and self.rn.random() < self.thousands_rate:
            ip, _, frac = s.partition(".")
            if len(ip) > 3:
                s = f"{int(ip):,}" + ("." + frac if frac else "")
        return s

    def _encode(self, text: str) -> bytes:
        """The document text as the file's bytes: late punctuation/residue/line-end noise, then the encoding."""
        if self.punct == "half":
            text = text.translate(_TO_HALF)
        if self.residue:
            text = text.translate(str.maketrans(self.residue))
        if self.crlf:
            text = text.replace("\n", "\r\n")
        enc = self.encoding
        if enc == "utf-16":
            raw = b"\xff\xfe" + text.encode("utf-16-le")
        elif enc == "utf-8-sig":
            raw = b"\xef\xbb\xbf" + text.encode("utf-8")
        else:
            raw = text.encode(enc)
        return raw
