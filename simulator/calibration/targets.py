"""Calibration targets: what simulated organic cascades should reproduce.

Built-in targets (``weibo``, ``twitter``, ``twitter15``, ``twitter16``) come from the committed
empirical profiles (:mod:`simulator.calibration.profiles`); a user's target is a YAML/JSON file of
their own numbers (:func:`load_target`), read by the scenario's YAML reader and validated here.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.scenario.errors import Problem, ScenarioError

BUILTIN_TARGETS = ("weibo", "twitter", "twitter15", "twitter16")

# Normal scores used for latency quantiles.
QUANT_PROBS = {"p10": 0.10, "p25": 0.25, "median": 0.50, "p75": 0.75, "p90": 0.90}


def norm_ppf(p: float) -> float:
    return statistics.NormalDist().inv_cdf(p)


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
    from simulator.calibration.profiles import load_profiles

    key = name.strip().lower()
    if key not in BUILTIN_TARGETS:
        raise ValueError(f"unknown target {name!r}: use one of {', '.join(BUILTIN_TARGETS)} or a YAML/JSON file")
    prof = load_profiles()[key]
    depth, lat = prof["depth"], prof["latency_h"]["depth1"]
    points = [(p, float(lat[k])) for k, p in QUANT_PROBS.items()]
    points += [(float(lat["share_lt_1h"]), 1.0), (float(lat["share_lt_24h"]), 24.0)]
    shares = depth["shares"]
    pooled = {"1": shares["1"], "2": shares["2"], "3+": 1.0 - shares["1"] - shares["2"]}
    per = depth["per_cascade_depth1_share"]
    ref = {
        "pooled_depth_shares": pooled,
        "per_cascade_depth1_share": {k: per[k] for k in ("p25", "median", "p75")},
        "latency_all_median_h": prof["latency_h"]["all"]["median"],
        "max_depth_median": prof["max_depth"]["median"],
        "n_cascades": prof["n_cascades"],
    }
    return Target(
        name=key,
        source=f"simulator/data/empirical_profiles.json [{key}]",
        depth1_share=float(per["median"]),
        latency_points=sorted(points),
        reference=ref,
    )


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


def _number(
    doc: dict,
    key: Any,
    path: tuple,
    pr: _Problems,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
) -> float | None:
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

    Raises :class:`~simulator.scenario.loading.ScenarioError` listing every problem.
    """
    pr = _Problems(source, locs or {})
    if not isinstance(doc, dict):
        raise ScenarioError(
            [
                Problem(
                    source, 1, 1, "", "a target file must be a mapping, e.g. {depth1_share: 0.6, latency_median_h: 2.0}"
                )
            ]
        )
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
            points += [(0.25, med * math.exp(sigma * norm_ppf(0.25))), (0.75, med * math.exp(sigma * norm_ppf(0.75)))]
    q = doc.get("latency_quantiles_h")
    if q is not None:
        if not isinstance(q, dict):
            pr.add(("latency_quantiles_h",), "expected a mapping like {p25: 0.4, p75: 12}")
        else:
            for k in q:
                if k not in QUANT_PROBS or k == "median":
                    names = ", ".join(x for x in QUANT_PROBS if x != "median")
                    pr.add(
                        ("latency_quantiles_h", k), f"unknown quantile; use {names} (the median is latency_median_h)"
                    )
                    continue
                v = _number(q, k, ("latency_quantiles_h", k), pr, 0.0, 24 * 365, lo_open=True)
                if v is not None:
                    points.append((QUANT_PROBS[k], v))
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
            pr.add(
                (first,),
                f"latency numbers contradict each other: {p1:.0%} of reposts within "
                f"{h1:g} h but {p2:.0%} within {h2:g} h",
            )
            break
    t.latency_points = points
    er = doc.get("exposure_response")
    if er is not None:
        if not isinstance(er, dict) or len(er) < 2:
            pr.add(
                ("exposure_response",),
                "expected a mapping of at least two exposure counts, e.g. {1: 1.0, 2: 1.2, 3: 1.1}",
            )
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
    if (
        t.depth1_share is None
        and not t.latency_points
        and t.exposure_response is None
        and t.relays is None
        and not pr.items
    ):
        pr.add((), "nothing to fit: give depth1_share, latency_median_h (and quantiles), exposure_response or relays")
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
        d, base, names = (
            doc,
            (),
            {"count": "relays_per_month", "accounts": "accounts", "source_posts": "source_posts_per_month"},
        )
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
    rt = RelayTarget(
        vals["count"], int(vals["accounts"]), vals["source_posts"], days, d.get("source"), d.get("target"), pr.source
    )
    if rt.probability > 1:
        need = math.ceil(rt.count / rt.accounts)
        pr.add(
            base + (names["count"],),
            f"{rt.count:,.0f} relays by {rt.accounts} accounts need at least {need:,} "
            f"posts of the source account (got {rt.source_posts:g}): each account relays "
            "each post at most once",
        )
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
