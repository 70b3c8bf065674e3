"""The DOCX and HTML readers against their code at an earlier commit: same text (or the same refusal) on
every file, and the CPU time of each per file.

    PYTHONPATH=. python -m benchmarks.reader_identity --base REV [--kind docx|html] FILE_OR_DIR ...

The readers of REV (``readers/docx.py``, ``docx_plain.py``, ``html.py``, ``html_plain.py``, ``grid.py``,
``errors.py``; those REV has) are taken from git into a temporary package, so a speed change can show it
prints the same bytes as before. Each file's text (or its Unreadable reason) from both must be equal; the
first differences are printed and the exit status is 1 when any. Timing: ``time.process_time`` over all
files, best of ``--rounds``, in this process.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gi_pipeline.readers.errors import Unreadable

ROOT = Path(__file__).resolve().parent.parent
_MODULES = ("docx", "docx_plain", "html", "html_plain", "grid", "errors")
# The readers' imports from the rest of the package, made absolute (the rest is today's code).
_IMPORTS = {"from ..cells import": "from gi_pipeline.cells import", "from ..decode import": "from gi_pipeline.decode import"}


def base_readers(rev: str, into: Path) -> str:
    """The readers of ``rev`` as an importable package under ``into``; its name."""
    package = into / "base_readers"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in _MODULES:
        shown = subprocess.run(["git", "show", f"{rev}:gi_pipeline/readers/{name}.py"], cwd=ROOT,
                               capture_output=True, text=True)
        if shown.returncode != 0:
            continue  # not there yet at rev (docx_plain before the plain-text reading)
        source = shown.stdout
        for old, new in _IMPORTS.items():
            source = source.replace(old, new)
        (package / f"{name}.py").write_text(source)
    sys.path.insert(0, str(into))
    return package.name


# Unreadable of today's readers and of the base's (another class): a refusal is compared by its reason.
_REFUSALS: tuple[type[Exception], ...] = (Unreadable,)


def _outcome(read: Callable[[bytes], str], raw: bytes) -> tuple[str, str]:
    try:
        return "text", read(raw)
    except _REFUSALS as exc:
        return "unreadable", str(exc)


def _files(paths: list[str], kind: str) -> list[Path]:
    suffixes = {"docx": (".docx",), "html": (".html", ".htm")}[kind]
    found: list[Path] = []
    for arg in paths:
        path = Path(arg)
        found += sorted(p for p in path.rglob("*") if p.suffix.lower() in suffixes) if path.is_dir() else [path]
    return found


def _best(read: Callable[[bytes], str], raws: list[bytes], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.process_time()
        for raw in raws:
            _outcome(read, raw)
        times.append(time.process_time() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--base", required=True, help="the git revision to compare with")
    parser.add_argument("--kind", choices=("docx", "html"), default="docx")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    files = _files(args.paths, args.kind)
    raws = [f.read_bytes() for f in files]
    entry = "read_docx" if args.kind == "docx" else "read_html"
    global _REFUSALS
    with tempfile.TemporaryDirectory() as tmp:
        package = base_readers(args.base, Path(tmp))
        base = getattr(importlib.import_module(f"{package}.{args.kind}"), entry)
        _REFUSALS = (Unreadable, importlib.import_module(f"{package}.errors").Unreadable)
        head = getattr(importlib.import_module(f"gi_pipeline.readers.{args.kind}"), entry)
        differ = [f for f, raw in zip(files, raws) if _outcome(base, raw) != _outcome(head, raw)]
        for f in differ[:10]:
            print(f"differs: {f}")
        print(f"{args.kind}: {len(files)} files, {len(differ)} differ from {args.base}")
        if args.rounds and raws:
            for label, read in ((args.base, base), ("working tree", head)):
                seconds = _best(read, raws, args.rounds)
                print(f"  {label}: {seconds / len(raws) * 1000:.2f} ms a file (process time, best of {args.rounds})")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
