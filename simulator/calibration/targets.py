"""Calibration targets: what simulated organic cascades should reproduce.

Built-in targets (``weibo``, ``twitter``, ``twitter15``, ``twitter16``) come from the committed
empirical profiles (:mod:`simulator.calibration.profiles`); a user's target is a YAML/JSON file of
their own numbers (:func:`load_target`), read by the scenario's YAML reader and validated by the
pydantic schema :class:`TargetFile`, with problems at ``FILE:LINE:COL``.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError

from simulator.scenario.errors import Problem, ScenarioError
from simulator.scenario.locate import Locator, validation_problems
from simulator.scenario.schema import Strict, Text
from simulator.scenario.yaml_io import parse_yaml, read_text

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


# --- the target file ---------------------------------------------------------------------------------
# Its schema (types, ranges, unknown keys) is pydantic, like the scenario's; the checks between
# fields follow in code. Both report FILE:LINE:COL through the scenario's locator.

Hours = Annotated[float, Field(gt=0.0, le=24.0 * 365)]
OpenShare = Annotated[float, Field(gt=0.0, lt=1.0)]  # strictly between 0 and 1
Count = Annotated[float, Field(gt=0.0, le=1e12)]


def _exposure_count(value: Any) -> Any:
    """Exposure counts are whole numbers >= 1; JSON can only write them as strings ("2")."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("exposure counts must be whole numbers >= 1")
    return value


ExposureCount = Annotated[int, BeforeValidator(_exposure_count), Field(le=10_000)]


class LatencyQuantiles(Strict):
    """Further quantiles of the delay from a post to a direct repost (the median is
    ``latency_median_h``)."""

    p10: Hours | None = None
    p25: Hours | None = None
    p75: Hours | None = None
    p90: Hours | None = None


class RelayCounts(Strict):
    """Observed relays of one account (``source``) by a group of accounts (``target``)."""

    count: Count  # relays counted over the period
    accounts: Annotated[int, Field(ge=1, le=10**12)]  # relaying accounts behind them
    source_posts: Count  # posts of the source account in the same period
    days: Annotated[float, Field(gt=0.0, le=3650.0)] = 30.0
    source: Text | None = None
    target: Text | None = None


class TargetFile(Strict):
    """A user's calibration target file (YAML or JSON); every field is optional."""

    name: Text | None = Field(None, description="a label for the target")
    depth1_share: OpenShare | None = Field(None, description="share of reposters who reposted the account itself")
    latency_median_h: Hours | None = Field(None, description="median hours from the post to a direct repost")
    latency_sigma: Annotated[float, Field(gt=0.0, le=10.0)] | None = Field(
        None, description="log-scale spread of that delay (lognormal sigma), if known"
    )
    latency_quantiles_h: LatencyQuantiles | None = None
    latency_share_lt_1h: OpenShare | None = Field(None, description="share of direct reposts within 1 hour")
    latency_share_lt_24h: OpenShare | None = Field(None, description="share of direct reposts within 24 hours")
    exposure_response: dict[ExposureCount, Annotated[float, Field(gt=0.0, le=1e6)]] | None = Field(
        None, description="{k: relative repost probability after k exposures} (k=1 is the reference)"
    )
    relays: RelayCounts | None = None
    relays_per_month: Count | None = Field(None, description="observed relays in a month")
    accounts: Annotated[int, Field(ge=1, le=10**12)] | None = Field(
        None, description="relaying accounts behind relays_per_month"
    )
    source_posts_per_month: Count | None = Field(None, description="posts of the relayed account in that month")
    source: Text | None = Field(None, description="relays_per_month: the relayed account id in the scenario")
    target: Text | None = Field(None, description="relays_per_month: the relaying account/group id")


Check = list[tuple[tuple, str]]  # (document path, message) problems between fields


def target_from_document(doc: Any, source: str, locs: dict[tuple, tuple[int, int]] | None = None) -> Target:
    """Validate a user's target (plain data, e.g. parsed YAML) into a :class:`Target`.

    Raises :class:`~simulator.scenario.errors.ScenarioError` listing every problem, each at
    ``FILE:LINE:COL`` when ``locs`` (from :func:`~simulator.scenario.yaml_io.parse_yaml`) is given.
    """
    locate = Locator(source, locs or {})
    if not isinstance(doc, dict):
        msg = "a target file must be a mapping, e.g. {depth1_share: 0.6, latency_median_h: 2.0}"
        raise ScenarioError([Problem(source, 1, 1, "", msg)])
    try:
        tf = TargetFile.model_validate(doc, strict=True)
    except ValidationError as e:
        raise ScenarioError(validation_problems(e, doc, locate, root=TargetFile)) from None
    problems: Check = []
    t = Target(name=tf.name or Path(source).stem, source=source, depth1_share=tf.depth1_share)
    t.latency_points = _latency_points(tf, doc, problems)
    t.exposure_response = _exposure_response(tf, problems)
    t.relays = _relay_target(tf, doc, source, problems)
    if not problems and t.depth1_share is None and not t.latency_points and not t.exposure_response and not t.relays:
        problems.append(
            ((), "nothing to fit: give depth1_share, latency_median_h (and quantiles), exposure_response or relays")
        )
    if problems:
        raise ScenarioError([locate.problem(path, msg) for path, msg in problems])
    return t


def _latency_points(tf: TargetFile, doc: dict, problems: Check) -> list[tuple[float, float]]:
    """(probability, hours) points of the direct-repost delay distribution, checked for order."""
    points: list[tuple[float, float]] = []
    med = tf.latency_median_h
    if med is not None:
        points.append((0.5, med))
    if tf.latency_sigma is not None:
        if med is None:
            problems.append((("latency_sigma",), "needs latency_median_h too"))
        else:
            # Two symmetric quantiles pin sigma in the least-squares fit.
            s = tf.latency_sigma
            points += [(0.25, med * math.exp(s * norm_ppf(0.25))), (0.75, med * math.exp(s * norm_ppf(0.75)))]
    if tf.latency_quantiles_h is not None:
        for k, v in tf.latency_quantiles_h.model_dump().items():
            if v is not None:
                points.append((QUANT_PROBS[k], v))
    for key, hours in (("latency_share_lt_1h", 1.0), ("latency_share_lt_24h", 24.0)):
        share = getattr(tf, key)
        if share is not None:
            points.append((share, hours))
    points.sort()
    for (p1, h1), (p2, h2) in zip(points, points[1:]):
        if h2 < h1 or (p2 > p1 and h2 == h1 and p2 - p1 > 1e-9):
            first = next((k for k in doc if str(k).startswith("latency")), "latency_median_h")
            problems.append(
                (
                    (first,),
                    f"latency numbers contradict each other: {p1:.0%} of reposts within "
                    f"{h1:g} h but {p2:.0%} within {h2:g} h",
                )
            )
            break
    return points


def _exposure_response(tf: TargetFile, problems: Check) -> dict[int, float] | None:
    """The exposure-response curve relative to k = 1, or None."""
    curve = tf.exposure_response
    if curve is None:
        return None
    path = ("exposure_response",)
    if len(curve) < 2:
        problems.append((path, "expected a mapping of at least two exposure counts, e.g. {1: 1.0, 2: 1.2, 3: 1.1}"))
    elif 1 not in curve:
        problems.append((path, "include k = 1 (the reference, usually 1.0)"))
    elif len([k for k in curve if k > 1]) < 2:
        problems.append((path, "needs at least two counts above 1 to fit alpha and beta"))
    else:
        return {k: v / curve[1] for k, v in sorted(curve.items())}
    return None


_FLAT = {"count": "relays_per_month", "accounts": "accounts", "source_posts": "source_posts_per_month"}


def _relay_target(tf: TargetFile, doc: dict, origin: str, problems: Check) -> RelayTarget | None:
    """Observed relays, given nested (``relays: {...}``) or flat (``relays_per_month`` ...)."""
    flat = tf.relays_per_month is not None
    if flat and tf.relays is not None:
        problems.append((("relays",), "give either relays: {...} or relays_per_month, not both"))
        return None
    if tf.relays is not None:
        r = tf.relays
        rt = RelayTarget(r.count, r.accounts, r.source_posts, r.days, r.source, r.target, origin)
        return _possible(rt, ("relays", "count"), problems)
    if not flat:
        for k in ("accounts", "source_posts_per_month", "source", "target"):
            if k in doc:
                problems.append(((k,), "only used with relays_per_month"))
        return None
    missing = [key for key in _FLAT.values() if getattr(tf, key) is None]
    for key in missing:
        problems.append(((key,), "required with relays_per_month"))
    if missing or tf.relays_per_month is None or tf.accounts is None or tf.source_posts_per_month is None:
        return None
    rt = RelayTarget(tf.relays_per_month, tf.accounts, tf.source_posts_per_month, 30.0, tf.source, tf.target, origin)
    return _possible(rt, ("relays_per_month",), problems)


def _possible(rt: RelayTarget, path: tuple, problems: Check) -> RelayTarget | None:
    """``rt`` unless it needs more relays than (posts x accounts): each account relays a post once."""
    if rt.probability <= 1:
        return rt
    need = math.ceil(rt.count / rt.accounts)
    problems.append(
        (
            path,
            f"{rt.count:,.0f} relays by {rt.accounts} accounts need at least {need:,} "
            f"posts of the source account (got {rt.source_posts:g}): each account relays "
            "each post at most once",
        )
    )
    return None


def load_target(path: str | Path) -> Target:
    """Read a user's target file (YAML or JSON: the scenario's YAML 1.2 reader, with its limits,
    reads both; exposure counts may be written as integer keys)."""
    source = str(path)
    doc, locs = parse_yaml(read_text(path), source, int_keys=True)
    return target_from_document(doc, source, locs)


def resolve_target(spec: str) -> Target:
    """A built-in target name or the path of a target file."""
    if spec.strip().lower() in BUILTIN_TARGETS:
        return builtin_target(spec)
    p = Path(spec)
    if not p.exists():
        known = ", ".join(BUILTIN_TARGETS)
        raise ScenarioError([Problem(spec, None, None, "", f"no such target file; built-in targets: {known}")])
    return load_target(p)
