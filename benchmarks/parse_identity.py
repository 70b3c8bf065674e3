"""``parse_report`` against its code at an earlier commit: the same result on every file, and the CPU time
of each per file extension.

    PYTHONPATH=. python -m benchmarks.parse_identity --base REV [--rounds 3] FILE_OR_DIR ...

The package ``gi_pipeline`` of REV is taken from git (``git archive``) into a temporary directory; each side
runs in its own subprocess (this file run as a script, with ``PYTHONPATH`` at that tree or at the working
tree), one after the other. For every file a side parses it (``parse_report``) and keeps what the pipeline
keeps of it (``parse_cache.cached``); both are turned into a canonical form (every dataclass and named tuple
by its type and fields, floats by ``repr``, lists and tuples apart) whose ``repr`` is hashed field by field.
Canonical rather than ``pickle.dumps``: pickle writes an object met twice as a reference, so two equal
results can pickle differently when one shares a cached string the other holds twice. Any difference is
printed (which file, which field, where the two texts part) and the exit status is 1. The results of the
first and the last round must also agree (a per-process cache that leaks between reports would not).

Timing: ``time.process_time`` around ``parse_report`` and around ``cached``, per file, summed per extension;
best of ``--rounds`` passes over all files in the same process (the first pass warms the per-process caches,
as 50,000 files a worker do).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def canonical(obj: object) -> object:
    """``obj`` as nested tuples of plain values that keep every type and value apart (not object identity)."""
    if obj is None or isinstance(obj, (bool, int, str, bytes)):
        return obj
    if isinstance(obj, float):
        return ("float", repr(obj))
    if isinstance(obj, Decimal):
        return ("Decimal", str(obj))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return (type(obj).__name__, *((f.name, canonical(getattr(obj, f.name))) for f in dataclasses.fields(obj)))
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a named tuple
        return (type(obj).__name__, *((name, canonical(x)) for name, x in zip(obj._fields, obj)))
    if isinstance(obj, (tuple, list)):
        return (type(obj).__name__, *map(canonical, obj))
    if isinstance(obj, dict):
        return ("dict", *((canonical(k), canonical(x)) for k, x in obj.items()))
    if isinstance(obj, (set, frozenset)):
        return (type(obj).__name__, *sorted(map(repr, map(canonical, obj))))
    if hasattr(obj, "__dict__"):
        return (type(obj).__name__, canonical(vars(obj)))
    return (type(obj).__name__, repr(obj))  # a value type of its own (datetime.date)


def fields_of(result: object, entry: object) -> dict[str, str]:
    """The canonical ``repr`` of each top-level field of a parse result and of its cache entry."""
    out: dict[str, str] = {"type": type(result).__name__}
    for name, value in (("result", result), ("cached", entry)):
        form = canonical(value)
        if isinstance(form, tuple) and form and isinstance(form[0], str):
            for item in form[1:]:
                if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
                    out[f"{name}.{item[0]}"] = repr(item[1])
        else:
            out[name] = repr(form)
    return out


def _digest(fields: dict[str, str]) -> dict[str, str]:
    return {name: hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() for name, text in fields.items()}


# --------------------------------------------------------------------------------------------
# One side, in its own process (``--worker``): the code under test is whatever PYTHONPATH points at.
# --------------------------------------------------------------------------------------------


def _worker(listing: Path, out: Path, rounds: int, dump: bool) -> None:
    import gi_pipeline
    from gi_pipeline import parse_cache
    from gi_pipeline.report import parse_report

    files = [line.split("\t") for line in listing.read_text(encoding="utf-8").splitlines()]
    raws = [(name, Path(path).read_bytes()) for name, path in files]
    parse_ms: dict[str, list[float]] = defaultdict(list)
    cache_ms: dict[str, list[float]] = defaultdict(list)
    first: dict[str, dict[str, str]] = {}
    unstable: list[str] = []
    clock = time.process_time
    for r in range(max(rounds, 1)):
        parse_t: dict[str, float] = defaultdict(float)
        cache_t: dict[str, float] = defaultdict(float)
        for name, raw in raws:
            ext = Path(name).suffix.lower().lstrip(".") or "none"
            t0 = clock()
            result = parse_report(raw, name)
            t1 = clock()
            entry = parse_cache.cached(result)
            t2 = clock()
            parse_t[ext] += t1 - t0
            cache_t[ext] += t2 - t1
            if r == 0 or r == rounds - 1:
                fields = fields_of(result, entry)
                if r == 0:
                    first[name] = fields if dump else _digest(fields)
                elif _digest(fields) != (_digest(first[name]) if dump else first[name]):
                    unstable.append(name)
        for ext in parse_t:
            parse_ms[ext].append(parse_t[ext])
            cache_ms[ext].append(cache_t[ext])
    counts: dict[str, int] = defaultdict(int)
    for name, _ in raws:
        counts[Path(name).suffix.lower().lstrip(".") or "none"] += 1
    timing = {ext: (counts[ext], min(parse_ms[ext]), min(cache_ms[ext])) for ext in counts}
    report = {"package": gi_pipeline.__file__, "results": first, "timing": timing, "unstable": unstable}
    out.write_bytes(pickle.dumps(report))


# --------------------------------------------------------------------------------------------
# The comparison
# --------------------------------------------------------------------------------------------


def _files(paths: list[str]) -> list[tuple[str, Path]]:
    """(name the file is parsed under, path): relative to the directory given, or the file's name."""
    found: list[tuple[str, Path]] = []
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            found += [(p.relative_to(path).as_posix(), p) for p in sorted(path.rglob("*")) if p.is_file()]
        else:
            found.append((path.name, path))
    return found


def _side(tree: Path, listing: Path, rounds: int, dump: bool) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".pickle") as out:
        env = {**os.environ, "PYTHONPATH": str(tree)}
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(listing), out.name, str(rounds)]
        subprocess.run([*command, *(["--dump"] if dump else [])], env=env, check=True)
        report = pickle.loads(Path(out.name).read_bytes())
    if not Path(report["package"]).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"the worker imported {report['package']}, not the package under {tree}")
    return report


def _parting(a: str, b: str) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    lo = max(0, at - 80)
    return f"      at {at} of {len(a)}/{len(b)} chars:\n      base: …{a[lo:at + 120]}…\n      head: …{b[lo:at + 120]}…"


def _explain(base_tree: Path, head_tree: Path, files: list[tuple[str, Path]], tmp: Path) -> None:
    """The differing fields of a few files, with where their canonical texts part."""
    listing = tmp / "differ.tsv"
    listing.write_text("".join(f"{name}\t{path}\n" for name, path in files), encoding="utf-8")
    base = _side(base_tree, listing, 1, True)["results"]
    head = _side(head_tree, listing, 1, True)["results"]
    for name, _ in files:
        print(f"differs: {name}")
        for field in sorted(set(base[name]) | set(head[name])):
            a, b = base[name].get(field, "<absent>"), head[name].get(field, "<absent>")
            if a != b:
                print(f"    {field}\n{_parting(a, b)}")


def compare(base_rev: str, paths: list[str], rounds: int, show: int) -> int:
    files = _files(paths)
    names = [name for name, _ in files]
    if len(set(names)) != len(names):
        raise SystemExit("two files would be parsed under the same name: give them in separate runs")
    with tempfile.TemporaryDirectory(prefix="parse_identity_") as tmp_dir:
        tmp = Path(tmp_dir)
        base_tree = tmp / "base"
        base_tree.mkdir()
        archive = subprocess.run(["git", "archive", base_rev, "gi_pipeline"], cwd=ROOT, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base_tree)], input=archive, check=True)
        listing = tmp / "files.tsv"
        listing.write_text("".join(f"{name}\t{path.resolve()}\n" for name, path in files), encoding="utf-8")
        base = _side(base_tree, listing, rounds, False)
        head = _side(ROOT, listing, rounds, False)
        differ = [(name, path) for name, path in files if base["results"][name] != head["results"][name]]
        for label, side in (("base", base), ("head", head)):
            for name in side["unstable"]:
                print(f"unstable ({label}): {name}: the first and the last round differ")
        if differ:
            _explain(base_tree, ROOT, differ[:show], tmp)
    print(f"{len(files)} files, {len(differ)} differ from {base_rev}")
    if rounds:
        print(f"CPU ms a report (process time, best of {rounds}): parse_report + parse_cache.cached")
        for ext in sorted(base["timing"]):
            n, bp, bc = base["timing"][ext]
            _, hp, hc = head["timing"][ext]
            print(f"  {ext:5} {n:5} files  base {1000 * bp / n:6.3f} + {1000 * bc / n:5.3f}   "
                  f"head {1000 * hp / n:6.3f} + {1000 * hc / n:5.3f}   "
                  f"({100 * ((hp + hc) / (bp + bc) - 1):+.1f} %)")
        total = [sum(side["timing"][e][i] for e in side["timing"]) for side in (base, head) for i in (1, 2)]
        n = len(files)
        print(f"  all   {n:5} files  base {1000 * total[0] / n:6.3f} + {1000 * total[1] / n:5.3f}   "
              f"head {1000 * total[2] / n:6.3f} + {1000 * total[3] / n:5.3f}   "
              f"({100 * ((total[2] + total[3]) / (total[0] + total[1]) - 1):+.1f} %)")
    return 1 if differ or base["unstable"] or head["unstable"] else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(Path(argv[1]), Path(argv[2]), int(argv[3]), "--dump" in argv[4:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--base", required=True, help="the git revision to compare with")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes, best of (at least 1 is run)")
    parser.add_argument("--show", type=int, default=5, help="differing files to explain")
    args = parser.parse_args(argv)
    return compare(args.base, args.paths, args.rounds, args.show)


if __name__ == "__main__":
    sys.exit(main())
