"""``propsim compare``: the user's own matrix against presets built at the same budget.

The user's scenario fixes everything but the matrix: population (size, regions, interests),
follower graph, behaviour, fatigue, horizon and the campaign's originals (times, topics, scopes,
promotional flags, appeals). Each named preset is built at the user's budget
(:mod:`simulator.scenario.budget`): the same total audience (expected follower counts summed over
the user's accounts), the same number of accounts, the same official-account share of the audience
and the same originals, published by the preset's official account (organic: by its units in
turn). The comparison is a sweep over the ``topology.preset`` field ("Matrix"): the user's matrix
is the pseudo-preset ``custom`` (written out in full), so resume, parallel workers and Dask work as
for any sweep, and replicate ``k`` of every matrix runs in the same world (common random numbers).

The ``comparison`` table (one row per matrix and metric, in rank order) holds each matrix's mean
and its paired difference from the baseline (default: the user's matrix) with a simultaneous
interval: Bonferroni over every pair of matrices compared (``m (m - 1) / 2`` pairs of ``m``
matrices, per metric and per combination of other swept fields), so the ranking and every
"similar (n.s.)" rest on one family with a 95% family-wise confidence. ``rank`` is 1 + the number
of matrices whose interval against this one lies entirely on the better side for the ranking
metric; matrices that no interval separates share a rank.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pandas as pd

from simulator.results.metrics import METRICS as METRIC_META
from simulator.scenario.errors import Problem, ScenarioError
from simulator.scenario.loading import LoadedScenario, load_document, read_scenario
from simulator.scenario.overrides import parse_overrides, parse_path
from simulator.scenario.presets import CUSTOM, PRESETS, canonical_name
from simulator.scenario.sweep_spec import parse_values
from simulator.sweeps.differences import pair_stats, paired_differences
from simulator.sweeps.runner import SweepResult, read_sweep, sweep

MATRIX = "topology.preset"  # the swept "matrix" field
METRICS = ("reach", "effective_reach", "second_level_reach", "duplicate_exposures", "exits", "net_audience_change")
FAMILY_CONFIDENCE = 0.95
# Metrics a comparison may show and rank by: every run metric that is not descriptive.
KNOWN_METRICS = frozenset(name for name, m in METRIC_META.items() if m.cause != "descriptive")
# Fields a comparison may sweep beside the matrix: scenario-wide ones, the same for every matrix.
SWEEPABLE = ("behaviour", "fatigue", "graph", "time", "metrics")


@dataclass
class CompareResult:
    """What :func:`compare` returns: DataFrames and where they were written.

    ``comparison``: one row per (other swept fields, matrix, metric) in rank order: ``rank``,
    ``mean``, ``diff_mean`` / ``diff_ci_low`` / ``diff_ci_high`` against the baseline at the
    simultaneous ``level``, ``significant``, ``verdict`` ("similar (n.s.)", "higher", "lower",
    "baseline"), ``n_pairs``. ``budgets``: each matrix's accounts, audience, official share,
    originals and relay edges. ``sweep``: the underlying sweep tables (runs, points, ...).
    """

    comparison: pd.DataFrame
    budgets: pd.DataFrame
    sweep: SweepResult
    info: dict[str, Any] = field(default_factory=dict)
    output: Path | None = None

    def __str__(self) -> str:
        from simulator.sweeps.compare_text import render

        return render(self.comparison, self.info)


# --- the budget and the comparison document ---------------------------------------------------------


def expected_followers(loaded: LoadedScenario) -> list[float]:
    """Expected follower count of every account (lognormal mean, capped at the population)."""
    n = loaded.scenario.population.size
    return [min(n, a.followers.median * math.exp(a.followers.sigma**2 / 2)) for a in loaded.matrix.accounts]


def matrix_budget(loaded: LoadedScenario) -> dict[str, Any]:
    """The budget of a loaded scenario's matrix (``topology.params.budget`` fields)."""
    sizes = expected_followers(loaded)
    audience = max(1, round(sum(sizes)))
    official = sum(s for s, a in zip(sizes, loaded.matrix.accounts) if a.kind == "official")
    weeks = loaded.scenario.time.horizon / 168.0
    budget: dict[str, Any] = {
        "audience": audience,
        "accounts": len(sizes),
        "posts_per_week": round(len(loaded.matrix.items) / weeks, 6),
    }
    if official > 0:
        budget["official_share"] = min(0.999, max(0.001, official / audience))
    return budget


def schedule(loaded: LoadedScenario) -> list[dict[str, Any]]:
    """The originals of a loaded scenario's campaign, without who posts them."""
    out = []
    for it in loaded.matrix.items:
        slot: dict[str, Any] = {"at": it.at, "topic": it.topic, "scope": it.scope, "promotional": it.promotional}
        if it.appeal is not None:
            slot["appeal"] = it.appeal
        out.append(slot)
    return out


def compare_document(loaded: LoadedScenario, against: Sequence[str]) -> dict[str, Any]:
    """The scenario document of a comparison: the user's scenario with every field explicit and
    the matrix as ``topology: {preset: custom, params: {custom: ..., <preset>: ...}}``."""
    sc = loaded.scenario
    data = sc.model_dump(mode="json")  # every field explicit: None (e.g. a light-tailed graph) included
    own = {k: data.pop(k) for k in ("accounts", "relays", "campaign")}
    data.pop("topology", None)
    interests = [t for t in sc.population.interests if t != "general"]
    common = {"budget": matrix_budget(loaded), "schedule": schedule(loaded)}
    params: dict[str, Any] = {CUSTOM: own}
    for name in against:
        params[name] = dict(common)
        if name in ("dandelion", "twin_star"):  # target the user's interests, never add new ones
            params[name]["topics"] = interests
    data["topology"] = {"preset": CUSTOM, "params": params}
    return data


def _matrices(against: str | Sequence[str] | None) -> list[str]:
    names = PRESETS if against in (None, "all") else against
    if isinstance(names, str):
        names = [x for x in names.split(",") if x.strip()]
    out: list[str] = []
    problems = []
    for x in names:
        try:
            canon = canonical_name(x)
        except ValueError as e:
            problems.append(Problem("--against", None, None, "", str(e)))
            continue
        if canon == CUSTOM:
            problems.append(Problem("--against", None, None, "", "your own matrix is always compared; name presets"))
        elif canon not in out:
            out.append(canon)
    if not out and not problems:
        problems.append(Problem("--against", None, None, "", f"name at least one preset: {', '.join(PRESETS)}"))
    if problems:
        raise ScenarioError(problems)
    return out


def _split_settings(settings: Any) -> tuple[list[tuple[tuple, Any]], dict[str, Any]]:
    """``--set`` pairs: one value -> a fixed override of the user's scenario; several -> swept."""
    fixed: list[tuple[tuple, Any]] = []
    swept: dict[str, Any] = {}
    items = list(settings.items()) if isinstance(settings, Mapping) else list(settings or [])
    problems = []
    for name, spec in items:
        path = ".".join(map(str, name)) if isinstance(name, tuple) else str(name)
        try:
            values = parse_values(spec)
        except ValueError as e:
            problems.append(Problem("--set", None, None, path, str(e)))
            continue
        if len(values) == 1:
            fixed.append((parse_path(path), values[0]))
        elif path.split(".")[0] not in SWEEPABLE:
            problems.append(
                Problem(
                    "--set",
                    None,
                    None,
                    path,
                    f"a comparison sweeps only fields every matrix shares ({', '.join(SWEEPABLE)}); "
                    "set one value here, or compare variants of your matrix with propsim sweep",
                )
            )
        else:
            swept[path] = values
    if problems:
        raise ScenarioError(problems)
    return fixed, swept


# --- running ----------------------------------------------------------------------------------------


def compare(
    scenario: str | os.PathLike | Mapping[str, Any],
    against: str | Sequence[str] | None = None,
    *,
    replicates: int = 10,
    settings: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
    overrides: Any = None,
    seed: int | None = None,
    scale: float | None = None,
    baseline: str = CUSTOM,
    rank_by: str = "effective_reach",
    metrics: Sequence[str] = tuple(METRICS),
    workers: int = 1,
    cluster: str | None = None,
    scheduler: str | None = None,
    output: str | os.PathLike | None = None,
    resume: bool = True,
    format: str | None = None,
    progress: bool = True,
) -> CompareResult:
    """Compare the scenario's own matrix with presets built at its budget, on the same worlds.

    Args:
        scenario: the user's scenario file (or bundled name, or a mapping).
        against: presets to compare with (names or aliases, a list or ``"hub,dandelion"``;
            default all six).
        replicates: random worlds (common to every matrix); 10 or more for decisions.
        settings: ``{path: value}`` fixes a field of the user's scenario; ``{path: [v1, v2]}``
            also sweeps a field every matrix shares (behaviour, fatigue, graph, time, metrics) and
            the comparison is made at each value.
        overrides: fixed ``PATH=VALUE`` overrides of the user's scenario (as ``--set`` of run).
        seed: root seed (default: the scenario's seed). scale: population and followers factor.
        baseline: the matrix every difference is taken against (default ``custom``: yours).
        rank_by: the metric the ranking uses (higher is better, except duplicates and exits).
        metrics: the metrics of the comparison table.
        workers, cluster, scheduler, output, resume, format, progress: as :func:`simulator.sweep`.

    Raises ScenarioError (bad scenario, preset names, or a budget a preset cannot spend) before
    any run; see :func:`simulator.sweep` for interrupts and resume.
    """
    setup = _setup(scenario, against, settings, overrides, baseline, rank_by, metrics)
    options = {"workers": workers, "cluster": cluster, "scheduler": scheduler, "output": output}
    options.update(resume=resume, format=format, progress=progress)
    try:
        result = _run_sweep(setup, replicates, seed, scale, options)
    except ScenarioError as e:  # e.g. a preset that cannot spend the budget derived from the user's matrix
        raise ScenarioError(
            [
                Problem(setup.source, None, None, p.path, f"{p.message} (the budget comes from your matrix)")
                for p in e.problems
            ]
        ) from None
    info = {
        "source": setup.source,
        "name": setup.loaded.scenario.name,
        "baseline": setup.baseline,
        "against": setup.names,
        "rank_by": rank_by,
        "replicates": replicates,
        "budget": setup.document["topology"]["params"][setup.names[0]]["budget"],
        "population": setup.loaded.scenario.population.size,
        "scale": scale,
    }
    table = comparison_table(result.runs, [MATRIX, *setup.swept], setup.baseline, setup.metrics, rank_by)
    info["level"] = float(table["level"].iloc[0]) if len(table) else FAMILY_CONFIDENCE
    info["pairs"] = int(table["pairs"].iloc[0]) if len(table) else 0
    budgets = budget_table(setup.document, [CUSTOM, *setup.names], scale)
    if result.output is not None:
        _write(result.output, table, budgets, info, result.manifest)
    return CompareResult(table, budgets, result, info, result.output)


@dataclass
class _Setup:
    """A validated comparison before any run."""

    loaded: LoadedScenario
    source: str
    names: list[str]  # presets compared with the user's matrix
    baseline: str
    metrics: list[str]
    swept: dict[str, Any]  # other swept fields
    document: dict[str, Any]  # the comparison's scenario document


def _setup(
    scenario: Any, against: Any, settings: Any, overrides: Any, baseline: str, rank_by: str, metrics: Sequence[str]
) -> _Setup:
    names = _matrices(against)
    base = canonical_name(baseline)
    if base != CUSTOM and base not in names:
        raise ScenarioError(
            [Problem("--baseline", None, None, "", f"{baseline!r} is not one of the matrices compared")]
        )
    unknown = list(dict.fromkeys(m for m in (rank_by, *metrics) if m not in KNOWN_METRICS))
    if unknown:
        known = ", ".join(sorted(KNOWN_METRICS))
        raise ScenarioError(
            [Problem("--rank-by", None, None, "", f"unknown metric {m!r}; one of: {known}") for m in unknown]
        )
    if METRIC_META[rank_by].higher_is_better is None:
        rankable = ", ".join(n for n, m in METRIC_META.items() if m.higher_is_better is not None)
        raise ScenarioError(
            [Problem("--rank-by", None, None, "", f"{rank_by!r} is neither better high nor low; rank by {rankable}")]
        )
    fixed, swept = _split_settings(settings)
    doc, locs, source, _ = read_scenario(scenario)
    doc.pop("sweep", None)  # the comparison is its own sweep
    loaded = load_document(doc, source, locs, parse_overrides(overrides) + fixed)
    metrics = list(metrics) if rank_by in metrics else [*metrics, rank_by]
    return _Setup(loaded, source, names, base, metrics, swept, compare_document(loaded, names))


def _run_sweep(setup: _Setup, replicates: int, seed: int | None, scale: float | None, options: dict) -> SweepResult:
    parameters = {MATRIX: [CUSTOM, *setup.names], **setup.swept}
    baseline = {MATRIX: setup.baseline}  # the folder's differences table is against the same matrix
    return sweep(
        setup.document, parameters, replicates=replicates, seed=seed, scale=scale, baseline=baseline, **options
    )


# --- tables -------------------------------------------------------------------------------------------


def _better_sign(metric: str) -> int:
    """+1 when more is better (reach), -1 when less is (duplicates, exits): the metric metadata."""
    m = METRIC_META.get(metric)
    return -1 if m is not None and m.higher_is_better is False else 1


def _values(runs: pd.DataFrame, metric: str) -> dict[Any, pd.Series]:
    ok = runs[runs["status"] == "ok"]
    out = {}
    for name, g in ok.groupby(MATRIX, sort=False):
        s = pd.to_numeric(g[metric], errors="coerce").astype("float64")
        s.index = g["replicate"].to_numpy()
        out[name] = s[~s.index.duplicated()]
    return out


def _ranks(runs: pd.DataFrame, metric: str, level: float) -> dict[Any, tuple[int, list[str]]]:
    """Rank of each matrix on ``metric`` and the matrices no interval separates it from."""
    vals = _values(runs, metric)
    names = list(vals)
    beaten = {n: 0 for n in names}
    tied: dict[Any, list[str]] = {n: [] for n in names}
    sign = _better_sign(metric)
    for a, b in itertools.combinations(names, 2):
        reps = vals[a].index.intersection(vals[b].index)
        st = pair_stats(vals[a].loc[reps].to_numpy(), vals[b].loc[reps].to_numpy(), level)
        lo, hi = sign * st["diff_ci_low"], sign * st["diff_ci_high"]
        if st["significant"] and min(lo, hi) > 0:
            beaten[b] += 1  # a is better than b
        elif st["significant"]:
            beaten[a] += 1
        else:
            tied[a].append(str(b))
            tied[b].append(str(a))
    return {n: (1 + beaten[n], tied[n]) for n in names}


def comparison_table(
    runs: pd.DataFrame, params: Sequence[str], baseline: str, metrics: Sequence[str], rank_by: str
) -> pd.DataFrame:
    """The ranked comparison (module docstring) from a comparison sweep's runs table."""
    others = [p for p in params if p != MATRIX]
    slices = [((), runs)] if not others else list(runs.groupby(others, sort=False, dropna=False))
    frames = []
    for key, sub in slices:
        m = sub[MATRIX].nunique()
        pairs = max(1, m * (m - 1) // 2)
        level = 1 - (1 - FAMILY_CONFIDENCE) / pairs
        diffs = paired_differences(sub, [MATRIX], {MATRIX: baseline}, level)
        diffs = diffs[diffs["metric"].isin(metrics)]
        ranks = _ranks(sub, rank_by, level)
        means = {mt: {n: s.mean() for n, s in _values(sub, mt).items()} for mt in metrics}
        rows = []
        for name in sub[MATRIX].drop_duplicates():
            for mt in metrics:
                row: dict[str, Any] = {MATRIX: name, "metric": mt, "mean": means[mt].get(name, math.nan)}
                row["rank"], tied = ranks.get(name, (math.nan, []))
                row["tied_with"] = ", ".join(tied)
                d = diffs[(diffs[MATRIX] == name) & (diffs["metric"] == mt)]
                if name == baseline or d.empty:
                    row.update(verdict="baseline" if name == baseline else "no pairs", significant=False)
                else:
                    r = d.iloc[0]
                    stats = ("n_pairs", "diff_mean", "diff_ci_low", "diff_ci_high", "rel_diff", "p_value")
                    row.update({c: r[c] for c in stats}, significant=bool(r["significant"]))
                    row["verdict"] = _verdict(bool(r["significant"]), float(r["diff_mean"]))
                rows.append(row)
        frame = pd.DataFrame(rows)
        for k, v in zip(others, key if isinstance(key, tuple) else (key,)):
            frame.insert(0, k, v)
        frame["level"], frame["pairs"], frame["rank_by"] = level, pairs, rank_by
        order = frame[frame["metric"] == rank_by].sort_values(
            ["rank", "mean"], ascending=[True, _better_sign(rank_by) < 0], kind="stable"
        )[MATRIX]
        frame["_order"] = frame[MATRIX].map({n: i for i, n in enumerate(order)})
        frame["_m"] = frame["metric"].map({mt: i for i, mt in enumerate(metrics)})
        frames.append(frame.sort_values(["_order", "_m"], kind="stable").drop(columns=["_order", "_m"]))
    cols = [*others, "rank", MATRIX, "metric", "mean", "n_pairs", "diff_mean", "diff_ci_low", "diff_ci_high"]
    cols += ["rel_diff", "p_value", "significant", "verdict", "tied_with", "level", "pairs", "rank_by"]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    for c in cols:
        if c not in out.columns:
            out[c] = math.nan
    return out[cols]


def _verdict(significant: bool, diff: float) -> str:
    if not significant:
        return "similar (n.s.)"
    return "higher" if diff > 0 else "lower"


def budget_table(cdoc: Mapping[str, Any], matrices: Sequence[str], scale: float | None = None) -> pd.DataFrame:
    """Each matrix as built for the comparison: accounts by kind, audience, official share,
    originals and relay edges (at ``scale``)."""
    rows = []
    for name in matrices:
        doc = {**cdoc, "topology": {**cdoc["topology"], "preset": name}}
        loaded = load_document(doc, "<compare>", check_memory=False, scale=scale)
        sizes = expected_followers(loaded)
        kinds: dict[str, int] = {}
        for a in loaded.matrix.accounts:
            kinds[a.kind] = kinds.get(a.kind, 0) + 1
        official = sum(s for s, a in zip(sizes, loaded.matrix.accounts) if a.kind == "official")
        rows.append(
            {
                MATRIX: name,
                "accounts": len(sizes),
                "audience": round(sum(sizes)),
                "official_share": official / sum(sizes) if sum(sizes) else math.nan,
                "largest_account": round(max(sizes)),
                "smallest_account": round(min(sizes)),
                "originals": len(loaded.matrix.items),
                "relay_edges": len(loaded.matrix.relays),
                "kinds": ", ".join(f"{k} {v}" for k, v in kinds.items()),
            }
        )
    return pd.DataFrame(rows)


def _write(folder: Path, table: pd.DataFrame, budgets: pd.DataFrame, info: dict, manifest: dict) -> None:
    from simulator.results.output import atomic_write, write_json, write_table
    from simulator.sweeps.compare_text import render

    fmt = manifest.get("plan", {}).get("format", "csv")
    write_table(folder / f"comparison.{fmt}", table, fmt)
    write_table(folder / f"budgets.{fmt}", budgets, fmt)
    text = render(table, info) + "\n"

    def write_text(f: IO[bytes]) -> None:
        f.write(text.encode("utf-8"))

    atomic_write(folder / "comparison.txt", write_text)
    updated = dict(manifest)
    updated["compare"] = {k: v for k, v in info.items() if k != "source"} | {"source": str(info["source"])}
    write_json(folder / "manifest.json", updated)


def read_compare(folder: str | os.PathLike) -> CompareResult:
    """Read a comparison folder written by :func:`compare` (``propsim compare -o FOLDER``)."""
    res = read_sweep(folder)
    info = res.manifest.get("compare")
    if not info:
        raise FileNotFoundError(f"{folder}: a sweep folder, but not a comparison (no 'compare' in manifest.json)")
    fmt = res.manifest.get("plan", {}).get("format", "csv")
    from simulator.sweeps.store import SweepStore

    store = SweepStore(Path(folder), fmt)
    table = store.read(store.table("comparison"), str_columns=[MATRIX])
    budgets = store.read(store.table("budgets"), str_columns=[MATRIX])
    return CompareResult(table, budgets, res, info, Path(folder))
