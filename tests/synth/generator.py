"""The generator: one ``ReportSpec`` -> one ``SyntheticReport``; a corpus of them."""

from __future__ import annotations

import random

from gi_pipeline import vocabulary as V

from .defects import DefectsMixin
from .document import DocumentMixin
from .layouts import LayoutMixin
from .noise import NoiseMixin, _identity, _s2t
from .places import _DEPARTMENTS, PLACES
from .spec import _DEFECTS_2019_ONLY, DEFECTS, ReportSpec, SyntheticReport
from .streams import _rng, _wchoice
from .values import ValuesMixin


class _Gen(ValuesMixin, NoiseMixin, LayoutMixin, DefectsMixin, DocumentMixin):
    """The state of one report while it is generated: metadata here, each concern in its mixin."""

    def __init__(self, spec: ReportSpec):
        seed, noise, defect = spec.seed, spec.noise, spec.defect
        self.seed = seed
        self.noise = noise
        self.defect = defect
        rm = self.rm = _rng(seed, "meta")
        self.rv = _rng(seed, "values")
        self.rt = _rng(seed, "text")
        self.rn = _rng(seed, "noise")
        self.rd = _rng(seed, "defect")

        # --- metadata
        template = spec.template
        if template is None:
            if defect in _DEFECTS_2019_ONLY:
                template = V.TEMPLATE_2019
            else:
                template = V.TEMPLATE_2019 if rm.random() < 2 / 7 else V.TEMPLATE_2021
        self.template = template
        self.year = rm.choice((2019, 2020)) if template == V.TEMPLATE_2019 else rm.randint(2021, 2025)
        self.place = rm.choice(PLACES)
        dept, self.we = rm.choice(_DEPARTMENTS)
        prefix = self.place.parent if (self.place.parent and rm.random() < 0.25) else ""
        if dept == "" and self.place.parent and rm.random() < 0.6:
            prefix = self.place.parent
        self.agency = prefix + self.place.name + dept
        suf = self.place.name[-1]
        self.suf = suf
        self.upper = {"区": "区委、区政府", "县": "县委、县政府"}.get(suf, "市委、市政府")
        if dept == "":
            self.short = self.place.name
            self.we = rm.choice(("本机关", f"全{suf}", f"我{suf}"))
        elif dept == "人民政府":
            self.short = f"{suf}人民政府"
        else:
            self.short = suf + dept

        layout = spec.layout
        if layout is None:
            layout = _wchoice(rm, {"pipe": 35, "tab": 20, "cell_per_line": 20, "markdown": 25})
        self.layout = layout
        encoding = spec.encoding
        if encoding is None:
            encoding = _wchoice(rm, {"utf-8": 60, "utf-8-sig": 15, "gb18030": 15, "utf-16": 10}) if noise else "utf-8"
        self.encoding = encoding
        traditional = spec.traditional
        if traditional is None:
            traditional = noise and rm.random() < 0.1
        self.traditional = bool(traditional)
        self.tx = _s2t if self.traditional else _identity
        self._draw_style()
        self.checks: list[str] = []
        self.defects: list[str] = []

    # ---------------------------------------------------------------- main
    def build(self) -> SyntheticReport:
        self.req = self.gen_requests()
        self.rev = self.gen_review()
        self.dis = self.gen_disclosure()
        tpl = self.template
        self.exp_req: dict[tuple[str, str], int | None] = {
            (k, a): self.req[k][j] for k in V.request_rows(tpl) for j, a in enumerate(V.APPLICANTS)
        }
        self.exp_rev: dict[tuple[str, str], int | None] = {
            c: self.rev[i] for i, c in enumerate(V.REVIEW_LITIGATION_CELLS)
        }
        self.exp_dis: dict[tuple[str, str], float | None] = {c: self.dis[c][1] for c in V.disclosure_cells(tpl)}

        # printed tokens (before noise formatting) for table 三 / 四
        self.t3_tokens = {k: [str(v) for v in self.req[k]] for k in V.request_rows(tpl)}
        self.t3_order = list(V.request_rows(tpl))
        self.t3_dup: dict[str, list[str]] = {}
        self.t3_bad: set[str] = set()  # rows not to be formatted / split
        self.t4_tokens = [str(v) for v in self.rev]
        self.t4_bad: set[int] = set()
        self.t2_bad: set[tuple[str, str]] = set()
        self.no_t3 = self.no_t4 = self.no_t4_numbers = False
        self.drop_section: int | None = None
        self.amount_mode = None
        if tpl == V.TEMPLATE_2019:
            self._procurement_amount()
        if self.defect:
            self._apply_defect(self.defect)
        text = self._document()
        return self._finish(text)

    def _finish(self, text: str) -> SyntheticReport:
        raw = self._encode(text)
        ext = ".md" if self.layout == "markdown" else ".txt"
        checks: list[str] = []
        for c in self.checks:
            if c not in checks:
                checks.append(c)
        return SyntheticReport(
            name=f"synth_{self.seed:05d}{ext}",
            raw=raw,
            year=self.year,
            template=self.template,
            agency=self.agency,
            admin_code=self.place.code,
            province_code=self.place.province_code,
            layout=self.layout,
            encoding=self.encoding,
            traditional=self.traditional,
            disclosure=dict(self.exp_dis),
            requests=dict(self.exp_req),
            review=dict(self.exp_rev),
            defects=tuple(self.defects),
            expected_checks=tuple(checks),
            published_date=self.published,
            seed=self.seed,
        )


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def generate(spec: ReportSpec) -> SyntheticReport:
    """One synthetic report, fully determined by its spec."""
    return _Gen(spec).build()


def generate_report(seed: int, **fields) -> SyntheticReport:
    """``generate(ReportSpec(seed, **fields))``: layout, template, encoding, traditional, noise, defect."""
    return generate(ReportSpec(seed, **fields))


def generate_corpus(n: int, seed: int = 0, *, defect_rate: float = 0.2, **kw) -> list[SyntheticReport]:
    """``n`` reports; report ``i`` is ``generate_report(seed * 1_000_000 + i, ...)``.

    About ``defect_rate`` of them carry one defect, drawn round-robin from ``DEFECTS`` in a seeded
    order (so a corpus of a few hundred covers every kind).  ``kw`` is passed to ``generate_report``;
    when it forces the 2021 template, 2019-only defects are skipped.
    """
    if "defect" in kw:
        raise TypeError("generate_corpus draws the defects itself; use defect_rate")
    r = random.Random(f"gi-synth-corpus:{seed}")
    kinds = list(DEFECTS)
    if kw.get("template") not in (None, V.TEMPLATE_2019):
        kinds = [k for k in kinds if k not in _DEFECTS_2019_ONLY]
    r.shuffle(kinds)
    out = []
    k = 0
    for i in range(n):
        defect = None
        if r.random() < defect_rate:
            defect = kinds[k % len(kinds)]
            k += 1
        out.append(generate_report(seed * 1_000_000 + i, defect=defect, **kw))
    return out

