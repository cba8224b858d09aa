"""Plain independent cascade: propsim's kernel against cynetdiff (and optionally EoN), side by side.

    uv run python -m benchmarks.ic --size 1m --out benchmarks/results   # 10k = smoke, 100k default

In one process and interleaved round by round (the machine is shared, so only same-round ratios
and medians over rounds mean much), on two graphs built as the model builds its follower graph:
``heavy`` (follower counts with tail exponent 2.2) and ``poisson`` (light-tailed; IC is critical
at p = 0.05). Each row times, from the same seed sets:

* ``public``: ``simulator.ic.independent_cascade(graph, seeds, p, rng=gen)``, one call per
  cascade, as users call it;
* ``run``: ``Cascader.run`` (the same kernel without the per-graph cache lookup);
* ``batched``: ``Cascader.run_many``, one call for the round's cascades;
* ``cynetdiff``: ``set_seeds(list)`` + ``advance_until_completion()`` +
  ``get_num_activated_nodes()`` (``set_seeds`` already resets the model), as its users call it.

The three propsim variants use generators with the same seed, so they run the very same
cascades (checked). Plus a 20-point reach-vs-p curve (one pass) against 20 cynetdiff runs, and
correctness at the same time: identical cascades on shared edge uniforms, mean sizes within 3
standard errors on independent random numbers. Exit status 1 if a check fails; timings are
never asserted. Results go to a JSON file that :mod:`benchmarks.report` renders.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulator import ic
from simulator.world.graphs import CSR

from . import report as rep
from .common import (
    Clock,
    benchmark_graph,
    code_version,
    load_average,
    machine,
    mean_se,
    parse_size,
    peak_rss_mb,
    size_label,
    spread,
)

IMPLS = ("public", "run", "batched", "cynetdiff")
CURVE_PS = tuple(float(x) for x in np.round(np.linspace(0.005, 0.1, 20), 6))
EON_MAX_NODES = 100_000  # networkx build of larger graphs costs minutes and GBs
SCHEMA = 2


@dataclass(frozen=True)
class Row:
    """One table row: a graph, a transmissibility and a seed rule.

    ``weighted`` seeds are drawn in proportion to follower counts (the followee of a random
    follow: cascades that take off), ``uniform`` ones uniformly (on the heavy-tailed graph most
    have few followers: tiny cascades where per-call overhead dominates). ``per_round_1m`` is the
    number of cascades per round at 1M nodes (more on smaller graphs, at most ``cap``).
    """

    graph: str
    label: str
    p: float
    seeds: str
    per_round_1m: int
    cap: int = 2000

    def per_round(self, n: int) -> int:
        return int(min(self.cap, max(1, round(self.per_round_1m * 1e6 / n))))


ROWS = (
    Row("heavy", "0.01", 0.01, "weighted", 100),
    Row("heavy", "0.05", 0.05, "weighted", 30),
    Row("heavy", "0.1", 0.1, "weighted", 2),
    Row("heavy", "0.01 tiny", 0.01, "uniform", 2000, cap=2000),
    Row("poisson", "0.01", 0.01, "weighted", 2000, cap=2000),
    Row("poisson", "0.03", 0.03, "weighted", 1000, cap=1000),
    Row("poisson", "0.05", 0.05, "weighted", 300, cap=600),
    Row("poisson", "0.07", 0.07, "weighted", 3),
    Row("poisson", "0.1", 0.1, "weighted", 2),
)


@dataclass
class Config:
    n: int = 100_000
    rounds: int = 7
    curve_rounds: int = 3
    seeds: int = 10  # seed nodes per cascade
    seed: int = 2026
    peers: tuple[str, ...] = ()
    backend: str = "auto"
    graphs: tuple[str, ...] = ("heavy", "poisson")
    label: str = ""  # what code this run measures, in words (e.g. "before: main at 3fe301a")


@dataclass
class Series:
    """Per-round CPU / wall seconds per cascade of one implementation in one row, and outcomes."""

    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    trials: int = 0
    cpu_total: float = 0.0

    def add(self, clk: Clock, count: int) -> None:
        self.cpu.append(clk.cpu / count)
        self.wall.append(clk.wall / count)
        self.cpu_total += clk.cpu


@dataclass
class Graph:
    """One benchmark graph with its propsim Cascader, cynetdiff's uint32 copy and seed weights."""

    name: str
    csr: CSR
    build_s: float
    cascader: ic.Cascader
    starts: np.ndarray
    edges: np.ndarray
    degree: np.ndarray
    weights: np.ndarray

    @classmethod
    def build(cls, name: str, n: int, seed: int, backend: str) -> Graph:
        g, build_s = benchmark_graph(n, seed=seed, tail=2.2 if name == "heavy" else None)
        deg = g.degrees()
        return cls(
            name,
            g,
            build_s,
            ic.Cascader(g, backend),
            g.indptr[:-1].astype(np.uint32),
            g.indices.astype(np.uint32),
            deg,
            deg / deg.sum(),
        )

    def draw_seeds(self, rng: np.random.Generator, shape: Any, rule: str) -> np.ndarray:
        """Seed sets (rows of ``shape``) of distinct nodes: cynetdiff expands a repeated seed
        once per copy (more trials, ~4% larger cascades at 10k nodes, p = 0.01) while propsim
        counts it once, so repeats would make the two disagree for a reason unrelated to speed."""
        sets = np.atleast_2d(self._draw(rng, shape, rule))
        while True:
            ordered = np.sort(sets, axis=1)
            again = np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))
            if len(again) == 0:
                return sets.reshape(shape)
            sets[again] = self._draw(rng, (len(again), sets.shape[1]), rule)

    def _draw(self, rng: np.random.Generator, shape: Any, rule: str) -> np.ndarray:
        if rule == "uniform":
            return rng.integers(0, self.csr.n_rows, size=shape).astype(np.int32)
        return rng.choice(self.csr.n_rows, size=shape, p=self.weights).astype(np.int32)


def _cynetdiff() -> tuple[Any, str]:
    try:
        import cynetdiff.models as cm
    except ImportError:  # pragma: no cover - it is a dev dependency
        sys.exit("cynetdiff is not installed: it is a benchmark-only dev dependency (uv sync --group dev)")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return cm, version("cynetdiff")
    except PackageNotFoundError:  # pragma: no cover
        return cm, "?"


class Bench:
    """The whole benchmark run (see the module docstring); :meth:`run` returns the report dict."""

    def __init__(self, cfg: Config, log: Any = print) -> None:
        self.cfg, self.log = cfg, log
        self.cm, self.cyn_version = _cynetdiff()
        self.rng = np.random.default_rng(cfg.seed)
        self.load_start = load_average()
        self.code = code_version()  # now: the code imported, not whatever is checked out at the end
        self.wall0, self.cpu0 = time.perf_counter(), time.thread_time()
        self.graphs = {name: Graph.build(name, cfg.n, cfg.seed, cfg.backend) for name in cfg.graphs}
        self.rows = [r for r in ROWS if r.graph in self.graphs]
        self.rss_graphs = peak_rss_mb()
        self.series = {(r.graph, r.label): {k: Series() for k in IMPLS} for r in self.rows}
        self.loads: list[float] = []
        self.first_call_s = float("nan")
        self.checks: list[dict[str, Any]] = []
        for g in self.graphs.values():
            log(f"graph {g.name}: {g.csr.n_rows:,} nodes, {g.csr.n_edges:,} edges, built in {g.build_s:.2f} s")
        log(f"propsim backend {next(iter(self.graphs.values())).cascader.backend}; cynetdiff {self.cyn_version}")

    def warm_up(self) -> None:
        """numba compilation or cache load and first touch of scratch (both result buffers),
        outside the timings; its time is reported as the first-call cost."""
        gen = np.random.default_rng(0)
        first = next(iter(self.graphs.values()))
        with Clock() as clk:
            ic.independent_cascade(first.csr, np.array([0], dtype=np.int32), 0.05, rng=0, backend=self.cfg.backend)
        self.first_call_s = clk.wall
        for g in self.graphs.values():
            s = g.draw_seeds(self.rng, (2, 1), "weighted")
            for p in (0.05, 1.0):  # p = 1: the cascade touches most of the scratch
                for _ in range(2):
                    ic.independent_cascade(g.csr, s[0], p, rng=gen, backend=self.cfg.backend)
                    g.cascader.run(s[0], p, rng=gen)
                g.cascader.run_many(s, p, rng=0)
            g.cascader.curve(s[0], CURVE_PS[:2], rng=0, count_exposed=False)
            g.cascader.curve(s[0], CURVE_PS[:2], rng=0, count_exposed=True)

    def run(self) -> dict[str, Any]:
        cfg = self.cfg
        self.warm_up()
        models = {
            (r.graph, r.label): self.cm.IndependentCascadeModel(
                self.graphs[r.graph].starts, self.graphs[r.graph].edges, activation_prob=r.p, rng=cfg.seed
            )
            for r in self.rows
        }
        for k in range(cfg.rounds):
            self.loads.append(load_average()[0])
            for row in self.rows:
                self.round(k, row, models[(row.graph, row.label)])
            self.log(f"round {k + 1}/{cfg.rounds} done (load {self.loads[-1]:.2f}); " + self.round_summary())
        del models
        self.check_sizes()
        self.check_shared_uniforms()
        curve = self.curve() if "heavy" in self.graphs else []
        eon = self.eon() if "eon" in cfg.peers else {}
        return self.report(curve, eon)

    def round(self, k: int, row: Row, model: Any) -> None:
        """One round of one row: every implementation on the same seed sets, in rotated order."""
        g = self.graphs[row.graph]
        B = row.per_round(self.cfg.n)
        sets = g.draw_seeds(self.rng, (B, self.cfg.seeds), row.seeds)
        stream = int(self.rng.integers(2**62))  # propsim's three variants share it: same cascades
        order = IMPLS[k % 4 :] + IMPLS[: k % 4]
        for who in order:
            s = self.series[(row.graph, row.label)][who]
            if who == "cynetdiff":
                self.time_cynetdiff(model, sets, g.degree, s)
            else:
                self.time_propsim(who, g, sets, row.p, np.random.default_rng(stream), s)

    def time_propsim(self, who: str, g: Graph, sets: np.ndarray, p: float, gen: Any, s: Series) -> None:
        # like cynetdiff's loop below: read the counts, keep no per-cascade object
        cas, csr, backend, cascade = g.cascader, g.csr, self.cfg.backend, ic.independent_cascade
        sizes: list[int] = []
        trials = 0
        if who == "public":
            with Clock() as clk:
                for row in sets:
                    res = cascade(csr, row, p, rng=gen, backend=backend)
                    sizes.append(res.n_activated)
                    trials += res.edges_examined
        elif who == "run":
            with Clock() as clk:
                for row in sets:
                    res = cas.run(row, p, rng=gen)
                    sizes.append(res.n_activated)
                    trials += res.edges_examined
        else:
            with Clock() as clk:
                batch = cas.run_many(sets, p, rng=gen)
            sizes, trials = batch.n_activated.tolist(), int(batch.edges_examined.sum())
        s.add(clk, len(sets))
        s.sizes.extend(sizes)
        s.trials += trials

    def time_cynetdiff(self, model: Any, sets: np.ndarray, degree: np.ndarray, s: Series) -> None:
        lists = sets.tolist()  # cynetdiff takes Python ints only
        stream = int(self.rng.integers(2**62))
        model.set_rng(stream)
        sizes = []
        with Clock() as clk:
            for seeds in lists:
                model.set_seeds(seeds)  # resets the model
                model.advance_until_completion()
                sizes.append(model.get_num_activated_nodes())
        s.add(clk, len(lists))
        s.sizes.extend(sizes)
        # untimed replay (same random stream -> the same cascades) to count the trials made
        model.set_rng(stream)
        for seeds, size in zip(lists, sizes):
            model.set_seeds(seeds)
            model.advance_until_completion()
            act = np.fromiter(model.get_activated_nodes(), dtype=np.int64, count=size)
            s.trials += int(degree[act].sum())

    def round_summary(self) -> str:
        parts = []
        for r in self.rows:
            s = self.series[(r.graph, r.label)]
            ratio = s["cynetdiff"].cpu[-1] / s["public"].cpu[-1]
            parts.append(f"{r.graph} {r.label}: {ratio:.1f}x")
        return "public vs cynetdiff " + ", ".join(parts)

    def add_check(self, name: str, passed: bool, detail: str) -> None:
        self.checks.append({"name": name, "passed": bool(passed), "detail": detail})
        if not passed:
            self.log(f"CHECK FAILED: {name}: {detail}")

    def check_sizes(self) -> None:
        """Same seeds: propsim's variants identical; cynetdiff's mean within 3 standard errors."""
        for r in self.rows:
            s = self.series[(r.graph, r.label)]
            same = s["public"].sizes == s["run"].sizes == s["batched"].sizes
            self.add_check(f"{r.graph} p={r.label}: public == run == batched", same, f"{len(s['run'].sizes)} cascades")
            (ma, sa), (mb, sb) = mean_se(s["run"].sizes), mean_se(s["cynetdiff"].sizes)
            se = float(np.hypot(sa, sb))
            z = abs(ma - mb) / se if se > 0 else (0.0 if ma == mb else float("inf"))
            self.add_check(
                f"{r.graph} p={r.label}: mean size propsim vs cynetdiff ({len(s['run'].sizes)} cascades each)",
                z <= 3.0,
                f"{ma:,.1f} +- {sa:,.1f} vs {mb:,.1f} +- {sb:,.1f} ({z:.2f} SE)",
            )

    def check_shared_uniforms(self) -> None:
        """cynetdiff given propsim's edge uniforms activates exactly propsim's nodes."""
        for g in self.graphs.values():
            stream = int(self.rng.integers(2**62))
            u = ic.edge_uniforms(g.csr, stream)
            seeds = g.draw_seeds(self.rng, self.cfg.seeds, "weighted")
            for p in sorted({r.p for r in self.rows if r.graph == g.name}):
                model = self.cm.IndependentCascadeModel(g.starts, g.edges, activation_prob=p, _edge_probabilities=u)
                model.set_seeds(seeds.tolist())
                model.advance_until_completion()
                theirs = np.sort(np.fromiter(model.get_activated_nodes(), dtype=np.int64))
                via_u = np.sort(g.cascader.run(seeds, p, edge_uniforms=u).activated)
                via_hash = np.sort(ic.independent_cascade(g.csr, seeds, p, rng=stream).activated)
                same = np.array_equal(via_u, theirs) and np.array_equal(via_hash, theirs)
                self.add_check(
                    f"{g.name} shared uniforms p={p}: identical activated sets",
                    same,
                    f"cynetdiff {len(theirs):,}, propsim {len(via_u):,} (given) / {len(via_hash):,} (hash)",
                )
                del model

    def curve(self) -> list[dict[str, Any]]:
        """The 20-point curve on the heavy graph: one pass vs 20 cynetdiff / propsim runs."""
        g = self.graphs["heavy"]
        rows = []
        for k in range(self.cfg.curve_rounds):
            stream = int(self.rng.integers(2**62))
            u = ic.edge_uniforms(g.csr, stream)
            seeds = g.draw_seeds(self.rng, self.cfg.seeds, "weighted")
            models = [
                self.cm.IndependentCascadeModel(g.starts, g.edges, activation_prob=p, _edge_probabilities=u)
                for p in CURVE_PS
            ]
            rows.append(self.curve_round(g, seeds, stream, models))
            del models
            self.log(f"curve round {k + 1}/{self.cfg.curve_rounds}: {rows[-1]['cyn20_s'] / rows[-1]['curve_s']:.1f}x")
        same = all(r["identical"] for r in rows)
        self.add_check(
            f"curve == 20 propsim runs == 20 cynetdiff runs on shared uniforms ({len(rows)} curves)",
            same,
            f"{len(CURVE_PS)} points, p = {CURVE_PS[0]}..{CURVE_PS[-1]}",
        )
        return rows

    def curve_round(self, g: Graph, seeds: np.ndarray, stream: int, models: list[Any]) -> dict[str, Any]:
        cas = g.cascader
        with Clock() as c_curve:
            cv = cas.curve(seeds, CURVE_PS, rng=stream, count_exposed=False)
        with Clock() as c_exp:
            cv_exp = cas.curve(seeds, CURVE_PS, rng=stream, count_exposed=True)
        with Clock() as c_runs:
            ours = [cas.run(seeds, p, rng=stream).n_activated for p in CURVE_PS]
        theirs = []
        with Clock() as c_cyn:
            for mdl in models:
                mdl.set_seeds(seeds.tolist())
                mdl.advance_until_completion()
                theirs.append(mdl.get_num_activated_nodes())
        return {
            "curve_s": c_curve.cpu,
            "curve_exposed_s": c_exp.cpu,
            "runs20_s": c_runs.cpu,
            "cyn20_s": c_cyn.cpu,
            "curve_wall_s": c_curve.wall,
            "cyn20_wall_s": c_cyn.wall,
            "identical": cv.activated.tolist() == ours == theirs == cv_exp.activated.tolist(),
            "final_size": int(cv.activated[-1]),
            "final_reach": int(cv_exp.reached[-1]) if cv_exp.reached is not None else None,
        }

    def eon(self) -> dict[tuple[str, str], dict[str, Any]]:
        """EoN's ``basic_discrete_SIR`` (networkx) on a few seed sets per row, as a reference;
        only up to EON_MAX_NODES nodes (a networkx graph of 1M nodes takes minutes and GBs)."""
        if self.cfg.n > EON_MAX_NODES:
            self.log(f"EoN skipped: networkx graphs above {EON_MAX_NODES:,} nodes take minutes and GBs to build")
            return {}
        import warnings

        import networkx as nx

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            import EoN
        out: dict[tuple[str, str], dict[str, Any]] = {}
        eon_rng = np.random.default_rng(self.cfg.seed + 3)
        for g in self.graphs.values():
            G = nx.DiGraph()
            G.add_nodes_from(range(g.csr.n_rows))
            G.add_edges_from(zip(np.repeat(np.arange(g.csr.n_rows), g.degree).tolist(), g.csr.indices.tolist()))
            for r in (r for r in self.rows if r.graph == g.name):
                times, sizes = [], []
                for seeds in g.draw_seeds(self.rng, (self.cfg.curve_rounds, self.cfg.seeds), r.seeds).tolist():
                    with Clock() as clk:
                        *_, rec = EoN.basic_discrete_SIR(G, r.p, initial_infecteds=set(seeds), rng=eon_rng)
                    times.append(clk.cpu)
                    sizes.append(int(rec[-1]))
                out[(r.graph, r.label)] = {"cpu_per_cascade_s": spread(times), "mean_size": float(np.mean(sizes))}
        return out

    def report(self, curve: list[dict[str, Any]], eon: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
        wall, cpu = time.perf_counter() - self.wall0, time.thread_time() - self.cpu0
        return {
            "benchmark": "ic",
            "schema": SCHEMA,
            "size": self.cfg.n,
            "size_label": size_label(self.cfg.n),
            "config": self.cfg.__dict__ | {"peers": list(self.cfg.peers), "graphs": list(self.cfg.graphs)},
            "machine": machine(),
            "code": {"simulator": self.code, "label": self.cfg.label},
            "date": time.strftime("%Y-%m-%d %H:%M %Z"),
            "backend": next(iter(self.graphs.values())).cascader.backend,
            "cynetdiff_version": self.cyn_version,
            "load": {
                "start": self.load_start,
                "end": load_average(),
                "per_round_1min": spread(self.loads),
                "cpu_share": cpu / wall if wall > 0 else float("nan"),
            },
            "first_call_s": self.first_call_s,
            "graphs": {
                g.name: {"nodes": g.csr.n_rows, "edges": g.csr.n_edges, "build_s": g.build_s}
                for g in self.graphs.values()
            },
            "rows": [self.row_report(r) | {"eon": eon.get((r.graph, r.label))} for r in self.rows],
            "curve": curve,
            "peak_rss_mb": peak_rss_mb(),
            "rss_after_graphs_mb": self.rss_graphs,
            "checks": self.checks,
            "passed": all(c["passed"] for c in self.checks),
        }

    def row_report(self, r: Row) -> dict[str, Any]:
        s = self.series[(r.graph, r.label)]
        cyn = s["cynetdiff"]
        tps = {k: s[k].trials / s[k].cpu_total if s[k].cpu_total else None for k in IMPLS}
        return {
            "graph": r.graph,
            "row": r.label,
            "p": r.p,
            "seeds": r.seeds,
            "cascades_per_round": r.per_round(self.cfg.n),
            "rounds": len(cyn.cpu),
            "mean_size": {k: mean_se(s[k].sizes)[0] for k in IMPLS},
            "cpu_per_cascade_s": {k: spread(s[k].cpu) for k in IMPLS},
            "wall_per_cascade_s": {k: spread(s[k].wall) for k in IMPLS},
            # same-round ratios (cynetdiff time / propsim time), CPU clock
            "ratio": {k: spread([c / x for c, x in zip(cyn.cpu, s[k].cpu)]) for k in IMPLS[:3]},
            "wall_ratio": {k: spread([c / x for c, x in zip(cyn.wall, s[k].wall)]) for k in IMPLS[:3]},
            "trials_per_cpu_s": tps,
            # pooled over all rounds: propsim trials per second / cynetdiff's (robust where cascade
            # sizes vary wildly, e.g. near criticality, as the two draw different cascades)
            "trial_ratio": {k: tps[k] / tps["cynetdiff"] if tps[k] and tps["cynetdiff"] else None for k in IMPLS[:3]},
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.ic", description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="100k", help="nodes: 10k (smoke), 100k (default), 1m, or a number")
    ap.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds (default 7)")
    ap.add_argument("--curve-rounds", type=int, default=3, help="curves timed (each against 20 cynetdiff runs)")
    ap.add_argument("--seeds", type=int, default=10, help="seed nodes per cascade")
    ap.add_argument("--seed", type=int, default=2026, help="root seed (graphs, seed sets, random numbers)")
    ap.add_argument("--graphs", default="heavy,poisson", help="comma-separated: heavy, poisson")
    ap.add_argument("--peers", default="", help="extra reference at <= 100k nodes: eon (NDlib is not a dependency)")
    ap.add_argument("--backend", default="auto", choices=["auto", "numba", "numpy"])
    ap.add_argument("--out", help="directory for ic-<size>.json and ic-<size>.md (the README table's source)")
    ap.add_argument("--json", help="also write the JSON report to this exact path")
    ap.add_argument("--label", default="", help="a note on the code measured, kept in the results")
    args = ap.parse_args(argv)
    graphs = tuple(x.strip() for x in args.graphs.split(",") if x.strip())
    if not graphs or set(graphs) - {"heavy", "poisson"}:
        ap.error("--graphs takes heavy and/or poisson")
    peers = tuple(x.strip().lower() for x in args.peers.split(",") if x.strip())
    if set(peers) - {"eon"}:
        ap.error(f"unknown peers {sorted(set(peers) - {'eon'})}; choose eon (NDlib is not a dependency)")
    cfg = Config(
        n=parse_size(args.size),
        rounds=max(1, args.rounds),
        curve_rounds=max(1, args.curve_rounds),
        seeds=max(1, args.seeds),
        seed=args.seed,
        backend=args.backend,
        graphs=graphs,
        peers=peers,
        label=args.label,
    )
    report = Bench(cfg, log=lambda s: print(s, file=sys.stderr, flush=True)).run()
    text = rep.render(report)
    print(text)
    paths = [Path(args.json)] if args.json else []
    if args.out:
        paths.append(Path(args.out) / f"ic-{report['size_label']}.json")
        _write(Path(args.out) / f"ic-{report['size_label']}.md", text + "\n")
    for path in paths:
        _write(path, json.dumps(report, indent=1, default=float) + "\n")
    return 0 if report["passed"] else 1


def _write(path: Path, text: str) -> None:
    """Write atomically (a temporary file renamed over the target)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
