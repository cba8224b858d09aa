"""Progress of a running sweep: a tqdm bar, or a log line every 30 s when quiet."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable


class Progress:
    """A tqdm bar (runs done / total, ETA, failures), or periodic log lines when quiet."""

    def __init__(self, total: int, initial: int, bar: bool, log: Callable[[str], None] | None, every_s: float = 30.0):
        self.total, self.done, self.failed = total, initial, 0
        self.log, self.every = log, every_s
        self.t0 = self.last = time.monotonic()
        self.start_done = initial
        self.bar = None
        if bar:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=total,
                initial=initial,
                unit="run",
                desc="sweep",
                file=sys.stderr,
                dynamic_ncols=True,
                smoothing=0.1,
            )
            self.bar.set_postfix(failed=0)

    def update(self, runs: int, failed: int) -> None:
        self.done += runs
        self.failed += failed
        if self.bar is not None:
            self.bar.update(runs)
            if failed:
                self.bar.set_postfix(failed=self.failed)
        now = time.monotonic()
        if self.log and (now - self.last >= self.every or self.done == self.total):
            self.last = now
            self.log(self.line())

    def line(self) -> str:
        el = time.monotonic() - self.t0
        rate = (self.done - self.start_done) / el if el > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else math.nan
        eta_s = "-" if math.isnan(eta) else fmt_s(eta)
        return (
            f"sweep: {self.done}/{self.total} runs, {self.failed} failed, "
            f"{60 * rate:.1f} runs/min, elapsed {fmt_s(el)}, ETA {eta_s}"
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def fmt_s(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
