"""Defects: one injected fault per report (``DEFECT_CHECKS`` names the checks each must raise) and
the expected values it nulls."""

from __future__ import annotations

import random

from gi_pipeline import vocabulary as V

from .spec import DEFECT_CHECKS


class DefectsMixin:
    """The defect of one report, applied to its printed tokens and expected values."""

    # ---------------------------------------------------------------- defects
    def _apply_defect(self, defect: str):
        rd = self.rd
        rows = self.t3_order
        self.defects.append(defect)
        self.checks.extend(DEFECT_CHECKS[defect])

        def null_row(k):
            for a in V.APPLICANTS:
                self.exp_req[(k, a)] = None
            self.t3_bad.add(k)

        if defect == "missing_cell":
            k = rd.choice(rows)
            del self.t3_tokens[k][rd.randrange(7)]
            null_row(k)
        elif defect == "extra_cell":
            k = rd.choice(rows)
            self.t3_tokens[k].insert(rd.randint(0, 7), str(rd.choice((0, 0, 1, 2, 3))))
            null_row(k)
        elif defect in ("unreadable_cell", "dash_cell"):
            if defect == "dash_cell":
                token = lambda v: rd.choice(("—", "/", "-", "－", "——", "无", "／"))
            else:
                token = lambda v: _garble(str(v), rd)
            where = rd.random()
            if where < 0.7:
                k, j = rd.choice(rows), rd.randrange(7)
                self.t3_tokens[k][j] = token(self.req[k][j])
                self.exp_req[(k, V.APPLICANTS[j])] = None
                self.t3_bad.add(k)
            elif where < 0.85:
                i = rd.randrange(15)
                self.t4_tokens[i] = token(self.rev[i])
                self.exp_rev[V.REVIEW_LITIGATION_CELLS[i]] = None
                self.t4_bad.add(i)
            else:
                cells = [c for c in V.disclosure_cells(self.template) if c[1] != V.METRIC_MONEY]
                c = rd.choice(cells)
                self.dis[c] = (token(int(self.dis[c][1])), 0.0)
                self.exp_dis[c] = None
                self.t2_bad.add(c)
        elif defect == "blank_cell":
            k, j = rd.choice(rows), rd.randint(1, 5)
            self.t3_tokens[k][j] = ""
            self.exp_req[(k, V.APPLICANTS[j])] = None
            self.t3_bad.add(k)
        elif defect == "table4_no_numbers":
            self.no_t4_numbers = True
            for c in V.REVIEW_LITIGATION_CELLS:
                self.exp_rev[c] = None
        elif defect == "missing_row":
            k = rd.choice(rows)
            self.t3_order = [x for x in rows if x != k]
            null_row(k)
        elif defect == "duplicate_row":
            k = rd.choice(rows)
            dup = list(self.t3_tokens[k])
            j = rd.randrange(6)
            bump = rd.randint(1, 9)
            dup[j] = str(int(dup[j]) + bump)
            if rd.random() < 0.6:
                dup[6] = str(int(dup[6]) + bump)
            self.t3_dup[k] = dup
            null_row(k)
        elif defect == "identity_violation":
            self._identity_violation()
        elif defect == "amount_unit_unknown":
            key = ("centralized_procurement", V.METRIC_MONEY)
            s = self._decimal(800) if rd.random() < 0.5 else str(rd.randint(1000, 900000))
            self.dis[key] = (s, 0.0)
            self.amount_mode = "unknown"
            self.exp_dis[key] = None
            if self.proc_items == 0:
                self.proc_items = rd.randint(1, 12)
                self.dis[("centralized_procurement", "items")] = (str(self.proc_items), float(self.proc_items))
                self.exp_dis[("centralized_procurement", "items")] = float(self.proc_items)
            self.t2_bad.add(key)
        elif defect == "negative_count":
            results = [x for x in rows if x in V.RESULT_ROW_KEYS]
            k, j = rd.choice(results), rd.randrange(6)
            vals = {x: list(self.req[x]) for x in rows}
            vals[k][j] = -rd.randint(1, 5)
            for x in rows:
                vals[x][6] = sum(vals[x][:6])
            vals["results_total"] = [sum(vals[x][i] for x in results) for i in range(7)]
            vals["new_received"] = [
                vals["results_total"][i] + vals["carried_forward"][i] - vals["carried_over"][i] for i in range(7)
            ]
            for x in rows:
                self.t3_tokens[x] = [str(v) for v in vals[x]]
                for i, a in enumerate(V.APPLICANTS):
                    self.exp_req[(x, a)] = vals[x][i]
            self.t3_bad.update(("results_total", "new_received", k))
        elif defect == "table_missing":
            if rd.random() < 0.5:
                self.no_t3 = True
                for k in rows:
                    null_row(k)
            else:
                self.no_t4 = True
                for c in V.REVIEW_LITIGATION_CELLS:
                    self.exp_rev[c] = None
        elif defect == "section_missing":
            self.drop_section = rd.choice((5, 6))
        else:  # pragma: no cover - guarded in generate_report
            raise ValueError(defect)

    def _identity_violation(self):
        rd = self.rd
        d = rd.randint(1, 9)

        def bump(tokens, i, exp_key, table):
            v = int(tokens[i])
            nv = v + d if (v - d < 0 or rd.random() < 0.6) else v - d
            tokens[i] = str(nv)
            table[exp_key] = nv

        kind = rd.choice(("results_total", "row_total", "new_received", "review_total"))
        if kind == "review_total":
            b = rd.randrange(3)
            i = b * 5 + 4
            bump(self.t4_tokens, i, V.REVIEW_LITIGATION_CELLS[i], self.exp_rev)
            self.t4_bad.add(i)
            return
        if kind == "row_total":
            k, j = rd.choice(self.t3_order), 6
        else:
            k, j = kind, rd.randrange(7)
        bump(self.t3_tokens[k], j, (k, V.APPLICANTS[j]), self.exp_req)
        self.t3_bad.add(k)


_GARBLE = {"0": "O", "1": "l", "2": "Z", "5": "S", "6": "b", "8": "B", "9": "g"}


def _garble(s: str, r: random.Random) -> str:
    """A number an OCR got wrong: one digit replaced by a look-alike letter (``1O``, ``l2``, ``O``)."""
    spots = [i for i, ch in enumerate(s) if ch.isdigit()]
    i = r.choice(spots)
    repl = _GARBLE.get(s[i], "O")
    return s[:i] + repl + s[i + 1 :]
