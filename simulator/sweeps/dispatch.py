"""Sending tasks to the backend and collecting their results, with bounded retries of lost workers.

A worker process that dies while it runs a task (killed, out of memory) breaks a process pool:
every task in flight fails with ``BrokenProcessPool``, and nothing says which one killed it. Those
tasks are retried one at a time in a fresh pool (:meth:`~simulator.sweeps.executors.Backend.restart`),
so a task that kills its worker again is identified, while the tasks that merely shared the pool
with it complete. A task whose worker is lost more than :data:`MAX_LOST_RETRIES` times more is
recorded as failed with an error starting ``WorkerLost:`` (``propsim sweep`` exits with 4); its runs
run again on resume. With Dask, whose scheduler already retries a task whose worker died
(``KilledWorker`` after its own retries), such a task is recorded as lost at once.
"""

from __future__ import annotations

import math
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool

import pandas as pd

from simulator.sweeps.engines import dumps, execute, execute_payload
from simulator.sweeps.executors import Backend
from simulator.sweeps.store import SweepError
from simulator.sweeps.tasks import RunContext, TaskResult, TaskSpec

MAX_LOST_RETRIES = 2  # a task whose worker dies is run again at most this many times
MAX_CONSECUTIVE_BREAKS = 6  # pool breaks in a row with no task finishing: the workers cannot run at all
LOST = "WorkerLost"  # error prefix of runs whose worker process was lost


def failed_task(task: TaskSpec, exc: BaseException, error: str | None = None) -> TaskResult:
    """All runs of a task recorded as failed (the engine raised, or the worker was lost)."""
    tb = "".join(traceback.format_exception(exc))
    rows = [
        {
            "run_id": r.run_id,
            **dict(r.params),
            "replicate": r.replicate,
            "seed": r.seed,
            "status": "failed",
            "error": error or f"{type(exc).__name__}: {exc}",
            "duration_s": math.nan,
            "traceback": tb,
        }
        for r in task.runs
    ]
    return TaskResult(task.index, pd.DataFrame(rows), pd.DataFrame(), pd.DataFrame())


def lost_task(task: TaskSpec, exc: BaseException, times: int) -> TaskResult:
    what = "time" if times == 1 else "times"
    return failed_task(
        task,
        exc,
        f"{LOST}: the worker process running this task died {times} {what} (killed, or out of memory?); "
        f"last error {type(exc).__name__}: {exc}",
    )


def _is_lost(exc: BaseException) -> bool:
    return isinstance(exc, BrokenProcessPool) or type(exc).__name__ == "KilledWorker"


class Dispatcher:
    """Runs ``todo`` through ``backend``; ``finish(task, result)`` gets every task's result once."""

    def __init__(
        self,
        ctx: RunContext,
        backend: Backend,
        finish: Callable[[TaskSpec, TaskResult], None],
        log: Callable[[str], None] | None = None,
        retries: int = MAX_LOST_RETRIES,
    ):
        self.ctx, self.backend, self.finish = ctx, backend, finish
        self.log = log or (lambda m: None)
        self.retries = retries
        try:
            self.payload = dumps(ctx) if backend.remote else None
        except Exception as e:  # e.g. a notebook function without cloudpickle installed
            raise SweepError(
                f"cannot send the sweep to worker processes ({type(e).__name__}: {e}); install "
                "cloudpickle (it comes with the 'dask' extra) or use workers=1"
            ) from None
        self.window = backend.capacity * 2 if backend.remote else 1
        self.pending: dict[Future, TaskSpec] = {}
        self.isolated: set[Future] = set()
        self.queue: deque[TaskSpec] = deque()
        self.retry: deque[TaskSpec] = deque()
        self.lost: dict[int, int] = {}
        self.pool_broken = False
        self.breaks_in_a_row = 0
        self.fatal: BaseException | None = None  # the workers cannot go on: the rest is not run

    def run(self, todo: list[TaskSpec]) -> BaseException | None:
        """Run every task; return the error that stopped the workers for good (None: all ran)."""
        self.queue.extend(todo)
        try:
            self._fill()
            while self.pending:
                finished, _ = wait(list(self.pending), return_when=FIRST_COMPLETED)
                for fut in finished:
                    self._collect(fut)
                self._fill()
        except KeyboardInterrupt:
            for fut in self.pending:
                fut.cancel()
            raise
        return self.fatal

    def _submit(self, task: TaskSpec) -> Future:
        if self.payload is not None:
            return self.backend.executor.submit(execute_payload, self.payload, task)
        return self.backend.executor.submit(execute, self.ctx, task)

    def _next(self) -> tuple[TaskSpec, bool] | None:
        """The next task to submit and whether it runs alone (a retry), or None to wait."""
        if self.fatal is not None or self.isolated:
            return None
        if self.pool_broken and self.pending:
            return None  # the rest of the broken pool's tasks are still failing
        if self.retry:
            return (self.retry.popleft(), True) if not self.pending else None
        if self.queue and len(self.pending) < self.window:
            return self.queue.popleft(), False
        return None

    def _fill(self) -> None:
        while (nxt := self._next()) is not None:
            task, alone = nxt
            if self.pool_broken:
                self.backend.restart()
                self.pool_broken = False
            try:
                fut = self._submit(task)
            except (BrokenProcessPool, RuntimeError) as e:  # broken or shut down before the task went out
                (self.retry if alone else self.queue).appendleft(task)
                if self.backend.can_restart and self.breaks_in_a_row < MAX_CONSECUTIVE_BREAKS:
                    self.breaks_in_a_row += 1
                    self.pool_broken = True
                    continue
                self.fatal = e
                return
            self.pending[fut] = task
            if alone:
                self.isolated.add(fut)

    def _collect(self, fut: Future) -> None:
        task = self.pending.pop(fut)
        self.isolated.discard(fut)
        try:
            result = fut.result()
        except Exception as e:
            if not _is_lost(e):  # the engine itself raised (per-run errors are caught inside)
                self.finish(task, failed_task(task, e))
                return
            self._lost(task, e)
            return
        self.breaks_in_a_row = 0
        self.finish(task, result)

    def _lost(self, task: TaskSpec, exc: BaseException) -> None:
        times = self.lost[task.index] = self.lost.get(task.index, 0) + 1
        if not isinstance(exc, BrokenProcessPool) or not self.backend.can_restart:
            # Dask retried already (KilledWorker); a pool we cannot replace stops the sweep
            self.finish(task, lost_task(task, exc, times))
            if isinstance(exc, BrokenProcessPool):
                self.fatal = exc
            return
        if not self.pool_broken:
            self.pool_broken = True
            self.breaks_in_a_row += 1
            self.log(f"sweep: a worker process died ({exc}); retrying its tasks one at a time")
        if self.breaks_in_a_row > MAX_CONSECUTIVE_BREAKS:  # nothing finishes any more: stop here
            self.fatal = exc
            self.retry.append(task)  # not run (resume runs it)
        elif times > self.retries:
            self.finish(task, lost_task(task, exc, times))
        else:
            self.retry.append(task)
