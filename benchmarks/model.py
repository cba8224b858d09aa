"""The full model as users call it (issue 13 item 5): world builds, a heavy campaign, whole ``propsim run``
processes, start-up, peak RSS and sweep throughput, against issue 13's targets.

    uv run python -m benchmarks.model --size 1m --out benchmarks/results     # the full report (~20-40 min)
    uv run python -m benchmarks.model --size 10k                              # smoke: correctness only
    uv run python -m benchmarks.model --render benchmarks/results/model-1m.json [--readme]

There is no peer for the full model (NDlib, EoN, cynetdiff and Mesa examples simulate plain cascades, not
accounts, relays, repeated exposure and fatigue), so nothing runs side by side here; the plain-IC kernel
against cynetdiff is :mod:`benchmarks.ic`. The scenario is ``scenarios/hub.yaml`` (a core account and 30
regional accounts) scaled to ``--size`` people (``scale = size / 4M``: followers keep their share of the
population) at the default graph degree (120 followees). Every measurement runs in a fresh process
(:mod:`benchmarks.runs`), so its peak RSS and first-call costs are its own:

* ``build``: the world (population, audiences, follower graph) explicit and implicit, with a cold numba
  cache (an empty ``NUMBA_CACHE_DIR``: everything compiles) and a warm one, the first build of a fresh
  process and a second build in the same process;
* ``heavy``: a heavy campaign (6 posts 12 h apart, ``behaviour.p0 = 0.025``: every person is reached, >= 50M
  deliveries at 1M) in the world ``auto`` picks and in an explicit one: deliveries per CPU second of the
  run phase, and a cProfile of one run;
* ``cli``: the whole ``propsim run`` process on the heavy campaign (import + build + run + write):
  deliveries per wall second;
* ``startup``: ``python -c pass``, ``propsim --version``, ``propsim validate`` and ``propsim run`` of a tiny
  scenario (4,000 people): wall time to the first byte of output and to exit;
* ``rss``: peak RSS of ``propsim``-equivalent runs of the hub scenario at ``--size`` and at 10x it;
* ``sweep``: ``simulator.sweep`` with 2 workers at ``--size`` / 10 and ``--size``: runs per minute.

Times are reported as median [min-max] over the samples with the sample count; run-phase figures use the
CPU time of the run's thread (``time.thread_time``: not inflated by other jobs on a shared machine), whole
processes their wall time and CPU (``wait4``). The 1-minute load average is recorded before every
measurement. Correctness is checked at the same time (exit status 1 if a check fails; timings never are):
explicit and implicit worlds give identical heavy-campaign summaries, ``propsim run`` gives the summary of
the in-process run, the tiny commands succeed, the sweep finishes every run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import code_version, load_average, machine, parse_size, size_label, spread
from .runs import child_env, measure, measure_command

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "hub.yaml"
FILE_POPULATION = 4_000_000  # hub.yaml's population.size
HEAVY = ["behaviour.p0=0.025", "topology.params.posts=6", "topology.params.every=12"]
SECTIONS = ("build", "heavy", "cli", "startup", "rss", "sweep")
SWEEP_P0 = [0.002, 0.0032, 0.005, 0.008]


def _base(n: int, args: argparse.Namespace, **kw: Any) -> dict[str, Any]:
    return {"scenario": str(SCENARIO), "scale": n / FILE_POPULATION, "memory_limit_gb": args.memory_limit, **kw}


def _propsim() -> list[str]:
    """The ``propsim`` console script of this interpreter (as users call it), else ``python -m simulator.cli``."""
    script = Path(sys.executable).parent / "propsim"
    return [str(script)] if script.exists() else [sys.executable, "-m", "simulator.cli"]


def _phase(r: dict[str, Any], name: str, key: str = "cpu_s") -> float:
    return float(r["phases"][name][key])


# --- sections -------------------------------------------------------------------------------------------


def section_build(n: int, args: argparse.Namespace) -> dict[str, Any]:
    """World builds: explicit and implicit, cold and warm numba cache, first and second build in a process."""
    out: dict[str, Any] = {}
    for mode in ("explicit", "implicit"):
        spec = _base(n, args, world=mode, stop_after="build", builds=2)
        cold = []
        for _ in range(args.cold):
            with tempfile.TemporaryDirectory(prefix="propsim-numba-") as cache:
                cold.append(measure(spec, env={"NUMBA_CACHE_DIR": cache}))
        warm = [measure(spec) for _ in range(args.repeat)]
        out[mode] = {
            "cold_first_wall_s": spread([r["builds"][0]["wall_s"] for r in cold]),
            "cold_first_cpu_s": spread([r["builds"][0]["cpu_s"] for r in cold]),
            "warm_first_wall_s": spread([r["builds"][0]["wall_s"] for r in warm]),
            "warm_first_cpu_s": spread([r["builds"][0]["cpu_s"] for r in warm]),
            "hot_wall_s": spread([r["builds"][1]["wall_s"] for r in warm]),
            "hot_cpu_s": spread([r["builds"][1]["cpu_s"] for r in warm]),
            "peak_rss_mb": spread([r["process"]["max_rss_mb"] for r in warm]),
            "world": warm[0]["world"],
            "loads": [r["load_before"] for r in cold + warm],
        }
    return out


def section_heavy(n: int, args: argparse.Namespace) -> dict[str, Any]:
    """The heavy campaign in the world ``auto`` picks and in the other one (+ one profiled run)."""
    out: dict[str, Any] = {}
    auto = _auto_mode(n)
    other = "implicit" if auto == "explicit" else "explicit"
    for mode, world in (("auto", None), (other, other)):
        spec = _base(n, args, overrides=HEAVY, world=world)
        out[mode] = _heavy_stats([measure(spec) for _ in range(args.repeat)])
    if not args.smoke:
        prof = measure(_base(n, args, overrides=HEAVY, profile=True))
        out["profile"] = {
            "top": prof.get("profile", []),
            "run_cpu_s": _phase(prof, "run"),
            "tables": prof.get("tables"),
        }
    return out


def _auto_mode(n: int) -> str:
    """The world ``graph.world: auto`` picks for the scaled scenario."""
    import simulator
    from simulator.world.build import choose_mode

    return choose_mode(simulator.load(SCENARIO, scale=n / FILE_POPULATION, check_memory=False).scenario)


def _heavy_stats(runs: list[dict[str, Any]]) -> dict[str, Any]:
    deliveries = [r["summary"]["impressions"] for r in runs]
    return {
        "world": runs[0]["world"],
        "deliveries": deliveries,
        "summary": runs[0]["summary"],
        "run_cpu_s": spread([_phase(r, "run") for r in runs]),
        "run_wall_s": spread([_phase(r, "run", "wall_s") for r in runs]),
        "build_cpu_s": spread([_phase(r, "build") for r in runs]),
        "deliveries_per_cpu_s": spread([d / _phase(r, "run") for d, r in zip(deliveries, runs)]),
        "deliveries_per_wall_s": spread([d / _phase(r, "run", "wall_s") for d, r in zip(deliveries, runs)]),
        "peak_rss_mb": spread([r["process"]["max_rss_mb"] for r in runs]),
        "tables": runs[0].get("tables"),
        "summaries": [r["summary"] for r in runs],
        "loads": [r["load_before"] for r in runs],
    }


def section_cli(n: int, args: argparse.Namespace) -> dict[str, Any]:
    """Whole ``propsim run`` processes on the heavy campaign: deliveries per second of the process."""
    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="propsim-bench-cli-") as tmp:
            argv = [*_propsim(), "run", str(SCENARIO), "--scale", f"{n / FILE_POPULATION:g}", "-o", f"{tmp}/run"]
            argv += [x for s in HEAVY for x in ("--set", s)] + ["--json"]
            r = measure_command(argv)
        r["summary"] = _json_tail(r.pop("output")) if r["exit"] == 0 else None
        runs.append(r)
    ok = [r for r in runs if r["summary"]]
    return {
        "samples": runs,
        "wall_s": spread([r["wall_s"] for r in ok]),
        "cpu_s": spread([r["cpu_s"] for r in ok]),
        "peak_rss_mb": spread([r["max_rss_mb"] for r in ok]),
        "deliveries_per_wall_s": spread([r["summary"]["impressions"] / r["wall_s"] for r in ok]),
        "deliveries_per_cpu_s": spread([r["summary"]["impressions"] / r["cpu_s"] for r in ok]),
        "loads": [r["load_before"] for r in runs],
    }


def _json_tail(text: str) -> dict[str, Any] | None:
    """The JSON object that ``propsim run --json`` prints last (it opens with a line holding only "{";
    warnings on stderr, merged into ``text``, may come before or after it and hold braces of their own)."""
    starts = [m.start() for m in re.finditer(r"(?m)^\{$", text)]
    try:
        return json.JSONDecoder().raw_decode(text, starts[-1])[0] if starts else None
    except json.JSONDecodeError:
        return None


STARTUP = {
    "python -c pass": lambda tmp: [sys.executable, "-c", "pass"],
    "propsim --version": lambda tmp: [*_propsim(), "--version"],
    "propsim validate hub": lambda tmp: [*_propsim(), "validate", str(SCENARIO)],
    "propsim run hub (4,000 people)": lambda tmp: [*_propsim(), "run", str(SCENARIO), "--scale", "0.001", "-o", tmp],
}


def section_startup(n: int, args: argparse.Namespace) -> dict[str, Any]:
    """Fixed costs users wait for: interpreter, import, validation, a tiny run (to first output and exit)."""
    out: dict[str, Any] = {}
    for name, argv in STARTUP.items():
        with tempfile.TemporaryDirectory(prefix="propsim-bench-start-") as tmp:
            measure_command(argv(f"{tmp}/run"))  # warm-up (not counted): byte-code and numba caches in place
        samples = []
        for _ in range(args.startup_repeat):
            with tempfile.TemporaryDirectory(prefix="propsim-bench-start-") as tmp:
                samples.append(measure_command(argv(f"{tmp}/run")))
        out[name] = {
            "exit": [s["exit"] for s in samples],
            "first_output": samples[0]["output"][:200],
            "first_output_s": spread([s["first_output_s"] for s in samples if s["first_output_s"] is not None]),
            "wall_s": spread([s["wall_s"] for s in samples]),
            "cpu_s": spread([s["cpu_s"] for s in samples]),
            "peak_rss_mb": spread([s["max_rss_mb"] for s in samples]),
            "loads": [s["load_before"] for s in samples],
        }
    return out


def section_rss(n: int, args: argparse.Namespace) -> dict[str, Any]:
    """Peak RSS of the hub scenario (default behaviour) at ``n`` and 10 n people, auto world (and explicit
    at 10 n with ``--explicit-big``: the loader's memory estimate is skipped, the address-space cap holds)."""
    out: dict[str, Any] = {}
    cases = [(n, None), (10 * n, None)] + ([(10 * n, "explicit")] if args.explicit_big else [])
    for people, mode in cases:
        spec = _base(people, args, world=mode, memory_limit_gb=max(args.memory_limit, 20.0))
        if mode == "explicit":
            spec["check_memory"] = False
        try:
            r = measure(spec)
        except RuntimeError as e:  # recorded, not fatal: the other figures stand
            out[f"{size_label(people)} {mode or 'auto'}"] = {"people": people, "error": str(e)[-600:]}
            continue
        out[f"{size_label(people)} {mode or 'auto'}"] = {
            "people": people,
            "world": r["world"],
            "peak_rss_mb": r["process"]["max_rss_mb"],
            "wall_s": r["process"]["wall_s"],
            "cpu_s": r["process"]["cpu_s"],
            "build_cpu_s": _phase(r, "build"),
            "run_cpu_s": _phase(r, "run"),
            "deliveries": r["summary"]["impressions"],
            "load": r["load_before"],
        }
    return out


def section_sweep(n: int, args: argparse.Namespace) -> dict[str, Any]:
    """``simulator.sweep`` with 2 workers: 4 p0 values x replicates at n / 10 and n people."""
    out: dict[str, Any] = {}
    sizes = [(n, 1)] if args.smoke else [(n // 10, 2 * args.sweep_replicates), (n, args.sweep_replicates)]
    for people, reps in sizes:
        kw = {
            "parameters": {"behaviour.p0": SWEEP_P0},
            "replicates": reps,
            "workers": 2,
            "scale": people / FILE_POPULATION,
        }
        r = measure({"scenario": str(SCENARIO), "sweep": kw, "memory_limit_gb": args.memory_limit})
        out[size_label(people)] = {
            "people": people,
            "runs": r["runs"],
            "ok": r["ok"],
            "wall_s": r["wall_s"],
            "runs_per_min": r["runs_per_min"],
            "main_cpu_s": r["cpu_s"],
            "peak_rss_mb": r["process"]["max_rss_mb"],
            "max_reach_share": max(r["reach"]) / people if r["reach"] else float("nan"),
            "load": r["load_before"],
        }
    return out


RUNNERS = {
    "build": section_build,
    "heavy": section_heavy,
    "cli": section_cli,
    "startup": section_startup,
    "rss": section_rss,
    "sweep": section_sweep,
}

# --- targets, checks, report ----------------------------------------------------------------------------


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 13's targets that this benchmark measures (only at 1M people: the size they are set at)."""
    from .model_report import model_targets

    return model_targets(report)


def checks(report: dict[str, Any]) -> list[dict[str, Any]]:
    from .model_report import model_checks

    return model_checks(report)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.model", description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="1m", help="people: 10k (smoke), 100k, 1m (default: issue 13's targets)")
    ap.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}")
    ap.add_argument("--repeat", type=int, default=None, help="samples per measurement (default 3; 2 in smoke)")
    ap.add_argument("--cold", type=int, default=None, help="cold-cache builds per world (default 1; 0 in smoke)")
    ap.add_argument("--startup-repeat", type=int, default=5, help="samples per start-up command (default 5)")
    ap.add_argument("--sweep-replicates", type=int, default=2, help="replicates per p0 at --size (default 2)")
    ap.add_argument("--explicit-big", action="store_true", help="also measure an explicit world at 10x --size")
    ap.add_argument("--memory-limit", type=float, default=16.0, help="address-space cap per process, GB")
    ap.add_argument("--out", help="folder for model-<size>.json and .md")
    ap.add_argument("--json", help="also write the report to this JSON file")
    ap.add_argument("--render", help="print the markdown of an existing report JSON")
    ap.add_argument("--readme", action="store_true", help="with --render: only the README rows")
    args = ap.parse_args(argv)
    from .model_report import render

    if args.render:
        print(render(json.loads(Path(args.render).read_text(encoding="utf-8")), args.readme))
        return 0
    n = parse_size(args.size)
    args.smoke = smoke = n < 100_000
    args.repeat = args.repeat or (1 if smoke else 3)
    args.cold = (0 if smoke else 1) if args.cold is None else args.cold
    if smoke:
        args.startup_repeat = min(args.startup_repeat, 1)
    chosen = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    report = _header(n, args, chosen)
    for name in chosen:
        t0 = time.perf_counter()
        report["sections"][name] = RUNNERS[name](n, args)
        report["seconds"][name] = round(time.perf_counter() - t0, 1)
        print(
            f"{name}: done in {report['seconds'][name]:.0f} s (load {load_average()[0]:.1f})",
            file=sys.stderr,
            flush=True,
        )
        _write_partial(report, args)  # a later failure never loses the sections measured so far
    report["load"]["end"] = load_average()
    report["targets"] = targets(report)
    report["checks"] = checks(report)
    text = render(report)
    print(text)
    _write(report, text, args)
    return 0 if all(c["passed"] for c in report["checks"]) else 1


def _header(n: int, args: argparse.Namespace, chosen: list[str]) -> dict[str, Any]:
    return {
        "benchmark": "model",
        "schema": 1,
        "size": n,
        "size_label": size_label(n),
        "config": {
            "scenario": "scenarios/hub.yaml",
            "scale": n / FILE_POPULATION,
            "heavy": HEAVY,
            "sections": chosen,
            "repeat": args.repeat,
            "cold": args.cold,
            "startup_repeat": args.startup_repeat,
            "sweep_p0": SWEEP_P0,
            "numba_threads": os.environ.get("NUMBA_NUM_THREADS", "default"),
            "bytecode_cache": child_env()["PYTHONPYCACHEPREFIX"],
        },
        "machine": machine(),
        "code": code_version(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load": {"start": load_average()},
        "sections": {},
        "seconds": {},
    }


def _write_partial(report: dict[str, Any], args: argparse.Namespace) -> None:
    from simulator.results.output import atomic_write

    if args.out:
        data = json.dumps(report, indent=1, default=float).encode("utf-8")
        atomic_write(Path(args.out) / f"model-{report['size_label']}.partial.json", lambda f: f.write(data))


def _write(report: dict[str, Any], text: str, args: argparse.Namespace) -> None:
    from simulator.results.output import atomic_write

    data = json.dumps(report, indent=1, default=float).encode("utf-8")
    if args.out:
        folder = Path(args.out)
        atomic_write(folder / f"model-{report['size_label']}.json", lambda f: f.write(data))
        atomic_write(folder / f"model-{report['size_label']}.md", lambda f: f.write(text.encode("utf-8")))
        (folder / f"model-{report['size_label']}.partial.json").unlink(missing_ok=True)
    if args.json:
        atomic_write(args.json, lambda f: f.write(data))


if __name__ == "__main__":
    sys.exit(main())
