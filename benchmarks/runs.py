"""Measuring whole runs of the full model, each in a fresh child process.

A measurement is a JSON *spec* (scenario, overrides, scale, world mode, what to time); the child
(``python -m benchmarks.runs SPEC``) times each phase as users meet them (import, load, world build,
model set-up, run, collect, write) with the wall clock and the CPU time of its main thread, and prints
one JSON line. The parent waits for it with ``os.wait4``, which gives that child's own peak RSS and CPU
time (with its worker processes), so figures from one measurement never mix with another's.

Whole CLI processes (``propsim run``) are measured the same way (:func:`measure_command`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Children import from byte-compiled caches, as installed packages normally do: a session environment with
# PYTHONDONTWRITEBYTECODE=1 would otherwise recompile ~1,300 modules from source in every process (measured:
# +3.5 s of CPU per `propsim run`). The caches go to a folder of their own, never into the environment.
PYCACHE = Path(tempfile.gettempdir()) / "propsim-bench-pycache"
PHASES = ("import", "load", "build", "setup", "run", "collect", "write")


def vm_hwm_mb() -> float:
    """Peak resident set size of this process so far, MB (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class _Phases:
    """Wall and thread-CPU seconds, and peak RSS after each, of the phases of one child."""

    def __init__(self) -> None:
        self.out: dict[str, dict[str, float]] = {}

    def time(self, name: str, fn, *args, **kw):
        w, c = time.perf_counter(), time.thread_time()
        value = fn(*args, **kw)
        self.out[name] = {
            "wall_s": time.perf_counter() - w,
            "cpu_s": time.thread_time() - c,
            "rss_mb": vm_hwm_mb(),
        }
        return value


def _profile_top(prof: Any, top: int = 15) -> list[dict[str, Any]]:
    """The ``top`` functions of a cProfile by own time: name, own and cumulative seconds, calls."""
    import pstats

    st = pstats.Stats(prof)
    rows = []
    for (file, line, fn), (_cc, calls, tottime, cumtime, _callers) in st.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": f"{Path(file).name}:{line}({fn})", "own_s": tottime, "cum_s": cumtime, "calls": calls})
    rows.sort(key=lambda r: -r["own_s"])
    return rows[:top]


def _limit_memory(gb: float | None) -> None:
    """Cap this process's address space (so a run that outgrows the machine fails with MemoryError
    instead of pushing a shared machine into swap or the OOM killer)."""
    if gb:
        import resource

        limit = int(gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def table_sizes(model: Any) -> dict[str, int]:
    """Slots and used slots of the run's state tables (engine internals, read for diagnostics only)."""
    t = model._tables
    out = {
        "item_slots": int(len(t.it)),
        "item_used": int(t.sizes[0]),
        "item_table_mb": int(t.it.nbytes / 1e6),
        "person_slots": int(len(t.pt)),
        "person_used": int(t.sizes[1]),
        "person_table_mb": int(t.pt.nbytes / 1e6),
    }
    if hasattr(model, "state_bytes"):  # the item table's archive (engine with simulator.engine.archive)
        sb = model.state_bytes()
        out.update(
            archive_pairs=sb["archive_pairs"],
            archive_mb=int(sb["archive_bytes"] / 1e6),
            archive_moved_back=sb["archive_moved_back"],
            compaction_cpu_s=float(getattr(model, "compaction_cpu_s", 0.0)),
        )
    return out


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in this (fresh) process; returns the JSON-able result."""
    _limit_memory(spec.get("memory_limit_gb"))
    if spec.get("sweep"):
        return sweep_child(spec)
    ph = _Phases()

    def imports():
        import simulator
        from simulator.engine.model import PropagationModel
        from simulator.results.collect import collect
        from simulator.results.output import write_run
        from simulator.world.build import build_world

        return simulator, PropagationModel, collect, write_run, build_world

    simulator, PropagationModel, collect, write_run, build_world = ph.time("import", imports)
    overrides = list(spec.get("overrides", []))
    if spec.get("world"):
        overrides.append(f"graph.world={spec['world']}")
    loaded = ph.time(
        "load",
        simulator.load,
        spec["scenario"],
        overrides=overrides,
        scale=spec.get("scale"),
        check_memory=spec.get("check_memory", True),  # False: the loader's estimate yields to the RLIMIT cap
    )
    out: dict[str, Any] = {"spec": spec, "builds": []}
    worlds = []
    for _ in range(max(1, int(spec.get("builds", 1)))):  # the first build pays numba's dispatch / cache load
        w0, c0 = time.perf_counter(), time.thread_time()
        worlds.append(build_world(loaded.scenario, loaded.matrix))
        out["builds"].append({"wall_s": time.perf_counter() - w0, "cpu_s": time.thread_time() - c0})
        if len(worlds) > 1:
            worlds.pop(0)  # keep one world alive: the next build is timed as users would repeat it
    world = worlds[-1]
    ph.out["build"] = {**out["builds"][0], "rss_mb": vm_hwm_mb()}
    out["world"] = {
        "mode": world.mode,
        "population": world.n,
        "audience_edges": world.audience.n_edges,
        "graph_edges": world.graph.n_edges if world.graph is not None else None,
        "world_mb": world.nbytes() / 1e6,
    }
    if spec.get("stop_after") == "build":
        return _finish(out, ph)
    model = ph.time("setup", PropagationModel, loaded, world=world)
    prof = None
    if spec.get("profile"):
        import cProfile

        prof = cProfile.Profile(time.thread_time)  # CPU of this thread: the same clock as the phases
        prof.enable()
    try:
        ph.time("run", model.run)
    except MemoryError as e:  # the run outgrew the memory limit: report how far it got
        out["failed"] = {
            "error": f"MemoryError: {e}",
            "hours_reached": float(model.hours),
            "counters": dict(model.counters),
            "tables": table_sizes(model),
            "rss_mb": vm_hwm_mb(),
        }
        return _finish(out, ph)
    finally:
        if prof is not None:
            prof.disable()
            out["profile"] = _profile_top(prof)
    out["tables"] = table_sizes(model)
    result = ph.time("collect", collect, model)
    with tempfile.TemporaryDirectory(prefix="propsim-bench-") as tmp:
        ph.time("write", write_run, result, Path(tmp) / "run", spec.get("format", "csv"))
    out["summary"] = {k: v for k, v in result.summary.items() if not isinstance(v, dict)}
    out["depth_distribution"] = result.summary.get("depth_distribution", {})
    if spec.get("daily"):
        ts = result.timeseries
        cols = [
            "time_h",
            "reach",
            "direct_reach",
            "second_level_reach",
            "impressions",
            "fatigued",
            "mutes",
            "unfollows",
        ]
        out["timeseries"] = {c: [float(x) for x in ts[c].to_numpy()[:: int(spec["daily"])]] for c in cols}
    return _finish(out, ph)


def sweep_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Time ``simulator.sweep`` (``spec["sweep"]``: its keyword arguments) as a user calls it: wall and
    main-thread CPU (the workers' CPU is in the parent's wait4 figures), runs finished and failed."""
    w0, c0 = time.perf_counter(), time.thread_time()
    import simulator

    kw = dict(spec["sweep"])
    with tempfile.TemporaryDirectory(prefix="propsim-bench-sweep-") as tmp:
        result = simulator.sweep(
            spec["scenario"], kw.pop("parameters"), output=Path(tmp) / "sweep", progress=False, **kw
        )
        runs = result.runs
    wall, cpu = time.perf_counter() - w0, time.thread_time() - c0
    ok = runs["status"].eq("ok") if "status" in runs else None
    return {
        "spec": spec,
        "runs": int(len(runs)),
        "ok": int(ok.sum()) if ok is not None else int(len(runs)),
        "reach": [float(x) for x in runs["reach"].to_numpy()] if "reach" in runs else [],
        "wall_s": wall,
        "cpu_s": cpu,
        "runs_per_min": 60.0 * len(runs) / wall if wall > 0 else float("nan"),
        "peak_rss_mb": vm_hwm_mb(),
    }


def _finish(out: dict[str, Any], ph: _Phases) -> dict[str, Any]:
    out["phases"] = ph.out
    out["peak_rss_mb"] = vm_hwm_mb()
    return out


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a measured child: this one, with byte-code caches on (see ``PYCACHE``)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("PYTHONPYCACHEPREFIX", str(PYCACHE))
    return {**env, **(extra or {})}


def _wait(proc: subprocess.Popen, start: float) -> dict[str, Any]:
    """Wait for ``proc``: its wall time, CPU seconds (user + system, with its waited-for children) and
    peak RSS (MB) from ``wait4``."""
    _pid, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall_s": time.perf_counter() - start,
        "cpu_s": ru.ru_utime + ru.ru_stime,
        "max_rss_mb": ru.ru_maxrss / 1024.0,
        "exit": proc.returncode,
    }


def measure(spec: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``spec`` in a fresh child process; the child's result plus its process-level figures
    (``process``: wall, CPU, peak RSS from wait4; ``load_before``: the 1-minute load average)."""
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.runs", json.dumps(spec)],
            cwd=ROOT,
            stdout=out,
            stderr=err,
            env=child_env(env),
        )
        proc_info = _wait(proc, start)
        out.seek(0)
        err.seek(0)
        text, errors = out.read(), err.read()
    if proc_info["exit"] != 0:
        raise RuntimeError(f"measurement {spec} failed (exit {proc_info['exit']}):\n{errors[-4000:]}")
    result = json.loads(text.strip().splitlines()[-1])
    result["process"] = proc_info
    result["load_before"] = load_before
    return result


def measure_command(argv: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a command (e.g. ``propsim run``) as a fresh process: wall seconds, CPU seconds, peak RSS (MB),
    seconds until its first byte of output, its exit status and its output."""
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=child_env(env))
    assert proc.stdout is not None
    first = proc.stdout.read(1)
    first_s = time.perf_counter() - start
    rest = proc.stdout.read()
    info = _wait(proc, start)
    info["first_output_s"] = first_s if first else None
    info["output"] = (first + rest).decode("utf-8", "replace")
    info["load_before"] = load_before
    return info


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    spec = json.loads(args[0])
    print(json.dumps(child(spec), default=float), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
