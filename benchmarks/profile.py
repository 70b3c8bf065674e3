"""``python -m benchmarks.profile [--n 500] [--formats txt=3,html=1] [--top 25]``: cProfile of
``parse_report`` over a benchmark corpus (after a warm-up pass), top functions by own time and by
cumulative time, to stderr-free stdout.  The profile behind "where the time goes" in the README.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections.abc import Sequence

from gi_pipeline.report import parse_report

from . import corpus


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--formats", default=corpus.DEFAULT_MIX)
    p.add_argument("--script", choices=("mixed", "simplified", "traditional"), default="mixed")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args(argv)
    traditional = {"mixed": None, "simplified": False, "traditional": True}[args.script]
    docs, dropped = corpus.build(args.n, args.seed, args.formats, traditional=traditional)
    for d in docs:  # warm-up pass, and the unprofiled wall for reference
        parse_report(d.raw, d.name)
    t = time.perf_counter()
    for d in docs:
        parse_report(d.raw, d.name)
    wall = time.perf_counter() - t
    profiler = cProfile.Profile()
    profiler.enable()
    for d in docs:
        parse_report(d.raw, d.name)
    profiler.disable()
    print(f"{len(docs)} reports ({args.formats}, script {args.script}; not available: {dropped or 'none'})")
    print(f"unprofiled: {wall:.2f} s, {len(docs) / wall:.1f} reports/s, {1000 * wall / len(docs):.2f} ms/report")
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(args.top)
        print(f"\n=== by {key} ===")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:20000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
