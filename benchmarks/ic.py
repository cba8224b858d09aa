"""Plain independent cascade: propsim's kernel against cynetdiff (and optionally EoN), side by side.

    uv run python -m benchmarks.ic --size 100k        # default size; 10k = smoke, 1m = opt-in

In one process and interleaved round by round (the machine is shared, so only medians and
same-round ratios mean much), on the model's directed heavy-tailed follower graph:

* median time per cascade at p = 0.01, 0.05, 0.1 from the same seed sets: propsim one call per
  cascade (``Cascader.run``), propsim batched (``Cascader.run_many``, one call for the round's
  cascades) and cynetdiff (built from the CSR arrays, one ``advance_until_completion`` each);
  effective edges per second (transmission trials = out-degree of the activated nodes, per
  second) and the ratio to cynetdiff;
* a 20-point reach-vs-p curve: propsim's one-pass curve against 20 cynetdiff runs and 20 propsim
  runs on the same edge uniforms;
* correctness at the same time: mean final sizes agree within 3 standard errors (independent
  random numbers), and on shared edge uniforms the sizes are identical (cynetdiff's
  ``_edge_probabilities``, propsim's ``edge_uniforms`` and hash uniforms, and every curve point);
* peak RSS of the process.

Exit status 0 when every correctness check passes, 1 otherwise (timings are never asserted).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulator import ic

from .common import (
    benchmark_graph,
    fmt_count,
    fmt_ratio,
    fmt_time,
    machine,
    mean_se,
    parse_size,
    peak_rss_mb,
    size_label,
    table,
)

PS = (0.01, 0.05, 0.1)
# Table rows: (label, p, seed rule). "weighted": seeds drawn in proportion to follower counts
# (cascades that take off); "uniform": uniformly random seeds, whose cascades at p = 0.01 are a
# few nodes, so per-call overhead dominates.
ROWS = (
    ("0.01", 0.01, "weighted"),
    ("0.05", 0.05, "weighted"),
    ("0.1", 0.1, "weighted"),
    ("0.01 tiny", 0.01, "uniform"),
)
CURVE_PS = tuple(float(x) for x in np.round(np.linspace(0.005, 0.1, 20), 6))
TARGETS = {"p=0.1": 5.0, "p=0.01": 1.0, "curve": 10.0}  # issue 6, at 1M nodes
EON_MAX_NODES = 100_000  # networkx build of larger graphs costs minutes and GBs


@dataclass
class Config:
    n: int = 100_000
    rounds: int = 5
    curve_rounds: int = 3
    seeds: int = 10  # seed nodes per cascade
    seed: int = 2026
    peers: tuple[str, ...] = ()
    backend: str = "auto"


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


@dataclass
class Series:
    """Per-round times (s per cascade) and per-cascade outcomes of one implementation at one p.

    Each round is timed as a whole with two clocks: wall (``perf_counter``) and the CPU time of
    this thread (``thread_time``), which does not count time the thread spent descheduled, so
    it is the fairer clock on a machine shared with other jobs.
    """

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    edges: int = 0
    busy_cpu: float = 0.0

    def add(self, wall: float, cpu: float, count: int) -> None:
        self.wall.append(wall / count)
        self.cpu.append(cpu / count)
        self.busy_cpu += cpu

    @property
    def median_cpu(self) -> float:
        return float(np.median(self.cpu)) if self.cpu else float("nan")

    @property
    def median_wall(self) -> float:
        return float(np.median(self.wall)) if self.wall else float("nan")

    @property
    def edges_per_s(self) -> float:
        return self.edges / self.busy_cpu if self.busy_cpu > 0 else float("nan")


class Clock:
    """``with Clock() as c: ...`` -> c.wall, c.cpu in seconds."""

    def __enter__(self) -> Clock:
        self._w, self._c = time.perf_counter(), time.thread_time()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.wall, self.cpu = time.perf_counter() - self._w, time.thread_time() - self._c


def batch_size(p: float, n: int) -> int:
    """Cascades per round: enough that a round of small cascades is not timer noise."""
    per_million = {0.01: 200.0, 0.05: 20.0, 0.1: 1.0}.get(p, 1.0)
    return int(min(200, max(1, round(per_million * 1e6 / n))))


def _cynetdiff():
    try:
        import cynetdiff
        import cynetdiff.models as cm
    except ImportError:  # pragma: no cover - it is a dev dependency
        sys.exit("cynetdiff is not installed: it is a benchmark-only dev dependency (uv sync --group dev)")
    return cm, getattr(cynetdiff, "__version__", None) or _dist_version("cynetdiff")


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def run(cfg: Config, log=print) -> dict[str, Any]:
    """Run the whole benchmark; returns a JSON-able report (``report["table"]`` is the text)."""
    cm, cyn_version = _cynetdiff()
    rng = np.random.default_rng(cfg.seed)
    g, build_s = benchmark_graph(cfg.n, seed=cfg.seed)
    rss_graph = peak_rss_mb()
    deg = g.degrees()
    # Seed nodes are drawn with probability proportional to their follower count (the followee
    # of a random follow): cascades from them rarely die out at once, so the p = 0.1 timings
    # measure spreading, not a lucky extinction.
    weights = deg / deg.sum()

    def draw_seeds(shape, rule: str = "weighted") -> np.ndarray:
        if rule == "uniform":
            return rng.integers(0, g.n_rows, size=shape).astype(np.int32)
        return rng.choice(g.n_rows, size=shape, p=weights).astype(np.int32)

    candidates = draw_seeds(2)
    starts, edges = g.indptr[:-1].astype(np.uint32), g.indices.astype(np.uint32)
    cas = ic.Cascader(g, cfg.backend)
    log(
        f"graph: {cfg.n:,} nodes, {g.n_edges:,} edges, built in {build_s:.2f} s; backend {cas.backend}; "
        f"cynetdiff {cyn_version}"
    )

    # warm up: numba compilation (or cache load) and first-touch of scratch, outside the timings
    cas.run(candidates[:1], 0.05, rng=0)
    cas.run_many(candidates[:2].reshape(2, 1), 0.05, rng=0)
    cas.curve(candidates[:1], CURVE_PS[:2], rng=0, count_exposed=False)
    cas.curve(candidates[:1], CURVE_PS[:2], rng=0, count_exposed=True)

    checks: list[Check] = []
    series = {lab: {k: Series() for k in ("propsim", "batch", "cynetdiff", "eon")} for lab, _, _ in ROWS}
    models = {p: cm.IndependentCascadeModel(starts, edges, activation_prob=p, rng=cfg.seed) for p in PS}
    gen_single, gen_batch = np.random.default_rng(cfg.seed + 1), np.random.default_rng(cfg.seed + 2)
    eon = _eon_setup(g, cfg, log)

    for r in range(cfg.rounds):
        for lab, p, rule in ROWS:
            B = batch_size(p, cfg.n) if rule == "weighted" else 200
            sets = draw_seeds((B, cfg.seeds), rule)
            lists = sets.tolist()
            order = ["propsim", "batch", "cynetdiff"]
            order = order[r % 3 :] + order[: r % 3]  # rotate who goes first
            for who in order:
                s = series[lab][who]
                if who == "propsim":
                    with Clock() as clk:
                        results = [cas.run(row, p, rng=gen_single) for row in sets]
                    s.sizes.extend(res.n_activated for res in results)
                    s.edges += sum(res.edges_examined for res in results)
                    del results
                elif who == "batch":
                    with Clock() as clk:
                        out = cas.run_many(sets, p, rng=gen_batch)
                    s.sizes.extend(out.n_activated.tolist())
                    s.edges += int(out.edges_examined.sum())
                else:
                    model = models[p]
                    stream = int(rng.integers(2**62))
                    model.set_rng(stream)
                    sizes = []
                    with Clock() as clk:
                        for row in lists:
                            model.set_seeds(row)
                            model.reset_model()
                            model.advance_until_completion()
                            sizes.append(model.get_num_activated_nodes())
                    s.sizes.extend(sizes)
                    # untimed replay (same RNG stream -> same cascades) to count the trials made
                    model.set_rng(stream)
                    for row, k in zip(lists, sizes):
                        model.set_seeds(row)
                        model.reset_model()
                        model.advance_until_completion()
                        act = np.fromiter(model.get_activated_nodes(), dtype=np.int64, count=k)
                        s.edges += int(deg[act].sum())
                s.add(clk.wall, clk.cpu, B)
            if eon is not None and r < cfg.curve_rounds:
                s = series[lab]["eon"]
                with Clock() as clk:
                    _, _, _, rec = eon["sir"](eon["G"], p, initial_infecteds=set(lists[0]), rng=eon["rng"])
                s.add(clk.wall, clk.cpu, 1)
                s.sizes.append(int(rec[-1]))
        log(
            f"round {r + 1}/{cfg.rounds} (CPU per cascade): "
            + "; ".join(
                f"p={lab}: propsim {fmt_time(series[lab]['propsim'].cpu[-1])}, "
                f"batched {fmt_time(series[lab]['batch'].cpu[-1])}, cynetdiff {fmt_time(series[lab]['cynetdiff'].cpu[-1])}"
                for lab, _, _ in ROWS
            )
        )

    # correctness 1: independent random numbers, same seed sets -> same mean size within 3 SE
    for lab, p, rule in ROWS:
        a = series[lab]["propsim"].sizes + series[lab]["batch"].sizes
        b = series[lab]["cynetdiff"].sizes
        (ma, sa), (mb, sb) = mean_se(a), mean_se(b)
        z = abs(ma - mb) / np.hypot(sa, sb) if np.hypot(sa, sb) > 0 else (0.0 if ma == mb else np.inf)
        checks.append(
            Check(
                f"mean size p={lab} (propsim {len(a)} vs cynetdiff {len(b)} cascades)",
                bool(z <= 3.0),
                f"{ma:,.1f} +- {sa:,.1f} vs {mb:,.1f} +- {sb:,.1f} ({z:.2f} SE)",
            )
        )

    # correctness 2: shared edge uniforms -> identical sets (cynetdiff, propsim uniforms, propsim hash);
    # an int rng is the stream seed, so edge_uniforms(g, s) are exactly the uniforms run(rng=s) uses
    stream = int(rng.integers(2**62))
    u = ic.edge_uniforms(g, stream)
    seeds = draw_seeds(cfg.seeds)
    for p in PS:
        model = cm.IndependentCascadeModel(starts, edges, activation_prob=p, _edge_probabilities=u)
        model.set_seeds(seeds.tolist())
        model.reset_model()
        model.advance_until_completion()
        theirs = np.sort(np.fromiter(model.get_activated_nodes(), dtype=np.int64))
        via_u = cas.run(seeds, p, edge_uniforms=u)
        via_hash = cas.run(seeds, p, rng=stream)
        same = bool(
            np.array_equal(np.sort(via_u.activated), theirs) and np.array_equal(np.sort(via_hash.activated), theirs)
        )
        checks.append(
            Check(
                f"shared uniforms p={p}: identical activated sets",
                same,
                f"cynetdiff {len(theirs):,}, propsim {via_u.n_activated:,} (given uniforms) / "
                f"{via_hash.n_activated:,} (hash uniforms)",
            )
        )
        del model

    # the whole curve: one pass vs 20 runs, on the same uniforms (and identical sizes)
    curve_rows = []
    curve_ok = True
    for r in range(cfg.curve_rounds):
        if r:
            stream = int(rng.integers(2**62))
            u = ic.edge_uniforms(g, stream)
            seeds = draw_seeds(cfg.seeds)
        cyn_models = [
            cm.IndependentCascadeModel(starts, edges, activation_prob=p, _edge_probabilities=u) for p in CURVE_PS
        ]
        sl = seeds.tolist()
        with Clock() as c_curve:
            cv = cas.curve(seeds, CURVE_PS, rng=stream, count_exposed=False)
        with Clock() as c_exp:
            cv_exp = cas.curve(seeds, CURVE_PS, rng=stream, count_exposed=True)
        with Clock() as c_runs:
            ours = [cas.run(seeds, p, rng=stream).n_activated for p in CURVE_PS]
        theirs = []
        with Clock() as c_cyn:
            for mdl in cyn_models:
                mdl.set_seeds(sl)
                mdl.reset_model()
                mdl.advance_until_completion()
                theirs.append(mdl.get_num_activated_nodes())
        same = cv.activated.tolist() == ours == theirs == cv_exp.activated.tolist()
        curve_ok &= same
        curve_rows.append(
            {
                "curve_s": c_curve.cpu,
                "curve_exposed_s": c_exp.cpu,
                "runs20_s": c_runs.cpu,
                "cyn20_s": c_cyn.cpu,
                "curve_wall_s": c_curve.wall,
                "cyn20_wall_s": c_cyn.wall,
                "identical": same,
                "final_size": int(cv.activated[-1]),
                "final_reach": int(cv_exp.reached[-1]),
            }
        )
        log(
            f"curve round {r + 1}/{cfg.curve_rounds} (CPU): curve {fmt_time(c_curve.cpu)} "
            f"(+exposure {fmt_time(c_exp.cpu)}), 20 propsim runs {fmt_time(c_runs.cpu)}, "
            f"20 cynetdiff runs {fmt_time(c_cyn.cpu)}, identical={same}"
        )
        del cyn_models
    checks.append(
        Check(
            f"curve == 20 propsim runs == 20 cynetdiff runs on shared uniforms ({cfg.curve_rounds} curves)",
            curve_ok,
            f"{len(CURVE_PS)} points, p = {CURVE_PS[0]}..{CURVE_PS[-1]}",
        )
    )

    report = _report(cfg, g, build_s, rss_graph, cas.backend, cyn_version, series, curve_rows, checks, eon)
    return report


def _eon_setup(g, cfg: Config, log) -> dict[str, Any] | None:
    if "eon" not in cfg.peers:
        return None
    if cfg.n > EON_MAX_NODES:
        log(f"EoN skipped: networkx graphs above {EON_MAX_NODES:,} nodes take minutes and GBs to build")
        return None
    import warnings

    import networkx as nx

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        import EoN
    t0 = time.perf_counter()
    G = nx.DiGraph()
    G.add_nodes_from(range(g.n_rows))
    src = np.repeat(np.arange(g.n_rows), g.degrees())
    G.add_edges_from(zip(src.tolist(), g.indices.tolist()))
    log(f"EoN: networkx DiGraph built in {time.perf_counter() - t0:.1f} s")
    return {
        "G": G,
        "sir": EoN.basic_discrete_SIR,
        "rng": np.random.default_rng(cfg.seed + 3),
        "build_s": time.perf_counter() - t0,
    }


def _report(cfg, g, build_s, rss_graph, backend, cyn_version, series, curve_rows, checks, eon) -> dict[str, Any]:
    rows, out_rows = [], []
    for lab, p, rule in ROWS:
        s = series[lab]
        ps_, pb, pc = s["propsim"], s["batch"], s["cynetdiff"]
        mean_size = mean_se(ps_.sizes + pb.sizes)[0]
        ratio = {
            "single": pc.median_cpu / ps_.median_cpu,
            "batched": pc.median_cpu / pb.median_cpu,
            "single_wall": pc.median_wall / ps_.median_wall,
            "batched_wall": pc.median_wall / pb.median_wall,
        }
        row = [
            lab,
            fmt_count(mean_size),
            fmt_count(mean_se(pc.sizes)[0]),
            fmt_time(ps_.median_cpu),
            fmt_time(pb.median_cpu),
            fmt_time(pc.median_cpu),
            f"{ps_.edges_per_s / 1e6:,.0f}",
            f"{pb.edges_per_s / 1e6:,.0f}",
            f"{pc.edges_per_s / 1e6:,.0f}",
            fmt_ratio(ratio["single"]),
            fmt_ratio(ratio["batched"]),
            f"{fmt_ratio(ratio['single_wall'])} / {fmt_ratio(ratio['batched_wall'])}",
        ]
        if eon is not None:
            row += [fmt_time(s["eon"].median_cpu), f"{fmt_count(mean_se(s['eon'].sizes)[0])} ({len(s['eon'].sizes)})"]
        rows.append(row)
        out_rows.append(
            {
                "row": lab,
                "p": p,
                "seeds": rule,
                "mean_size_propsim": mean_size,
                "cascades_per_round": batch_size(p, cfg.n) if rule == "weighted" else 200,
                "mean_size_cynetdiff": mean_se(pc.sizes)[0],
                "cpu_s": {"propsim": ps_.median_cpu, "batched": pb.median_cpu, "cynetdiff": pc.median_cpu},
                "wall_s": {"propsim": ps_.median_wall, "batched": pb.median_wall, "cynetdiff": pc.median_wall},
                "edges_per_cpu_s": {"propsim": ps_.edges_per_s, "batched": pb.edges_per_s, "cynetdiff": pc.edges_per_s},
                "ratio": ratio,
                "eon_cpu_s": s["eon"].median_cpu if eon is not None else None,
            }
        )
    header = [
        "p",
        "mean size propsim",
        "mean size cynetdiff",
        "propsim / cascade",
        "batched / cascade",
        "cynetdiff / cascade",
        "propsim Medges/s",
        "batched Medges/s",
        "cynetdiff Medges/s",
        "ratio single call",
        "ratio batched",
        "wall ratio single / batched",
    ]
    if eon is not None:
        header += ["EoN / cascade", "mean size EoN (cascades)"]
    keys = ("curve_s", "curve_exposed_s", "runs20_s", "cyn20_s", "curve_wall_s", "cyn20_wall_s")
    med = {k: float(np.median([c[k] for c in curve_rows])) for k in keys}
    curve_table = table(
        [
            "20-point curve, p = %g..%g" % (CURVE_PS[0], CURVE_PS[-1]),
            "propsim curve",
            "curve + exposure",
            "20 propsim runs",
            "20 cynetdiff runs",
            "ratio to cynetdiff",
            "wall ratio",
            "ratio to 20 propsim runs",
        ],
        [
            [
                "median of %d" % len(curve_rows),
                fmt_time(med["curve_s"]),
                fmt_time(med["curve_exposed_s"]),
                fmt_time(med["runs20_s"]),
                fmt_time(med["cyn20_s"]),
                fmt_ratio(med["cyn20_s"] / med["curve_s"]),
                fmt_ratio(med["cyn20_wall_s"] / med["curve_wall_s"]),
                fmt_ratio(med["runs20_s"] / med["curve_s"]),
            ]
        ],
    )
    rss = peak_rss_mb()
    ratios = {
        "p=0.1": out_rows[2]["ratio"]["single"],
        "p=0.01": out_rows[0]["ratio"]["single"],
        "p=0.01 tiny single call": out_rows[3]["ratio"]["single"],
        "p=0.01 tiny batched": out_rows[3]["ratio"]["batched"],
        "curve": med["cyn20_s"] / med["curve_s"],
    }
    target_lines = [
        f"- p = 0.1: {fmt_ratio(ratios['p=0.1'])} (single call; target >= {TARGETS['p=0.1']:g}x at 1M)",
        f"- p = 0.01: {fmt_ratio(ratios['p=0.01'])} single call; tiny cascades (uniform seeds): "
        f"{fmt_ratio(ratios['p=0.01 tiny batched'])} batched, {fmt_ratio(ratios['p=0.01 tiny single call'])} "
        f"single call (target >= {TARGETS['p=0.01']:g}x)",
        f"- 20-point curve vs 20 cynetdiff runs: {fmt_ratio(ratios['curve'])} (target >= {TARGETS['curve']:g}x)",
    ]
    check_lines = [f"- [{'PASS' if c.passed else 'FAIL'}] {c.name}: {c.detail}" for c in checks]
    text = "\n".join(
        [
            f"## propsim IC benchmark, n = {size_label(cfg.n)}",
            "",
            f"Graph: {g.n_rows:,} nodes, {g.n_edges:,} edges (the model's directed Chung-Lu follower graph: tail "
            f"exponent 2.2, 20 followees on average, locality 0.5), built in {build_s:.2f} s. "
            f"{cfg.seeds} seed nodes per cascade, drawn in proportion to their follower counts (row '0.01 tiny': "
            f"uniformly, so most cascades are a few nodes), the same for every implementation, {cfg.rounds} interleaved "
            f"rounds. Times are medians over rounds of CPU time per cascade (time.thread_time: the machine is shared); "
            f"Medges/s = transmission trials (out-degree of activated nodes) per CPU second. "
            f"propsim backend {backend}; cynetdiff {cyn_version}; {machine()}.",
            "",
            table(header, rows),
            "",
            curve_table,
            "",
            f"Peak RSS: {rss:,.0f} MB (whole process, with cynetdiff's uint32 copy of the graph"
            f"{' and the networkx graph for EoN' if eon is not None else ''}); {rss_graph:,.0f} MB after the graph build.",
            "",
            "Ratios = cynetdiff time / propsim time (CPU, same rounds):",
            *target_lines,
            "",
            "Correctness:",
            *check_lines,
        ]
    )
    return {
        "config": cfg.__dict__ | {"peers": list(cfg.peers)},
        "n_edges": g.n_edges,
        "graph_build_s": build_s,
        "backend": backend,
        "cynetdiff_version": cyn_version,
        "rows": out_rows,
        "curve": curve_rows,
        "curve_median": med,
        "ratios": ratios,
        "peak_rss_mb": rss,
        "rss_after_graph_mb": rss_graph,
        "checks": [c.__dict__ for c in checks],
        "passed": all(c.passed for c in checks),
        "table": text,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.ic", description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="100k", help="nodes: 10k (smoke), 100k (default), 1m (opt-in), or a number")
    ap.add_argument("--rounds", type=int, default=None, help="interleaved timing rounds (default 7 / 5 at 1m+)")
    ap.add_argument("--curve-rounds", type=int, default=3, help="curves timed (each against 20 cynetdiff runs)")
    ap.add_argument("--seeds", type=int, default=10, help="seed nodes per cascade")
    ap.add_argument("--seed", type=int, default=2026, help="root seed (graph, seed sets, random numbers)")
    ap.add_argument("--peers", default="", help="extra peers at <= 100k nodes: eon (NDlib is not a dependency)")
    ap.add_argument("--backend", default="auto", choices=["auto", "numba", "numpy"])
    ap.add_argument("--json", help="also write the report as JSON to this path")
    args = ap.parse_args(argv)
    n = parse_size(args.size)
    rounds = args.rounds if args.rounds is not None else (5 if n >= 1_000_000 else 7)
    peers = tuple(x.strip().lower() for x in args.peers.split(",") if x.strip())
    unknown = set(peers) - {"eon", "ndlib"}
    if unknown:
        ap.error(f"unknown peers {sorted(unknown)}; choose eon")
    if "ndlib" in peers:
        print("NDlib is not installed (not a project dependency): skipped", file=sys.stderr)
    cfg = Config(
        n=n,
        rounds=max(1, rounds),
        curve_rounds=max(1, args.curve_rounds),
        seeds=max(1, args.seeds),
        seed=args.seed,
        peers=peers,
        backend=args.backend,
    )
    report = run(cfg, log=lambda s: print(s, file=sys.stderr, flush=True))
    print(report["table"])
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({k: v for k, v in report.items()}, f, indent=2, default=float)
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
