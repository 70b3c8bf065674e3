"""Resolve the administrative division (GB/T 2260 code) of a report from its title, agency and body.

Pure: the only input besides the arguments is the bundled reference data in ``gi_pipeline/data``
(see ``data/REFERENCE_README.md``), parsed once per process.

How a place is found:

1. Division names (the 名称 column: 大武口区, 常德市, 宁夏回族自治区 ...) are looked up in the title and
   the agency; only when those name none, in the body. The most specific level wins (county, else
   prefecture, else province); among several names of that level, the most frequent, then the first.
   Names printed together there must nest (包头市昆都仑区: the county must lie in 包头市).
2. A name means the divisions that bore it in the report's year (启用时间 <= year < 变更/弃用时间, one
   year of slack at the ends); without a year, the divisions bearing it now, else in any period.
3. A name borne by several places that year (鼓楼区, 朝阳区 ...) is settled by a prefecture or province
   named anywhere in the text (short province names such as 宁夏 count here), else by a landline area
   code (0591-8888888), else reported as ambiguous: we never guess. Site domains are not used.
4. ``admin_code_as_reported`` is the code of that year; ``admin_code`` follows the 新代码 successors to the
   code in use today (奉化市 330283 -> 奉化区 330213). An area split among several codes keeps its reported
   code as admin_code. The level names (province, prefecture, county) are those of admin_code.
5. A short province name alone (宁夏应急管理厅) gives the province, from the title or agency only.
6. Areas that are not GB/T 2260 units (平潭综合实验区, 雄安新区 ...) are names of the unit that governs them,
   from the sourced table ``data/region_aliases.tsv`` (a county, else the prefecture or province the area
   lies in when it spans several units).
7. When the title and agency name no division, a name there one character off a real one (沐阳县 for
   沭阳县, the last character, which gives the level, equal) is read as that division only when a second,
   independent signal singles it out (a prefecture or province named in the report that contains it, the
   name spelled right in the body, a landline area code of its city), with a ``region_fuzzy`` warning
   naming both. When the signals fit several such divisions (沭阳县 and 泗阳县 both lie in 宿迁市 and are
   both one character off 沐阳县) none is chosen: a ``region_ambiguous`` warning names them.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache, cached_property
from importlib.resources import files

from .records import RegionMatch
from .vocabulary import Check

PROVINCE, PREFECTURE, COUNTY = 1, 2, 3
LEVEL_BY_LABEL = {"省级": PROVINCE, "地级": PREFECTURE, "县级": COUNTY}
# 二级行政区 of districts of a 直辖市 and of counties a province administers directly: no prefecture.
DIRECTLY_ADMINISTERED = "直辖"

# Words that are also district names (阳泉市城区, 攀枝花市东区, 无锡市新区 ...): a place only when written
# right after another place name, or first in the title/agency ("城区人民政府...").
GENERIC_NAMES = frozenset({"城区", "市区", "郊区", "矿区", "新区", "东区", "西区", "南区", "北区"})
# Names that also occur inside ordinary phrases (老城区和新城区, 全市中区县 ...): a place only at the start
# of a word, i.e. at the start of the text, after a non-Han character or right after another place name.
# Every two-character name gets the same treatment (和县 in 区和县, 定县 in 制定县级, 高县 in 提高县域).
COMMON_WORD_NAMES = frozenset({"新城区", "老城区", "市中区", "新市区"})
# A name followed by this character is the first part of a word instead: 城北区域, 县域经济, 城市场.
WORD_CONTINUATIONS = {"区": "域", "县": "域", "市": "场"}

# Suffixes stripped to get the short province names used as context (宁夏, 内蒙古, 广西, 上海 ...).
PROVINCE_SUFFIX = re.compile(r"(?:省|市|特别行政区|(?:壮族|回族|维吾尔)?自治区)$")
# Landline numbers: 0955-7068553, (0955)7068553, 0955 7068553, 02112345678; full-width parenthesis and
# dashes too, in case a text was not normalized. Starting with the literal 0 (no look-behind) lets the
# regex engine skip ahead fast; a digit before it is checked in code.
LANDLINE = re.compile(r"(0\d{2,3})[)\uff09]?[-\uff0d\u2014\u2013\s]?\d{7,8}(?!\d)")
# How many years outside its [启用, 变更/弃用) period a name still counts (see `candidates`).
YEAR_TOLERANCE = 1
SUCCESSOR = re.compile(r"(\d{6})(?:\[(\d{4})\])?")

# A directory of the gi_pipeline package, not a package itself (it has no __init__.py).
DATA_DIR = "data"
AREACODES_FILE = "areacodes.csv"
LANDLINE_FILE = "landline_area_codes.txt"
ALIASES_FILE = "region_aliases.tsv"  # name, admin_code, governing_unit, reason, source
# Names shorter than this are not matched one character off: two-character names (和县, 城区) have too
# many neighbours.
FUZZY_MIN_LENGTH = 3


@dataclass(frozen=True, slots=True)
class Division:
    """One row of areacodes.csv: a code with the name it bore over [start, end)."""

    code: str
    name: str
    level: int
    province: str  # 一级行政区
    parent: str  # 二级行政区: the prefecture, the name itself (prefectures), 直辖 or "" (provinces)
    start: int
    end: int | None  # None: still in use
    successors: tuple[str, ...]  # codes the whole remaining area went to at `end`

    def in_use_in(self, year: int) -> bool:
        return self.start <= year and (self.end is None or year < self.end)

    def years_from(self, year: int) -> int:
        if year < self.start:
            return self.start - year
        return 0 if self.end is None or year < self.end else year - self.end + 1

    @property
    def prefecture(self) -> str | None:
        if self.level == PROVINCE or self.parent == DIRECTLY_ADMINISTERED:
            return None
        return self.parent or None

    def contains(self, other: Division) -> bool:
        """Whether `other` lies in this province or prefecture (codes share its 2 or 4 leading digits)."""
        width = 2 * self.level
        return self.level < other.level and other.code[:width] == self.code[:width]


@dataclass(frozen=True, slots=True)
class Hit:
    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Gazetteer:
    by_name: Mapping[str, tuple[Division, ...]]
    by_code: Mapping[str, tuple[Division, ...]]
    # Last character of a name -> the lengths of the names ending in it, longest first.
    lengths_by_suffix: Mapping[str, tuple[int, ...]]
    suffix_pattern: re.Pattern[str]
    province_by_short_name: Mapping[str, str]  # 宁夏 -> 宁夏回族自治区
    short_name_pattern: re.Pattern[str]
    landline: Mapping[str, tuple[str, str]]  # 0955 -> (宁夏, 中卫)
    aliases: Mapping[str, str]  # 平潭综合实验区 -> 350128: names of areas that are not GB/T 2260 units


# --------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------


def _read_data(name: str) -> str:
    return (files("gi_pipeline") / DATA_DIR / name).read_text(encoding="utf-8-sig")


def _successors(field: str, end: int | None) -> tuple[str, ...]:
    """Codes the area went to when the record ended; `code[year]` before then was a partial transfer."""
    if end is None:
        return ()
    return tuple(code for code, year in SUCCESSOR.findall(field) if not year or int(year) >= end)


def _parse_division(row: Mapping[str, str]) -> Division:
    end = int(row["变更/弃用时间"]) if row["变更/弃用时间"] else None
    return Division(
        code=row["代码"],
        name=row["名称"],
        level=LEVEL_BY_LABEL[row["级别"]],
        province=row["一级行政区"],
        parent=row["二级行政区"],
        start=int(row["启用时间"]),
        end=end,
        successors=_successors(row["新代码"], end),
    )


def _group(divisions: Iterable[Division], key: str) -> dict[str, tuple[Division, ...]]:
    groups: dict[str, list[Division]] = {}
    for division in divisions:
        groups.setdefault(getattr(division, key), []).append(division)
    return {k: tuple(v) for k, v in groups.items()}


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))


def _parse_landline(text: str) -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        if line.strip():
            code, place = line.split()
            province, _, city = place.partition("/")
            table[code] = (province, city)
    return table


def _parse_aliases(text: str) -> dict[str, str]:
    return {row["name"]: row["admin_code"] for row in csv.DictReader(io.StringIO(text), delimiter="\t")}


@cache
def gazetteer() -> Gazetteer:
    """The name index, built once per process (~0.1 s)."""
    divisions = [_parse_division(row) for row in csv.DictReader(io.StringIO(_read_data(AREACODES_FILE)))]
    by_name = _group(divisions, "name")
    by_code = _group(divisions, "code")
    aliases = _parse_aliases(_read_data(ALIASES_FILE))
    # An alias names the divisions of its code: the place resolves to that unit, with its own name.
    by_name.update({name: by_code[code] for name, code in aliases.items() if name not in by_name})
    lengths: dict[str, set[int]] = {}
    for name in by_name:
        lengths.setdefault(name[-1], set()).add(len(name))
    provinces = {d.name for d in divisions if d.level == PROVINCE}
    short_names = {PROVINCE_SUFFIX.sub("", name): name for name in provinces}
    return Gazetteer(
        by_name=by_name,
        by_code=by_code,
        lengths_by_suffix={suffix: tuple(sorted(ls, reverse=True)) for suffix, ls in lengths.items()},
        suffix_pattern=re.compile("[" + "".join(sorted(lengths)) + "]"),
        province_by_short_name=short_names,
        short_name_pattern=_alternation(short_names),
        landline=_parse_landline(_read_data(LANDLINE_FILE)),
        aliases=aliases,
    )


def _wildcards(name: str) -> Iterable[str]:
    """`name` with each character but the last (the level: 县, 区, 市 ...) replaced by a wildcard."""
    return (name[:i] + "\0" + name[i + 1 :] for i in range(len(name) - 1))


@cache
def _names_by_wildcard() -> dict[str, tuple[str, ...]]:
    """Division names (aliases excluded) under each of their one-character-off patterns."""
    gaz = gazetteer()
    index: dict[str, list[str]] = {}
    for name in gaz.by_name:
        if len(name) >= FUZZY_MIN_LENGTH and name not in gaz.aliases:
            for key in _wildcards(name):
                index.setdefault(key, []).append(name)
    return {key: tuple(names) for key, names in index.items()}


# --------------------------------------------------------------------------------------------
# Finding names in a text
# --------------------------------------------------------------------------------------------


def _is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def _acceptable(name: str, text: str, start: int, place_ends: set[int]) -> bool:
    after_place = start == 0 or start in place_ends
    if name in GENERIC_NAMES:
        return after_place
    if name in COMMON_WORD_NAMES or len(name) <= 2:
        return after_place or not _is_han(text[start - 1])
    return True


def _without_overlaps(hits: list[Hit]) -> list[Hit]:
    """Longest first, then leftmost: 宁夏回族自治区 leaves no room for a shorter name inside it."""
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start - h.end, h.start)):
        if all(hit.end <= k.start or k.end <= hit.start for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


def find_division_names(text: str) -> list[Hit]:
    """Division names in `text`, in order; one pass over the characters that end a name (区县市旗 ...)."""
    gaz = gazetteer()
    hits: list[Hit] = []
    place_ends: set[int] = set()
    for match in gaz.suffix_pattern.finditer(text):
        suffix, end = match.group(), match.end()
        if text[end : end + 1] == WORD_CONTINUATIONS.get(suffix):
            continue
        for length in gaz.lengths_by_suffix[suffix]:  # longest first
            start = end - length
            name = text[start:end] if start >= 0 else ""
            if name in gaz.by_name and _acceptable(name, text, start, place_ends):
                hits.append(Hit(name, start, end))
                place_ends.add(end)
                break
    return _without_overlaps(hits)


def find_near_names(text: str) -> list[tuple[Hit, str]]:
    """(what is written, the division name it is one character off) for words of `text` ending like a
    division name that are no division name: OCR misreadings such as 沐阳县 for 沭阳县."""
    gaz = gazetteer()
    index = _names_by_wildcard()
    found: list[tuple[Hit, str]] = []
    for match in gaz.suffix_pattern.finditer(text):
        end = match.end()
        words = [text[end - length : end] for length in gaz.lengths_by_suffix[match.group()] if length <= end]
        if any(word in gaz.by_name for word in words):
            continue  # a real name ends here
        for word in words:
            if len(word) >= FUZZY_MIN_LENGTH:
                near = {name for key in _wildcards(word) for name in index.get(key, ())}
                found += [(Hit(word, end - len(word), end), name) for name in sorted(near)]
    return found


def find_province_short_names(text: str, full_hits: list[Hit]) -> list[str]:
    """Province names written short (宁夏 -> 宁夏回族自治区) at a word start, outside full names."""
    gaz = gazetteer()
    place_ends = {h.end for h in full_hits}
    found = []
    for match in gaz.short_name_pattern.finditer(text):
        start, end = match.span()
        inside_full_name = any(h.start < end and start < h.end for h in full_hits)
        at_word_start = start == 0 or start in place_ends or not _is_han(text[start - 1])
        if at_word_start and not inside_full_name:
            found.append(gaz.province_by_short_name[match.group()])
    return found


def find_landline_places(text: str) -> list[tuple[str, str]]:
    """(province, city) short names of the landline area codes in `text`."""
    table = gazetteer().landline
    places = []
    for match in LANDLINE.finditer(text):
        if match.start() and text[match.start() - 1].isdigit():
            continue
        code = match.group(1)
        # Undelimited 02112345678 reads greedily as 0211 + 2345678; 3- and 4-digit codes never share a prefix.
        place = table.get(code) or table.get(code[:3])
        if place:
            places.append(place)
    return places


# --------------------------------------------------------------------------------------------
# Dated candidates and successor codes
# --------------------------------------------------------------------------------------------


@cache
def candidates(name: str, year: int | None) -> tuple[Division, ...]:
    """Divisions bearing `name` in `year`; without a year, those in use now (else any period)."""
    divisions = gazetteer().by_name.get(name, ())
    if year is None:
        return tuple(d for d in divisions if d.end is None) or divisions
    in_use = tuple(d for d in divisions if d.in_use_in(year))
    if in_use or not divisions:
        return in_use
    # The CSV's years are whole years and a report names its agency as it was when written: a 2016 report
    # of 奉化市 (奉化区 from 2016) still counts, a name retired or created further away does not.
    nearest = min(d.years_from(year) for d in divisions)
    if nearest > YEAR_TOLERANCE:
        return ()
    return tuple(d for d in divisions if d.years_from(year) == nearest)


def _division_at(code: str, year: int) -> Division | None:
    divisions = gazetteer().by_code.get(code, ())
    return min(divisions, key=lambda d: d.years_from(year), default=None)


def _current_leaves(division: Division, seen: frozenset[Division]) -> frozenset[Division] | None:
    """The in-use divisions the area ended up in, expanding 新代码; None when the chain breaks."""
    if division.end is None:
        return frozenset({division})
    if not division.successors or division in seen:
        return None
    leaves: set[Division] = set()
    for code in division.successors:
        successor = _division_at(code, division.end)
        sub = _current_leaves(successor, seen | {division}) if successor else None
        if sub is None:
            return None
        leaves |= sub
    return frozenset(leaves)


@cache
def current_division(division: Division) -> Division:
    """The division in use today that `division` became.

    When the area was split among several codes (桥东区 -> 130102;130104) or the chain is broken, there is
    no single current code: we keep the reported division, so admin_code = admin_code_as_reported.
    """
    leaves = _current_leaves(division, frozenset())
    return next(iter(leaves)) if leaves and len(leaves) == 1 else division


def _distinct_places(divisions: Iterable[Division]) -> dict[str, Division]:
    """Candidates keyed by their current code; one place under several past codes counts once (the latest)."""
    places: dict[str, Division] = {}
    for division in sorted(divisions, key=lambda d: d.start):
        places[current_division(division).code] = division
    return places


# --------------------------------------------------------------------------------------------
# Settling a shared name from context
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What the whole report says about where it is: the places it names and its landline area codes."""

    containers: tuple[Division, ...]  # provinces and prefectures named anywhere
    landlines: tuple[tuple[str, str], ...]  # (province, city) short names


def _singled_out(groups: Iterable[list[str]]) -> set[str]:
    """Keys picked out alone by some piece of context (each group: the candidate keys it fits)."""
    return {group[0] for group in groups if len(group) == 1}


def _by_containers(places: dict[str, Division], containers: Iterable[Division]) -> set[str]:
    return _singled_out([k for k, d in places.items() if c.contains(d)] for c in containers)


def _city_names(division: Division) -> set[str]:
    current = current_division(division)
    return {division.name, division.parent, current.name, current.parent}


def _fitting_landline(places: dict[str, Division], province: str, city: str) -> list[str]:
    """Candidates in the landline code's city, else in its province."""
    in_city = [k for k, d in places.items() if any(n.startswith(city) for n in _city_names(d))]
    return in_city or [k for k, d in places.items() if d.province.startswith(province)]


def _by_landline(places: dict[str, Division], landlines: Iterable[tuple[str, str]]) -> set[str]:
    return _singled_out(_fitting_landline(places, province, city) for province, city in landlines)


def _settle(places: dict[str, Division], context: Context) -> Division | None:
    """The one candidate the context points to, else None (several or none: never guess)."""
    for chosen in (_by_containers(places, context.containers), _by_landline(places, context.landlines)):
        if len(chosen) == 1:
            return places[chosen.pop()]
    return None


# --------------------------------------------------------------------------------------------
# Resolution
# --------------------------------------------------------------------------------------------


def _region(reported: Division) -> RegionMatch:
    current = current_division(reported)
    return RegionMatch(
        admin_code=current.code,
        admin_code_as_reported=reported.code,
        province_code=current.code[:2] + "0000",
        province=current.province,
        prefecture=current.prefecture,
        county=current.name if current.level == COUNTY else None,
    )


def _unresolved(check: str, detail: str) -> RegionMatch:
    return RegionMatch(issues=((check, detail),))


def _codes(divisions: Iterable[Division]) -> str:
    return ", ".join(sorted({d.code for d in divisions}))


def _target(hits: list[Hit], year: int | None) -> tuple[str, tuple[Division, ...]] | None:
    """The most specific name in `hits` (then most frequent, then first) and its divisions of that level."""
    counts = Counter(h.name for h in hits)
    first: dict[str, int] = {}
    for i, hit in enumerate(hits):
        first.setdefault(hit.name, i)
    named = {name: divisions for name in counts if (divisions := candidates(name, year))}
    if not named:
        return None
    level = max(d.level for divisions in named.values() for d in divisions)
    at_level = [name for name, divisions in named.items() if any(d.level == level for d in divisions)]
    name = min(at_level, key=lambda n: (-counts[n], first[n]))
    return name, tuple(d for d in named[name] if d.level == level)


def _containers(names: Iterable[str], year: int | None, below: int) -> tuple[Division, ...]:
    """Divisions of a higher level than `below` bearing one of `names`."""
    return tuple(d for name in dict.fromkeys(names) for d in candidates(name, year) if d.level < below)


def _nested(places: dict[str, Division], containers: tuple[Division, ...]) -> dict[str, Division]:
    """Candidates lying in a named place of every level named (包头市昆都仑区: in 包头市)."""
    for level in {c.level for c in containers}:
        of_level = [c for c in containers if c.level == level]
        places = {k: d for k, d in places.items() if any(c.contains(d) for c in of_level)}
    return places


class _Report:
    """The texts of one report, scanned on demand: the body only when title and agency do not settle it."""

    def __init__(self, title: str | None, agency: str | None, body: str, year: int | None) -> None:
        self.head_texts = tuple(t for t in (title, agency) if t)
        self.body = body
        self.year = year

    @cached_property
    def _hits_per_head_text(self) -> tuple[list[Hit], ...]:
        return tuple(find_division_names(text) for text in self.head_texts)

    @cached_property
    def head_hits(self) -> list[Hit]:
        return [h for hits in self._hits_per_head_text for h in hits]

    @cached_property
    def head_short_names(self) -> list[str]:
        pairs = zip(self.head_texts, self._hits_per_head_text, strict=True)
        return [name for text, hits in pairs for name in find_province_short_names(text, hits)]

    @cached_property
    def body_hits(self) -> list[Hit]:
        return find_division_names(self.body)

    def context(self, below: int) -> Context:
        names = [h.name for h in self.head_hits + self.body_hits]
        names += self.head_short_names + find_province_short_names(self.body, self.body_hits)
        return Context(
            containers=_containers(names, self.year, below),
            landlines=tuple(p for text in (*self.head_texts, self.body) for p in find_landline_places(text)),
        )

    def resolve(self, hits: list[Hit], short_names: list[str], *, nest: bool) -> RegionMatch | None:
        """The place one stage (title+agency, or body) names; None when it names nothing."""
        target = _target(hits, self.year)
        if target is None:
            return None
        name, divisions = target
        level = divisions[0].level
        places = _distinct_places(divisions)
        if nest:
            own = _containers([h.name for h in hits] + short_names, self.year, level)
            places = _nested(places, own)
            if not places:
                names = "/".join(dict.fromkeys(c.name for c in own))
                return _unresolved(Check.REGION_AMBIGUOUS, f"{name}: {_codes(divisions)} not in {names}")
        settled = next(iter(places.values())) if len(places) == 1 else _settle(places, self.context(level))
        if settled is None:
            return _unresolved(Check.REGION_AMBIGUOUS, f"{name}: {_codes(places.values())}")
        return _region(settled)

    def near_name(self) -> tuple[RegionMatch | None, tuple[tuple[str, str], ...]]:
        """A title/agency name one character off a division's, read as that division when the rest of
        the report singles it out (a place named that contains it, else a landline code of its city).
        When the evidence fits several such divisions, none is chosen and a note names them."""
        written_as: dict[str, tuple[str, Division]] = {}
        for hit, name in (pair for text in self.head_texts for pair in find_near_names(text)):
            for division in candidates(name, self.year):
                written_as.setdefault(current_division(division).code, (hit.name, division))
        if not written_as:
            return None, ()
        places = {code: division for code, (_, division) in written_as.items()}
        context = self.context(max(d.level for d in places.values()))
        evidence: list[tuple[str, list[str]]] = [
            (container.name, [k for k, d in places.items() if container.contains(d)])
            for container in context.containers
        ]
        # The same name spelled right elsewhere in the report (an OCR slip is rarely made every time).
        spelled = dict.fromkeys(h.name for h in self.body_hits)
        evidence += [(f"{name} in the text", [k for k, d in places.items() if d.name == name]) for name in spelled]
        evidence += [
            (f"landline area code of {city or province}", _fitting_landline(places, province, city))
            for province, city in context.landlines
        ]
        singled = {codes[0] for _, codes in evidence if len(codes) == 1}
        if len(singled) == 1:
            code = singled.pop()
            written, division = written_as[code]
            why = "/".join(dict.fromkeys(what for what, codes in evidence if codes == [code]))
            detail = f"{written} read as {division.name} ({code}), confirmed by {why}"
            return replace(_region(division), issues=((Check.REGION_FUZZY, detail),)), ()
        fitting = [(what, codes) for what, codes in evidence if codes]
        if not fitting:
            return None, ()
        what, codes = min(fitting, key=lambda e: len(e[1]))
        names = ", ".join(f"{places[k].name} ({k})" for k in sorted(codes))
        written = "/".join(dict.fromkeys(written_as[k][0] for k in codes))
        return None, ((Check.REGION_AMBIGUOUS, f"{written} is one character off {names}, all fitting {what}"),)

    def province_only(self) -> RegionMatch | None:
        """A short province name in the title or agency (宁夏应急管理厅) as a last resort: the province."""
        for full_name in self.head_short_names:
            for division in candidates(full_name, self.year):
                return _region(division)
        return None


def resolve_region(title: str | None, agency: str | None, body: str, year: int | None) -> RegionMatch:
    """The administrative division of a report's agency (texts simplified, half-width punctuation)."""
    report = _Report(title, agency, body, year)
    found = report.resolve(report.head_hits, report.head_short_names, nest=True)
    notes: tuple[tuple[str, str], ...] = ()
    if found is None:
        found, notes = report.near_name()
    found = (
        found
        or report.province_only()
        or report.resolve(report.body_hits, [], nest=False)
        or _unresolved(Check.REGION_UNKNOWN, _unknown_detail(report))
    )
    return replace(found, issues=found.issues + notes) if notes else found


def _unknown_detail(report: _Report) -> str:
    out_of_period = sorted({h.name for h in report.head_hits + report.body_hits})
    if out_of_period:  # names found, but none borne by a division in the report's year
        return f"no division named in use in {report.year}: {', '.join(out_of_period)}"
    return "no administrative division named in title, agency or body"
