"""Where sweep tasks run: every backend is a :class:`concurrent.futures.Executor`.

:class:`InProcessExecutor` for one worker (runs in the calling process, so breakpoints and ``pdb``
work), a ``ProcessPoolExecutor`` with an explicit ``forkserver`` (or ``spawn``) context for
``workers > 1``, and ``dask.distributed`` (``Client.get_executor`` with per-task retries) for
``--cluster local`` or ``--scheduler tcp://host:port``. Tasks travel to other processes as
cloudpickle bytes, so functions defined in a notebook work with every backend.
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


def _ignore_sigint() -> None:
    """Pool workers leave Ctrl-C to the main process, which cancels and saves what finished."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class Backend:
    """An executor plus how to use it: ``capacity`` tasks run at once; ``remote`` tasks are pickled."""

    executor: Executor
    capacity: int
    remote: bool
    kind: str
    description: str
    _close: Callable[[bool], None] | None = None

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
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_ignore_sigint)

    def close(interrupted: bool) -> None:
        if interrupted:
            _terminate_pool(pool)
        else:
            pool.shutdown(wait=True)

    return Backend(pool, workers, True, "processes", f"{workers} worker processes ({method})", close)


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
