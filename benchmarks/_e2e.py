"""Child process of the benchmark: one ``gi-pipeline run`` (``assets.cli.run``) over a raw directory.

``python -m benchmarks._e2e RAW_DIR WAREHOUSE_DIR``: progress lines go to stderr (the parent reads them
to follow the run), one JSON line to stdout at the end: exit code, import and run wall times, peak RSS.
Run by ``benchmarks.run`` without ``DAGSTER_HOME`` (an ephemeral instance) and with a fresh warehouse.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    raw_dir, warehouse_dir = Path(argv[0]), Path(argv[1])
    t0 = time.perf_counter()
    from assets.cli import run

    t1 = time.perf_counter()
    rc = run(raw_dir, warehouse_dir, None, out=sys.stderr)
    t2 = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "rc": rc,
                "import_s": round(t1 - t0, 3),
                "run_s": round(t2 - t1, 3),
                "cpu_user_s": round(usage.ru_utime, 2),
                "cpu_system_s": round(usage.ru_stime, 2),
                "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB
            }
        ),
        flush=True,
    )
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
