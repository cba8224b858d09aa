"""Where sweep tasks run: every backend is a :class:`concurrent.futures.Executor`.

:class:`InProcessExecutor` for one worker (runs in the calling process, so breakpoints and ``pdb``
work), a ``ProcessPoolExecutor`` with an explicit ``forkserver`` (or ``spawn``) context for
``workers > 1``, and ``dask.distributed`` (``Client.get_executor`` with per-task retries) for
``--cluster local`` or ``--scheduler tcp://host:port``. Tasks travel to other processes as
cloudpickle bytes, so functions defined in a notebook work with every backend.

No orphans: every pool worker watches a pipe whose only writing end lives in the main process and
exits as soon as it reads end-of-file, i.e. as soon as the main process is gone however it ended
(SIGKILL included). The fork server and the resource tracker then exit by themselves (each stops
when the last process holding its pipe is gone). A pool broken by a lost worker can be replaced
(:meth:`Backend.restart`) so its tasks can be retried.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

# Modules the fork server imports once, so that pool workers start without paying for them.
PRELOAD = (
    "simulator.sweeps.engines",
    "simulator.engine.model",
    "simulator.results.collect",
    "simulator.scenario.loading",
)


class InProcessExecutor(Executor):
    """Runs each task when it is submitted, in the calling thread (``--workers 1``: debuggable).

    Exceptions go into the future like any executor's; KeyboardInterrupt propagates at once.
    """

    def submit(self, fn, /, *args, **kwargs) -> Future:
        f: Future = Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except Exception as e:
            f.set_exception(e)
        return f


ORPHAN_EXIT = 75  # a worker's exit status when it ends itself because the main process is gone


def _watch_parent(conn: Any) -> None:
    """Block until the main process's end of the pipe closes, then end this worker at once."""
    try:
        while True:
            conn.recv_bytes()  # nothing is ever sent; returns only on end-of-file
    except (EOFError, OSError):
        pass
    os._exit(ORPHAN_EXIT)


def _worker_init(conn: Any = None) -> None:
    """Pool workers leave Ctrl-C to the main process (which cancels and saves what finished) and
    end themselves when the main process disappears (a watchdog thread on a pipe; the kernels
    release the GIL, so the thread gets to run within moments)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if conn is not None:
        import threading

        threading.Thread(target=_watch_parent, args=(conn,), name="propsim-parent-watch", daemon=True).start()


@dataclass
class Backend:
    """An executor plus how to use it: ``capacity`` tasks run at once; ``remote`` tasks are pickled."""

    executor: Executor
    capacity: int
    remote: bool
    kind: str
    description: str
    _close: Callable[[bool], None] | None = None
    _restart: Callable[[], Executor] | None = None

    @property
    def can_restart(self) -> bool:
        """Whether a pool broken by a lost worker can be replaced (our own process pools)."""
        return self._restart is not None

    def restart(self) -> None:
        """Replace a broken pool with a fresh one (same size and settings)."""
        if self._restart is None:
            raise RuntimeError(f"cannot restart {self.description}")
        self.executor = self._restart()

    def close(self, interrupted: bool = False) -> None:
        if self._close is not None:
            self._close(interrupted)


def open_backend(
    workers: int = 1, cluster: str | None = None, scheduler: str | None = None, executor: Executor | None = None
) -> Backend:
    """The executor for ``workers`` / ``cluster="local"`` / ``scheduler=ADDRESS`` / a given one."""
    if executor is not None:
        remote = not isinstance(executor, InProcessExecutor)
        return Backend(executor, max(1, workers), remote, "custom", type(executor).__name__)
    if cluster is not None or scheduler is not None:
        return _dask_backend(workers, cluster, scheduler)
    if workers <= 1:
        return Backend(InProcessExecutor(), 1, False, "inprocess", "in-process")
    from concurrent.futures import ProcessPoolExecutor

    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        # Import the model once in the fork server (a few seconds: mesa, pandas, scipy) instead of
        # in every worker; later pools in this process (a notebook, a test run) start at once.
        # Only affects a fork server not yet running; '__main__' is the default preload.
        ctx.set_forkserver_preload(["__main__", *PRELOAD])
    # Workers get only the reading end; the writing end stays here, so it closes when we exit.
    watch_r, watch_w = ctx.Pipe(duplex=False)
    pools: list[ProcessPoolExecutor] = []

    def new_pool() -> ProcessPoolExecutor:
        for old in pools:  # a broken pool: make sure its workers are gone
            _terminate_pool(old)
        pools[:] = [
            ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(watch_r,))
        ]
        return pools[0]

    def close(interrupted: bool) -> None:
        try:
            for pool in pools:
                if interrupted:
                    _terminate_pool(pool)
                else:
                    pool.shutdown(wait=True)
        finally:
            watch_w.close()
            watch_r.close()

    return Backend(new_pool(), workers, True, "processes", f"{workers} worker processes ({method})", close, new_pool)


def _terminate_pool(pool: Any) -> None:
    """Stop a process pool now: cancel queued tasks and end running workers (their runs are lost,
    the finished ones are already on disk)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
        return
    procs = list(getattr(pool, "_processes", {}).values())  # no public API before 3.14
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)


def _dask_backend(workers: int, cluster: str | None, scheduler: str | None) -> Backend:
    if cluster is not None and scheduler is not None:
        raise ValueError("give either --cluster local or --scheduler ADDRESS, not both")
    if cluster is not None and cluster != "local":
        raise ValueError(f"--cluster {cluster!r}: only 'local' is supported (or use --scheduler tcp://host:port)")
    try:
        import logging

        from distributed import Client, LocalCluster
    except ImportError:
        raise RuntimeError(
            "--cluster / --scheduler need dask.distributed: install propsim with the 'dask' "
            "extra (uv sync --extra dask, or pip install 'propsim[dask]')"
        ) from None
    lc = None
    if cluster == "local":
        lc = LocalCluster(
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = Client(lc)
        desc = f"dask LocalCluster with {max(1, workers)} workers"
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as e:
            raise RuntimeError(f"cannot reach the dask scheduler at {scheduler}: {e}") from None
        desc = f"dask scheduler {scheduler}"
    capacity = max(1, sum(client.nthreads().values()) or workers)
    ex = client.get_executor(retries=2, pure=False)

    def close(interrupted: bool) -> None:
        try:
            client.close()
        finally:
            if lc is not None:
                lc.close()

    return Backend(ex, capacity, True, "dask", desc, close)


def cpu_count() -> int:
    """CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
