"""Calibration: fit follower behaviour so that simulated organic cascades match a real profile.

An *organic cascade* is what the Weibo / Twitter datasets record: one account posts, its
followers repost, their followers repost them, and so on. The calibration reproduces that in the
scenario's own world (population, follower graph, account audiences): the seed account posts
``cascades`` independent items at t = 0, account relays are switched off, and so are fatigue and
churn (one post per cascade never builds load; switching them off makes the items independent so
one run holds many cascades). Reposts are recorded per cascade with their depth and exact delay
(:class:`~simulator.validation.RecordingModel`).

Fitted parameters and the statistics that identify them:

* ``behaviour.p0`` <- the typical (per-cascade median) share of reposters at depth 1. In a
  branching process that share is ``1 - R`` with ``R = p0 <jk>/z x response``; the share is
  monotone in p0, so p0 is found by a safeguarded secant search in log p0 with common random
  numbers (the same world, appeals and seeds for every candidate).
* ``behaviour.latency`` (median, sigma) <- quantiles of the delay from the post to a *direct*
  (depth-1) repost, which in the engine is exactly the organic latency: a least-squares line
  through the target's log-quantiles against normal scores, then corrected with the simulated
  quantiles.
* ``behaviour.alpha`` / ``beta`` (the exposure response) only when the target gives an exposure
  curve (relative repost probability after 1, 2, 3 ... exposures): depth and latency profiles do
  not identify it (see README).
* relay probabilities of account edges from observed relay counts
  (``relays: {count, days, accounts, source_posts}``): ``E[relays] = accounts x posts x p``.

Targets: ``weibo``, ``twitter`` (pooled Twitter15/16), ``twitter15``, ``twitter16`` from
:func:`simulator.realdata.load_profiles`, or a YAML/JSON file of the user's own numbers
(:func:`load_target`). The result can be written as a scenario file that keeps the user's file
(comments included) and adds a header describing the fit (:func:`write_calibrated`).
"""

from __future__ import annotations

import copy
import json
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .scenario_io import LoadedScenario, Problem, ScenarioError, load_document
from .validation import RecordingModel
from .world import World, build_world

BUILTIN_TARGETS = ("weibo", "twitter", "twitter15", "twitter16")

CAL_HORIZON_H = 1000.0  # long enough for cascades to finish (latency tail beyond it is censored)
MIN_REPOSTERS = 10  # cascades smaller than this are left out of per-cascade shares (too noisy)
MAX_ITEMS_PER_RUN = 200  # items per model run (memory: items x population x 9 bytes)
DEPTH1_TOL = 0.01  # stop the p0 search when the depth-1 share is this close (absolute)
VIRAL_SHARE = 0.05  # a cascade reaching this share of the population counts as viral

# Normal scores used for latency quantiles.
_QUANT_PROBS = {"p10": 0.10, "p25": 0.25, "median": 0.50, "p75": 0.75, "p90": 0.90}


def _norm_ppf(p: float) -> float:
    return statistics.NormalDist().inv_cdf(p)


# ==============================================================================================
# Targets
# ==============================================================================================

@dataclass
class RelayTarget:
    """Observed relays of one account by a group of accounts over a period."""

    count: float  # relays (reposts, + comments if that is what was counted)
    accounts: int  # relaying accounts that produced them
    source_posts: float  # posts of the source account in the same period
    days: float = 30.0
    source: str | None = None  # scenario account/group ids (default: guessed from the relays)
    target: str | None = None
    origin: str = "<target>"  # the target file, for error messages

    @property
    def probability(self) -> float:
        """Relay probability per (post, relaying account)."""
        return self.count / (self.accounts * self.source_posts)


@dataclass
class Target:
    """What the simulated organic cascades should reproduce (``None`` = not targeted)."""

    name: str
    source: str
    depth1_share: float | None = None  # typical (per-cascade median) share of reposters at depth 1
    latency_points: list[tuple[float, float]] = field(default_factory=list)  # (probability, hours), depth-1 delays
    exposure_response: dict[int, float] | None = None  # exposures k -> relative repost probability (k=1 -> 1)
    relays: RelayTarget | None = None
    reference: dict[str, Any] = field(default_factory=dict)  # further numbers shown for comparison only

    def latency_quantile(self, p: float) -> float | None:
        for q, h in self.latency_points:
            if abs(q - p) < 1e-9:
                return h
        return None


def builtin_target(name: str) -> Target:
    """A target from the committed empirical profiles (``weibo``, ``twitter``, ...)."""
    from .realdata import load_profiles

    key = name.strip().lower()
    if key not in BUILTIN_TARGETS:
        raise ValueError(f"unknown target {name!r}: use one of {', '.join(BUILTIN_TARGETS)} or a YAML/JSON file")
    prof = load_profiles()[key]
    depth, lat = prof["depth"], prof["latency_h"]["depth1"]
    points = [(p, float(lat[k])) for k, p in _QUANT_PROBS.items()]
    points += [(float(lat["share_lt_1h"]), 1.0), (float(lat["share_lt_24h"]), 24.0)]
    shares = depth["shares"]
    pooled = {"1": shares["1"], "2": shares["2"], "3+": 1.0 - shares["1"] - shares["2"]}
    per = depth["per_cascade_depth1_share"]
    ref = {"pooled_depth_shares": pooled,
           "per_cascade_depth1_share": {k: per[k] for k in ("p25", "median", "p75")},
           "latency_all_median_h": prof["latency_h"]["all"]["median"],
           "max_depth_median": prof["max_depth"]["median"],
           "n_cascades": prof["n_cascades"]}
    return Target(name=key, source=f"simulator/data/empirical_profiles.json [{key}]",
                  depth1_share=float(per["median"]), latency_points=sorted(points), reference=ref)


_TARGET_KEYS = {
    "name": "a label for the target",
    "depth1_share": "share of reposters who reposted the account itself (0-1), per cascade",
    "latency_median_h": "median hours from the post to a direct repost",
    "latency_sigma": "log-scale spread of that delay (lognormal sigma), if known",
    "latency_quantiles_h": "{p10|p25|p75|p90: hours} further delay quantiles",
    "latency_share_lt_1h": "share of direct reposts within 1 hour (0-1)",
    "latency_share_lt_24h": "share of direct reposts within 24 hours (0-1)",
    "exposure_response": "{k: relative repost probability after k exposures} (k=1 is 1)",
    "relays": "{count, accounts, source_posts, days, source, target}: observed account relays",
    "relays_per_month": "observed relays in a month (with accounts and source_posts_per_month)",
    "accounts": "number of relaying accounts behind relays_per_month",
    "source_posts_per_month": "posts of the relayed account in that month",
    "source": "relays_per_month: the relayed account id in the scenario",
    "target": "relays_per_month: the relaying account/group id in the scenario",
}


class _Problems:
    def __init__(self, source: str, locs: dict[tuple, tuple[int, int]]):
        self.source, self.locs, self.items = source, locs, []

    def add(self, path: tuple, message: str) -> None:
        line, col = self.locs.get(path, (None, None))
        self.items.append(Problem(self.source, line, col, ".".join(str(p) for p in path), message))


def _number(doc: dict, key: Any, path: tuple, pr: _Problems, lo: float | None = None, hi: float | None = None,
            lo_open: bool = False) -> float | None:
    v = doc.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        pr.add(path, f"expected a number, got {v!r}")
        return None
    if lo is not None and (v < lo or (lo_open and v == lo)):
        pr.add(path, f"must be {'>' if lo_open else '>='} {lo:g}, got {v:g}")
        return None
    if hi is not None and v > hi:
        pr.add(path, f"must be <= {hi:g}, got {v:g}")
        return None
    return float(v)


def target_from_document(doc: Any, source: str, locs: dict[tuple, tuple[int, int]] | None = None) -> Target:
    """Validate a user's target (plain data, e.g. parsed YAML) into a :class:`Target`.

    Raises :class:`~simulator.scenario_io.ScenarioError` listing every problem.
    """
    pr = _Problems(source, locs or {})
    if not isinstance(doc, dict):
        raise ScenarioError([Problem(source, 1, 1, "", "a target file must be a mapping, e.g. "
                                     "{depth1_share: 0.6, latency_median_h: 2.0}")])
    for k in doc:
        if k not in _TARGET_KEYS:
            pr.add((k,), f"unknown key; known keys: {', '.join(_TARGET_KEYS)}")
    t = Target(name=str(doc.get("name") or Path(source).stem), source=source)
    t.depth1_share = _number(doc, "depth1_share", ("depth1_share",), pr, 0.0, 1.0)
    if t.depth1_share is not None and not 0.0 < t.depth1_share < 1.0:
        pr.add(("depth1_share",), "must be strictly between 0 and 1 (1 means nobody reposts a repost)")
        t.depth1_share = None
    points: list[tuple[float, float]] = []
    med = _number(doc, "latency_median_h", ("latency_median_h",), pr, 0.0, 24 * 365, lo_open=True)
    if med is not None:
        points.append((0.5, med))
    sigma = _number(doc, "latency_sigma", ("latency_sigma",), pr, 0.0, 10.0, lo_open=True)
    if sigma is not None:
        if med is None:
            pr.add(("latency_sigma",), "needs latency_median_h too")
        else:
            # Two symmetric quantiles pin sigma in the least-squares fit.
            points += [(0.25, med * math.exp(sigma * _norm_ppf(0.25))), (0.75, med * math.exp(sigma * _norm_ppf(0.75)))]
    q = doc.get("latency_quantiles_h")
    if q is not None:
        if not isinstance(q, dict):
            pr.add(("latency_quantiles_h",), "expected a mapping like {p25: 0.4, p75: 12}")
        else:
            for k in q:
                if k not in _QUANT_PROBS or k == "median":
                    names = ", ".join(x for x in _QUANT_PROBS if x != "median")
                    pr.add(("latency_quantiles_h", k),
                           f"unknown quantile; use {names} (the median is latency_median_h)")
                    continue
                v = _number(q, k, ("latency_quantiles_h", k), pr, 0.0, 24 * 365, lo_open=True)
                if v is not None:
                    points.append((_QUANT_PROBS[k], v))
    for key, hours in (("latency_share_lt_1h", 1.0), ("latency_share_lt_24h", 24.0)):
        v = _number(doc, key, (key,), pr, 0.0, 1.0)
        if v is not None:
            if not 0.0 < v < 1.0:
                pr.add((key,), "must be strictly between 0 and 1")
            else:
                points.append((v, hours))
    points.sort()
    for (p1, h1), (p2, h2) in zip(points, points[1:]):
        if h2 < h1 or (p2 > p1 and h2 == h1 and p2 - p1 > 1e-9):
            first = next((k for k in doc if str(k).startswith("latency")), "latency_median_h")
            pr.add((first,), f"latency numbers contradict each other: {p1:.0%} of reposts within "
                             f"{h1:g} h but {p2:.0%} within {h2:g} h")
            break
    t.latency_points = points
    er = doc.get("exposure_response")
    if er is not None:
        if not isinstance(er, dict) or len(er) < 2:
            pr.add(("exposure_response",), "expected a mapping of at least two exposure counts, "
                                           "e.g. {1: 1.0, 2: 1.2, 3: 1.1}")
        else:
            curve: dict[int, float] = {}
            for k in er:
                try:
                    kk = int(k)
                except (TypeError, ValueError):
                    kk = 0
                if kk < 1 or str(k).strip() != str(kk):
                    pr.add(("exposure_response", k), "exposure counts must be whole numbers >= 1")
                    continue
                val = _number(er, k, ("exposure_response", k), pr, 0.0, 1e6, lo_open=True)
                if val is not None:
                    curve[kk] = val
            if curve and 1 not in curve:
                pr.add(("exposure_response",), "include k = 1 (the reference, usually 1.0)")
            elif len([k for k in curve if k > 1]) < 2:
                pr.add(("exposure_response",), "needs at least two counts above 1 to fit alpha and beta")
            else:
                t.exposure_response = {k: v / curve[1] for k, v in sorted(curve.items())}
    t.relays = _relay_target(doc, pr)
    if t.depth1_share is None and not t.latency_points and t.exposure_response is None and t.relays is None \
            and not pr.items:
        pr.add((), "nothing to fit: give depth1_share, latency_median_h (and quantiles), exposure_response "
                   "or relays")
    if pr.items:
        raise ScenarioError(pr.items)
    return t


def _relay_target(doc: dict, pr: _Problems) -> RelayTarget | None:
    flat = doc.get("relays_per_month") is not None
    nested = doc.get("relays")
    if flat and nested is not None:
        pr.add(("relays",), "give either relays: {...} or relays_per_month, not both")
        return None
    if nested is None and not flat:
        for k in ("accounts", "source_posts_per_month", "source", "target"):
            if k in doc:
                pr.add((k,), "only used with relays_per_month")
        return None
    if flat:
        d, base, names = doc, (), {"count": "relays_per_month", "accounts": "accounts",
                                   "source_posts": "source_posts_per_month"}
        days = 30.0
    else:
        if not isinstance(nested, dict):
            pr.add(("relays",), "expected a mapping {count, accounts, source_posts, days, source, target}")
            return None
        d, base, names = nested, ("relays",), {"count": "count", "accounts": "accounts", "source_posts": "source_posts"}
        for k in nested:
            if k not in ("count", "accounts", "source_posts", "days", "source", "target"):
                pr.add(("relays", k), "unknown key; use count, accounts, source_posts, days, source, target")
        days = _number(nested, "days", ("relays", "days"), pr, 0.0, 3650, lo_open=True) or 30.0
    vals: dict[str, float] = {}
    for field_, key in names.items():
        v = _number(d, key, base + (key,), pr, 0.0, 1e12, lo_open=True)
        if v is None and d.get(key) is None:
            pr.add(base + (key,), f"required with {'relays_per_month' if flat else 'relays'}")
        if v is not None:
            vals[field_] = v
    if len(vals) < 3:
        return None
    if vals["accounts"] != int(vals["accounts"]):
        pr.add(base + (names["accounts"],), "must be a whole number of accounts")
        return None
    rt = RelayTarget(vals["count"], int(vals["accounts"]), vals["source_posts"], days,
                     d.get("source"), d.get("target"), pr.source)
    if rt.probability > 1:
        need = math.ceil(rt.count / rt.accounts)
        pr.add(base + (names["count"],), f"{rt.count:,.0f} relays by {rt.accounts} accounts need at least {need:,} "
                                         f"posts of the source account (got {rt.source_posts:g}): each account relays "
                                         "each post at most once")
        return None
    return rt


def load_target(path: str | Path) -> Target:
    """Read a user's target file (YAML or JSON; YAML 1.2 parser, so JSON works too)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as e:
        raise ScenarioError([Problem(source, None, None, "", f"cannot read target file: {e.strerror or e}")]) from None
    except UnicodeDecodeError:
        raise ScenarioError([Problem(source, None, None, "", "target file is not valid UTF-8")]) from None
    doc, locs = _parse_target_yaml(text, source)
    return target_from_document(doc, source, locs)


def _parse_target_yaml(text: str, source: str) -> tuple[Any, dict[tuple, tuple[int, int]]]:
    """YAML 1.2 (so JSON too) to plain data with the (line, col) of every key. Unlike scenario
    files, mapping keys may be numbers (``exposure_response: {1: 1.0, 2: 1.2}``)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError

    try:
        y = YAML(typ="rt")
        y.allow_duplicate_keys = False
        node = y.load(text)
    except YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        msg = " ".join(str(x) for x in (getattr(e, "context", None), getattr(e, "problem", None)) if x) or str(e)
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise ScenarioError([Problem(source, line, col, "", f"YAML error: {msg.strip()}")]) from None
    locs: dict[tuple, tuple[int, int]] = {}

    def plain(n: Any, path: tuple) -> Any:
        if isinstance(n, CommentedMap):
            out = {}
            for k, v in n.items():
                kk = int(k) if isinstance(k, int) and not isinstance(k, bool) else str(k)
                line, col = n.lc.key(k)
                locs[path + (kk,)] = (line + 1, col + 1)
                out[kk] = plain(v, path + (kk,))
            return out
        if isinstance(n, CommentedSeq):
            return [plain(v, path + (i,)) for i, v in enumerate(n)]
        if isinstance(n, bool) or n is None:
            return n
        if isinstance(n, int):
            return int(n)
        if isinstance(n, float):
            return float(n)
        return str(n)

    return plain(node, ()), locs


def resolve_target(spec: str) -> Target:
    """A built-in target name or the path of a target file."""
    if spec.strip().lower() in BUILTIN_TARGETS:
        return builtin_target(spec)
    p = Path(spec)
    if not p.exists():
        known = ", ".join(BUILTIN_TARGETS)
        raise ScenarioError([Problem(spec, None, None, "", f"no such target file; built-in targets: {known}")])
    return load_target(p)


# ==============================================================================================
# Closed-form pieces
# ==============================================================================================

def fit_lognormal(points: list[tuple[float, float]], sigma_default: float) -> tuple[float, float, bool]:
    """(median, sigma, sigma_fitted) of a lognormal through (probability, value) points: least
    squares of ``ln value = ln median + sigma z_p``. With points at one probability only, sigma
    stays ``sigma_default`` and only the median is fitted."""
    pts = [(p, h) for p, h in points if 0 < p < 1 and h > 0]
    if not pts:
        raise ValueError("no latency points")
    z = np.array([_norm_ppf(p) for p, _ in pts])
    y = np.log([h for _, h in pts])
    if np.ptp(z) < 1e-9:
        return float(np.exp((y - sigma_default * z).mean())), sigma_default, False
    a = np.vstack([np.ones_like(z), z]).T
    (mu, sigma), *_ = np.linalg.lstsq(a, y, rcond=None)
    return float(np.exp(mu)), float(max(sigma, 1e-3)), True


def fit_response(curve: dict[int, float]) -> tuple[float, float]:
    """(alpha, beta) of ``r(k) = k^alpha e^(-beta (k-1))`` through relative repost probabilities
    by exposure count (least squares on ``ln r = alpha ln k - beta (k-1)``, clipped to >= 0)."""
    ks = np.array(sorted(curve), dtype=float)
    y = np.log([curve[int(k)] for k in ks])
    a = np.vstack([np.log(ks), -(ks - 1)]).T
    (alpha, beta), *_ = np.linalg.lstsq(a, y, rcond=None)
    return float(max(alpha, 0.0)), float(max(beta, 0.0))


# ==============================================================================================
# Simulated organic cascades
# ==============================================================================================

@dataclass
class CascadeStats:
    """Statistics of a batch of simulated organic cascades."""

    cascades: int
    used: int  # cascades with at least MIN_REPOSTERS reposters (per-cascade shares)
    depth1_share: float  # per-cascade median share at depth 1
    depth1_share_se: float  # bootstrap standard error of that median
    depth1_share_iqr: tuple[float, float]
    pooled: dict[str, float]  # pooled shares at depth 1, 2, 3+ (all cascades)
    pooled_nonviral: dict[str, float]  # the same without viral cascades (the datasets hold none)
    latency: dict[str, float]  # depth-1 delay quantiles (hours) and shares < 1 h / < 24 h
    latency_all_median_h: float  # delay median over every depth, non-viral cascades
    mean_reposters: float
    viral: float  # share of cascades reaching VIRAL_SHARE of the population
    censored: float  # share of reposts decided but due after the calibration horizon

    def as_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def _quantile_censored(x: np.ndarray, n_censored: int, p: float) -> float:
    """Quantile of delays when ``n_censored`` more delays are known to exceed every value."""
    total = len(x) + n_censored
    if total == 0:
        return math.nan
    k = p * total
    if k >= len(x):
        return math.inf
    xs = np.sort(x)
    return float(np.quantile(xs, k / max(len(x), 1))) if len(x) else math.nan


class OrganicCascades:
    """Organic cascades of a scenario's seed account, re-run for different behaviour values.

    The world (population, graph, audiences) is built once; every :meth:`run` uses the same
    seeds (common random numbers), so differences between candidates are not noise.
    """

    def __init__(self, loaded: LoadedScenario, account: str | None = None, cascades: int = 200,
                 seed: int | None = None):
        sc = loaded.scenario
        doc = sc.model_dump(mode="json")
        ids = [a.id for a in loaded.matrix.accounts]
        if account is None:
            if not loaded.matrix.items:
                raise ValueError("the scenario has no campaign post to take the seed account from; use --account")
            account = loaded.matrix.accounts[loaded.matrix.items[0].account].id
        elif account not in ids:
            raise ValueError(f"unknown account {account!r}; accounts: {', '.join(ids[:20])}"
                             + (" ..." if len(ids) > 20 else ""))
        if cascades < 10:
            raise ValueError("at least 10 cascades are needed for a fit")
        self.account = account
        self.cascades = int(cascades)
        self.seed = int(sc.seed if seed is None else seed)
        doc.update(topology=None, relays=[], seed=self.seed)
        doc["fatigue"].update(enabled=False, churn_per_day=0.0)
        doc["time"] = {"tick": sc.time.tick, "horizon": max(CAL_HORIZON_H, sc.time.horizon)}
        self.base_doc = doc
        self.scenario_horizon = sc.time.horizon
        self.runs = [min(MAX_ITEMS_PER_RUN, self.cascades - i) for i in range(0, self.cascades, MAX_ITEMS_PER_RUN)]
        first = self._loaded({}, 0)
        self.population = first.scenario.population.size
        self.world: World = build_world(first.scenario, first.matrix)
        idx = first.matrix.by_id[account]
        self.followers = int(self.world.audience.degrees()[idx])
        g = self.world.graph
        k = g.degrees().astype(float)
        j = np.bincount(g.indices, minlength=g.n_rows).astype(float)
        self.z, self.jk = float(k.mean()), float((j * k).mean())
        if self.followers == 0:
            raise ValueError(f"account {account!r} has no followers in this scenario")

    def _loaded(self, behaviour: dict[str, Any], run: int) -> LoadedScenario:
        doc = copy.deepcopy(self.base_doc)
        doc["behaviour"].update(behaviour)
        doc["seed"] = self.seed + 7919 * run  # fixed per batch: common random numbers across candidates
        doc["campaign"] = [{"account": self.account, "at": 0.0}] * self.runs[run]
        return load_document(doc, "<calibration>", check_memory=False)

    def run(self, behaviour: dict[str, Any]) -> CascadeStats:
        """Simulate the cascades with ``behaviour`` overrides (e.g. ``{"p0": 0.01}``)."""
        decided, logs, offset = [], [], 0
        for r in range(len(self.runs)):
            model = RecordingModel(self._loaded(behaviour, r), world=self.world)
            model.run()
            decided.append(model.decisions())
            log = model.reposts()
            logs.append((log["item"].to_numpy() + offset, log["depth"].to_numpy(), log["delay_h"].to_numpy()))
            offset += self.runs[r]
        items, depth, delay = (np.concatenate(x) for x in zip(*logs))
        return cascade_stats(np.vstack(decided), items, depth, delay, self.population)


def cascade_stats(dec: np.ndarray, items: np.ndarray, depth: np.ndarray, delay: np.ndarray,
                  population: int) -> CascadeStats:
    """Statistics of cascades from decided reposts per (cascade, depth) and the executed
    reposts' (cascade, depth, delay). Reposts decided but not executed (due after the horizon)
    count as delays longer than any executed one."""
    tot = dec.sum(axis=1)
    viral = tot >= VIRAL_SHARE * population
    used = tot >= MIN_REPOSTERS
    share = dec[used, 1] / tot[used]
    if len(share):
        med = float(np.median(share))
        rng = np.random.default_rng(0)
        boots = [np.median(rng.choice(share, len(share))) for _ in range(200)]
        se = float(np.std(boots, ddof=1))
        iqr = (float(np.quantile(share, 0.25)), float(np.quantile(share, 0.75)))
    else:
        med, se, iqr = math.nan, math.nan, (math.nan, math.nan)

    def pooled_of(rows: np.ndarray) -> dict[str, float]:
        d = dec[rows]
        n = max(int(d.sum()), 1)
        return {"1": float(d[:, 1].sum() / n), "2": float(d[:, 2].sum() / n), "3+": float(d[:, 3:].sum() / n)}

    d1 = delay[depth == 1]
    c1 = int(dec[:, 1].sum() - len(d1))
    n1 = len(d1) + c1
    lat = {k: _quantile_censored(d1, c1, p) for k, p in _QUANT_PROBS.items()}
    lat["share_lt_1h"] = float((d1 < 1.0).sum() / n1) if n1 else math.nan
    lat["share_lt_24h"] = float((d1 < 24.0).sum() / n1) if n1 else math.nan
    calm = ~viral[items] if len(items) else np.zeros(0, dtype=bool)
    c_calm = int(dec[~viral].sum() - calm.sum())
    return CascadeStats(
        cascades=len(tot), used=int(used.sum()), depth1_share=med, depth1_share_se=se, depth1_share_iqr=iqr,
        pooled=pooled_of(np.ones(len(tot), dtype=bool)), pooled_nonviral=pooled_of(~viral), latency=lat,
        latency_all_median_h=_quantile_censored(delay[calm], c_calm, 0.5),
        mean_reposters=float(tot.mean()), viral=float(viral.mean()),
        censored=float((dec.sum() - len(delay)) / max(1, dec.sum())))


# ==============================================================================================
# The fit
# ==============================================================================================

@dataclass
class Calibration:
    """A finished fit: parameter values, statistics before/after, and the path to them."""

    target: Target
    scenario: str
    account: str
    followers: int
    population: int
    cascades: int
    before: dict[str, Any]  # behaviour values of the scenario
    fitted: dict[str, Any]  # fitted values by scenario path, e.g. "behaviour.p0"
    stats_before: CascadeStats | None
    stats_after: CascadeStats | None
    history: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    relay_edges: list[dict[str, Any]] = field(default_factory=list)

    def errors(self) -> dict[str, dict[str, float]]:
        """Fit error per targeted statistic: target, simulated, error (absolute for shares,
        relative for hours) and whether it is within the acceptance tolerance."""
        out: dict[str, dict[str, float]] = {}
        s, t = self.stats_after, self.target
        if s is None:
            return out
        if t.depth1_share is not None:
            err = s.depth1_share - t.depth1_share
            out["depth1_share"] = {"target": t.depth1_share, "simulated": s.depth1_share, "error": err,
                                   "se": s.depth1_share_se, "ok": abs(err) <= 0.10}
        for p, h in t.latency_points:
            key = next((k for k, q in _QUANT_PROBS.items() if abs(q - p) < 1e-9), None)
            if key is not None:
                sim = s.latency[key]
                out[f"latency_{key}_h"] = {"target": h, "simulated": sim, "error": sim / h - 1,
                                           "ok": abs(sim / h - 1) <= 0.20}
            elif h in (1.0, 24.0):
                sim = s.latency["share_lt_1h" if h == 1.0 else "share_lt_24h"]
                out[f"latency_share_lt_{h:g}h"] = {"target": p, "simulated": sim, "error": sim - p,
                                                   "ok": abs(sim - p) <= 0.10}
        return out

    @property
    def ok(self) -> bool:
        return all(e["ok"] for e in self.errors().values())


def _safeguarded_step(p0: float, share: float, target: float, lo: float | None, hi: float | None) -> float:
    """Next p0: R = 1 - share is proportional to p0 in a branching process, so scale p0 by the
    ratio of target to simulated R; fall back to bisection (in log p0) inside the bracket."""
    r_sim, r_tgt = max(1.0 - share, 1e-4), 1.0 - target
    new = p0 * r_tgt / r_sim
    new = min(max(new, p0 / 8), p0 * 8, 1.0)
    if lo is not None and hi is not None and not (lo < new < hi):
        new = math.sqrt(lo * hi)
    return new


def calibrate(loaded: LoadedScenario, target: Target, *, account: str | None = None, cascades: int = 200,
              seed: int | None = None, max_iter: int = 10, scenario_name: str = "",
              progress: Callable[[str], None] | None = None) -> Calibration:
    """Fit the behaviour (and relay) parameters of ``loaded`` to ``target``.

    Args:
        loaded: the scenario (possibly scaled down with ``--scale``: shares and delays do not
            depend on the population size, only cascade sizes do).
        target: from :func:`resolve_target`.
        account: the seed account id (default: the account of the first campaign post).
        cascades: simulated cascades per candidate.
        seed: seed of the calibration runs (default: the scenario's).
        max_iter: maximum number of p0 candidates.
    """
    say = progress or (lambda _m: None)
    sc = loaded.scenario
    b = sc.behaviour
    before = {"behaviour.p0": b.p0, "behaviour.latency.median": b.latency.median,
              "behaviour.latency.sigma": b.latency.sigma, "behaviour.alpha": b.alpha, "behaviour.beta": b.beta}
    fitted: dict[str, Any] = {}
    notes: list[str] = []
    behaviour: dict[str, Any] = {}
    needs_sim = target.depth1_share is not None or bool(target.latency_points)

    if target.exposure_response is not None:
        alpha, beta = fit_response(target.exposure_response)
        fitted["behaviour.alpha"], fitted["behaviour.beta"] = round(alpha, 4), round(beta, 4)
        behaviour.update(alpha=alpha, beta=beta)
        peak = alpha / beta if beta > 0 else math.inf
        notes.append(f"exposure response fitted to {len(target.exposure_response)} points: alpha {alpha:.3f}, "
                     f"beta {beta:.3f} (peak at {peak:.2f} exposures)")
    elif needs_sim:
        notes.append("exposure response (alpha, beta) kept: depth and latency profiles do not identify it; "
                     "give exposure_response in a target file to fit it")

    lat_median, lat_sigma, sigma_fitted = b.latency.median, b.latency.sigma, False
    if target.latency_points:
        lat_median, lat_sigma, sigma_fitted = fit_lognormal(target.latency_points, b.latency.sigma)
        if not sigma_fitted:
            notes.append(f"one latency number only: sigma kept at {b.latency.sigma:g}, median fitted")
        behaviour["latency"] = {"median": lat_median, "sigma": lat_sigma}

    relay_edges: list[dict[str, Any]] = []
    if target.relays is not None:
        relay_edges = _fit_relays(loaded, target.relays, fitted, notes)

    stats_before = stats_after = None
    history: list[dict[str, Any]] = []
    runner = None
    if needs_sim:
        runner = OrganicCascades(loaded, account, cascades, seed)
        say(f"seed account {runner.account} ({runner.followers:,} followers), {runner.cascades} cascades per "
            f"candidate, population {runner.population:,}")
        stats_before = runner.run({})
        say(f"scenario as given: {_brief(stats_before)}")
        p0 = b.p0
        if target.depth1_share is not None:
            # Start from the branching-process guess R = 1 - share, R = p0 <jk>/z.
            guess = (1.0 - target.depth1_share) * runner.z / runner.jk
            p0 = min(1.0, guess) if guess > 0 else b.p0
        lo = hi = None
        best: tuple[float, float, CascadeStats] | None = None
        for it in range(max_iter if target.depth1_share is not None else 1):
            cand = {**behaviour, "p0": p0}
            st = runner.run(cand)
            history.append({"p0": p0, "latency_median": lat_median, "latency_sigma": lat_sigma,
                            "depth1_share": st.depth1_share, "latency_median_sim": st.latency["median"]})
            say(f"candidate {it + 1}: p0 {p0:.5g} -> {_brief(st)}")
            if target.depth1_share is None:
                best = (p0, 0.0, st)
                break
            err = st.depth1_share - target.depth1_share
            if not math.isfinite(err):
                # Fewer than MIN_REPOSTERS reposters in every cascade: no share to measure yet.
                err = math.inf
                if best is None:
                    best = (p0, err, st)
                lo = p0 if lo is None else max(lo, p0)
                p0 = min(1.0, p0 * 4) if hi is None else math.sqrt(p0 * hi)
                continue
            if best is None or abs(err) < abs(best[1]):
                best = (p0, err, st)
            if abs(err) <= max(DEPTH1_TOL, 1.5 * st.depth1_share_se):
                break  # within the simulation's own noise: more candidates would fit noise
            if err > 0:  # too many direct reposts: R too small, p0 too small
                lo = p0 if lo is None else max(lo, p0)
            else:
                hi = p0 if hi is None else min(hi, p0)
            p0 = _safeguarded_step(p0, st.depth1_share, target.depth1_share, lo, hi)
        assert best is not None
        p0, best_err, stats_after = best
        if math.isfinite(best_err) and stats_after.used < 20:
            notes.append(f"only {stats_after.used} of {stats_after.cascades} cascades reached {MIN_REPOSTERS} "
                         f"reposters: the depth-1 share is poorly measured; use --account with a larger audience, "
                         "a larger --scale or more --cascades")
        if not math.isfinite(best_err):
            notes.append(f"no cascade from {runner.account} reached {MIN_REPOSTERS} reposters even at p0 {p0:.3g}: "
                         "the account's audience is too small to measure a depth profile; use --account "
                         "or a larger --scale")
        # Latency: correct the closed-form fit by the simulated quantiles (same seeds).
        if target.latency_points:
            corr = _latency_correction(target, stats_after, lat_sigma)
            if corr is not None and (abs(corr[0]) > 0.05 or abs(corr[1]) > 0.05):
                lat_median *= math.exp(corr[0])
                if sigma_fitted:
                    lat_sigma = max(1e-3, lat_sigma + corr[1])
                behaviour["latency"] = {"median": lat_median, "sigma": lat_sigma}
                stats_after = runner.run({**behaviour, "p0": p0})
                say(f"latency corrected: median {lat_median:.3g} h, sigma {lat_sigma:.3g} -> {_brief(stats_after)}")
        if target.depth1_share is not None:
            fitted["behaviour.p0"] = _round_sig(p0)
        if target.latency_points:
            fitted["behaviour.latency.median"] = _round_sig(lat_median)
            if sigma_fitted:
                fitted["behaviour.latency.sigma"] = _round_sig(lat_sigma)
        if stats_after.viral > 0:
            notes.append(f"{stats_after.viral:.0%} of the simulated cascades reach at least {VIRAL_SHARE:.0%} of the "
                         f"population (appeal_sigma {b.appeal_sigma:g}: posts with high appeal are supercritical)")
        horizon = sc.time.horizon
        if target.latency_points and lat_sigma > 0:
            beyond = 1 - statistics.NormalDist().cdf(math.log(horizon / lat_median) / lat_sigma)
            notes.append(f"with the scenario's {horizon:g} h horizon, {beyond:.1%} of direct reposts would come "
                         "after the horizon (calibration runs use a long horizon so cascades finish)")
    if runner is None:
        return Calibration(target, scenario_name or sc.name, "", 0, sc.population.size, 0, before, fitted,
                           None, None, history, notes, relay_edges)
    return Calibration(target, scenario_name or sc.name, runner.account, runner.followers, runner.population,
                       runner.cascades, before, fitted, stats_before, stats_after, history, notes, relay_edges)


def _latency_correction(target: Target, st: CascadeStats, sigma: float) -> tuple[float, float] | None:
    """(d ln median, d sigma) that moves the simulated depth-1 quantiles onto the target's."""
    z, err = [], []
    for p, h in target.latency_points:
        key = next((k for k, q in _QUANT_PROBS.items() if abs(q - p) < 1e-9), None)
        if key is None or not math.isfinite(st.latency[key]) or st.latency[key] <= 0:
            continue
        z.append(_norm_ppf(p))
        err.append(math.log(h) - math.log(st.latency[key]))
    if not z:
        return None
    if len(z) == 1 or np.ptp(z) < 1e-9:
        return float(np.mean(err)), 0.0
    a = np.vstack([np.ones(len(z)), z]).T
    (d_mu, d_sigma), *_ = np.linalg.lstsq(a, np.array(err), rcond=None)
    return float(d_mu), float(d_sigma)


def _fit_relays(loaded: LoadedScenario, rt: RelayTarget, fitted: dict[str, Any],
                notes: list[str]) -> list[dict[str, Any]]:
    """Match the observed relays to the scenario's relay edges and set their probability."""
    m = loaded.matrix
    sc = loaded.scenario
    groups = {a.group or a.id for a in m.accounts}
    for what, ref in (("source", rt.source), ("target", rt.target)):
        if ref is not None and ref not in groups:
            raise ScenarioError([Problem(rt.origin, None, None, f"relays.{what}",
                                         f"unknown account {ref!r}; scenario accounts/groups: {sorted(groups)[:20]}")])

    def gid(i: int) -> str:
        a = m.accounts[i]
        return a.group or a.id

    pairs: dict[tuple[str, str], list] = {}
    for e in m.relays:
        pairs.setdefault((gid(e.source), gid(e.target)), []).append(e)
    cand = [k for k in pairs if (rt.source is None or k[0] == rt.source) and (rt.target is None or k[1] == rt.target)]
    if not cand:
        existing = ", ".join(f"{s}->{t}" for s, t in pairs) or "none"
        raise ScenarioError([Problem(rt.origin, None, None, "relays",
                                     "no relay edges in the scenario match the observed relays "
                                     f"(source {rt.source or 'any'}, target {rt.target or 'any'}); "
                                     f"relay edges of the scenario: {existing}")])
    if len(cand) > 1:
        # Most edges first: the observed count is about a group of relaying accounts.
        cand.sort(key=lambda k: -len(pairs[k]))
        if rt.source is None or rt.target is None:
            notes.append(f"observed relays matched to {cand[0][0]} -> {cand[0][1]} (most relay edges); "
                         "set relays.source / relays.target to choose another pair")
    src, tgt = cand[0]
    edges = pairs[(src, tgt)]
    p = rt.probability
    n_targets = len({e.target for e in edges})
    if n_targets != rt.accounts:
        notes.append(f"the observation counts {rt.accounts} relaying accounts, the scenario has {n_targets} in "
                     f"{tgt}: the fitted probability is per account, so expected relays scale to {n_targets}")
    e0 = edges[0]
    spec = next((r for r in sc.relays if r.source == src and r.target == tgt), None)
    entry: dict[str, Any] = {"source": src, "target": tgt, "probability": _round_sig(p),
                             "latency": {"median": e0.latency.median, "sigma": e0.latency.sigma},
                             "variation": e0.variation}
    if spec is not None and spec.off_topic_probability is not None:
        # keep the edge's off-topic / on-topic ratio
        ratio = spec.off_topic_probability / max(e0.probability, 1e-12)
        entry["off_topic_probability"] = min(1.0, _round_sig(ratio * p))
    if spec is not None and spec.pattern != "all":
        entry.update(pattern=spec.pattern, neighbours=spec.neighbours)
    fitted[f"relays[{src}->{tgt}].probability"] = entry["probability"]
    notes.append(f"relay probability {src} -> {tgt}: {rt.count:,.0f} relays / ({rt.accounts} accounts x "
                 f"{rt.source_posts:g} posts) = {p:.4f} (was {e0.probability:g}); expected relays in "
                 f"{rt.days:g} days = {n_targets * rt.source_posts * p:,.0f}")
    return [entry]


def _round_sig(x: float, digits: int = 4) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def _brief(st: CascadeStats) -> str:
    return (f"depth-1 share {st.depth1_share:.3f} (pooled {st.pooled['1']:.3f}), direct-repost delay median "
            f"{st.latency['median']:.2f} h, mean {st.mean_reposters:,.0f} reposters")


# ==============================================================================================
# Output
# ==============================================================================================

def format_calibration(cal: Calibration) -> str:
    """Human-readable fit report."""
    t = cal.target
    lines = [f"target      {t.name} ({t.source})"]
    if cal.account:
        lines.append(f"cascades    {cal.cascades} organic cascades from {cal.account} ({cal.followers:,} followers), "
                     f"population {cal.population:,}")
    lines.append("")
    lines.append("parameter                    before      fitted")
    for k, v in cal.fitted.items():
        old = cal.before.get(k, "")
        lines.append(f"{k:<28} {_g(old):<11} {_g(v)}")
    if not cal.fitted:
        lines.append("(nothing fitted)")
    errs = cal.errors()
    if errs:
        lines += ["", "statistic                    target      before      fitted      error       ok"]
        sb = cal.stats_before
        for k, e in errs.items():
            before = _stat(sb, k) if sb else math.nan
            if k == "depth1_share":
                err = f"{100 * e['error']:+.1f} pp"
            elif "share" in k:
                err = f"{100 * e['error']:+.1f} pp"
            else:
                err = f"{100 * e['error']:+.1f}%"
            lines.append(f"{k:<28} {_g(e['target']):<11} {_g(before):<11} {_g(e['simulated']):<11} {err:<11} "
                         f"{'yes' if e['ok'] else 'NO'}")
    s = cal.stats_after
    if s is not None:
        ref = t.reference
        lines += ["", "checks (not fitted)"]
        pooled = ref.get("pooled_depth_shares")
        pv = s.pooled_nonviral
        lines.append(f"  pooled depth shares 1/2/3+, non-viral cascades: simulated {pv['1']:.3f} / {pv['2']:.3f} / "
                     f"{pv['3+']:.3f}" + (f"; target {pooled['1']:.3f} / {pooled['2']:.3f} / {pooled['3+']:.3f}"
                                          if pooled else ""))
        pa = s.pooled
        lines.append(f"  pooled depth shares 1/2/3+, all cascades: simulated {pa['1']:.3f} / {pa['2']:.3f} / "
                     f"{pa['3+']:.3f}")
        per = ref.get("per_cascade_depth1_share")
        lo, hi = s.depth1_share_iqr
        lines.append(f"  per-cascade depth-1 share IQR: simulated {lo:.3f}-{hi:.3f}"
                     + (f"; target {per['p25']:.3f}-{per['p75']:.3f}" if per else ""))
        if "latency_all_median_h" in ref:
            lines.append(f"  delay median, all depths, non-viral cascades: simulated {s.latency_all_median_h:.2f} h; "
                         f"target {ref['latency_all_median_h']:.2f} h")
        lines.append(f"  mean reposters per cascade {s.mean_reposters:,.1f}; {s.used}/{s.cascades} cascades with >= "
                     f"{MIN_REPOSTERS} reposters; viral {s.viral:.1%}")
    if cal.notes:
        lines += [""] + [f"note: {n}" for n in cal.notes]
    return "\n".join(lines)


def _stat(s: CascadeStats, key: str) -> float:
    if key == "depth1_share":
        return s.depth1_share
    if key.startswith("latency_share_lt_"):
        return s.latency["share_lt_1h" if "1h" == key.rsplit("_", 1)[1] else "share_lt_24h"]
    return s.latency[key[len("latency_"):-2]]


def _g(x: Any) -> str:
    if isinstance(x, float):
        return "-" if math.isnan(x) else f"{x:.4g}"
    return str(x)


def header_lines(cal: Calibration) -> list[str]:
    """Comment lines describing the fit (written at the top of the calibrated scenario)."""
    out = [f"Calibrated by `propsim calibrate` against target {cal.target.name!r} ({cal.target.source}).",
           f"Source scenario: {cal.scenario}."]
    if cal.account:
        out.append(f"Fit: {cal.cascades} organic cascades from {cal.account} ({cal.followers:,} followers, "
                   f"population {cal.population:,}), relays and fatigue off in the fit runs.")
    for k, v in cal.fitted.items():
        out.append(f"  {k}: {_g(cal.before.get(k, '-'))} -> {_g(v)}")
    for k, e in cal.errors().items():
        out.append(f"  {k}: target {_g(e['target'])}, simulated {_g(e['simulated'])}")
    for n in cal.notes:
        out.append(f"Note: {n}")
    return out


def write_calibrated(scenario_path: str | Path, cal: Calibration, out_path: str | Path) -> Path:
    """Write the user's scenario file with the fitted values set, comments kept, and a header
    describing the fit (atomically). Values are set at ``behaviour.*``; fitted relay edges are
    added to (or replace matching entries in) ``relays``."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    from .output import atomic_write

    text = Path(scenario_path).read_text(encoding="utf-8-sig")
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    doc = y.load(text)
    if not isinstance(doc, CommentedMap):
        raise ValueError(f"{scenario_path}: not a scenario mapping")
    beh = doc.get("behaviour")
    if beh is None:
        beh = CommentedMap()
        doc["behaviour"] = beh
    for key, val in cal.fitted.items():
        if not key.startswith("behaviour."):
            continue
        parts = key.split(".")[1:]
        if parts[0] == "latency":
            lat = beh.get("latency")
            if not isinstance(lat, dict):
                lat = CommentedMap({"median": cal.before["behaviour.latency.median"],
                                    "sigma": cal.before["behaviour.latency.sigma"]})
                lat.fa.set_flow_style()
                beh["latency"] = lat
            lat[parts[1]] = val
        else:
            beh[parts[0]] = val
    if cal.relay_edges:
        relays = doc.get("relays")
        if relays is None:
            relays = CommentedSeq()
            doc["relays"] = relays
        for entry in cal.relay_edges:
            item = CommentedMap(entry)
            for i, r in enumerate(relays):
                if isinstance(r, dict) and r.get("source") == entry["source"] and r.get("target") == entry["target"]:
                    relays[i] = item
                    break
            else:
                relays.append(item)
    import io

    buf = io.StringIO()
    y.dump(doc, buf)
    body = buf.getvalue()
    head = "".join(f"# {line}\n" for line in header_lines(cal)) + "#\n"
    data = (head + body).encode("utf-8")
    return atomic_write(out_path, lambda f: f.write(data))


def calibration_json(cal: Calibration) -> dict[str, Any]:
    """Machine-readable result (printed by ``propsim calibrate --json``)."""
    return json.loads(json.dumps({
        "target": cal.target.name, "target_source": cal.target.source, "scenario": cal.scenario,
        "account": cal.account, "followers": cal.followers, "population": cal.population, "cascades": cal.cascades,
        "before": cal.before, "fitted": cal.fitted, "errors": cal.errors(), "ok": cal.ok,
        "stats_before": cal.stats_before.as_dict() if cal.stats_before else None,
        "stats_after": cal.stats_after.as_dict() if cal.stats_after else None,
        "history": cal.history, "notes": cal.notes, "relay_edges": cal.relay_edges,
    }, default=float, allow_nan=True))
