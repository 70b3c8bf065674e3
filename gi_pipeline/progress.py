"""Progress of long loops: done / total, rate and time left, on one stream.

On a terminal the line is redrawn in place (carriage return, at most every ``min_interval`` seconds);
piped, a plain line is written every ``every`` items (and at the end), so logs stay readable.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


def meter_line(label: str, done: int, total: int, elapsed: float, unit: str = "files") -> str:
    """``inventory: 500/2000 files, 38/s, ~40 s left`` (rate and time left once something is done)."""
    line = f"{label}: {done}/{total} {unit}"
    if done and elapsed > 0:
        rate = done / elapsed
        line += f", {rate:.0f}/s" if rate >= 10 else f", {rate:.1f}/s"
        if done < total:
            line += f", ~{(total - done) / rate:.0f} s left"
        else:
            line += f", {elapsed:.1f} s"
    return line


class ProgressMeter:
    """Call ``update(done, total)`` as often as you like; it decides when to write."""

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        unit: str = "files",
        every: int = 1000,
        min_interval: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.label, self.unit, self.every, self.min_interval, self.clock = label, unit, every, min_interval, clock
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = clock()
        self._last_draw = float("-inf")
        self._open_line = False

    def update(self, done: int, total: int) -> None:
        now = self.clock()
        finished = done >= total
        if self.tty:
            if not finished and now - self._last_draw < self.min_interval:
                return
            self.stream.write("\r\x1b[K" + meter_line(self.label, done, total, now - self.started, self.unit))
            self._open_line = True
            if finished:
                self.close()
        elif finished or (self.every and done % self.every == 0):
            self.stream.write(meter_line(self.label, done, total, now - self.started, self.unit) + "\n")
        else:
            return
        self._last_draw = now
        self.stream.flush()

    def close(self) -> None:
        """End the updating line (on a terminal), so what is printed next starts on its own line."""
        if self._open_line:
            self.stream.write("\n")
            self.stream.flush()
            self._open_line = False
