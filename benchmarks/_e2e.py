"""Child process of the benchmark: one ``gi-pipeline run`` (``assets.cli.run``) over a raw directory.

``python -m benchmarks._e2e RAW_DIR WAREHOUSE_DIR``: progress lines go to stderr (the parent reads them
to follow the run), one JSON line to stdout at the end: exit code, import and run wall times, CPU time and peak RSS of
this process and of its worker processes (parsing and writing run on one process per CPU).
Run by ``benchmarks.run`` with a fresh warehouse, on an ephemeral Dagster instance (``gi-pipeline run
--ephemeral``: nothing is kept for the UI, the fastest bookkeeping).
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
    from gi_pipeline.parallel import default_workers as parallel_workers

    t1 = time.perf_counter()
    rc = run(raw_dir, warehouse_dir, None, out=sys.stderr, ephemeral=True)
    t2 = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pools' processes, all waited for
    main_mb, worker_mb = usage.ru_maxrss / 1024, workers.ru_maxrss / 1024  # Linux: KiB
    parallel = parallel_workers()
    print(
        json.dumps(
            {
                "rc": rc,
                "import_s": round(t1 - t0, 3),
                "run_s": round(t2 - t1, 3),
                "workers": parallel,
                "cpu_user_s": round(usage.ru_utime + workers.ru_utime, 2),
                "cpu_system_s": round(usage.ru_stime + workers.ru_stime, 2),
                "peak_rss_main_mb": round(main_mb, 1),
                "peak_rss_worker_mb": round(worker_mb, 1),
                # At most this much at once: the main process and a full pool at their peaks.
                "peak_rss_mb": round(main_mb + parallel * worker_mb, 1),
            }
        ),
        flush=True,
    )
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
