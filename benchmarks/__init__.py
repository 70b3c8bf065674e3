"""Benchmarks of gi-pipeline: per-stage library throughput, a floor, and end-to-end ``gi-pipeline run``.

``python -m benchmarks.run`` prints the JSON report (see ``benchmarks/README.md``);
``python -m benchmarks.corpus`` writes a synthetic corpus to a directory.
"""
