"""Values: the numbers a report states (tables 二, 三, 四), drawn from the values stream so that they
satisfy the template's identities; and which identities a report's expected values break."""

from __future__ import annotations

from gi_pipeline import vocabulary as V

from .spec import SyntheticReport
from .streams import _wchoice

_RESULT_WEIGHTS: dict[str, tuple[float, float]] = {
    "granted": (0.8, 0.45),
    "partially_granted": (0.3, 0.1),
    "withheld_state_secret": (0.03, 0.05),
    "withheld_prohibited_by_law": (0.05, 0.05),
    "withheld_three_safeties": (0.03, 0.05),
    "withheld_third_party": (0.15, 0.1),
    "withheld_internal_affairs": (0.12, 0.1),
    "withheld_process_info": (0.15, 0.1),
    "withheld_enforcement_files": (0.05, 0.05),
    "withheld_administrative_query": (0.1, 0.1),
    "unable_not_held": (0.6, 0.35),
    "unable_needs_creation": (0.2, 0.1),
    "unable_unclear": (0.2, 0.1),
    "not_processed_petition": (0.2, 0.15),
    "not_processed_repeated": (0.2, 0.1),
    "not_processed_publication": (0.05, 0.05),
    "not_processed_excessive": (0.05, 0.1),
    "not_processed_confirmation": (0.1, 0.05),
    "other_overdue_correction": (0.1, 0.1),
    "other_unpaid_fee": (0.03, 0.05),
    "other_misc": (0.15, 0.1),
    "other_handling": (0.2, 0.15),
}


class ValuesMixin:
    """The values of one report."""

    def gen_requests(self) -> dict[str, list[int]]:
        r = self.rv
        rows = V.request_rows(self.template)
        results = [k for k in rows if k in V.RESULT_ROW_KEYS]
        vals = {k: [0] * 7 for k in rows}
        p = r.random()
        scales = [0.0] * 6
        if p >= 0.45:
            large = p >= 0.87
            scales[0] = r.uniform(20, 900) if large else r.uniform(1, 14)
            if r.random() < 0.45:
                scales[1] = r.uniform(1, 40 if large else 5)
            for j in range(2, 6):
                if r.random() < 0.08:
                    scales[j] = r.uniform(1, 3)
        for j, scale in enumerate(scales):
            if not scale:
                continue
            for k in results:
                prob, share = _RESULT_WEIGHTS[k]
                if r.random() < prob:
                    vals[k][j] = r.randint(1, max(1, round(scale * share)))
            rt = sum(vals[k][j] for k in results)
            cf = r.randint(0, max(1, round(scale * 0.15))) if r.random() < 0.3 else 0
            co = r.randint(0, min(rt + cf, max(1, round(scale * 0.15)))) if r.random() < 0.3 else 0
            vals["results_total"][j] = rt
            vals["carried_forward"][j] = cf
            vals["carried_over"][j] = co
            vals["new_received"][j] = rt + cf - co
        for k in rows:
            vals[k][6] = sum(vals[k][:6])
        return vals

    def gen_review(self) -> list[int]:
        r = self.rv
        vals = [0] * 15
        if r.random() < 0.35:
            for b in range(3):
                if r.random() < (0.7, 0.4, 0.25)[b]:
                    parts = [
                        r.choice((0, 0, 1, 1, 2, 3, 5, 8)),
                        r.choice((0, 0, 0, 1, 2)),
                        r.choice((0, 0, 0, 1)),
                        r.choice((0, 0, 1, 2)),
                    ]
                    vals[b * 5 : b * 5 + 4] = parts
                    vals[b * 5 + 4] = sum(parts)
        return vals

    def _count(self, zero: float, small: int, large: tuple[int, int] | None = None, plarge: float = 0.0) -> int:
        r = self.rv
        x = r.random()
        if x < zero:
            return 0
        if large and x > 1 - plarge:
            return r.randint(*large)
        return r.randint(1, small)

    def _decimal(self, max_int: int) -> str:
        r = self.rv
        d = r.choice((0, 1, 2, 2, 3, 3, 4))
        while True:
            ip = r.randint(0, max_int) if r.random() < 0.7 else r.randint(0, 9)
            if d == 0:
                s = str(ip)
            else:
                s = f"{ip}.{r.randint(0, 10**d - 1):0{d}d}"
            if float(s) > 0:
                return s

    def gen_disclosure(self) -> dict[tuple[str, str], tuple[str, float]]:
        """(item, metric) -> (printed token before noise, expected value)."""
        r = self.rv
        out: dict[tuple[str, str], tuple[str, float]] = {}

        def cnt(key, metric, v):
            out[(key, metric)] = (str(v), float(v))

        if self.template == V.TEMPLATE_2021:
            for key, zero, small in (("rules", 0.9, 3), ("normative_documents", 0.4, 15)):
                issued = self._count(zero, small)
                repealed = self._count(0.7 if key == "normative_documents" else 0.95, 5)
                in_force = issued + (r.randint(0, 80) if r.random() < 0.6 else 0)
                if key == "rules" and issued == 0 and r.random() < 0.8:
                    in_force = 0
                cnt(key, "issued", issued)
                cnt(key, "repealed", repealed)
                cnt(key, "in_force", in_force)
            cnt("administrative_licensing", "decisions", self._count(0.3, 300, (1000, 80000), 0.25))
            cnt("administrative_penalty", "decisions", self._count(0.35, 500, (1000, 20000), 0.12))
            cnt("administrative_coercion", "decisions", self._count(0.6, 60))
            if r.random() < 0.6:
                out[("administrative_fees", V.METRIC_MONEY)] = ("0", 0.0)
            else:
                s = self._decimal(5000)
                out[("administrative_fees", V.METRIC_MONEY)] = (s, float(s))
        else:
            for key, zero, small in (("rules", 0.9, 3), ("normative_documents", 0.4, 15)):
                made = self._count(zero, small)
                published = made if r.random() < 0.8 else r.randint(0, made)
                total = published + (r.randint(0, 80) if r.random() < 0.6 else 0)
                cnt(key, "new_made", made)
                cnt(key, "new_published", published)
                cnt(key, "total_published", total)
            for key, zero, small, large in (
                ("administrative_licensing", 0.3, 400, (1000, 60000)),
                ("other_management_services", 0.7, 50, None),
                ("administrative_penalty", 0.35, 400, (1000, 15000)),
                ("administrative_coercion", 0.6, 40, None),
            ):
                prev = self._count(zero, small, large, 0.2)
                change = 0 if r.random() < 0.4 else r.randint(-min(prev, 200), 200)
                decisions = self._count(zero, small, large, 0.2)
                cnt(key, "previous_year_items", prev)
                cnt(key, "change", change)
                cnt(key, "decisions", decisions)
            prev = self._count(0.6, 20)
            cnt("administrative_fees", "previous_year_items", prev)
            cnt("administrative_fees", "change", 0 if r.random() < 0.6 else r.randint(-prev, 5))
            items = self._count(0.4, 30)
            cnt("centralized_procurement", "items", items)
            out[("centralized_procurement", V.METRIC_MONEY)] = ("", 0.0)  # filled by the unit logic
            self.proc_items = items
        return out

    # ---------------------------------------------------------------- 2019 procurement amount
    def _procurement_amount(self):
        r = self.rv
        key = ("centralized_procurement", V.METRIC_MONEY)
        mode = _wchoice(r, {"cell_wan": 45, "cell_yuan": 30, "header_wan": 25})
        if self.proc_items == 0:
            token = {"cell_wan": "0万元", "cell_yuan": "0元", "header_wan": "0"}[mode]
            value = 0.0
        elif mode == "cell_yuan":
            yuan = r.randint(5, 900) * r.choice((100, 1000, 10, 1))
            token, value = f"{yuan}元", round(yuan / 10000, 6)
        else:
            s = self._decimal(800)
            value = float(s)
            token = s + r.choice(("万", "万元")) if mode == "cell_wan" else s
        self.amount_mode = mode
        self.dis[key] = (token, value)
        self.exp_dis[key] = value


def identity_errors(report: SyntheticReport) -> list[str]:
    """The table 三 / 四 identities that the expected values break (cells that are None are skipped)."""
    errors: list[str] = []
    req = report.requests
    rows = V.request_rows(report.template)
    results = [k for k in rows if k in V.RESULT_ROW_KEYS]

    def get(k, a):
        return req.get((k, a))

    for a in V.APPLICANTS:
        col = [get(k, a) for k in ("new_received", "carried_over", "results_total", "carried_forward")]
        if None not in col and col[0] + col[1] != col[2] + col[3]:
            errors.append(f"identity_balance:{a}")
        parts = [get(k, a) for k in results]
        if None not in parts and get("results_total", a) is not None and sum(parts) != get("results_total", a):
            errors.append(f"identity_results_total:{a}")
    for k in rows:
        parts = [get(k, a) for a in V.APPLICANT_PARTS]
        tot = get(k, V.APPLICANT_TOTAL)
        if None not in parts and tot is not None and sum(parts) != tot:
            errors.append(f"identity_row_total:{k}")
    for p in V.PROCEEDINGS:
        parts = [report.review[(p, o)] for o in V.OUTCOME_PARTS]
        tot = report.review[(p, V.OUTCOME_TOTAL)]
        if None not in parts and tot is not None and sum(parts) != tot:
            errors.append(f"identity_review_total:{p}")
    return errors
